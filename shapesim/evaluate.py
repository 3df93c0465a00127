"""Metrics, the fixed test sets, and scoring a model on them.

Test sets are pairs from the generator at seeds that training never uses, so
they are the same everywhere without any files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .data import HARD_NONE, PairBatch, PairGenerator, preset
from .shapes import CLASSES

__all__ = ["binary_metrics", "PairSet", "make_test_sets", "score", "predict_batches"]

VALIDATION_SEED = 1_000_003  # validation during training
TEST_SEED = 2_000_003  # the reported test sets


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney U statistic, ties counted half)."""
    labels = labels.astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.0) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC-AUC of logits ``scores`` against 0/1 ``labels``."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    pred = scores > threshold
    tp, fp = int((pred & labels).sum()), int((pred & ~labels).sum())
    fn, tn = int((~pred & labels).sum()), int((~pred & ~labels).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": (tp + tn) / max(len(labels), 1),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(labels, scores),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


@dataclass
class PairSet:
    """A fixed list of pairs from one generator."""

    name: str
    generator: PairGenerator
    index: np.ndarray

    def batches(self, batch_size: int) -> Iterator[PairBatch]:
        for i in range(0, len(self.index), batch_size):
            yield self.generator.batch(self.index[i : i + batch_size])


def _pairs_with_classes(gen: PairGenerator, classes: tuple[str, ...], n: int) -> np.ndarray:
    """The first ``n`` pairs (half positive, half negative) that show one of ``classes``."""
    wanted = np.array([CLASSES.index(c) for c in classes])
    pos, neg, start = [], [], 0
    while len(pos) < n // 2 or len(neg) < n - n // 2:
        index = np.arange(start, start + 4096)
        a, b, label, _ = gen.params(index)
        hit = np.isin(a.cls.numpy(), wanted) | np.isin(b.cls.numpy(), wanted)
        pos += list(index[hit & (label == 1)])
        neg += list(index[hit & (label == 0)])
        start += 4096
    return np.sort(np.array(pos[: n // 2] + neg[: n - n // 2]))


def make_test_sets(
    image_size: int,
    holdout: tuple[str, ...] = (),
    n: int = 2000,
    seed: int = TEST_SEED,
    device: torch.device | str | None = None,
    names: tuple[str, ...] = ("seed", "shapes", "sketch", "heldout"),
) -> list[PairSet]:
    """The reported test sets: presets ``seed``, ``shapes`` and ``sketch`` on the
    classes seen in training, and ``heldout``: pairs of every style that show a
    class held out of training (only when there is one)."""
    sets = []
    for name in names:
        if name == "doodles":  # not a generator set: see score_doodles
            continue
        if name == "heldout":
            if not holdout:
                continue
            gen = PairGenerator(preset("mixed"), image_size, seed=seed + 3, device=device)
            sets.append(PairSet(name, gen, _pairs_with_classes(gen, tuple(holdout), n)))
            continue
        spec = preset(name)
        kept = tuple(c for c in spec.classes if c not in holdout)
        gen = PairGenerator(spec.only(kept), image_size, seed=seed + len(sets), device=device)
        sets.append(PairSet(name, gen, np.arange(n)))
    return sets


@torch.no_grad()
def predict_batches(model: nn.Module, batches: Iterator[PairBatch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits, labels and hardness of every pair in ``batches``."""
    was_training = model.training
    model.eval()
    logits, labels, hard = [], [], []
    for batch in batches:
        logits.append(model(batch.a, batch.b).logit.float().cpu().numpy())
        labels.append(batch.label.cpu().numpy())
        hard.append(batch.hard)
    model.train(was_training)
    return np.concatenate(logits), np.concatenate(labels), np.concatenate(hard)


def summarise(logits: np.ndarray, labels: np.ndarray, hard: np.ndarray) -> dict[str, float]:
    """Metrics of ``logits`` against ``labels``, plus the pair count and the accuracy on hard pairs."""
    metrics = binary_metrics(labels, logits)
    metrics["pairs"] = len(labels)
    mask = hard != HARD_NONE
    right = (logits > 0) == labels.astype(bool)
    metrics["hard_accuracy"] = float(right[mask].mean()) if mask.any() else float("nan")
    return metrics


def score(model: nn.Module, test_set: PairSet, batch_size: int = 256) -> dict[str, float]:
    """Metrics of ``model`` on ``test_set``, plus the accuracy on its hard pairs."""
    return summarise(*predict_batches(model, test_set.batches(batch_size)))


def training_holdout(folder: str | Path) -> tuple[str, ...]:
    """The classes a checkpoint was trained without (from its train_config.json)."""
    path = Path(folder) / "train_config.json"
    if not path.is_file():
        return ()
    return tuple(json.loads(path.read_text()).get("holdout", ()))


def evaluate_folder(
    folder: str | Path,
    pairs: int = 2000,
    device: str = "auto",
    image_size: int | None = None,
    names: tuple[str, ...] = ("seed", "shapes", "sketch", "heldout", "doodles"),
) -> dict[str, dict]:
    """Score the model in ``folder`` on the fixed test sets; returns {set name: metrics}."""
    from .model import load_model
    from .train import TrainConfig, select_device

    folder = Path(folder)
    dev = select_device(device)
    model = load_model(folder, dev)
    config_path = folder / "train_config.json"
    size = image_size or (TrainConfig.from_json(config_path).image_size if config_path.is_file() else 64)
    results = {}
    for test_set in make_test_sets(size, training_holdout(folder), n=pairs, device=dev, names=names):
        results[test_set.name] = score(model, test_set)
    if "doodles" in names:
        from .hub import WeightsSource
        from .predict import Predictor

        predictor = Predictor(model, WeightsSource(folder, "folder", str(folder)), image_size=size, device=dev)
        results["doodles"] = score_doodles(predictor, n=min(pairs, 400), holdout=training_holdout(folder))
    return results


def score_doodles(predictor, n: int = 400, seed: int = 0, holdout: tuple[str, ...] = ()) -> dict[str, float]:
    """Metrics on mouse-drawn-looking pairs (:mod:`shapesim.doodles`), through the whole user path:
    a 280×280 canvas picture, framing, area resize, the model."""
    from .doodles import DOODLE_CLASSES, doodle_pairs

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


def results_table(results: dict[str, dict], holdout: tuple[str, ...] = ()) -> str:
    """A markdown table of :func:`evaluate_folder`'s results."""
    header = (
        "| test set | pairs | accuracy | precision | recall | F1 | ROC-AUC | hard pairs acc. |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for name, m in results.items():
        label = f"`{name}`" + (f" ({', '.join(holdout)})" if name == "heldout" and holdout else "")
        hard = "–" if np.isnan(m["hard_accuracy"]) else f"{m['hard_accuracy']:.4f}"
        rows.append(
            f"| {label} | {m['pairs']} | {m['accuracy']:.4f} | {m['precision']:.4f} | {m['recall']:.4f} "
            f"| **{m['f1']:.4f}** | {m['roc_auc']:.4f} | {hard} |"
        )
    return "\n".join([header, *rows])
