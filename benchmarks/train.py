"""Training speed and time to quality, from scratch, on this machine.

    python benchmarks/train.py [--json]

- pairs/s: the trainer with its defaults (preset `mixed`, 64 px, batch 64),
  validation excluded, over --speed-steps steps after a short warm-up;
- seconds and pairs until validation F1 >= 0.99 on the `seed` preset
  (validation every 10 steps on 256 fixed pairs; time excludes validation).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import markdown_table, parser, publish, setup  # noqa: E402
from shapesim.train import TrainConfig, train  # noqa: E402


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--speed-steps", type=int, default=40)
    p.add_argument("--max-steps", type=int, default=400, help="give up on F1 0.99 after this many steps")
    args = p.parse_args()
    setup(args)
    with tempfile.TemporaryDirectory() as tmp:
        warm = TrainConfig(steps=3, eval_every=1000, eval_pairs=8, out=f"{tmp}/warm", progress=False)
        train(warm)
        speed = train(
            TrainConfig(steps=args.speed_steps, eval_every=10_000, eval_pairs=8, out=f"{tmp}/speed", progress=False)
        )
        quality = TrainConfig(
            preset="seed",
            holdout=(),
            steps=args.max_steps,
            eval_every=10,
            eval_pairs=256,
            target_f1=0.99,
            out=f"{tmp}/seed",
            progress=False,
        )
        result = train(quality)
    reached = next((r for r in result.history if r["val_f1"] >= 0.99), None)
    figures = {
        "pairs_per_s": round(speed.pairs_per_s, 1),
        "seconds_to_f1_099": reached["seconds"] if reached else None,
        "pairs_to_f1_099": reached["pairs"] if reached else None,
        "steps_to_f1_099": reached["step"] if reached else None,
    }
    rows = [
        ["training throughput (preset `mixed`, 64 px, batch 64)", f"{figures['pairs_per_s']:.0f} pairs/s"],
        [
            "validation F1 ≥ 0.99 on `seed`, from scratch",
            f"{figures['seconds_to_f1_099']:.0f} s, {figures['pairs_to_f1_099']:,} pairs" if reached else "not reached",
        ],
    ]
    publish("train", figures, markdown_table(["what", "measured"], rows), args)


if __name__ == "__main__":
    main()
