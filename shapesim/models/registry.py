"""The designs by name: ``arch`` in a ``config.json`` → the class that reads it.

agfusion     siamese stem, mutual attention gate, cosine of embeddings (the seed's design)
crossattn    patches of each picture attend to the other's; |mean A − mean B| → classifier
concat       both pictures as channels of one image → one CNN → classifier (no siamese sharing)
regionmatch  a 4×4 grid of region features per picture; the best one-to-one matching of
             regions (Hungarian algorithm); matched features multiplied → classifier
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .agfusion import AGFusionModel
from .base import PairModel
from .concat import ConcatModel
from .crossattn import CrossAttnModel
from .regionmatch import RegionMatchModel

__all__ = ["ARCHS", "model_class", "check_config", "load_model"]

ARCHS: dict[str, type[PairModel]] = {
    cls.arch: cls for cls in (AGFusionModel, CrossAttnModel, ConcatModel, RegionMatchModel)
}


def model_class(arch: str) -> type[PairModel]:
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(ARCHS)}")
    return ARCHS[arch]


def check_config(path: str | Path) -> dict:
    """The settings in a ``config.json`` (with its ``arch``), if they describe a shapesim model; else a
    ValueError saying why.

    (The Hub mixin would drop settings it does not know and build the default
    model, so a config written for another design must be refused here.)
    """
    path = Path(path)
    if not path.exists():
        return {"arch": "agfusion"}  # the defaults; the weights are still checked strictly against them
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a readable JSON file ({err})") from err
    if not isinstance(config, dict):
        raise ValueError(f"{path} must hold a JSON object of model settings, not {type(config).__name__}")
    config = dict(config)
    arch = config.pop("arch", "agfusion")  # configs from before there were several designs
    if arch not in ARCHS:
        raise ValueError(f"{path} describes another model: arch {arch!r} is not one of {', '.join(ARCHS)}")
    cls = ARCHS[arch]
    params = cls.settings()
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise ValueError(
            f"{path} describes another model: {', '.join(unknown)} are not settings of {cls.__name__} "
            f"(it takes {', '.join(params)})"
        )
    for key, value in config.items():
        kind = type(params[key])
        if kind is bool:
            ok = isinstance(value, bool)
        else:
            ok = not isinstance(value, bool) and isinstance(value, (int, float) if kind is float else kind)
        if not ok:
            raise ValueError(f"{path}: {key} must be a {kind.__name__}, got {value!r}")
    return {"arch": arch, **config}


def load_model(folder: str | Path, device: str | torch.device = "cpu") -> PairModel:
    """The model in ``folder`` (``config.json`` + ``model.safetensors``), whatever its design."""
    config = check_config(Path(folder) / "config.json")
    return model_class(config["arch"]).from_pretrained(str(folder), map_location=str(device))
