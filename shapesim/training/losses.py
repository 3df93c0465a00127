"""The losses beyond the plain same/different BCE: every pair of a batch (from embeddings, or each pair
through the gate), the one-shot task, and supervised contrastive."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..models import FusionOutput, PairModel

__all__ = ["all_pairs_loss", "every_pair_loss", "one_shot_loss", "contrastive_loss"]


def all_pairs_loss(model: PairModel, out: FusionOutput, identities: Tensor) -> Tensor:
    """The same/different loss on every pair of the 2B pictures in a batch, not only the B drawn pairs.

    For designs whose classifier sees nothing but the cosine (``model.cosine_classifier``): any two
    embeddings of the batch make a training pair for it, and the generator knows every picture's
    identity (pictures a then b). That turns B labels per step into 2B(2B-1)/2, balanced here so
    that positives and negatives weigh the same.
    """
    e = F.normalize(torch.cat([out.embedding_a, out.embedding_b]).float(), dim=1)
    logits = model.classify(e @ e.T).float()
    same = identities[:, None] == identities[None, :]
    off_diagonal = ~torch.eye(len(identities), dtype=torch.bool, device=identities.device)
    losses = F.binary_cross_entropy_with_logits(logits, same.float(), reduction="none")
    pos, neg = same & off_diagonal, ~same
    return 0.5 * (losses[pos].mean() + losses[neg].mean())


def every_pair_loss(logits: Tensor, identities: Tensor, rivals: Tensor | None = None, hard: float = 0.0) -> Tensor:
    """Same/different BCE on every pair of a batch, ``logits`` ``(N, N)`` symmetric (each pair compared as a
    pair is: :meth:`~shapesim.models.AGFusionModel.every_pair`), positives and negatives weighing the same,
    so that the probability stays that of a balanced set's pair.

    ``rivals`` (``(N,)``, -1 for none) names the identity each picture's shape is a near miss or turned copy
    of: such pairs are a handful of a batch's thousands of different pairs, and ``hard`` is the share of the
    negatives' loss they carry (as in a pair step, where a quarter of the different pairs are near misses).
    """
    same = identities[:, None] == identities[None, :]
    upper = torch.triu(torch.ones_like(same), diagonal=1)
    losses = F.binary_cross_entropy_with_logits(logits.float(), same.float(), reduction="none")
    pos, neg = same & upper, ~same & upper
    near = torch.zeros_like(neg)
    if rivals is not None and hard > 0:
        named = rivals >= 0
        near = ((rivals[:, None] == identities[None, :]) & named[:, None]) | (
            (rivals[None, :] == identities[:, None]) & named[None, :]
        )
        near &= neg
    if near.any():
        negative = (1 - hard) * losses[neg & ~near].mean() + hard * losses[near].mean()
    else:
        negative = losses[neg].mean()
    return 0.5 * (losses[pos].mean() + negative) if pos.any() else negative


def one_shot_loss(logits: Tensor, identities: Tensor) -> Tensor:
    """The one-shot test's own task as a loss: the batch is every identity's first picture, then every
    identity's second; each first picture picks its identity among the second pictures and each second
    among the first (cross-entropy over the logits, any picture of the identity being the right answer)."""
    n = len(identities) // 2
    first, second = identities[:n], identities[n:]
    cross = logits[:n, n:].float()
    same = first[:, None] == second[None, :]

    def picks(scores: Tensor, right: Tensor) -> Tensor:
        return (scores.logsumexp(1) - scores.masked_fill(~right, float("-inf")).logsumexp(1)).mean()

    return 0.5 * (picks(cross, same) + picks(cross.T, same.T))


def contrastive_loss(embeddings: Tensor, classes: Tensor, temperature: float = 0.1) -> Tensor:
    """Supervised contrastive loss: each picture is pulled towards the others of its class (its identity,
    in training), pushed from the rest."""
    e = F.normalize(embeddings.float(), dim=1)
    logits = e @ e.T / temperature
    eye = torch.eye(len(e), dtype=torch.bool, device=e.device)
    logits = logits.masked_fill(eye, float("-inf"))
    positive = (classes[:, None] == classes[None, :]) & ~eye
    log_prob = logits - logits.logsumexp(dim=1, keepdim=True)
    has = positive.any(dim=1)
    return -(log_prob.masked_fill(~positive, 0).sum(1)[has] / positive.sum(1)[has]).mean()
