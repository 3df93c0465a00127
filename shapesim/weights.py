"""A weights folder: the one place that knows what such a folder holds and what it says.

    config.json, model.safetensors   the model (any design; shapesim.models.load_model reads it)
    train_config.json                the TrainConfig that made it
    metrics.jsonl                    one line per validation during training
    oneshot.jsonl                    Omniglot's one-shot error during training (train --oneshot-every)
    blend.json                       for averaged weights: the two folders and the share (shapesim.blend)
    last.safetensors                 the state to resume training from (never published)
    eval.json                        test-set results (python -m shapesim evaluate --save)
    atlas.npz, atlas.json            the embedding map and how well it separates classes
    README.md                        the model card

Every reader of such a folder goes through :class:`WeightsFolder`; writers use its names.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import torch

from .atlas import ATLAS_NAME, Atlas
from .models import PairModel, check_config, load_model
from .runtime import atomic_write

__all__ = ["WeightsFolder"]


class WeightsFolder:
    """A folder of weights and everything that came with them."""

    CONFIG = "config.json"
    WEIGHTS = "model.safetensors"
    TRAIN_CONFIG = "train_config.json"
    METRICS = "metrics.jsonl"
    ONE_SHOT = "oneshot.jsonl"
    BLEND = "blend.json"
    STATE = "last.safetensors"
    EVAL = "eval.json"
    ATLAS = ATLAS_NAME
    ATLAS_REPORT = "atlas.json"
    CARD = "README.md"
    # what a published copy holds (and a download fetches): everything but the resume state
    PUBLISHED = (CONFIG, WEIGHTS, ATLAS, ATLAS_REPORT, TRAIN_CONFIG, EVAL, METRICS, ONE_SHOT, BLEND, CARD)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"WeightsFolder({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def has_weights(self) -> bool:
        return (self.path / self.WEIGHTS).is_file()

    # ------------------------------------------------------------------ the model

    def config(self) -> dict:
        """The model's checked settings, ``arch`` included (a ValueError if they describe another model)."""
        return check_config(self.path / self.CONFIG)

    @property
    def arch(self) -> str:
        return self.config()["arch"]

    def load_model(self, device: str | torch.device = "cpu") -> PairModel:
        return load_model(self.path, device)

    # ------------------------------------------------------------------ how it was trained

    @cached_property
    def train_config(self) -> dict:
        """The training run's settings as saved (empty when the folder has none)."""
        return self._json(self.TRAIN_CONFIG) or {}

    @property
    def image_size(self) -> int:
        """The picture size the model was trained at (64 when unknown)."""
        return int(self.train_config.get("image_size", 64))

    @property
    def holdout(self) -> tuple[str, ...]:
        """The classes the model was trained without."""
        return tuple(self.train_config.get("holdout", ()))

    def blend(self) -> dict | None:
        """For averaged weights, what was averaged: {"base", "tuned", "share"} (None for a trained model)."""
        return self._json(self.BLEND)

    def one_shot(self) -> list[dict]:
        """Omniglot's one-shot scores during training, oldest first ([] when there are none)."""
        return self._lines(self.ONE_SHOT)

    def metrics(self) -> list[dict]:
        """The validation records of training, oldest first ([] when there are none)."""
        return self._lines(self.METRICS)

    # ------------------------------------------------------------------ what was measured

    def eval_results(self) -> dict[str, dict] | None:
        """Test-set results by set name, as ``python -m shapesim evaluate --save`` wrote them."""
        return self._json(self.EVAL)

    def save_eval_results(self, results: dict[str, dict]) -> None:
        atomic_write(self.path / self.EVAL, lambda p: p.write_text(json.dumps(results, indent=2) + "\n"))

    def atlas(self) -> Atlas:
        """The embedding map made for these weights (FileNotFoundError, ValueError when missing or broken)."""
        return Atlas.load(self.path / self.ATLAS)

    def save_atlas(self, atlas: Atlas, report: dict) -> None:
        atomic_write(self.path / self.ATLAS, atlas.save)
        atomic_write(self.path / self.ATLAS_REPORT, lambda p: p.write_text(json.dumps(report, indent=2) + "\n"))

    def _json(self, name: str):
        path = self.path / name
        return json.loads(path.read_text()) if path.is_file() else None

    def _lines(self, name: str) -> list[dict]:
        path = self.path / name
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
