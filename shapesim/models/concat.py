"""ConcatModel: both pictures as the two channels of one image, one CNN."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import FusionOutput, PairModel, canonicalise, resnet_stem

__all__ = ["ConcatModel"]


class ConcatModel(PairModel, tags=["shape-similarity", "early-fusion"]):
    """Both pictures stacked as two channels of one image, one CNN (ResNet-50 stem), one classifier.

    No weights are shared between the pictures because there are no branches:
    the model has no embeddings, no similarity, no maps, and nothing makes
    its answer the same when the pictures are swapped.
    """

    arch = "concat"
    description = (
        "The two pictures are stacked as the two channels of one image and read by **one CNN** "
        "(a ResNet-50 stem), then a classifier. No shared branches: no embeddings, no maps, and swapping "
        "the pictures may change the answer."
    )
    symmetric = False

    def __init__(self, *, hidden: int = 256) -> None:
        super().__init__()
        self.backbone = resnet_stem(in_channels=2)
        self.classifier = nn.Sequential(nn.Linear(256, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        self.check_pair(a, b)
        f = self.backbone(torch.cat([canonicalise(a), canonicalise(b)], dim=1))
        return FusionOutput(self.classifier(f.mean(dim=(2, 3))).squeeze(1), None, None, None, None, None)
