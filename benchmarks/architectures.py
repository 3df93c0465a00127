"""The seed's fusion designs and its proposed training improvements, trained on the same budget and compared.

    python benchmarks/architectures.py [--json] [--pairs 6400] [--only NAME ...]

Every variant trains from scratch on the same data (preset `mixed`, crescent
and arrow held out, the same seed) for the same number of pairs; variants with
pre-training spend a quarter of those pairs on it. Each variant's best
checkpoint is kept in ``checkpoints/variants/NAME`` (the app's Model tab can
switch to it). Then, per variant: parameters; training FLOPs per pair
(``torch.utils.flop_counter``); test F1 on `seed`, `shapes`, `sketch` and the
held-out classes (--eval-pairs each); seconds and pairs of a separate run from
scratch on `seed` until validation F1 ≥ 0.99 (at most --seed-steps steps); and
``Predictor.compare`` latency for one pair of 160×160 pictures, p50.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import markdown_table, parser, publish, setup  # noqa: E402
from shapesim.evaluate import evaluate_folder  # noqa: E402
from shapesim.predict import Predictor  # noqa: E402
from shapesim.training import TrainConfig, train  # noqa: E402

VARIANTS_DIR = ROOT / "checkpoints" / "variants"
PRETRAIN_SHARE = 4  # pre-training variants spend 1/4 of the budget on it
VARIANTS: dict[str, dict] = {
    "agfusion": {},
    "crossattn": {"arch": "crossattn"},
    "concat": {"arch": "concat"},
    "regionmatch": {"arch": "regionmatch"},
    "agfusion + contrastive pre-training": {"pretrain": "contrastive"},
    "agfusion + jigsaw pre-training": {"pretrain": "jigsaw"},
    "agfusion, frozen contrastive extractor": {"pretrain": "contrastive", "freeze_backbone": True},
}


def folder_name(name: str) -> str:
    return name.replace(" + ", "-").replace(", ", "-").replace(" ", "-")


def config_for(variant: dict, steps: int, **kw) -> TrainConfig:
    pre = max(1, steps // PRETRAIN_SHARE) if variant.get("pretrain") else 0
    return TrainConfig(**{**variant, "pretrain_steps": pre, "steps": steps - pre, "progress": False, **kw})


def flops_per_pair(config: TrainConfig, pairs: int = 4) -> float:
    model = config.build_model()
    size = config.image_size
    a, b = torch.rand(pairs, 3, size, size), torch.rand(pairs, 3, size, size)
    with FlopCounterMode(display=False) as counter:
        F.binary_cross_entropy_with_logits(model(a, b).logit, torch.ones(pairs)).backward()
    return counter.get_total_flops() / pairs


def latency_ms(folder: Path, calls: int = 20) -> float:
    from shapesim.doodles import doodle

    predictor = Predictor.from_pretrained(str(folder), device="cpu")
    rng = np.random.default_rng(0)
    a, b = doodle("circle", rng), doodle("square", rng)
    predictor.compare(a, b)
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        predictor.compare(a, b)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def run_variant(name: str, variant: dict, args, tmp: str) -> dict:
    out = VARIANTS_DIR / folder_name(name)
    shutil.rmtree(out, ignore_errors=True)
    steps = args.pairs // args.batch_size
    config = config_for(variant, steps, batch_size=args.batch_size, eval_every=max(1, steps // 4), out=str(out))
    trained = train(config)
    (out / "last.safetensors").unlink(missing_ok=True)  # the resume state: not part of the bundle
    names = ("seed", "shapes", "sketch", "heldout")
    scores = evaluate_folder(out, pairs=args.eval_pairs, device="cpu", names=names)
    (out / "eval.json").write_text(json.dumps(scores, indent=2) + "\n")
    seed_run = train(
        config_for(
            variant, args.seed_steps, preset="seed", holdout=(), batch_size=args.batch_size, eval_every=5,
            eval_pairs=256, target_f1=0.99, out=f"{tmp}/{folder_name(name)}",
        )
    )  # fmt: skip
    reached = next((r for r in seed_run.history if r["val_f1"] >= 0.99), None)
    return {
        "name": name,
        "folder": str(out.relative_to(ROOT)),
        "parameters": sum(p.numel() for p in trained.model.parameters()),
        "train_mflops_per_pair": round(flops_per_pair(config) / 1e6, 1),
        "train_seconds": round(trained.seconds, 1),
        "seconds_to_f1_099": reached["seconds"] if reached else None,
        "pairs_to_f1_099": reached["pairs"] if reached else None,
        **{f"f1_{k}": round(v["f1"], 4) for k, v in scores.items()},
        "latency_ms": round(latency_ms(out), 1),
    }


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--pairs", type=int, default=6400, help="training pairs per variant, pre-training included")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--eval-pairs", type=int, default=1000, help="pairs per test set")
    p.add_argument("--seed-steps", type=int, default=100, help="give up on F1 0.99 on `seed` after this many steps")
    p.add_argument("--only", nargs="*", default=None, choices=list(VARIANTS), metavar="NAME")
    args = p.parse_args()
    setup(args)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, variant in VARIANTS.items():
            if args.only is None or name in args.only:
                rows.append(run_variant(name, variant, args, tmp))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    table = markdown_table(
        [
            "variant",
            "parameters",
            "training MFLOP / pair",
            "to F1 ≥ 0.99 on `seed`",
            "F1 `seed`",
            "F1 `shapes`",
            "F1 `sketch`",
            "F1 held-out",
            "compare, p50",
        ],
        [
            [
                f"`{r['folder']}`: {r['name']}",
                f"{r['parameters']:,}",
                f"{r['train_mflops_per_pair']:.0f}",
                f"{r['seconds_to_f1_099']:.0f} s, {r['pairs_to_f1_099']:,} pairs"
                if r["seconds_to_f1_099"] is not None
                else f"not in {args.seed_steps * args.batch_size:,} pairs",
                *(f"{r[f'f1_{k}']:.3f}" for k in ("seed", "shapes", "sketch", "heldout")),
                f"{r['latency_ms']:.0f} ms",
            ]
            for r in rows
        ],
    )
    publish("architectures", {"variants": rows, "pairs": args.pairs}, table, args)


if __name__ == "__main__":
    main()
