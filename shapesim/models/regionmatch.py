"""RegionMatchModel: region features matched one to one across the pictures (Hungarian algorithm)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

from .base import FusionOutput, PairModel, canonicalise, resnet_stem

__all__ = ["RegionMatchModel", "hungarian"]


def hungarian(similarity: Tensor) -> Tensor:
    """For each ``(R, R)`` similarity matrix of a batch ``(B, R, R)``, the column matched to each row
    by the one-to-one assignment of the highest total similarity: ``(B, R)`` indices, each a permutation."""
    sims = similarity.detach().float().cpu().numpy()
    cols = np.stack([linear_sum_assignment(-s)[1] for s in sims]) if len(sims) else np.zeros((0, sims.shape[1]))
    return torch.as_tensor(cols, dtype=torch.long, device=similarity.device)


class RegionMatchModel(PairModel, tags=["siamese", "shape-similarity", "region-matching"]):
    """Region features on a grid, matched one to one across the pictures (Hungarian algorithm).

    The ResNet-50 stem's 16×16 features are pooled to ``grid×grid`` regions and
    projected; the cosine of every region of A with every region of B gives a
    matrix whose best one-to-one matching (``scipy.optimize.linear_sum_assignment``,
    not differentiated: gradients flow through the matched features) pairs the
    regions; the element-wise products of matched pairs, averaged, go to the
    classifier. Embeddings: each picture's mean region feature; the maps: how
    well each region found its match.
    """

    arch = "regionmatch"
    description = (
        "Both pictures pass through the same ResNet-50 stem; its features are pooled into a 4×4 grid "
        "of **regions**; the regions of one picture are matched one to one with the other's by the "
        "**Hungarian algorithm** on their cosine similarities; the products of matched features go to a classifier."
    )
    heatmap = "region matching: how well each of the 4×4 regions matched its partner in the other picture"
    has_embeddings = has_maps = True

    def __init__(self, *, dim: int = 128, grid: int = 4) -> None:
        super().__init__()
        self.backbone = resnet_stem()
        self.grid = grid
        self.project = nn.Conv2d(256, dim, kernel_size=1)
        self.classifier = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, 1))

    @property
    def embedding_dim(self) -> int:
        return self.project.out_channels

    def embed(self, x: Tensor) -> Tensor:
        """Each picture's mean region feature ``(B, dim)``."""
        return self.regions(x).mean(dim=1)

    def regions(self, x: Tensor) -> Tensor:
        """``(B, R, dim)`` unit-length region features of pictures ``(B, 3, H, W)``."""
        f = self.backbone(canonicalise(x).expand(-1, 3, -1, -1))
        r = self.project(F.adaptive_avg_pool2d(f, self.grid))
        return F.normalize(r.flatten(2).transpose(1, 2), dim=2)

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        self.check_pair(a, b)
        r = self.regions(torch.cat([a, b]))
        ra, rb = r[: a.shape[0]], r[a.shape[0] :]
        sims = ra @ rb.transpose(1, 2)  # (B, R, R)
        match = hungarian(sims)
        matched_b = torch.gather(rb, 1, match[:, :, None].expand_as(rb))
        logit = self.classifier((ra * matched_b).mean(dim=1)).squeeze(1)
        score_a = torch.gather(sims, 2, match[:, :, None]).squeeze(2)  # (B, R): region i of A with its match
        score_b = torch.zeros_like(score_a).scatter(1, match, score_a)  # the same scores, at B's regions
        ea, eb = ra.mean(dim=1), rb.mean(dim=1)
        similarity = F.cosine_similarity(ea.float(), eb.float(), dim=1, eps=1e-6)
        as_map = lambda s: ((s + 1) / 2).view(-1, 1, self.grid, self.grid)  # noqa: E731  cosine → [0, 1]
        return FusionOutput(logit, similarity, ea, eb, as_map(score_a), as_map(score_b))
