"""The predictors an app serves: the one it started with, and other models it may switch to."""

from __future__ import annotations

import threading
from pathlib import Path

from ..predict import Predictor
from ..weights import WeightsFolder

__all__ = ["Predictors"]


class Predictors:
    """The predictor an app started with and other models it may switch to (each folder of
    ``variants`` holding weights), loaded when first chosen, once, under a lock, on the same device."""

    def __init__(self, main: Predictor, variants: str | Path | None = None) -> None:
        self.main = main
        self.name = f"{main.arch} ({main.source.kind})"
        folders = [WeightsFolder(d) for d in sorted(Path(variants).glob("*"))] if variants else []
        self.folders = {f.path.name: f.path for f in folders if f.has_weights}  # by their folders' names
        self._loaded = {self.name: main}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [self.name, *self.folders]

    def get(self, name: str | None) -> Predictor:
        """The predictor called ``name``; the main one for a name it does not know."""
        with self._lock:  # two sessions choosing the same variant load it once
            if name not in self._loaded and name in self.folders:
                self._loaded[name] = Predictor.from_pretrained(str(self.folders[name]), device=str(self.main.device))
            return self._loaded.get(name, self.main)
