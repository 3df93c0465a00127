"""What a run leaves in its folder, written so that a kill at any moment loses nothing already saved.

The best model (``config.json`` + ``model.safetensors``), the resume state
(``last.safetensors``: model, optimizer, step), the run's ``train_config.json``
and its validation log (``metrics.jsonl``). Every file is written to a temporary
name and renamed (:func:`shapesim.runtime.atomic_write`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..models import PairModel
from ..runtime import atomic_write
from ..weights import WeightsFolder
from .config import TrainConfig

__all__ = ["RunFolder"]


class RunFolder(WeightsFolder):
    """A training run's output folder: a weights folder that is being written."""

    def prepare(self) -> None:
        """Fail now, not after an hour of training, if the folder cannot be written; and drop the
        half-written files of a run killed while saving."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as err:
            raise ValueError(f"cannot write checkpoints to {self.path}: {err.strerror or err}") from err
        for stale in self.path.glob(".*.tmp-*"):
            stale.unlink(missing_ok=True)

    def save_train_config(self, config: TrainConfig) -> None:
        text = json.dumps(asdict(config), indent=2) + "\n"
        atomic_write(self.path / self.TRAIN_CONFIG, lambda p: p.write_text(text))

    def load_train_config(self) -> TrainConfig:
        return TrainConfig.from_json(self.path / self.TRAIN_CONFIG)

    def save_model(self, model: PairModel) -> None:
        """The loadable model: ``config.json`` and ``model.safetensors``, each replaced atomically."""
        config = model.config()  # the design and the init arguments PyTorchModelHubMixin recorded
        atomic_write(self.path / self.CONFIG, lambda p: p.write_text(json.dumps(config, indent=2) + "\n"))
        state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        atomic_write(self.path / self.WEIGHTS, lambda p: save_file(state, str(p), metadata={"format": "pt"}))

    # ------------------------------------------------------------------ the resume state

    @property
    def can_resume(self) -> bool:
        return (self.path / self.STATE).is_file()

    def save_state(self, model: PairModel, optimizer: torch.optim.Optimizer, step: int, best_score: float) -> None:
        """Model, optimizer and position of a run, as safetensors (no pickle)."""
        tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        opt = optimizer.state_dict()
        for pid, state in opt["state"].items():
            for key, value in state.items():
                tensors[f"optim.{pid}.{key}"] = torch.as_tensor(value).detach().contiguous().cpu()
        meta = {"step": str(step), "best_score": repr(best_score), "param_groups": json.dumps(opt["param_groups"])}
        atomic_write(self.path / self.STATE, lambda p: save_file(tensors, str(p), metadata=meta))

    def load_state(self, model: PairModel, optimizer: torch.optim.Optimizer, device: torch.device) -> tuple[int, float]:
        """Restore what :meth:`save_state` wrote; returns (next step, best F1)."""
        path = self.path / self.STATE
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata()
        tensors = load_file(str(path), device=str(device))
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, pid, name = key.split(".", 2)
                state.setdefault(int(pid), {})[name] = value.cpu() if name == "step" else value
        optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
        return int(meta["step"]), float(meta.get("best_score", meta.get("best_f1")))

    # ------------------------------------------------------------------ the validation log

    def clear_metrics(self) -> None:
        (self.path / self.METRICS).unlink(missing_ok=True)

    def append_metrics(self, record: dict) -> None:
        with open(self.path / self.METRICS, "a") as f:
            f.write(json.dumps(record) + "\n")

    def forget_metrics_after(self, step: int) -> dict:
        """Drop the records a killed run wrote after its last checkpoint: the resumed run writes them again.
        Returns the last record kept (the checkpoint's: its pairs and learning seconds so far), or {}."""
        path = self.path / self.METRICS
        if not path.is_file():
            return {}
        kept = []
        for line in path.read_text().splitlines():
            try:
                if json.loads(line)["step"] <= step:
                    kept.append(line)
            except (ValueError, KeyError, TypeError):
                pass  # a line cut off by the kill
        atomic_write(path, lambda p: p.write_text("".join(line + "\n" for line in kept)))
        return json.loads(kept[-1]) if kept else {}
