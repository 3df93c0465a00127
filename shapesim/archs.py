"""The seed's other ways to fuse two pictures, with AGFusionModel's output contract.

    agfusion     siamese stem, mutual attention gate, cosine of embeddings (shapesim.model)
    crossattn    patches of each picture attend to the other's; |mean A − mean B| → classifier
    concat       both pictures as channels of one image → one CNN → classifier (no siamese sharing)
    regionmatch  a 4×4 grid of region features per picture; the best one-to-one matching of
                 regions (Hungarian algorithm); matched features multiplied → classifier

Every model returns a :class:`~shapesim.model.FusionOutput`: ``logit`` always;
``similarity``, ``embedding_*`` and ``attention_*`` where the design has them
(None where it does not). Pictures are canonicalised first, as in AGFusionModel.
A model's ``config.json`` records its ``arch``, and :func:`model_class` reads it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor, nn

from .model import AGFusionModel, FusionOutput, HubModel, canonicalise, resnet_stem

__all__ = ["ARCHS", "CrossAttnModel", "ConcatModel", "RegionMatchModel", "model_class", "hungarian"]


class _PairBase(nn.Module):
    def _pair(self, a: Tensor, b: Tensor) -> None:
        AGFusionModel.check_input(a, "a")
        AGFusionModel.check_input(b, "b")
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"a and b must hold the same number of pictures, got {a.shape[0]} and {b.shape[0]}")


class CrossAttnModel(_PairBase, HubModel, tags=["siamese", "shape-similarity", "cross-attention"]):
    """Patches of each picture attend to the other picture's patches (shared weights both ways).

    A small convolutional patch embedding turns a 64×64 picture into 16×16
    tokens; one multi-head cross-attention layer lets A's tokens read B's and
    B's read A's; each side is averaged over positions; the absolute
    difference of the two averages (so the answer does not depend on the
    order) goes to a two-layer classifier. The maps are how much attention
    each of a picture's patches received from the other picture.
    """

    arch = "crossattn"

    def __init__(self, *, dim: int = 128, heads: int = 4) -> None:
        super().__init__()
        self.patches = nn.Sequential(
            nn.Conv2d(1, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, dim, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(dim),
            nn.ReLU(inplace=True),
        )
        self.cross = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, 1))

    def tokens(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        f = self.patches(canonicalise(x))
        return f.flatten(2).transpose(1, 2), f.shape[2:]

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        self._pair(a, b)
        t, grid = self.tokens(torch.cat([a, b]))
        ta, tb = t[: a.shape[0]], t[a.shape[0] :]
        # one call for both directions: A's queries over B's keys, then B's over A's
        out, weights = self.cross(torch.cat([ta, tb]), torch.cat([tb, ta]), torch.cat([tb, ta]))
        fused = self.norm(torch.cat([ta, tb]) + out).mean(dim=1)
        fa, fb = fused[: a.shape[0]], fused[a.shape[0] :]
        logit = self.classifier((fa - fb).abs()).squeeze(1)
        received = weights.mean(dim=1)  # (2B, keys): attention each patch of the other picture received
        att_b, att_a = received[: a.shape[0]], received[a.shape[0] :]  # A's queries look at B, and back
        as_map = lambda w: (w / w.amax(dim=1, keepdim=True).clamp(min=1e-12)).view(-1, 1, *grid)  # noqa: E731
        return FusionOutput(logit, None, None, None, as_map(att_a), as_map(att_b))


class ConcatModel(_PairBase, HubModel, tags=["shape-similarity", "early-fusion"]):
    """Both pictures stacked as two channels of one image, one CNN (ResNet-50 stem), one classifier.

    No weights are shared between the pictures because there are no branches:
    the model has no embeddings, no similarity, no maps, and nothing makes
    its answer the same when the pictures are swapped.
    """

    arch = "concat"

    def __init__(self, *, hidden: int = 256) -> None:
        super().__init__()
        self.backbone = resnet_stem(in_channels=2)
        self.classifier = nn.Sequential(nn.Linear(256, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        self._pair(a, b)
        f = self.backbone(torch.cat([canonicalise(a), canonicalise(b)], dim=1))
        return FusionOutput(self.classifier(f.mean(dim=(2, 3))).squeeze(1), None, None, None, None, None)


def hungarian(similarity: Tensor) -> Tensor:
    """For each ``(R, R)`` similarity matrix of a batch ``(B, R, R)``, the column matched to each row
    by the one-to-one assignment of the highest total similarity: ``(B, R)`` indices, each a permutation."""
    sims = similarity.detach().float().cpu().numpy()
    cols = np.stack([linear_sum_assignment(-s)[1] for s in sims]) if len(sims) else np.zeros((0, sims.shape[1]))
    return torch.as_tensor(cols, dtype=torch.long, device=similarity.device)


class RegionMatchModel(_PairBase, HubModel, tags=["siamese", "shape-similarity", "region-matching"]):
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
        self._pair(a, b)
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


ARCHS: dict[str, type[nn.Module]] = {
    "agfusion": AGFusionModel,
    "crossattn": CrossAttnModel,
    "concat": ConcatModel,
    "regionmatch": RegionMatchModel,
}


def model_class(arch: str) -> type[nn.Module]:
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHS)}")
    return ARCHS[arch]
