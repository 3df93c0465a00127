"""TrainConfig: everything that decides a training run (saved next to its checkpoint)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ..models import ARCHS, PairModel, model_class
from ..spec import PairSpec, preset

__all__ = ["TrainConfig", "PRETRAIN"]

PRETRAIN = ("none", "contrastive", "jigsaw")


def option(default, help: str):
    """A field of the config with what it means: the command line's help (``python -m shapesim train --help``)."""
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    """Everything that decides a training run (saved next to its checkpoint)."""

    arch: str = option("agfusion", "the design: agfusion, crossattn, concat or regionmatch (shapesim.models)")
    preset: str = option("open", "generator preset to train on")
    mix: tuple[str, ...] = option((), "more presets: successive steps take their pairs from preset, mix[0], … in turn")
    holdout: tuple[str, ...] = option(
        ("composite", "glyph", "letter"), "families (or named shapes) never shown in training"
    )
    image_size: int = option(64, "picture side in pixels")
    steps: int = option(20000, "optimiser steps")
    batch_size: int = option(64, "pairs per step")
    lr: float = option(2e-3, "peak learning rate (AdamW)")
    weight_decay: float = option(0.05, "not applied to norms and biases")
    clip: float = option(1.0, "gradient norm clipping")
    warmup: int = option(100, "linear warm-up steps, then cosine decay to zero")
    # The data's shares; None: the preset's own (seed 0, 0, 0; the others 0.25, 0.25, 0.6).
    hard_negatives: float | None = option(None, "share of negatives that are near misses (a heptagon for a hexagon)")
    hard_positives: float | None = option(None, "share of positives that differ in everything but the shape")
    framed: float | None = option(None, "share of pictures drawn as framing shows a user's (centred, 65% of the side)")
    people: float = option(
        0.0, "share of each batch's pairs that are people's drawings: Omniglot characters (needs omniglot)"
    )
    omniglot: str = option(
        "", "folder with Omniglot's background drawings (images_background*.zip, strokes_…), for people"
    )
    same_alphabet: float = option(0.5, "share of people's different pairs whose two characters share an alphabet")
    people_turn: float = option(0.0, "share of people's pictures turned by any angle (others tilt by up to 14°)")
    batch_pairs: float = option(1.0, "weight of the loss on every pair of pictures in a batch (agfusion; 0 = off)")
    every_pair: bool = option(
        False,
        "agfusion: steps on batch_size identities drawn twice each, every pair through the gate (the stem once "
        "a picture): characters (a share people) by two people, the generator's shapes in two looks",
    )
    paper: float = option(
        0.0, "share of pictures made to look like what framing leaves of a photo of paper (lines, grey paper, grain)"
    )
    hard_pairs: float = option(
        0.0,
        "every_pair: share of the different pairs' loss carried by the generator's near misses and turned copies "
        "(0: each different pair weighs alike, and those few are lost among thousands)",
    )
    one_shot: float = option(1.0, "every_pair: weight of the one-shot loss (each picture picks its identity's other)")
    upright: bool = option(
        False,
        "every_pair: a turned (over 45°) or mirrored copy is another shape; the model answers 'the same shape, "
        "turned' by searching the copies",
    )
    pretrain: str = option("none", "agfusion: none | contrastive | jigsaw, run for pretrain_steps before training")
    pretrain_steps: int = option(0, "steps of pre-training of the feature extractor (batches of batch_size pairs)")
    freeze_backbone: bool = option(False, "agfusion: train only gate, projection and classifier on a fixed extractor")
    embedding_dim: int = option(128, "size of a picture's embedding")
    depth: int = option(1, "agfusion: ResNet-50 stages in the extractor (1: the seed's cut after layer1; 2: layer2)")
    init: str = option("", "a weights folder whose model the run starts from (fine-tuning; empty: random weights)")
    seed: int = option(0, "random seed of the weights and of the training pairs")
    device: str = option("auto", "auto = cuda, then mps, then cpu")
    precision: str = option("auto", "auto | fp32 | bf16 | fp16")
    channels_last: bool = option(True, "channels-last memory layout (faster convolutions on CPUs and GPUs)")
    prefetch: int = option(-1, "batches drawn ahead in a background thread (-1: 2 on an accelerator, 0 on the CPU)")
    compile: bool = option(False, "torch.compile the model's training step (pays on an accelerator in long runs)")
    eval_every: int = option(1000, "steps between validations (and checkpoints)")
    eval_pairs: int = option(512, "fixed validation pairs")
    target_f1: float = option(0.0, "stop once validation F1 reaches this (0: run all steps)")
    out: str = option("runs/latest", "the run's folder: best model, resume state, config, metrics")
    resume: bool = option(False, "continue the run in out from its last checkpoint")
    progress: bool = option(True, "show a progress bar")

    def __post_init__(self) -> None:
        self.holdout, self.mix = tuple(self.holdout), tuple(self.mix)
        for name in ("image_size", "steps", "batch_size", "eval_every", "eval_pairs"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.lr <= 0 or self.weight_decay < 0 or self.clip <= 0 or self.warmup < 0:
            raise ValueError("lr and clip must be positive; weight_decay and warmup must not be negative")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be one of auto, fp32, bf16, fp16; got {self.precision!r}")
        self.specs()  # validates presets, holdout and shares
        if not 0 <= self.hard_pairs < 1:
            raise ValueError(f"hard_pairs must be a share in [0, 1), got {self.hard_pairs}")
        if not 0 <= self.paper <= 1:
            raise ValueError(f"paper must be a share in [0, 1], got {self.paper}")
        if not 0 <= self.people < 1 or not 0 <= self.same_alphabet <= 1 or not 0 <= self.people_turn <= 1:
            raise ValueError(
                "people must be a share in [0, 1) (some pairs stay the generator's); same_alphabet and "
                "people_turn in [0, 1]"
            )
        if self.people and not self.omniglot:
            raise ValueError("people's pairs come from Omniglot: give --omniglot DIR (e.g. ../shared/data/omniglot)")
        design = self.design  # validates the design
        if self.pretrain not in PRETRAIN:
            raise ValueError(f"pretrain must be one of {', '.join(PRETRAIN)}; got {self.pretrain!r}")
        if (self.pretrain != "none" or self.freeze_backbone) and not design.pretrainable:
            able = ", ".join(name for name, cls in ARCHS.items() if cls.pretrainable)
            raise ValueError(f"pretrain and freeze_backbone are options of the {able} design, not of {self.arch}")
        if self.pretrain == "jigsaw" and self.image_size % 2:
            raise ValueError(f"jigsaw cuts pictures into 2×2 tiles: image_size must be even, got {self.image_size}")
        if self.pretrain_steps < 0 or (self.pretrain != "none") != (self.pretrain_steps > 0):
            raise ValueError("pretrain_steps must be positive with a pretrain task, and 0 without")
        if self.every_pair and self.arch != "agfusion":
            raise ValueError(f"every_pair puts every pair through agfusion's gate; it is not a step of {self.arch}")
        if self.upright and not self.every_pair:
            raise ValueError("upright labels come with the every_pair step (its shapes are drawn for it)")
        if self.every_pair and self.batch_size < 2:
            raise ValueError("every_pair needs at least two identities a batch")

    @property
    def pairs_per_step(self) -> int:
        """Labelled pairs a step learns from (each process): its pairs, or with every_pair every two of its pictures."""
        n = 2 * self.batch_size
        return n * (n - 1) // 2 if self.every_pair else self.batch_size

    @property
    def design(self) -> type[PairModel]:
        return model_class(self.arch)

    def spec(self, name: str | None = None) -> PairSpec:
        """The training data: the preset (or the mixed-in preset ``name``) without the held-out shapes, with
        the shares this run sets."""
        shares = {share: getattr(self, share) for share in ("hard_negatives", "hard_positives", "framed")}
        chosen = preset(name or self.preset, holdout=self.holdout)
        return replace(chosen, **{k: v for k, v in shares.items() if v is not None})

    def specs(self) -> tuple[PairSpec, ...]:
        """The data of successive steps, in turn: the preset's, then each mixed-in preset's."""
        return tuple(self.spec(name) for name in (self.preset, *self.mix))

    def model_kwargs(self) -> dict:
        """The settings of this config that the design takes (embedding_dim, depth)."""
        mine = {"embedding_dim": self.embedding_dim, "depth": self.depth, "upright": self.upright}
        return {k: v for k, v in mine.items() if k in self.design.settings()}

    def build_model(self) -> PairModel:
        return self.design(**self.model_kwargs())

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        data = json.loads(Path(path).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
