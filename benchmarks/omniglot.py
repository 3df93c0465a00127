"""Omniglot's 20-way one-shot runs (Lake, Salakhutdinov & Tenenbaum, Science 2015), the standard test of
"are these two people's drawings the same figure", through the Predictor as a user's pictures go.

    python -m benchmarks.omniglot [--json] [--weights DIR] [--omniglot DIR]

Each run has 20 characters of one evaluation alphabet (one alphabet a run: characters that look
alike), one person's drawing of each and another person's drawing of each to classify: the answer
is the character whose drawing the model finds likeliest the same shape. The Modified Hausdorff
Distance baseline is computed in the same run (it reproduces the paper's 38.8 %), beside the
published figures. Then the same/different answers at the app's threshold (0.5) on pairs from the
runs: each test drawing with its own character's drawing, and with another character of its run.
Last, how much two drawings of one shape differ in proportion (the ratio of their elongations, a
measure no turn changes): two people's drawings of one Omniglot character (the background alphabets'
pen trajectories), against two of the project's doodles of one named shape (the simulated hand).
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.doodles import doodle, elongation
from shapesim.evaluate import mhd_one_shot, one_shot
from shapesim.omniglot import Omniglot, one_shot_runs
from shapesim.predict import Predictor
from shapesim.runtime import keep_freed_memory
from shapesim.shapes import NAMED

DATA = "../shared/data/omniglot"
# Lake et al. 2015 (Science 350:1332), their table of 20-way within-alphabet one-shot error on these runs
PUBLISHED = {
    "people (Lake et al. 2015)": 0.045,
    "Bayesian Program Learning (Lake et al. 2015)": 0.033,
    "deep siamese convnet (Koch et al. 2015)": 0.080,
    "deep convnet (Lake et al. 2015)": 0.135,
    "Hierarchical Deep (Salakhutdinov et al. 2013)": 0.348,
}


def _spread(groups: list[list[float]]) -> list[float]:
    """Ratios of elongation between every two drawings of one shape: median, 90th percentile."""
    ratios = [abs(a - b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]
    return [float(np.exp(np.percentile(ratios, q))) for q in (50, 90)]


def _even(stroke: np.ndarray) -> np.ndarray:
    """Points every pixel along a stroke, so that slow pen movements do not weigh more."""
    if len(stroke) < 2:
        return stroke
    along = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(stroke, axis=0).T))])
    t = np.arange(0, along[-1] + 1e-9, 1.0)
    return np.stack([np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])], 1)


def hands(folder: str) -> dict[str, list[float]]:
    """How people's drawings of one character differ in proportion, and the doodle hand's of one shape."""
    data = Omniglot.load(folder)
    people: dict[int, list[float]] = {}
    for d in data.drawings:
        people.setdefault(d.character, []).append(elongation(np.concatenate([_even(s) for s in d.strokes])))
    rng = np.random.default_rng(0)
    ink = lambda img: np.argwhere(np.asarray(img.convert("L")) < 128)  # noqa: E731
    doodles = [[elongation(ink(doodle(shape, rng))) for _ in range(20)] for shape in NAMED]
    return {"people": _spread(list(people.values())), "doodles": _spread(doodles)}


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--weights", default=None, help="a weights folder or Hub repo id (default: the bundled model)")
    p.add_argument("--omniglot", default=DATA, help="folder with all_runs.zip")
    args = p.parse_args()
    setup(args)
    keep_freed_memory()
    runs = one_shot_runs(args.omniglot)
    predictor = Predictor.from_pretrained(args.weights)
    ours, mhd = one_shot(predictor, runs), mhd_one_shot(runs)
    weights = predictor.source.describe(paths=False)
    rows = [[f"**shapesim** ({weights}, this run)", f"**{ours['error']:.1%}**"]]
    rows += [["Modified Hausdorff Distance (computed in this run; published 38.8 %)", f"{mhd:.1%}"]]
    rows += [[name, f"{error:.1%}"] for name, error in PUBLISHED.items()]
    table = markdown_table(["20-way one-shot, 20 runs (400 test drawings)", "error"], rows)
    same_different = markdown_table(
        ["same or different, at the app's threshold", "pairs", "right"],
        [
            ["a test drawing and its own character's drawing (same)", ours["tests"], f"{ours['same_accuracy']:.3f}"],
            ["a test drawing and another character of its run (different)", ours["tests"],
             f"{ours['different_accuracy']:.3f}"],
            ["both", 2 * ours["tests"], f"**{ours['accuracy']:.3f}**"],
        ],
    )  # fmt: skip
    spread = hands(args.omniglot)
    proportions = markdown_table(
        ["two drawings of one shape: ratio of their elongations", "median", "9 in 10 within"],
        [
            ["people: two people's drawings of one Omniglot character (background alphabets)",
             *(f"{v:.2f}×" for v in spread["people"])],
            ["the doodle hand: two doodles of one named shape (20 each)", *(f"{v:.2f}×" for v in spread["doodles"])],
        ],
    )  # fmt: skip
    figures = {"shapesim": ours, "mhd_error": mhd, "published": PUBLISHED, "weights": weights, **spread}
    publish("omniglot", figures, f"{table}\n\n{same_different}\n\n{proportions}", args)


if __name__ == "__main__":
    main()
