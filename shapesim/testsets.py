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

from .data import PairBatch, PairGenerator
from .metrics import summarise
from .models import TURNS, all_turns, best_turn
from .spec import preset

__all__ = [
    "VALIDATION_SEED",
    "TEST_SEED",
    "SET_NAMES",
    "PairSet",
    "make_test_sets",
    "pair_logits",
    "predict_batches",
    "score",
]

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


SET_NAMES = ("seed", "named", "trained", "heldout")  # the generator's test sets


def make_test_sets(
    image_size: int,
    holdout: tuple[str, ...] = (),
    n: int = 2000,
    seed: int = TEST_SEED,
    device: torch.device | str | None = None,
    names: tuple[str, ...] = SET_NAMES,
) -> list[PairSet]:
    """The reported test sets, all from the generator at seeds training never uses:

    ``seed``: the origin project's data (preset ``seed``); ``named``: the nine named shapes in
    every style (preset ``mixed``); ``trained``: new identities of the families training saw
    (preset ``open`` without the held-out ones); ``heldout``: pairs of the held-out families and
    named shapes only, shapes nobody showed the model (only when something was held out). Names
    of sets that are not the generator's (the doodles) are left to their own scorers.
    """
    sets = []
    for name in names:
        if name == "seed":
            spec = preset("seed").without(holdout)
        elif name == "named":
            spec = preset("mixed").without(holdout)
        elif name == "trained":
            spec = preset("open").without(holdout)
        elif name == "heldout":
            if not holdout:
                continue
            spec = preset("open").only(holdout)
        else:
            continue
        # each set's own seed: its pairs do not depend on which other sets are asked for
        gen = PairGenerator(spec, image_size, seed=seed + SET_NAMES.index(name), device=device)
        sets.append(PairSet(name, gen, np.arange(n)))
    return sets


def pair_logits(model: nn.Module, a: torch.Tensor, b: torch.Tensor, *, turns: bool = True) -> torch.Tensor:
    """The model's logits of pairs (a[i], b[i]); for a model trained upright and ``turns``, the answer a
    :class:`~shapesim.predict.Predictor` gives by default: b's turned and mirrored copies searched."""
    if not (turns and getattr(model, "upright", False)):
        return model(a, b).logit
    out = []
    for i in range(0, len(a), 32):  # 32 pairs: 288 pictures a pass, whose feature maps fit in memory
        x, y = a[i : i + 32], b[i : i + 32]
        logits = model(x.repeat_interleave(TURNS, 0), all_turns(y).flatten(0, 1)).logit.view(len(x), TURNS)
        out.append(best_turn(logits)[0])
    return torch.cat(out)


@torch.no_grad()
def predict_batches(
    model: nn.Module, batches: Iterator[PairBatch], *, turns: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits, labels and hardness of every pair in ``batches`` (``turns``: see :func:`pair_logits`)."""
    was_training = model.training
    model.eval()
    logits, labels, hard = [], [], []
    for batch in batches:
        logits.append(pair_logits(model, batch.a, batch.b, turns=turns).float().cpu().numpy())
        labels.append(batch.label.cpu().numpy())
        hard.append(batch.hard)
    model.train(was_training)
    return np.concatenate(logits), np.concatenate(labels), np.concatenate(hard)


def score(model: nn.Module, test_set: PairSet, batch_size: int = 256) -> dict[str, float]:
    """Metrics of ``model`` on ``test_set``, plus the accuracy on its hard pairs."""
    return summarise(*predict_batches(model, test_set.batches(batch_size)))
