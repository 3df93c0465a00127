"""How fast the pair generator draws pictures, per preset, on this machine.

    python benchmarks/generator.py [--json] [--image-size 64] [--batch 256]

Each preset twice: first in a plain process, then as it runs inside training,
where the trainer has told glibc to keep freed memory for reuse
(``shapesim.train.keep_freed_memory``: a batch's per-pixel tensors are several
MB each, and without it many of them arrive as fresh pages that page-fault).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import markdown_table, parser, publish, setup  # noqa: E402
from shapesim.data import PRESETS, PairGenerator  # noqa: E402
from shapesim.train import keep_freed_memory  # noqa: E402


def images_per_second(name: str, image_size: int, batch: int, seconds: float) -> float:
    gen = PairGenerator(name, image_size, seed=0)
    gen(0, batch)  # warm-up
    done, start, step = 0, time.perf_counter(), 1
    while time.perf_counter() - start < seconds:
        gen.batch(np.arange(step * batch, (step + 1) * batch))
        done, step = done + 2 * batch, step + 1
    return done / (time.perf_counter() - start)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch", type=int, default=256, help="pairs per batch")
    p.add_argument("--seconds", type=float, default=3.0, help="time per preset")
    args = p.parse_args()
    setup(args)
    plain = {name: images_per_second(name, args.image_size, args.batch, args.seconds) for name in PRESETS}
    keep_freed_memory()  # process-wide and lasting: the plain figures come first
    rates = {name: images_per_second(name, args.image_size, args.batch, args.seconds) for name in PRESETS}
    figures = {
        "image_size": args.image_size,
        "batch_pairs": args.batch,
        "images_per_s": {k: round(v) for k, v in rates.items()},
        "images_per_s_plain_process": {k: round(v) for k, v in plain.items()},
    }
    rows = [[f"`{k}`", f"{v:,.0f}", f"{v / 2:,.0f}", f"{plain[k]:,.0f}"] for k, v in rates.items()]
    size = f"{args.image_size}×{args.image_size}"
    head = [f"preset ({size})", "images/s (as in training)", "pairs/s", "images/s, plain process"]
    table = markdown_table(head, rows)
    publish("generator", figures, table, args)


if __name__ == "__main__":
    main()
