"""The model card: a README for a weights folder, written from what the folder holds."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from .evaluate import results_table

__all__ = ["training_command", "model_card", "write_model_card"]


def training_command(config: dict) -> str:
    """The ``python -m shapesim train`` command line that reproduces ``config``."""
    from .train import TrainConfig

    def norm(v):
        return list(v) if isinstance(v, (list, tuple)) else v

    defaults = asdict(TrainConfig())
    parts = ["python -m shapesim train"]
    for f in fields(TrainConfig):
        value = config.get(f.name, defaults[f.name])
        if f.name in ("resume", "progress") or norm(value) == norm(defaults[f.name]):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else f"--no-{f.name.replace('_', '-')}")
        elif isinstance(value, (list, tuple)):
            parts.append(" ".join([flag, *map(str, value)]))
        else:
            parts.append(f"{flag} {value}")
    return " ".join(parts)


def model_card(folder: str | Path) -> str:
    """Markdown with Hub front matter: what the model is, how it was trained, how it scores."""
    folder = Path(folder)
    config = json.loads((folder / "train_config.json").read_text()) if (folder / "train_config.json").is_file() else {}
    results = json.loads((folder / "eval.json").read_text()) if (folder / "eval.json").is_file() else {}
    holdout = tuple(config.get("holdout", ()))
    arch = config.get("arch", "agfusion")
    if arch == "agfusion":
        tags, title = "siamese, shape-similarity, attention-gate", "# shapesim AGFusionModel"
        about = [
            "A siamese network that says whether two pictures show the same shape: a shared",
            "ResNet-50 stem (conv1 … layer1, trained from scratch), a mutual attention gate,",
            "a 256 → 128 projection, a scaled cosine similarity and a one-logit classifier.",
        ]
        usage = ["from shapesim.model import AGFusionModel", 'model = AGFusionModel.from_pretrained("path/or/repo-id")']
    else:
        from .archs import model_class

        cls = model_class(arch)
        tags, title = f"shape-similarity, {arch}", f"# shapesim {cls.__name__} (`{arch}`)"
        about = [(cls.__doc__ or "").strip().splitlines()[0]]
        usage = [
            f"from shapesim.archs import {cls.__name__}",
            f'model = {cls.__name__}.from_pretrained("path/or/repo-id")',
        ]
    lines = [
        "---",
        "library_name: shapesim",
        "license: mit",
        f"tags: [{tags}, pytorch_model_hub_mixin]",
        "pipeline_tag: image-classification",
        "---",
        "",
        title,
        "",
        *about,
        "",
        "```python",
        *usage,
        "out = model(a, b)  # a, b: (B, 3, H, W) RGB in [0, 1]; out.logit > 0 means the same shape",
        "```",
        "",
    ]
    if config:
        lines += [
            "## Training",
            "",
            f"Preset `{config.get('preset')}` at {config.get('image_size')}×{config.get('image_size')} pixels, "
            f"{config.get('steps')} steps of {config.get('batch_size')} pairs"
            + (f"; classes held out of training: {', '.join(holdout)}." if holdout else "."),
            "",
            "```sh",
            training_command(config),
            "```",
            "",
        ]
    if results:
        pairs = next(iter(results.values()))["pairs"]
        lines += [
            "## Results",
            "",
            f"Fixed test sets of {pairs} pairs each (`python -m shapesim evaluate --weights {folder.name} --save`):",
            "",
            results_table(results, holdout),
            "",
        ]
    return "\n".join(lines)


def write_model_card(folder: str | Path) -> Path:
    path = Path(folder) / "README.md"
    path.write_text(model_card(folder))
    return path
