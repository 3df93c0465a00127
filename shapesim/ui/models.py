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
        self._quality = {self.name: _quality(main.source.folder), **{n: _quality(WeightsFolder(p)) for n, p in
                                                                     self.folders.items()}}  # fmt: skip
        self._loaded = {self.name: main}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [self.name, *self.folders]

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(label, name) of each model for a chooser: the label says how well it answers, measured."""
        return [(f"{name} — {self._quality[name]}" if self._quality[name] else name, name) for name in self.names]

    def get(self, name: str | None) -> Predictor:
        """The predictor called ``name``; the main one for a name it does not know."""
        with self._lock:  # two sessions choosing the same variant load it once
            if name not in self._loaded and name in self.folders:
                self._loaded[name] = Predictor.from_pretrained(str(self.folders[name]), device=str(self.main.device))
            return self._loaded.get(name, self.main)


def _quality(folder: WeightsFolder) -> str:
    """How well a model answers, in a few words from its test results: F1 on the generator's shapes of the families
    it was trained on and of those it never saw; weak when it does no better than answering "same" to everything."""
    results = folder.eval_results() or {}
    trained, held = (results.get(k, {}).get("f1") for k in ("trained", "heldout"))
    if trained is None:
        return ""
    words = f"F1 {trained:.2f} on trained families" + (f", {held:.2f} on held-out ones" if held is not None else "")
    return words + (" (weak: near answering 'same' to everything)" if trained < 0.75 else "")
