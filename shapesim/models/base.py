"""What every design shares: the output contract, the canonical input, the ResNet stem, strict
loading from safetensors through the Hub mixin, and a faster copy for answering.

A design is a subclass of :class:`PairModel`. It takes two batches of RGB pictures
``(B, 3, H, W)`` in [0, 1] and returns a :class:`FusionOutput`, and it says what it
can do as class attributes (``has_embeddings``, ``has_maps``, ``symmetric``,
``cosine_classifier``, ``pretrainable``) so that callers ask instead of comparing names.
"""

from __future__ import annotations

import copy
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import safetensors
import safetensors.torch
import torch
import torchvision
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.resnet import BasicBlock, Bottleneck

__all__ = [
    "FusionOutput",
    "PairModel",
    "canonicalise",
    "for_inference",
    "load_weights",
    "resnet_stem",
    "WEIGHTS_NAME",
]

WEIGHTS_NAME = "model.safetensors"


@dataclass
class FusionOutput:
    """What a model says about a batch of pairs."""

    logit: Tensor  # (B,) > 0 means "same shape"
    similarity: Tensor | None  # (B,) cosine similarity of the embeddings, in [-1, 1]
    embedding_a: Tensor | None  # (B, D)
    embedding_b: Tensor | None  # (B, D)
    attention_a: Tensor | None  # (B, 1, h, w) where the model looked in picture a, in [0, 1]
    attention_b: Tensor | None  # (B, 1, h, w)
    # None where a design has no such thing (see each design's has_embeddings and has_maps)


def canonicalise(x: Tensor) -> Tensor:
    """Pictures ``(B, 3, H, W)`` in [0, 1] → ``(B, 1, H, W)`` where the background is 0 and ink is ~1.

    The shape, not its colours, decides the answer, so colour and polarity are
    taken out before the network sees a pixel: the background colour is the
    median of the picture's border, channel by channel; each pixel's ink is its
    RGB distance from it, so a shape that differs from its ground only in hue (red
    on purple) is as visible as one that differs in brightness, darker or lighter;
    and the contrast is scaled so that the strongest ink is 1. The distance grows
    linearly with how much of a pixel a shape covers, so anti-aliased edges keep
    their shape. A blank picture stays all 0.
    """
    border = torch.cat([x[:, :, 0, :], x[:, :, -1, :], x[:, :, :, 0], x[:, :, :, -1]], dim=2)
    background = border.median(dim=2).values[:, :, None, None]
    ink = (x - background).square().sum(dim=1, keepdim=True).sqrt()
    scale = ink.amax(dim=(1, 2, 3)).clamp(min=0.05)  # a blank picture is not blown up to noise
    return ink / scale.view(-1, 1, 1, 1)


def resnet_stem(in_channels: int = 3, depth: int = 1) -> nn.Sequential:
    """torchvision's ResNet-50 (no pretrained weights) cut after conv1, bn1, relu, maxpool and its first
    ``depth`` stages: with one (the seed's cut, layer1) a 64×64 picture becomes a 256×16×16 feature map,
    with two (layer2) 512×8×8. Every design with a ResNet stem builds it here."""
    if depth not in (1, 2, 3):
        raise ValueError(f"depth must be 1, 2 or 3 stages of the ResNet, got {depth}")
    stem = nn.Sequential(*list(torchvision.models.resnet50(weights=None).children())[: 4 + depth])
    if in_channels != 3:
        stem[0] = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return stem


def load_weights(
    model: nn.Module, path: str | Path, device: str | torch.device = "cpu", *, assign: bool = False
) -> nn.Module:
    """Load ``path`` (safetensors, nothing else) into ``model``, strictly.

    Every missing, unexpected or misshapen tensor is an error that names the
    file: a checkpoint is loaded whole or not at all. ``assign`` makes the
    loaded tensors the model's own instead of copying them in, for a model
    built on the ``meta`` device.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        state = safetensors.torch.load_file(str(path), device=str(device))
    except (safetensors.SafetensorError, OSError, ValueError) as err:
        raise ValueError(
            f"{path} is not a readable safetensors file ({err}); the checkpoint is corrupt or truncated"
        ) from err
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    misshapen = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or misshapen:
        parts = [
            f"{len(missing)} missing (e.g. {missing[:3]})" if missing else "",
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})" if unexpected else "",
            f"{len(misshapen)} of another shape (e.g. {misshapen[:3]})" if misshapen else "",
        ]
        raise ValueError(f"{path} does not fit {type(model).__name__}: " + "; ".join(p for p in parts if p))
    model.load_state_dict(state, strict=True, assign=assign)
    return model


class PairModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="shapesim",
    repo_url="https://github.com/shapesim/shapesim",
    license="mit",
):
    """The base of every design: ``save_pretrained`` / ``from_pretrained`` through the Hub mixin
    (``config.json`` + ``model.safetensors``, read strictly, never a pickle), input checks, and
    what the design can do.

    ``arch`` names the design in ``config.json``; :func:`shapesim.models.model_class` maps it back.
    """

    arch: str = ""
    description: str = ""  # one paragraph (markdown) for the app and the model card
    heatmap: str | None = None  # what its maps show; None: the design has none
    has_embeddings: bool = False  # embed(), similarity and embedding_a/b in the output
    has_maps: bool = False  # attention_a/b in the output
    symmetric: bool = True  # swapping the pictures gives the same answer
    cosine_classifier: bool = False  # the classifier reads only the cosine: any two embeddings make a pair
    pretrainable: bool = False  # the extractor can be pre-trained or frozen (shapesim.training.pretrain)
    tags: tuple[str, ...] = ()  # for the model card on the Hub
    frozen_backbone: bool = False  # see freeze_backbone()
    upright: bool = False  # trained to tell turned and mirrored copies apart (shapesim.models.orientation)

    def __init_subclass__(cls, *, tags: list[str] | None = None, **kwargs) -> None:
        super().__init_subclass__(tags=list(tags or []), **kwargs)
        cls.tags = tuple(tags or ())

    @classmethod
    def settings(cls) -> dict[str, object]:
        """The design's settings (its keyword arguments) with their defaults."""
        return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items() if k != "self"}

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ):
        """Read ``model.safetensors`` from a folder or a Hub repo, strictly (never a pickle)."""
        model_kwargs.pop("arch", None)
        with torch.device("meta"):  # no random initialisation of weights about to be replaced (0.2 s here)
            model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            path = os.path.join(model_id, WEIGHTS_NAME)
        else:
            path = hf_hub_download(
                repo_id=model_id,
                filename=WEIGHTS_NAME,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                token=token,
                local_files_only=local_files_only,
            )
        load_weights(model, path, map_location, assign=True)
        return model.eval()

    def freeze_backbone(self, frozen: bool = True) -> PairModel:
        """A fixed feature extractor (a design that is ``pretrainable``): its weights get no gradients and
        its BatchNorms keep the statistics they have, whatever ``train()`` is called with later."""
        if not self.pretrainable:
            raise ValueError(f"the {self.arch} design has no extractor to freeze")
        self.frozen_backbone = frozen
        self.backbone.requires_grad_(not frozen)
        return self.train(self.training)

    def train(self, mode: bool = True) -> PairModel:
        super().train(mode)
        if self.frozen_backbone:
            self.backbone.eval()
        return self

    def config(self) -> dict:
        """The settings ``config.json`` holds: the init arguments and the design's name."""
        return {"arch": self.arch, **getattr(self, "_hub_mixin_config", {})}

    def save_pretrained(self, save_directory, *, config: dict | None = None, **kwargs):
        return super().save_pretrained(save_directory, config=config or self.config(), **kwargs)

    @staticmethod
    def check_input(x: Tensor, name: str) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"{name} must be shaped (B, 3, H, W) (RGB in [0, 1]), got {tuple(x.shape)}")
        if min(x.shape[2:]) < 16:
            raise ValueError(f"{name} is too small: {tuple(x.shape[2:])}; pictures need at least 16×16 pixels")

    def check_pair(self, a: Tensor, b: Tensor) -> None:
        self.check_input(a, "a")
        self.check_input(b, "b")
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"a and b must hold the same number of pictures, got {a.shape[0]} and {b.shape[0]}")


def for_inference(model: nn.Module, memory_format: torch.memory_format = torch.channels_last) -> nn.Module:
    """A copy of ``model`` that only answers, faster: every BatchNorm that follows a convolution is
    folded into it (one pass over the features instead of two) and the weights are in
    ``memory_format``, by default channels-last, the layout oneDNN's convolutions run fastest in.
    Same answers to float rounding; never train or save it (its state dict has no BatchNorms)."""
    model = copy.deepcopy(model).eval()
    pairs = [(module, conv, bn) for module in model.modules() for conv, bn in _conv_bn_pairs(module)]
    for module, conv, bn in pairs:
        setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn)))
        setattr(module, bn, nn.Identity())
    return model.to(memory_format=memory_format)


def _conv_bn_pairs(module: nn.Module) -> list[tuple[str, str]]:
    """Names of (convolution, the BatchNorm applied right after it) among ``module``'s children."""
    if isinstance(module, (Bottleneck, BasicBlock)):  # conv1 → bn1, conv2 → bn2 (→ conv3 → bn3)
        return [(f"conv{i}", f"bn{i}") for i in (1, 2, 3) if hasattr(module, f"conv{i}")]
    if not isinstance(module, nn.Sequential):
        return []  # elsewhere the order children are listed in says nothing about the order they run in
    kids = list(module.named_children())
    return [
        (a, b)
        for (a, conv), (b, bn) in zip(kids, kids[1:], strict=False)
        if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
    ]
