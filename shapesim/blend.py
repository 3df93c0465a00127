"""Two models of one design averaged weight by weight (WiSE-FT: Wortsman et al., "Robust fine-tuning
of zero-shot models", CVPR 2022).

A model fine-tuned on people's drawings learns their sameness and loses some of what the generator
taught it (a letter and its mirror image, the held-out families); the average of its weights and the
weights it started from keeps most of both. ``share`` is the fine-tuned model's part: 0 gives
``base``, 1 gives ``tuned``. The folder written is ``tuned``'s run (its training config, metrics and
one-shot curve) with the averaged weights and a ``blend.json`` that says what was averaged.

    python -m shapesim blend runs/mine runs/people --share 0.5 --out checkpoints
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from .runtime import atomic_write
from .weights import WeightsFolder

__all__ = ["blend"]


def blend(base: str | Path, tuned: str | Path, share: float, out: str | Path) -> WeightsFolder:
    """Write ``(1 - share) * base + share * tuned`` into ``out``; both must be the same design and size."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"--share is the fine-tuned model's part, from 0 to 1; got {share}")
    a, b, folder = WeightsFolder(base), WeightsFolder(tuned), WeightsFolder(out)
    if a.config() != b.config():
        raise ValueError(f"{a.path} and {b.path} are different models ({a.config()}, {b.config()}): cannot average")
    model = b.load_model()
    first, second = a.load_model().state_dict(), model.state_dict()
    # integer buffers (BatchNorm's step counts) are not averaged: they come from the fine-tuned model
    averaged = {k: torch.lerp(first[k], v, share) if v.is_floating_point() else v for k, v in second.items()}
    model.load_state_dict(averaged)
    folder.path.mkdir(parents=True, exist_ok=True)
    for name in (WeightsFolder.TRAIN_CONFIG, WeightsFolder.METRICS, WeightsFolder.ONE_SHOT):
        if (b / name).is_file() and (b / name).resolve() != (folder / name).resolve():
            shutil.copyfile(b / name, folder / name)
    model.save_pretrained(folder.path)
    record = {"base": str(base), "tuned": str(tuned), "share": share}
    atomic_write(folder / WeightsFolder.BLEND, lambda p: p.write_text(json.dumps(record, indent=2) + "\n"))
    return folder
