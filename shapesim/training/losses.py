"""The losses beyond the plain same/different BCE: every pair of a batch, and supervised contrastive."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..models import FusionOutput, PairModel

__all__ = ["all_pairs_loss", "contrastive_loss"]


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
