"""The fixed validation and test sets, and a model's answers on them.

Test sets are pairs from the generator at seeds that training never uses, so
they are the same everywhere without any files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import PairBatch, PairGenerator, preset
from .metrics import summarise
from .shapes import CLASSES

__all__ = ["VALIDATION_SEED", "TEST_SEED", "PairSet", "make_test_sets", "predict_batches", "score"]

VALIDATION_SEED = 1_000_003  # validation during training
TEST_SEED = 2_000_003  # the reported test sets


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
    class held out of training (only when there is one). Names that are not
    generator sets (``doodles``) are left to their own scorer."""
    sets = []
    for name in names:
        if name == "doodles":
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


def score(model: nn.Module, test_set: PairSet, batch_size: int = 256) -> dict[str, float]:
    """Metrics of ``model`` on ``test_set``, plus the accuracy on its hard pairs."""
    return summarise(*predict_batches(model, test_set.batches(batch_size)))
