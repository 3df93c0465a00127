"""How fast the Predictor answers, on this machine, with the bundled checkpoint.

    python -m benchmarks.inference [--json]

- compare(): one pair of 280×280 canvas drawings, end to end (decoding,
  framing, the model, both heatmaps), p50 and p95 over --repeats calls; for a
  model trained upright, with the search of picture B's eight turned and mirrored
  copies (the default) and without it (``turns=False``), alternating, side by side;
- a phone's photo: a 4000×3000 JPEG file of a drawing on paper against a canvas
  drawing, end to end, and how much of it is reading and framing the photo;
- compare_batch(): pairs per second in batches of --batch, with the answers
  only (heatmaps are made when read) and with both heatmaps of every pair read;
- where a batch's time goes: the model alone on the same pairs already
  framed; its limit, the model's FLOPs per pair (``torch.utils.flop_counter``)
  at the rate of a large fp32 matmul measured in the same run; and framing
  (reading, cropping, shrinking) per picture, two a pair;
- Atlas.place(): placing one embedding on the map.

Measured as the app and the command line run it: with glibc told to keep freed
memory (``shapesim.runtime.keep_freed_memory``; without it every batch's feature
maps arrive as fresh pages that page-fault). compare_batch is also measured
first in a plain process, before that setting, for scripts that skip it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import markdown_table, matmul_gflops, parser, publish, setup
from shapesim.doodles import doodle_pairs
from shapesim.photos import photograph
from shapesim.predict import CHUNK, Predictor
from shapesim.runtime import keep_freed_memory


def timings(fn, repeats: int) -> np.ndarray:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return np.array(out)


@torch.inference_mode()
def model_alone(predictor: Predictor, a: torch.Tensor, b: torch.Tensor) -> None:
    """The network's part of compare_batch: framed inputs in, outputs out, in the Predictor's chunks."""
    net = predictor.network
    for i in range(0, len(a), CHUNK):
        net(a[i : i + CHUNK], b[i : i + CHUNK])


def flops_per_pair(predictor: Predictor, a: torch.Tensor, b: torch.Tensor) -> float:
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        predictor.network(a, b)
    return counter.get_total_flops() / len(a)


def side_by_side(predictor: Predictor, a, b, repeats: int) -> tuple[np.ndarray, np.ndarray]:
    """compare() without and with the orientation search, alternating: ms of each (the same when the model
    does not search)."""
    strict, search = [], []
    for _ in range(repeats):
        for turns, out in ((False, strict), (True, search)):
            t = time.perf_counter()
            c = predictor.compare(a, b, turns=turns)
            c.heatmap_a, c.heatmap_b  # noqa: B018
            out.append(time.perf_counter() - t)
    return np.array(strict) * 1000, np.array(search) * 1000


def phone_photo(predictor: Predictor, drawing, other, repeats: int) -> tuple[float, float]:
    """ms to compare a 4000×3000 JPEG file of ``drawing`` on paper with ``other`` (p50), and to read and frame
    the photo alone."""
    photo = photograph(drawing, np.random.default_rng(0), size=(4000, 3000), quality=90)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        photo.save(path, quality=90)

        def answer() -> None:
            c = predictor.compare(str(path), other)
            c.heatmap_a, c.heatmap_b  # noqa: B018

        answer()
        whole = timings(answer, repeats)
        framing = timings(lambda: predictor.prepare(str(path)), repeats)
    return 1000 * float(np.median(whole)), 1000 * float(np.median(framing))


def command_line(repeats: int = 3) -> tuple[float, float]:
    """Seconds from starting ``python -m shapesim --help`` to its end, and ``python -m shapesim predict a b``
    on two canvas drawings (median of ``repeats``): what a user waits for each call."""
    import subprocess
    import sys

    a, b, _, _ = doodle_pairs(1, seed=3)
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(Path(folder) / n) for n in ("a.png", "b.png")]
        a[0].save(paths[0])
        b[0].save(paths[1])
        got = []
        for command in (["--help"], ["predict", *paths]):
            run = lambda c=command: subprocess.run(
                [sys.executable, "-m", "shapesim", *c], check=True, capture_output=True
            )  # noqa: E731, E501
            got.append(float(np.median(timings(run, repeats))))
    return got[0], got[1]


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

    predictor.compare_batch(a, b)
    plain = timings(lambda: predictor.compare_batch(a, b), max(5, args.repeats // 10))
    keep_freed_memory()  # process-wide and lasting: the plain figure comes first
    for _ in range(5):
        compare()
    single = timings(compare, args.repeats) * 1000
    strict, search = side_by_side(predictor, a[0], b[0], args.repeats)
    help_s, predict_s = command_line()
    photo_ms, photo_framing_ms = phone_photo(predictor, a[1], b[1], max(5, args.repeats // 10))
    predictor.compare_batch(a, b)
    batch = timings(lambda: predictor.compare_batch(a, b), max(5, args.repeats // 10))
    heat = timings(with_heatmaps, max(5, args.repeats // 10))
    framed = [torch.stack([predictor.prepare(x)[0] for x in side]) for side in (a, b)]
    fa, fb = (x.contiguous(memory_format=torch.channels_last) for x in framed)
    alone = timings(lambda: model_alone(predictor, fa, fb), max(5, args.repeats // 10))
    framing = timings(lambda: [predictor.prepare(x) for x in a + b], max(5, args.repeats // 10))
    flops, gflops = flops_per_pair(predictor, fa[:CHUNK], fb[:CHUNK]), matmul_gflops(torch.float32, 2048)
    limit = gflops * 1e9 / flops
    atlas = predictor.source.folder.atlas()
    emb = predictor.compare(a[0], b[0]).embedding_a
    place = timings(lambda: atlas.place(emb), args.repeats) * 1000
    figures = {
        "compare_p50_ms": round(float(np.percentile(single, 50)), 2),
        "compare_p95_ms": round(float(np.percentile(single, 95)), 2),
        "batch_pairs_per_s": round(args.batch / float(np.median(batch)), 1),
        "batch_heatmaps_pairs_per_s": round(args.batch / float(np.median(heat)), 1),
        "batch_pairs_per_s_plain_process": round(args.batch / float(np.median(plain)), 1),
        "model_alone_pairs_per_s": round(args.batch / float(np.median(alone)), 1),
        "framing_ms_per_picture": round(1000 * float(np.median(framing)) / (2 * args.batch), 3),
        "model_mflops_per_pair": round(flops / 1e6, 1),
        "matmul_gflops_fp32": round(gflops, 1),
        "model_limit_pairs_per_s": round(limit, 1),
        "place_p50_ms": round(float(np.percentile(place, 50)), 3),
        "upright": predictor.model.upright,
        "compare_strict_p50_ms": round(float(np.percentile(strict, 50)), 2),
        "compare_search_p50_ms": round(float(np.percentile(search, 50)), 2),
        "compare_search_p95_ms": round(float(np.percentile(search, 95)), 2),
        "search_over_strict": round(float(np.median(search) / np.median(strict)), 2),
        "photo_4000x3000_p50_ms": round(photo_ms, 1),
        "photo_reading_and_framing_ms": round(photo_framing_ms, 1),
        "cli_help_s": round(help_s, 2),
        "cli_predict_s": round(predict_s, 2),
    }
    turned = (
        [
            [
                "`compare` one pair, searching B's 8 turned and mirrored copies (the default), p50 / p95",
                f"{figures['compare_search_p50_ms']:.1f} ms / {figures['compare_search_p95_ms']:.1f} ms",
            ],
            [
                "the same pairs without the search (`turns=False`), alternating with it, p50; the search's cost",
                f"{figures['compare_strict_p50_ms']:.1f} ms; **{figures['search_over_strict']:.2f}×**",
            ],
        ]
        if predictor.model.upright
        else [["(the model was not trained upright: it searches no turned copies)", "–"]]
    )
    rows = [
        ["`compare` one pair, p50 / p95", f"{figures['compare_p50_ms']:.1f} ms / {figures['compare_p95_ms']:.1f} ms"],
        *turned,
        [
            "`compare` a phone's photo (4000×3000 JPEG file of a drawing on paper) with a drawing, p50; of it, "
            "reading and framing the photo",
            f"{figures['photo_4000x3000_p50_ms']:.0f} ms; {figures['photo_reading_and_framing_ms']:.0f} ms",
        ],
        [f"`compare_batch`, batches of {args.batch}", f"{figures['batch_pairs_per_s']:.0f} pairs/s"],
        [
            f"`compare_batch`, batches of {args.batch}, both heatmaps of every pair read",
            f"{figures['batch_heatmaps_pairs_per_s']:.0f} pairs/s",
        ],
        [
            f"`compare_batch`, batches of {args.batch}, in a plain process (no `keep_freed_memory`)",
            f"{figures['batch_pairs_per_s_plain_process']:.0f} pairs/s",
        ],
        [
            f"the model alone, batches of {args.batch} already framed",
            f"{figures['model_alone_pairs_per_s']:.0f} pairs/s",
        ],
        [
            f"the model's limit: {figures['model_mflops_per_pair']:.0f} MFLOP a pair "
            f"at the fp32 matmul rate ({gflops:.0f} GFLOP/s)",
            f"{limit:.0f} pairs/s",
        ],
        ["framing a 280×280 drawing (two a pair)", f"{figures['framing_ms_per_picture']:.2f} ms"],
        [f"`Atlas.place` ({len(atlas)} reference points), p50", f"{figures['place_p50_ms']:.2f} ms"],
        [
            "`python -m shapesim --help`; `python -m shapesim predict a.png b.png`, start to end (most of it importing "
            "torch and torchvision)",
            f"{figures['cli_help_s']:.2f} s; {figures['cli_predict_s']:.1f} s",
        ],
    ]
    publish("inference", figures, markdown_table(["what", "measured"], rows), args)


if __name__ == "__main__":
    main()
