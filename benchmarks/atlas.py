"""How well the embedding map separates the classes: leave-one-out k-NN accuracy.

    python -m benchmarks.atlas [--json]

Reads the bundled atlas (made by `python -m shapesim atlas --weights checkpoints`)
and scores the class of every reference picture from its 10 nearest neighbours,
on the 2-D map and on the 128-D embeddings, for all classes and for the classes
held out of training.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import markdown_table, parser, publish, setup
from shapesim.hub import BUNDLED
from shapesim.metrics import knn_accuracy
from shapesim.weights import WeightsFolder


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--weights", default=str(BUNDLED))
    args = p.parse_args()
    setup(args)
    atlas = WeightsFolder(args.weights).atlas()
    held = np.isin(np.array(atlas.class_names)[atlas.cls], atlas.holdout)
    figures = {
        "points": len(atlas),
        "knn_2d": knn_accuracy(atlas.coords, atlas.cls),
        "knn_embedding": knn_accuracy(atlas.embeddings, atlas.cls, cosine=True),
    }
    rows = [[f"all {len(atlas)} points", f"{figures['knn_2d']:.3f}", f"{figures['knn_embedding']:.3f}"]]
    if held.any():
        figures["knn_2d_heldout"] = knn_accuracy(atlas.coords, atlas.cls, subset=held)
        figures["knn_embedding_heldout"] = knn_accuracy(atlas.embeddings, atlas.cls, cosine=True, subset=held)
        rows.append(
            [
                f"held-out classes ({', '.join(atlas.holdout)}, {held.sum()} points)",
                f"{figures['knn_2d_heldout']:.3f}",
                f"{figures['knn_embedding_heldout']:.3f}",
            ]
        )
    table = markdown_table(["10-NN class accuracy", "2-D map", f"{atlas.embeddings.shape[1]}-D embedding"], rows)
    publish("atlas", figures, table, args)


if __name__ == "__main__":
    main()
