"""CrossAttnModel: patches of each picture attend to the other picture's patches."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import FusionOutput, PairModel, canonicalise

__all__ = ["CrossAttnModel"]


class CrossAttnModel(PairModel, tags=["siamese", "shape-similarity", "cross-attention"]):
    """Patches of each picture attend to the other picture's patches (shared weights both ways).

    A small convolutional patch embedding turns a 64×64 picture into 16×16
    tokens; one multi-head cross-attention layer lets A's tokens read B's and
    B's read A's; each side is averaged over positions; the absolute
    difference of the two averages (so the answer does not depend on the
    order) goes to a two-layer classifier. The maps are how much attention
    each of a picture's patches received from the other picture.
    """

    arch = "crossattn"
    description = (
        "Each picture becomes 16×16 patch tokens (a small shared CNN); with **cross-attention** the "
        "patches of each picture read the other picture's patches; each side is averaged and the absolute "
        "difference of the two averages goes to a classifier."
    )
    heatmap = "cross-attention: how much attention each patch received from the other picture"
    has_maps = True

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
        self.check_pair(a, b)
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
