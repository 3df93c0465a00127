"""Scoring a weights folder: the fixed generator test sets, and doodles through the whole user path.

python -m shapesim evaluate --weights checkpoints [--save]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .doodles import DOODLE_CLASSES, doodle_pairs
from .metrics import binary_metrics
from .predict import Predictor
from .testsets import make_test_sets, score

__all__ = ["evaluate_folder", "score_doodles", "SET_NAMES"]

SET_NAMES = ("seed", "shapes", "sketch", "heldout", "doodles")


def evaluate_folder(
    folder: str | Path,
    pairs: int = 2000,
    device: str = "auto",
    image_size: int | None = None,
    names: tuple[str, ...] = SET_NAMES,
) -> dict[str, dict]:
    """Score the model in ``folder`` on the fixed test sets; returns {set name: metrics}."""
    predictor = Predictor.from_pretrained(str(folder), device=device)
    weights = predictor.source.folder
    size = image_size or weights.image_size
    results = {}
    for test_set in make_test_sets(size, weights.holdout, n=pairs, device=predictor.device, names=names):
        results[test_set.name] = score(predictor.model, test_set)
    if "doodles" in names:
        predictor.image_size = size
        results["doodles"] = score_doodles(predictor, n=min(pairs, 400), holdout=weights.holdout)
    return results


def score_doodles(predictor: Predictor, n: int = 400, seed: int = 0, holdout: tuple[str, ...] = ()) -> dict[str, float]:
    """Metrics on mouse-drawn-looking pairs (:mod:`shapesim.doodles`), through the whole user path:
    a 280×280 canvas picture, framing, area resize, the model."""
    classes = tuple(c for c in DOODLE_CLASSES if c not in holdout)
    a, b, labels, _ = doodle_pairs(n, seed=seed, classes=classes)
    logits = []
    for i in range(0, n, 64):
        for c in predictor.compare_batch(a[i : i + 64], b[i : i + 64]):
            p = min(max(c.probability, 1e-7), 1 - 1e-7)
            logits.append(np.log(p / (1 - p)))
    metrics = binary_metrics(labels, np.array(logits))
    metrics["pairs"] = n
    metrics["hard_accuracy"] = float("nan")
    return metrics
