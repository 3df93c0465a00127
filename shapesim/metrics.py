"""How good the answers are: binary metrics of logits, the accuracy of a map's neighbourhoods, and the
markdown table they are reported in. The counting is scikit-learn's, imported by the functions that
count (a second of import that the app, which only shows tables, never pays)."""

from __future__ import annotations

import numpy as np

from .data import HARD_NONE

__all__ = ["binary_metrics", "summarise", "knn_accuracy", "results_table"]


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.0) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC-AUC of logits ``scores`` against 0/1 ``labels``
    (plus the confusion counts); ROC-AUC is NaN when only one class is present."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    pred = scores > threshold
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(labels, pred, labels=[False, True]).ravel())
    both = labels.any() and not labels.all()
    return {
        "accuracy": float(accuracy_score(labels, pred)) if len(labels) else 0.0,
        "precision": float(precision_score(labels, pred, zero_division=0)),
        "recall": float(recall_score(labels, pred, zero_division=0)),
        "f1": float(f1_score(labels, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(labels, scores)) if both else float("nan"),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def summarise(logits: np.ndarray, labels: np.ndarray, hard: np.ndarray) -> dict[str, float]:
    """Metrics of ``logits`` against ``labels``, plus the pair count and the accuracy on hard pairs."""
    metrics = binary_metrics(labels, logits)
    metrics["pairs"] = len(labels)
    mask = hard != HARD_NONE
    right = (logits > 0) == labels.astype(bool)
    metrics["hard_accuracy"] = float(right[mask].mean()) if mask.any() else float("nan")
    return metrics


def knn_accuracy(
    points: np.ndarray, labels: np.ndarray, k: int = 10, cosine: bool = False, subset: np.ndarray | None = None
) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of ``labels`` from ``points``
    (of the points in ``subset`` only, when given; their neighbours come from all points).
    A tie between classes goes to the lower label."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=k, metric="cosine" if cosine else "euclidean").fit(points)
    _, nn = index.kneighbors()  # every point's k neighbours, itself not among them
    rows = np.arange(len(points)) if subset is None else np.nonzero(subset)[0]
    votes = labels[nn[rows]]
    pred = np.array([np.bincount(v, minlength=labels.max() + 1).argmax() for v in votes])
    return float((pred == labels[rows]).mean())


def results_table(results: dict[str, dict], holdout: tuple[str, ...] = ()) -> str:
    """A markdown table of metrics per test set (``shapesim.evaluate.evaluate_folder``'s results)."""
    header = (
        "| test set | pairs | accuracy | precision | recall | F1 | ROC-AUC | hard pairs acc. | refused |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for name, m in results.items():
        label = f"`{name}`" + (f" ({', '.join(holdout)})" if name == "heldout" and holdout else "")
        label += f" (the same pairs as drawn: {m['clean_accuracy']:.4f})" if "clean_accuracy" in m else ""
        hard = "–" if np.isnan(m["hard_accuracy"]) else f"{m['hard_accuracy']:.4f}"
        rows.append(
            f"| {label} | {m['pairs']} | {m['accuracy']:.4f} | {m['precision']:.4f} | {m['recall']:.4f} "
            f"| **{m['f1']:.4f}** | {m['roc_auc']:.4f} | {hard} | {m.get('refused', '–')} |"
        )
    return "\n".join([header, *rows])
