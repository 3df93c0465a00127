"""The designs: one shared base (:mod:`.base`), one module per design, and the registry that maps a
``config.json``'s ``arch`` to its class (:mod:`.registry`)."""

from .agfusion import AGFusionModel, AttentionGate
from .base import FusionOutput, PairModel, canonicalise, for_inference, load_weights, resnet_stem
from .concat import ConcatModel
from .crossattn import CrossAttnModel
from .orientation import TURN_NAMES, TURNS, all_turns, best_turn, turn, turn_back
from .regionmatch import RegionMatchModel, hungarian
from .registry import ARCHS, check_config, load_model, model_class

__all__ = [
    "ARCHS",
    "AGFusionModel",
    "AttentionGate",
    "ConcatModel",
    "CrossAttnModel",
    "FusionOutput",
    "PairModel",
    "RegionMatchModel",
    "TURNS",
    "TURN_NAMES",
    "all_turns",
    "best_turn",
    "canonicalise",
    "check_config",
    "for_inference",
    "hungarian",
    "load_model",
    "load_weights",
    "model_class",
    "resnet_stem",
    "turn",
    "turn_back",
]
