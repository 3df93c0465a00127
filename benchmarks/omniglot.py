"""Omniglot's 20-way one-shot runs (Lake, Salakhutdinov & Tenenbaum, Science 2015), the standard test of
"are these two people's drawings the same figure", through the Predictor as a user's pictures go.

    python -m benchmarks.omniglot [--json] [--weights DIR] [--omniglot DIR]
    python -m benchmarks.omniglot --curve MINUTES [--json] [--recipes pairs every-pair ...]
    python -m benchmarks.omniglot --fit [--json] [--weights DIR]

Each run has 20 characters of one evaluation alphabet (one alphabet a run: characters that look
alike), one person's drawing of each and another person's drawing of each to classify: the answer
is the character whose drawing the model finds likeliest the same shape. The Modified Hausdorff
Distance baseline is computed in the same run (it reproduces the paper's 38.8 %), beside the
published figures. Then the same/different answers at the app's threshold (0.5) on pairs from the
runs: each test drawing with its own character's drawing, and with another character of its run.
Last, how much two drawings of one shape differ in proportion (the ratio of their elongations, a
measure no turn changes): two people's drawings of one Omniglot character (the background alphabets'
pen trajectories), against two of the project's doodles of one named shape (the simulated hand).

With ``--curve``, what decides a recipe instead: each recipe trains from the bundled model for the
same minutes of this machine's CPU, and the runs' one-shot error is scored along the way (scoring's
time set aside). Today's step puts each drawn pair through the network; the every-pair step puts each
picture through the stem once and every two pictures of its batch through the gate.

With ``--fit``, whether a model's one-shot error is short of fit or of data: runs drawn as the paper's are
from the background characters training learned from and from those it held out for validation, beside
the 20 runs.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.doodles import doodle, elongation
from shapesim.evaluate import mhd_one_shot, one_shot
from shapesim.hub import bundled
from shapesim.omniglot import Omniglot, background_runs, one_shot_runs
from shapesim.people import DrawingBank
from shapesim.predict import Predictor
from shapesim.runtime import keep_freed_memory
from shapesim.shapes import NAMED
from shapesim.training import TrainConfig, train

DATA = "../shared/data/omniglot"
# Lake et al. 2015 (Science 350:1332), their table of 20-way within-alphabet one-shot error on these runs
PUBLISHED = {
    "people (Lake et al. 2015)": 0.045,
    "Bayesian Program Learning (Lake et al. 2015)": 0.033,
    "deep siamese convnet (Koch et al. 2015)": 0.080,
    "deep convnet (Lake et al. 2015)": 0.135,
    "Hierarchical Deep (Salakhutdinov et al. 2013)": 0.348,
}


# What --curve compares: today's pair step (run L's recipe) and the every-pair step, both from the bundled model,
# half of each batch people's drawings; the same pictures a step (64).
RECIPES = {
    "pairs": ("pair step (64 pairs a step, people's share 0.5)", dict(batch_size=64, people=0.5, lr=5e-4)),
    "every-pair": (
        "every pair through the gate, upright (32 identities × 2 drawings, people's share 0.5)",
        dict(batch_size=32, people=0.5, lr=5e-4, every_pair=True, upright=True),
    ),
    "every-pair-96": (
        "the same at 96 px",
        dict(batch_size=32, people=0.5, lr=5e-4, every_pair=True, upright=True, image_size=96),
    ),
    "every-pair-depth2": (
        "the same with two ResNet stages (layer2)",
        dict(batch_size=32, people=0.5, lr=5e-4, every_pair=True, upright=True, depth=2),
    ),
}


class _Spent(Exception):
    """The recipe's minutes are up."""


def curve(recipe: dict, minutes: float, points: int, omniglot: str, init: str) -> dict:
    """Train ``recipe`` from ``init`` for ``minutes`` of learning, scoring the one-shot runs ``points`` times."""
    runs = one_shot_runs(omniglot)
    with tempfile.TemporaryDirectory() as out:
        base = dict(init=init, omniglot=omniglot, out=out, eval_pairs=64, progress=False, warmup=20)
        probe, ticks = TrainConfig(**base, **recipe, steps=8, eval_every=8), []
        train(probe, callback=lambda step, model: ticks.append(time.perf_counter()))
        per_step = float(np.median(np.diff(ticks[:-1])))  # a rough rate: it sets the schedule's length
        steps = max(points, round(minutes * 60 / per_step))
        config = TrainConfig(**base, **recipe, steps=steps, eval_every=steps)
        records, durations, last = [], [], [None]

        def learning() -> float:
            # the first step's time holds the run's setting up, the last's its validation: each counts as a
            # typical step
            typical = float(np.median(durations[1:])) if len(durations) > 1 else durations[0]
            return typical + sum(durations[1:])

        def score(step: int, model) -> None:
            # scored when the learning clock passes each point's minutes (the step rate drifts from the probe's,
            # so points are set by time, not by step); the run stops at the last point
            now = time.perf_counter()
            durations.append(now - last[0] if last[0] is not None else 0.0)
            if step == steps and len(durations) > 2:
                durations[-1] = float(np.median(durations[1:-1]))
            if learning() >= minutes * 60 * (len(records) + 1) / points or step == steps:
                got = one_shot(Predictor(model, bundled(), config.image_size), runs)
                pictures = step * 2 * config.batch_size
                records.append({"step": step, "minutes": learning() / 60, "pictures": pictures,
                                "pairs": step * config.pairs_per_step, "error": got["error"]})  # fmt: skip
                model.train()
                if len(records) == points and step < steps:
                    raise _Spent
            last[0] = time.perf_counter()

        try:
            train(config, callback=score)
        except _Spent:
            pass
    last = records[-1]
    rate = {
        "pictures_per_s": last["pictures"] / (last["minutes"] * 60),
        "pairs_per_s": last["pairs"] / (last["minutes"] * 60),
    }
    return {"config": dataclasses.asdict(config) | {"init": "bundled"}, "records": records, **rate}


def curves_main(args) -> None:
    init = str(bundled().path)
    got = {name: curve(RECIPES[name][1], args.curve, args.points, args.omniglot, init) for name in args.recipes}
    start = one_shot(Predictor.from_pretrained(init), one_shot_runs(args.omniglot))["error"]
    header = ["recipe (from the bundled model, " + f"{start:.1%} at the start)", "pictures/s", "labelled pairs/s"]
    header += [f"one-shot error after {args.curve * (k + 1) / args.points:.0f} min" for k in range(args.points)]
    rows = []
    for name in args.recipes:
        g = got[name]
        errors = [f"{r['error']:.1%}" for r in g["records"][: args.points]]
        rows.append([RECIPES[name][0], f"{g['pictures_per_s']:.0f}", f"{g['pairs_per_s']:.0f}", *errors])
    figures = {"start_error": start, "minutes": args.curve, **got}
    if not args.json:
        _plot(got, start, Path(args.figure))
    publish("oneshot-curve", figures, markdown_table(header, rows), args)


def _plot(got: dict, start: float, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=100)
    for name, g in got.items():
        ax.plot([0] + [r["minutes"] for r in g["records"]], [start] + [r["error"] for r in g["records"]],
                marker="o", label=RECIPES[name][0])  # fmt: skip
    for name, error in PUBLISHED.items():
        if error < start:
            ax.axhline(error, color="grey", lw=0.6, ls=":")
            ax.text(ax.get_xlim()[1], error, f"{name} ", fontsize=7, va="bottom", ha="right", color="grey")
    ax.set(xlabel="minutes of training on this machine's CPU", ylabel="20-way one-shot error", ylim=(0, None))
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)  # under the axes
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    print(f"wrote {path}")


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
    data = Omniglot.load(folder, pictures=False)
    people: dict[int, list[float]] = {}
    for d in data.drawings:
        people.setdefault(d.character, []).append(elongation(np.concatenate([_even(s) for s in d.strokes])))
    rng = np.random.default_rng(0)
    ink = lambda img: np.argwhere(np.asarray(img.convert("L")) < 128)  # noqa: E731
    doodles = [[elongation(ink(doodle(shape, rng))) for _ in range(20)] for shape in NAMED]
    return {"people": _spread(list(people.values())), "doodles": _spread(doodles)}


def fit_main(args) -> None:
    """One-shot error on training's own characters, on its held-out ones and on the 20 runs, side by side."""
    data = Omniglot.load(args.omniglot)
    learned, held = (np.unique(part.character) for part in DrawingBank.from_omniglot(data).split())
    predictor = Predictor.from_pretrained(args.weights)
    sets = {
        "characters training learned from, 20 of one alphabet": background_runs(data, learned, 20, 1),
        "characters training learned from, 20 of any alphabet": background_runs(data, learned, 20, 2, within=False),
        "background characters held out for validation, 20 of any alphabet": background_runs(
            data, held, 20, 3, within=False
        ),
        "the 20 runs: new alphabets, 20 of one alphabet": one_shot_runs(args.omniglot),
    }
    figures = {name: one_shot(predictor, runs)["error"] for name, runs in sets.items()}
    rows = [[name, f"{error:.1%}"] for name, error in figures.items()]
    header = [f"20-way one-shot, 400 test drawings each ({args.weights or 'the bundled model'})", "error"]
    publish("oneshot-fit", figures, markdown_table(header, rows), args)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--weights", default=None, help="a weights folder or Hub repo id (default: the bundled model)")
    p.add_argument("--omniglot", default=DATA, help="folder with all_runs.zip")
    p.add_argument("--curve", type=float, default=0, help="minutes of training per recipe: the one-shot curve")
    p.add_argument("--recipes", nargs="+", default=["pairs", "every-pair"], choices=list(RECIPES))
    p.add_argument("--points", type=int, default=4, help="one-shot scores along each curve")
    p.add_argument("--figure", default="assets/oneshot-curve.png", help="the curve's figure (not with --json)")
    p.add_argument("--fit", action="store_true", help="one-shot error on training's own characters beside new ones")
    args = p.parse_args()
    setup(args)
    keep_freed_memory()
    if args.curve:
        return curves_main(args)
    if args.fit:
        return fit_main(args)
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
