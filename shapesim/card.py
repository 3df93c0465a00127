"""The model card: a README for a weights folder, written from what the folder holds."""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from pathlib import Path

from .metrics import results_table
from .models import PairModel, check_config, model_class
from .predict import Predictor
from .training import TrainConfig
from .weights import WeightsFolder

__all__ = [
    "training_command",
    "model_card",
    "write_model_card",
    "weights_summary",
    "heatmap_meaning",
    "orientation_meaning",
]


def training_command(config: dict) -> str:
    """The ``python -m shapesim train`` command line that reproduces ``config``."""

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
    weights = WeightsFolder(folder)
    config = weights.train_config
    results = weights.eval_results()
    design = model_class(config.get("arch", "agfusion"))
    lines = [
        "---",
        "library_name: shapesim",
        "license: mit",
        f"tags: [{', '.join(design.tags)}, pytorch_model_hub_mixin]",
        "pipeline_tag: image-classification",
        "---",
        "",
        f"# shapesim {design.__name__} (`{design.arch}`)",
        "",
        design.description.replace("**", ""),
        "",
        "```python",
        "from shapesim import load_model",
        'model = load_model("path/to/folder")  # or, for a Hub repo id:',
        f'# from shapesim.models import {design.__name__}; model = {design.__name__}.from_pretrained("user/name")',
        "out = model(a, b)  # a, b: (B, 3, H, W) RGB in [0, 1]; out.logit > 0 means the same shape",
        "```",
        "",
    ]
    lines += _training(config) if config else []
    upright = bool(check_config(weights / WeightsFolder.CONFIG).get("upright"))
    lines += [f"**Turned and mirrored copies**: {orientation_meaning(upright)}", ""]
    lines += _blend_and_people(weights, results)
    if results:
        pairs = next(iter(results.values()))["pairs"]
        lines += [
            "## Results",
            "",
            f"Fixed test sets of {pairs} pairs each "
            f"(`python -m shapesim evaluate --weights {weights.path.name} --save`):",
            "",
            results_table(results, weights.holdout),
            "",
        ]
    return "\n".join(lines)


def _training(config: dict) -> list[str]:
    """The card's Training section: what the run saw, and the command that repeats it."""
    holdout = tuple(config.get("holdout", ()))
    mix = config.get("mix") or []
    steps = "identities drawn twice, every pair of each batch through the gate" if config.get("every_pair") else "pairs"
    said = (
        f"Preset `{config.get('preset')}` at {config.get('image_size')}×{config.get('image_size')} pixels, "
        f"{config.get('steps')} steps of {config.get('batch_size')} {steps}"
        + (f"; classes held out of training: {', '.join(holdout)}." if holdout else ".")
        + (
            f" Successive steps took their pairs in turn from the presets {', '.join([config.get('preset'), *mix])}."
            if mix
            else ""
        )  # fmt: skip
        + (f" Fine-tuned: the run started from the model of `{config['init']}`." if config.get("init") else "")
        + (
            f" A share of {config['people']:.0%} of every batch were people's drawings (Omniglot's background "
            "alphabets)."
            if config.get("people")
            else ""
        )  # fmt: skip
    )
    return ["## Training", "", said, "", "```sh", training_command(config), "```", ""]


def write_model_card(folder: str | Path) -> Path:
    path = WeightsFolder(folder) / WeightsFolder.CARD
    path.write_text(model_card(folder))
    return path


SEPARATE = (
    "this design's probability does not come from the cosine of its two embeddings (its classifier reads more "
    'than the cosine), so a high cosine can come with "different" and a low one with "same".'
)


def orientation_meaning(upright: bool) -> str:
    """What a model (trained ``upright`` or not) makes of a turned or mirrored copy, in words."""
    if upright:
        return (
            "the model tells them apart (b is not d; turns of up to 45° are the same shape), and a comparison "
            "tries picture B's eight quarter turns and mirror images: the answer says which matched (\"same "
            "shape, turned 90° clockwise\"). `--upright` (the CLI), `turns=False` (Python) or the app's switch "
            "ask for the strict answer."
        )
    return "the model was trained to call a turned or mirrored copy the same shape, at any angle."


def heatmap_meaning(model: PairModel) -> str:
    """What the design's heatmaps show, in words."""
    return model.heatmap or "none: this design has no map, so the pictures are shown as they are"


def without_paths(text: str) -> str:
    """``text`` with every absolute path of this machine cut to its last part (a page strangers read
    names no server folder)."""
    return re.sub(r"(?<![\w.])/(?:[\w.@+-]+/)+([\w.@+-]+)", r"\1", text)


def weights_summary(predictor: Predictor) -> str:
    """Markdown for people choosing a model: where the weights came from, the design, the test results."""
    src, design = predictor.source, predictor.model
    lines = ["### Weights", f"Loaded from the **{src.describe(paths=False)}**."]
    if src.fallback_reason:
        lines.append(f"\n> The configured weights were not used: {without_paths(src.fallback_reason)}")
    lines += [
        "",
        f"### Architecture: `{design.arch}`",
        design.description + " Colours and polarity are taken out first, so only the shape counts.",
        "",
        f"**Heatmaps**: {heatmap_meaning(design)}.",
        "",
        f"**Turned and mirrored copies**: {orientation_meaning(design.upright)}",
    ]
    if design.has_embeddings and not design.cosine_classifier:
        lines += ["", f"**The probability and the cosine**: {SEPARATE}"]
    results = src.folder.eval_results()
    if results:
        lines += ["", "### Test results", results_table(results, src.folder.holdout)]
    return "\n".join(lines)


def _blend_and_people(weights: WeightsFolder, results: dict | None) -> list[str]:
    """What was averaged, if anything; the model's own one-shot error on people's drawings and the one
    along its (fine-tuned) run."""
    lines: list[str] = []
    blended = weights.blend()
    if blended:
        lines += [
            f"The weights are an average, weight by weight (WiSE-FT): {1 - blended['share']:g} × the model of "
            f"`{blended['base']}` + {blended['share']:g} × the fine-tuned model of `{blended['tuned']}`, whose "
            "run is described above (`python -m shapesim blend "
            f"{blended['base']} {blended['tuned']} --share {blended['share']:g} --out {weights.path.name}`).",
            "",
        ]
    people = (results or {}).get("omniglot", {})
    if "one_shot_error" in people:
        lines += [
            f"Omniglot's 20-way one-shot error of this model (the paper's 20 runs, evaluation alphabets "
            f"training never saw): **{people['one_shot_error']:.1%}**; same/different on the runs' pairs: "
            f"{people['accuracy']:.3f} right.",
            "",
        ]
    curve = weights.one_shot()
    if curve:
        lines += [
            f"The one-shot error along the {'fine-tuned ' if blended else ''}run "
            f"(`{WeightsFolder.ONE_SHOT}`, never used to choose the model): "
            + ", ".join(f"{r['error']:.1%} at step {r['step']:,}" for r in curve)
            + ".",
            "",
        ]
    return lines
