"""Training: a config, a loop you can read, the losses, pre-training, checkpoints and DDP.

python -m shapesim train --out runs/mine       # or, from Python: train(TrainConfig(out="runs/mine"))
"""

from .config import PRETRAIN, TrainConfig
from .loop import TrainResult, resumed_config, train

__all__ = ["PRETRAIN", "TrainConfig", "TrainResult", "resumed_config", "train"]
