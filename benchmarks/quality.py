"""How well the bundled model answers, on the fixed test sets and on mouse-drawn-looking doodles.

    python -m benchmarks.quality [--json] [--pairs 2000] [--omniglot DIR]

The same figures as `python -m shapesim evaluate --weights checkpoints --omniglot ../shared/data/omniglot`,
written to the README's results table.
"""

from __future__ import annotations

from benchmarks.common import parser, publish, setup
from shapesim.evaluate import evaluate_folder
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
    publish("quality", figures, results_table(results, WeightsFolder(args.weights).holdout), args)


if __name__ == "__main__":
    main()
