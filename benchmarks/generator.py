"""How fast the pair generator draws pictures, per preset, on this machine.

    python -m benchmarks.generator [--json] [--image-size 64] [--batch 256]

Each preset with both renderers, side by side in one process: the compiled
loop (``shapesim.fastdraw``, what batches on the CPU use) and the PyTorch one
(what any other device uses). The process keeps freed memory for reuse, as
training does (``shapesim.runtime.keep_freed_memory``). The loop's compilation
(or loading it from numba's cache) happens in a warm-up batch, not counted.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.data import PairGenerator
from shapesim.runtime import keep_freed_memory
from shapesim.spec import PRESETS


def images_per_second(name: str, image_size: int, batch: int, seconds: float, compiled: bool) -> float:
    gen = PairGenerator(name, image_size, seed=0, compiled=compiled)
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
    p.add_argument("--seconds", type=float, default=3.0, help="time per preset and renderer")
    args = p.parse_args()
    setup(args)
    keep_freed_memory()
    rates, eager = {}, {}
    for name in PRESETS:
        rates[name] = images_per_second(name, args.image_size, args.batch, args.seconds, compiled=True)
        eager[name] = images_per_second(name, args.image_size, args.batch, args.seconds, compiled=False)
    figures = {
        "image_size": args.image_size,
        "batch_pairs": args.batch,
        "images_per_s": {k: round(v) for k, v in rates.items()},
        "images_per_s_torch_renderer": {k: round(v) for k, v in eager.items()},
    }
    rows = [
        [f"`{k}`", f"{v:,.0f}", f"{v / 2:,.0f}", f"{eager[k]:,.0f}", f"{v / eager[k]:.1f}×"] for k, v in rates.items()
    ]
    size = f"{args.image_size}×{args.image_size}"
    head = [f"preset ({size})", "images/s (CPU: compiled)", "pairs/s", "images/s, PyTorch renderer", "speed-up"]
    publish("generator", figures, markdown_table(head, rows), args)


if __name__ == "__main__":
    main()
