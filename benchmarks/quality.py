"""How well the bundled model answers, on the fixed test sets, doodles, photos and people's drawings.

    python -m benchmarks.quality [--json] [--pairs 2000] [--omniglot DIR]

The same figures as `python -m shapesim evaluate --weights checkpoints --omniglot ../shared/data/omniglot`,
written to the results table of docs/results.md, and the main ones to the README's summary.
"""

from __future__ import annotations

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.evaluate import ABOUT, evaluate_folder
from shapesim.hub import BUNDLED
from shapesim.metrics import results_table
from shapesim.runtime import keep_freed_memory
from shapesim.weights import WeightsFolder


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--weights", default=str(BUNDLED))
    p.add_argument("--pairs", type=int, default=2000)
    p.add_argument("--omniglot", default="../shared/data/omniglot", help="folder with all_runs.zip ('' for none)")
    args = p.parse_args()
    setup(args)
    keep_freed_memory()  # as `python -m shapesim evaluate` does: half the time here
    results = evaluate_folder(args.weights, pairs=args.pairs, omniglot=args.omniglot or None)
    figures = {
        name: {k: m[k] for k in ("pairs", "accuracy", "precision", "recall", "f1", "roc_auc", "refused") if k in m}
        for name, m in results.items()
    }
    table = results_table(results, WeightsFolder(args.weights).holdout)
    publish("quality", figures, table, args, {"summary": summary(results)})


def summary(results: dict) -> str:
    """The README's few lines: what each set is, and how often the model is right on it."""
    rows = []
    if "omniglot" in results:
        error = results["omniglot"]["one_shot_error"]
        rows.append(["Omniglot's 20-way one-shot runs (people's drawings): error, lower is better", 400,
                     f"**{error:.1%}** wrong (people 4.5 %, a siamese convnet 8.0 %)"])  # fmt: skip
    for name in ("omniglot", "named", "trained", "heldout", "doodles", "photos", "photo-own", "seed", "plain-64"):
        if name in results:
            m = results[name]
            right = f"{m['accuracy']:.3f}" + (
                f" (as drawn: {m['clean_accuracy']:.3f})" if "clean_accuracy" in m else ""
            )
            rows.append([f"`{name}`: {ABOUT[name].split(';')[0].split(' (')[0]}", m["pairs"], right])
    return markdown_table(["test set", "pairs", "answered right"], rows)


if __name__ == "__main__":
    main()
