"""Stand-ins for trained models, for tests of what is built around a model's answers."""

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from shapesim.hub import WeightsSource
from shapesim.models import FusionOutput, PairModel, canonicalise
from shapesim.predict import Predictor


class Overlap(PairModel):
    """A model that tells turned copies apart by construction: "the same" when the two framed pictures' ink
    overlaps (its maps: where the ink is). For the Predictor's search, without training a model."""

    arch = "overlap"
    heatmap = "where the ink is"
    upright, has_maps = True, True

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(20.0))

    def forward(self, a, b):
        x, y = canonicalise(a), canonicalise(b)
        iou = (x * y).sum((1, 2, 3)) / (x + y - x * y).sum((1, 2, 3)).clamp(min=1e-6)
        maps = [F.avg_pool2d(v, 4) for v in (x, y)]
        return FusionOutput(self.scale * (iou - 0.5), None, None, None, *maps)


def overlap_predictor() -> Predictor:
    return Predictor(Overlap(), WeightsSource(".", "folder", "test"), image_size=32, device="cpu")


def letter_f(size: int = 200) -> Image.Image:
    """An F: no turn or mirror image of it is an F."""
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    d.line([(70, 170), (70, 30), (140, 30)], fill="black", width=12)
    d.line([(70, 95), (120, 95)], fill="black", width=12)
    return img
