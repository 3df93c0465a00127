"""AGFusionModel: the seed's siamese network with a mutual attention gate.

    picture a ─┐                                   ┌─ embedding a ─┐
               ├ canonicalise ─ ResNet-50 stem ─ gate ─ pool ─ project        ├ cosine ─ classifier ─ logit
    picture b ─┘   (shared)       (shared)      ⇅                  └─ embedding b ─┘

The backbone is torchvision's ResNet-50 (no pretrained weights) cut after its
first five children — conv1, bn1, relu, maxpool, layer1 — so a 64×64 picture
becomes a 256×16×16 feature map. The attention gate lets each branch look at
the other: the spatial gate of one picture is computed from its own features
and a summary of the other's, in the additive form of Attention U-Net.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path

import safetensors
import safetensors.torch
import torch
import torch.nn.functional as F
import torchvision
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.resnet import BasicBlock, Bottleneck

__all__ = [
    "AttentionGate",
    "AGFusionModel",
    "FusionOutput",
    "HubModel",
    "canonicalise",
    "check_config",
    "for_inference",
    "load_model",
    "load_weights",
]

WEIGHTS_NAME = "model.safetensors"


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
    from .archs import ARCHS

    config = dict(config)
    arch = config.pop("arch", "agfusion")  # configs from before there were several designs
    if arch not in ARCHS:
        raise ValueError(f"{path} describes another model: arch {arch!r} is not one of {', '.join(ARCHS)}")
    cls = ARCHS[arch]
    params = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items() if k != "self"}
    unknown = sorted(set(config) - set(params))
    if unknown:
        raise ValueError(
            f"{path} describes another model: {', '.join(unknown)} are not settings of {cls.__name__} "
            f"(it takes {', '.join(params)})"
        )
    for key, value in config.items():
        kind = type(params[key])
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
            raise ValueError(f"{path}: {key} must be a {kind.__name__}, got {value!r}")
    return {"arch": arch, **config}


_LUMA = (0.299, 0.587, 0.114)


def canonicalise(x: Tensor) -> Tensor:
    """Pictures ``(B, 3, H, W)`` in [0, 1] → ``(B, 1, H, W)`` where the background is 0 and ink is ~1.

    The shape, not its colours, decides the answer, so colour and polarity are
    taken out before the network sees a pixel: luma only; the background level
    is the median of the picture's border; the sign is flipped so the shape is
    positive whether it is darker or lighter than its background; and the
    contrast is scaled so the strongest ink is 1. A blank picture stays all 0.
    """
    g = torch.einsum("bchw,c->bhw", x, x.new_tensor(_LUMA)).unsqueeze(1)
    border = torch.cat([g[:, 0, 0, :], g[:, 0, -1, :], g[:, 0, :, 0], g[:, 0, :, -1]], dim=1)
    g = g - border.median(dim=1).values.view(-1, 1, 1, 1)
    sign = torch.where(g.sum(dim=(1, 2, 3)) < 0, -1.0, 1.0).to(g.dtype)
    g = g * sign.view(-1, 1, 1, 1)
    scale = g.amax(dim=(1, 2, 3)).clamp(min=0.05)  # a blank picture is not blown up to noise
    return g / scale.view(-1, 1, 1, 1)


class AttentionGate(nn.Module):
    """Additive attention gate with mutual exchange between two branches.

    For features ``x`` of one picture and ``g`` of the other (both ``(B, C, h, w)``),
    the gate is ``α = σ(ψ(ReLU(W_x·x + W_g·pool(g))))``, a ``(B, 1, h, w)`` map.
    The other picture is summarised by global average pooling because the two
    pictures are not aligned: a shape may sit anywhere in either.
    """

    def __init__(self, channels: int = 256, inter_channels: int = 64) -> None:
        super().__init__()
        self.w_x = nn.Conv2d(channels, inter_channels, kernel_size=1, bias=False)
        self.w_g = nn.Linear(channels, inter_channels)
        self.psi = nn.Conv2d(inter_channels, 1, kernel_size=1)

    def gate(self, x: Tensor, g: Tensor) -> Tensor:
        """The spatial gate of ``x`` guided by ``g``: ``(B, 1, h, w)`` in (0, 1)."""
        guide = self.w_g(g.mean(dim=(2, 3)))[:, :, None, None]
        return torch.sigmoid(self.psi(F.relu(self.w_x(x) + guide)))

    def forward(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Gated features and gates of both branches: ``(a * α_a, b * α_b, α_a, α_b)``."""
        alpha_a, alpha_b = self.gate(a, b), self.gate(b, a)
        return a * alpha_a, b * alpha_b, alpha_a, alpha_b


@dataclass
class FusionOutput:
    """What the model says about a batch of pairs."""

    logit: Tensor  # (B,) > 0 means "same shape"
    similarity: Tensor | None  # (B,) cosine similarity of the embeddings, in [-1, 1]
    embedding_a: Tensor | None  # (B, D)
    embedding_b: Tensor | None  # (B, D)
    attention_a: Tensor | None  # (B, 1, h, w) where the model looked in picture a, in [0, 1]
    attention_b: Tensor | None  # (B, 1, h, w)
    # None where a design has no such thing (see shapesim.archs)


def resnet_stem(in_channels: int = 3) -> nn.Sequential:
    """torchvision's ResNet-50 (no pretrained weights) cut after conv1, bn1, relu, maxpool, layer1:
    a 64×64 picture becomes a 256×16×16 feature map. Every design with a ResNet stem builds it here."""
    stem = nn.Sequential(*list(torchvision.models.resnet50(weights=None).children())[:5])
    if in_channels != 3:
        stem[0] = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return stem


class HubModel(
    PyTorchModelHubMixin, library_name="shapesim", repo_url="https://github.com/shapesim/shapesim", license="mit"
):
    """What every shapesim model shares: ``save_pretrained`` / ``from_pretrained`` through the Hub
    mixin, reading ``model.safetensors`` strictly (never a pickle). ``arch`` names the design in
    ``config.json``; shapesim.archs.model_class maps it back to the class."""

    arch = "agfusion"

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

    def config(self) -> dict:
        """The settings ``config.json`` holds: the init arguments and the design's name."""
        return {"arch": self.arch, **getattr(self, "_hub_mixin_config", {})}

    def save_pretrained(self, save_directory, *, config: dict | None = None, **kwargs):
        return super().save_pretrained(save_directory, config=config or self.config(), **kwargs)


class AGFusionModel(nn.Module, HubModel, tags=["siamese", "shape-similarity", "attention-gate"]):
    """Siamese ResNet-50 stem + mutual attention gate + projection + scaled cosine.

    Args:
        embedding_dim: size of the projected embedding (the seed: 128).
        gate_channels: inner width of the attention gate.
        logit_scale: initial slope of the classifier on the cosine. A raw
            cosine lives in [-1, 1]; a logit needs a range of about ±10 to
            express confidence, so the classifier starts as ``scale·(cos − 0.5)``
            rather than from a random ``Linear(1, 1)``.
    """

    def __init__(self, *, embedding_dim: int = 128, gate_channels: int = 64, logit_scale: float = 10.0) -> None:
        super().__init__()
        self.backbone = resnet_stem()
        channels = 256
        self.gate = AttentionGate(channels, gate_channels)
        self.projection = nn.Sequential(
            nn.Linear(channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, embedding_dim)
        )
        self.classifier = nn.Linear(1, 1)
        with torch.no_grad():
            self.classifier.weight.fill_(logit_scale)
            self.classifier.bias.fill_(-0.5 * logit_scale)

    @staticmethod
    def check_input(x: Tensor, name: str) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"{name} must be shaped (B, 3, H, W) (RGB in [0, 1]), got {tuple(x.shape)}")
        if min(x.shape[2:]) < 16:
            raise ValueError(f"{name} is too small: {tuple(x.shape[2:])}; pictures need at least 16×16 pixels")

    def features(self, x: Tensor) -> Tensor:
        """Backbone features of pictures ``(B, 3, H, W)`` → ``(B, 256, H/4, W/4)``."""
        return self.backbone(canonicalise(x).expand(-1, 3, -1, -1))

    @property
    def embedding_dim(self) -> int:
        return self.projection[-1].out_features

    def embed(self, x: Tensor) -> Tensor:
        """Embeddings of single pictures ``(B, D)``, each gate guided by its own picture."""
        f = self.features(x)
        return self.embed_pair(f, f)[0]

    def embed_pair(self, fa: Tensor, fb: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        ga, gb, alpha_a, alpha_b = self.gate(fa, fb)
        ea = self.projection(ga.mean(dim=(2, 3)))
        eb = self.projection(gb.mean(dim=(2, 3)))
        return ea, eb, alpha_a, alpha_b

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        """Compare pictures ``a`` and ``b``, each ``(B, 3, H, W)`` RGB in [0, 1]."""
        self.check_input(a, "a")
        self.check_input(b, "b")
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"a and b must hold the same number of pictures, got {a.shape[0]} and {b.shape[0]}")
        # One backbone pass over both pictures: the branches share weights and BatchNorm statistics.
        f = self.features(torch.cat([a, b]))
        fa, fb = f[: a.shape[0]], f[a.shape[0] :]
        ea, eb, alpha_a, alpha_b = self.embed_pair(fa, fb)
        similarity = F.cosine_similarity(ea.float(), eb.float(), dim=1, eps=1e-6)
        logit = self.classifier(similarity.unsqueeze(1).to(self.classifier.weight.dtype)).squeeze(1)
        return FusionOutput(logit, similarity, ea, eb, alpha_a, alpha_b)


def load_model(folder: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """The model in ``folder`` (``config.json`` + ``model.safetensors``), whatever its design."""
    from .archs import model_class

    config = check_config(Path(folder) / "config.json")
    return model_class(config["arch"]).from_pretrained(str(folder), map_location=str(device))


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
