"""shapesim: do two pictures show the same shape?

    from shapesim import Predictor
    result = Predictor.from_pretrained().compare("a.png", "b.png")

The names below are loaded on first use, so ``import shapesim`` costs nothing
until one of them is needed (torch alone takes seconds to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["Predictor", "Comparison", "Atlas", "TrainConfig", "train", "load_model", "WeightsFolder"]

_WHERE = {
    "Predictor": "shapesim.predict",
    "Comparison": "shapesim.predict",
    "Atlas": "shapesim.atlas",
    "TrainConfig": "shapesim.training",
    "train": "shapesim.training",
    "load_model": "shapesim.models",
    "WeightsFolder": "shapesim.weights",
}

if TYPE_CHECKING:
    from .atlas import Atlas
    from .models import load_model
    from .predict import Comparison, Predictor
    from .training import TrainConfig, train
    from .weights import WeightsFolder


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'shapesim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
