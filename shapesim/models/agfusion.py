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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import FusionOutput, PairModel, canonicalise, resnet_stem
from .pairgate import pair_gate_logits

__all__ = ["AttentionGate", "AGFusionModel"]


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

    def every_pair(self, x: Tensor) -> Tensor:
        """The gate of every picture guided by every picture of a batch ``(N, C, h, w)``: ``(N, N, h·w)``,
        row i column j the map :meth:`gate` gives ``x[i]`` guided by ``x[j]``. ``W_x·x`` and the guides are
        made once per picture; only their sum runs per pair (:func:`~.pairgate.pair_gate_logits`)."""
        wx = self.w_x(x).permute(0, 2, 3, 1).flatten(1, 2)  # (N, h·w, K)
        guide = self.w_g(x.mean(dim=(2, 3)))
        return torch.sigmoid(pair_gate_logits(wx, guide, self.psi.weight.flatten()) + self.psi.bias)


class AGFusionModel(PairModel, tags=["siamese", "shape-similarity", "attention-gate"]):
    """Siamese ResNet-50 stem + mutual attention gate + projection + scaled cosine.

    Args:
        embedding_dim: size of the projected embedding (the seed: 128).
        depth: how many stages of the ResNet-50 the shared extractor keeps: 1 (the seed's cut after
            layer1: 256 channels at a quarter of the picture's side) or 2 (after layer2: 512 channels
            at an eighth, each seeing a larger part of the picture).
        gate_channels: inner width of the attention gate.
        logit_scale: initial slope of the classifier on the cosine. A raw
            cosine lives in [-1, 1]; a logit needs a range of about ±10 to
            express confidence, so the classifier starts as ``scale·(cos − 0.5)``
            rather than from a random ``Linear(1, 1)``.
        upright: what the weights were trained to mean (the network is the same): False, a turned or
            mirrored copy is the same shape; True, it is told apart (small turns, up to 45°, are the
            same), and :class:`~shapesim.predict.Predictor` searches the eight turned and mirrored
            copies to answer "the same shape, turned".
    """

    arch = "agfusion"
    description = (
        "Both pictures pass through the same ResNet-50 stem (conv1 … layer1, trained from scratch, "
        "256 feature maps). An **attention gate** lets each picture look at the other: its spatial "
        "gate is computed from its own features and a summary of the other's. The gated features are "
        "pooled, projected 256 → 128, and compared by **cosine similarity**; a one-weight classifier "
        "turns the cosine into the probability of the same shape."
    )
    heatmap = "the attention gate: where each picture's gate looked"
    has_embeddings = has_maps = cosine_classifier = pretrainable = True

    def __init__(
        self,
        *,
        embedding_dim: int = 128,
        gate_channels: int = 64,
        logit_scale: float = 10.0,
        depth: int = 1,
        upright: bool = False,
    ) -> None:
        super().__init__()
        self.upright, self.depth = upright, depth
        self.backbone = resnet_stem(depth=depth)
        channels = 128 * 2**depth
        self.gate = AttentionGate(channels, gate_channels)
        self.projection = nn.Sequential(
            nn.Linear(channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, embedding_dim)
        )
        self.classifier = nn.Linear(1, 1)
        with torch.no_grad():
            self.classifier.weight.fill_(logit_scale)
            self.classifier.bias.fill_(-0.5 * logit_scale)

    def features(self, x: Tensor) -> Tensor:
        """Backbone features of pictures ``(B, 3, H, W)`` → ``(B, 256, H/4, W/4)`` (depth 1) or
        ``(B, 512, H/8, W/8)`` (depth 2)."""
        return self.backbone(canonicalise(x).expand(-1, 3, -1, -1))

    @property
    def feature_channels(self) -> int:
        return self.gate.w_g.in_features

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

    def every_pair(self, f: Tensor) -> tuple[Tensor, Tensor]:
        """Every pair of a batch of features ``(N, C, h, w)`` compared as :meth:`forward` compares a pair —
        each picture gated by the other, pooled, projected, the two embeddings' cosine: ``(logits, cosines)``,
        both ``(N, N)`` and symmetric. The stem runs once per picture, not once per pair."""
        n, c = f.shape[:2]
        alpha = self.gate.every_pair(f)  # (N, N, h·w)
        pooled = torch.bmm(alpha.to(f.dtype), f.flatten(2).transpose(1, 2)) / alpha.shape[-1]  # (N, N, C)
        e = F.normalize(self.projection(pooled).float(), dim=-1, eps=1e-6)  # e[i, j]: picture i beside picture j
        cosine = (e * e.transpose(0, 1)).sum(-1)
        return self.classify(cosine), cosine

    def classify(self, cosine: Tensor) -> Tensor:
        """Logits of cosine similarities of any shape (the classifier sees nothing else)."""
        return self.classifier(cosine.unsqueeze(-1).to(self.classifier.weight.dtype)).squeeze(-1)

    def forward(self, a: Tensor, b: Tensor) -> FusionOutput:
        """Compare pictures ``a`` and ``b``, each ``(B, 3, H, W)`` RGB in [0, 1]."""
        self.check_pair(a, b)
        # One backbone pass over both pictures: the branches share weights and BatchNorm statistics.
        f = self.features(torch.cat([a, b]))
        return self.compare_features(f[: a.shape[0]], f[a.shape[0] :])

    def compare_features(self, fa: Tensor, fb: Tensor) -> FusionOutput:
        """:meth:`forward` from the pictures' :meth:`features` (one picture's features may serve many pairs)."""
        ea, eb, alpha_a, alpha_b = self.embed_pair(fa, fb)
        similarity = F.cosine_similarity(ea.float(), eb.float(), dim=1, eps=1e-6)
        return FusionOutput(self.classify(similarity), similarity, ea, eb, alpha_a, alpha_b)
