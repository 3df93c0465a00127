"""How fast the Predictor answers, on this machine, with the bundled checkpoint.

    python benchmarks/inference.py [--json]

- compare(): one pair of 280×280 canvas drawings, end to end (decoding,
  framing, the model, both heatmaps), p50 and p95 over --repeats calls;
- compare_batch(): pairs per second in batches of --batch, with the answers
  only (heatmaps are made when read) and with both heatmaps of every pair read;
- Atlas.place(): placing one embedding on the map.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import markdown_table, parser, publish, setup  # noqa: E402
from shapesim.atlas import ATLAS_NAME, Atlas  # noqa: E402
from shapesim.doodles import doodle_pairs  # noqa: E402
from shapesim.predict import Predictor  # noqa: E402


def timings(fn, repeats: int) -> np.ndarray:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return np.array(out)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--weights", default=None)
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    args = p.parse_args()
    setup(args)
    predictor = Predictor.from_pretrained(args.weights, device="cpu")
    a, b, _, _ = doodle_pairs(args.batch, seed=1)

    def compare() -> None:
        c = predictor.compare(a[0], b[0])
        c.heatmap_a, c.heatmap_b  # noqa: B018 (made on first use: part of the answer here)

    def with_heatmaps() -> None:
        for c in predictor.compare_batch(a, b):
            c.heatmap_a, c.heatmap_b  # noqa: B018

    for _ in range(5):
        compare()
    single = timings(compare, args.repeats) * 1000
    predictor.compare_batch(a, b)
    batch = timings(lambda: predictor.compare_batch(a, b), max(5, args.repeats // 10))
    heat = timings(with_heatmaps, max(5, args.repeats // 10))
    atlas = Atlas.load(Path(predictor.source.path) / ATLAS_NAME)
    emb = predictor.compare(a[0], b[0]).embedding_a
    place = timings(lambda: atlas.place(emb), args.repeats) * 1000
    figures = {
        "compare_p50_ms": round(float(np.percentile(single, 50)), 2),
        "compare_p95_ms": round(float(np.percentile(single, 95)), 2),
        "batch_pairs_per_s": round(args.batch / float(np.median(batch)), 1),
        "batch_heatmaps_pairs_per_s": round(args.batch / float(np.median(heat)), 1),
        "place_p50_ms": round(float(np.percentile(place, 50)), 3),
    }
    rows = [
        ["`compare` one pair, p50 / p95", f"{figures['compare_p50_ms']:.1f} ms / {figures['compare_p95_ms']:.1f} ms"],
        [f"`compare_batch`, batches of {args.batch}", f"{figures['batch_pairs_per_s']:.0f} pairs/s"],
        [
            f"`compare_batch`, batches of {args.batch}, both heatmaps of every pair read",
            f"{figures['batch_heatmaps_pairs_per_s']:.0f} pairs/s",
        ],
        [f"`Atlas.place` ({len(atlas)} reference points), p50", f"{figures['place_p50_ms']:.2f} ms"],
    ]
    publish("inference", figures, markdown_table(["what", "measured"], rows), args)


if __name__ == "__main__":
    main()
