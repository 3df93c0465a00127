"""The parameters of pictures, drawn from counter-based random numbers.

Every random number comes from a counter-based hash of ``(seed, index, stream, column)``,
so picture ``i`` of a given seed and stream is the same picture on every run, in any
batch, on any device: validation and test sets are fixed without storing files. Each
picture owns ``STREAM_WIDTH`` columns of its stream, and :class:`SLOT` says which of them
decides what; moving a column changes every fixed set (``tests/test_sampling.py`` pins them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import Tensor

from .shapes import FAMILY_NAMES, draw_identities, identity_names, pick
from .spec import STYLES, PairSpec

__all__ = [
    "SLOT",
    "STREAM_WIDTH",
    "ShapeParams",
    "uniforms",
    "sample_images",
    "colour_distance",
    "luma",
    "largest",
    "reach",
    "MIN_VISIBLE",
    "sample_colours",
]

MIN_VISIBLE = 0.08  # the smallest RGB distance between shape and ground a picture is drawn with
STREAM_WIDTH = 96  # random numbers reserved for one picture in a stream


class SLOT:
    """Which of a picture's ``STREAM_WIDTH`` random numbers decides what (columns 0, 28, 29, 46, 47
    and 81 on are free)."""

    style = 1
    aspect = 2
    size = 3
    centre = slice(4, 6)
    angle = 6
    width = 7
    mirror = 8
    hard_edges = 9
    colours = slice(10, 27)  # 17: see sample_colours
    framed = 27
    hand = slice(30, 46)  # 16: see shapesim.geometry's hand
    identity = slice(48, 81)  # 33: see shapesim.shapes.draw_identities


# ----------------------------------------------------------------------------- randomness


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective scramble of 64-bit integers."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniforms(seed: int, index: np.ndarray, stream: int, n: int) -> np.ndarray:
    """``(len(index), n)`` floats in [0, 1) that depend only on (seed, index, stream, column)."""
    with np.errstate(over="ignore"):
        idx = np.asarray(index, dtype=np.int64).astype(np.uint64)[:, None]
        col = np.arange(n, dtype=np.uint64)[None, :] + np.uint64(stream * STREAM_WIDTH)
        key = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + np.uint64(0x9E3779B97F4A7C15))
        z = _mix(_mix(key ^ idx * np.uint64(0xD1B54A32D192ED03)) ^ col * np.uint64(0x9E3779B97F4A7C15))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# ----------------------------------------------------------------------------- parameters


@dataclass
class ShapeParams:
    """Everything that decides one picture each, for a batch (CPU tensors, batch first)."""

    family: Tensor  # (B,) int64 index into shapes.FAMILIES
    shape: Tensor  # (B, P) the identity's parameters (float64: identities compare exactly)
    style: Tensor  # (B,) int64 index into STYLES
    centre: Tensor  # (B, 2) in [-1, 1], y up
    size: Tensor  # (B,) radius as a fraction of half the image
    angle: Tensor  # (B,) rotation in radians
    mirror: Tensor  # (B,) bool: reflected
    aspect: Tensor  # (B,) long/short axis ratio >= 1
    fg: Tensor  # (B, 3) RGB of the shape
    bg: Tensor  # (B, 3) RGB of the background
    width: Tensor  # (B,) stroke width as a fraction of the image side
    hand: Tensor  # (B, 16) how a hand draws it, used by the sketch style only
    hard: Tensor  # (B,) bool: hard edges (no anti-aliasing)
    framed: Tensor  # (B,) bool: placed and sized as framing shows a picture (size and centre then jitter it)

    def __len__(self) -> int:
        return int(self.family.shape[0])

    def select(self, mask: np.ndarray | Tensor) -> ShapeParams:
        return ShapeParams(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def concat(self, other: ShapeParams) -> ShapeParams:
        return ShapeParams(**{f.name: torch.cat([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)})

    def where(self, mask: Tensor, other: ShapeParams) -> ShapeParams:
        """Take ``other``'s values where ``mask`` (B,) is true."""
        out = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            m = mask.view(-1, *([1] * (mine.dim() - 1)))
            out[f.name] = torch.where(m, theirs, mine)
        return ShapeParams(**out)

    def identities(self) -> Tensor:
        """``(B,)`` int64: equal numbers for pictures of the same identity (family and parameters)."""
        rows = torch.cat([self.family[:, None].double(), self.shape.double()], dim=1).numpy()
        return torch.from_numpy(np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64))

    def names(self) -> list[str]:
        """What each picture shows, for people: "circle", "regular 7-gon", "glyph R", ..."""
        return identity_names(self.family.numpy(), self.shape.numpy())

    def describe(self, i: int) -> dict:
        """Plain-data metadata of picture ``i``."""
        return {
            "family": FAMILY_NAMES[int(self.family[i])],
            "shape": identity_names(self.family[i : i + 1].numpy(), self.shape[i : i + 1].numpy())[0],
            "style": STYLES[int(self.style[i])],
            "centre": [round(float(v), 4) for v in self.centre[i]],
            "size": round(float(self.size[i]), 4),
            "angle": round(float(self.angle[i]), 4),
            "mirror": bool(self.mirror[i]),
            "aspect": round(float(self.aspect[i]), 4),
            "fg": [round(float(v), 4) for v in self.fg[i]],
            "bg": [round(float(v), 4) for v in self.bg[i]],
            "hard_edges": bool(self.hard[i]),
            "framed": bool(self.framed[i]),
        }


_LUMA = np.array([0.299, 0.587, 0.114])


def luma(rgb: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Rec. 601 luma of RGB values in [0, 1] (last axis is the channel)."""
    w = _LUMA if isinstance(rgb, np.ndarray) else torch.tensor(_LUMA, dtype=rgb.dtype, device=rgb.device)
    return (rgb * w).sum(-1)


def colour_distance(a: np.ndarray | Tensor, b: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Euclidean distance of RGB colours in [0, 1] (last axis), what tells a shape from its ground
    (0: the same colour; red on purple, of equal brightness, 0.71)."""
    d = a - b
    return (d * d).sum(-1) ** 0.5


def _colour_with_luma(lum: np.ndarray, u: np.ndarray, saturation: np.ndarray) -> np.ndarray:
    """An RGB colour of exactly luma ``lum``, hue from ``u`` (B, 3), chroma up to ``saturation`` of the gamut."""
    v = u * 2 - 1
    v = v - (v @ _LUMA)[:, None]  # remove the luma part: adding v keeps the luma
    room = np.where(v > 0, (1 - lum[:, None]) / np.maximum(v, 1e-9), lum[:, None] / np.maximum(-v, 1e-9))
    scale = np.minimum(room.min(axis=1), 1.0) * saturation
    return np.clip(lum[:, None] + v * scale[:, None], 0, 1)


def _uniform_outside(u: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Uniform on [0, low] U [high, 1] (low <= high) from uniforms ``u``."""
    t = u * (low + 1 - high)
    return np.where(t < low, t, high + (t - low))


def sample_colours(u: np.ndarray, style: np.ndarray, spec: PairSpec) -> tuple[np.ndarray, np.ndarray]:
    """Shape and ground colours of each picture, by the spec's mix of ways (COLOURS)."""
    c = spec.min_contrast
    # contrast: a background luma that leaves room for contrast on some side, then a foreground
    # luma uniform over what is at least c away from it; hues at random
    bg_l = u[:, 0] if c <= 0.5 else _uniform_outside(u[:, 0], np.full(len(u), 1 - c), np.full(len(u), c))
    fg_l = _uniform_outside(u[:, 1], np.maximum(bg_l - c, 0), np.minimum(bg_l + c, 1))
    bg = _colour_with_luma(bg_l, u[:, 4:7], u[:, 2])
    fg = _colour_with_luma(fg_l, u[:, 7:10], u[:, 3])
    # equal luma: two saturated colours within 0.04 of the same brightness, hues apart (red on purple)
    level = 0.25 + 0.5 * u[:, 0]
    hue = u[:, 4:7]
    bg_e = _colour_with_luma(level, hue, 0.6 + 0.4 * u[:, 2])
    fg_e = _colour_with_luma(level + (u[:, 1] - 0.5) * 0.08, 1 - hue + (u[:, 7:10] - 0.5) * 0.6, 0.6 + 0.4 * u[:, 3])
    # uniform: each colour independently uniform in the RGB cube, as the origin project draws them
    bg_u, fg_u = u[:, 10:13], u[:, 13:16]
    way = np.searchsorted(np.cumsum(spec.colours)[:-1], u[:, 16], side="right")
    bg = np.select([way[:, None] == 1, way[:, None] == 2], [bg_e, bg_u], bg)
    fg = np.select([way[:, None] == 1, way[:, None] == 2], [fg_e, fg_u], fg)
    # A pair of colours nobody could tell apart shows nothing: such a draw takes the contrast colours.
    unseen = colour_distance(fg, bg) < MIN_VISIBLE
    bg = np.where(unseen[:, None], _colour_with_luma(bg_l, u[:, 4:7], u[:, 2]), bg)
    fg = np.where(unseen[:, None], _colour_with_luma(fg_l, u[:, 7:10], u[:, 3]), fg)
    # ink on paper (the sketch style): a dark stroke on a light, barely tinted background
    ink = style == STYLES.index("sketch")
    paper_l = 0.88 + 0.12 * u[:, 0]
    ink_l = np.minimum(0.3, paper_l - c) * u[:, 1]
    bg = np.where(ink[:, None], _colour_with_luma(paper_l, u[:, 4:7], 0.3 * u[:, 2]), bg)
    fg = np.where(ink[:, None], _colour_with_luma(ink_l, u[:, 7:10], u[:, 3]), fg)
    return fg, bg


def largest(aspect):
    """The largest size (radius, a fraction of half the image) at which a shape of this aspect fits."""
    return 0.95 / aspect**0.5


def reach(size, aspect):
    """How far from the middle a shape's centre may go and keep the shape in the picture."""
    return (1 - size * aspect**0.5 - 0.04).clip(0, None)


def sample_images(
    spec: PairSpec,
    seed: int,
    index: np.ndarray,
    stream: int = 0,
    family: np.ndarray | None = None,
    shape: np.ndarray | None = None,
    style: np.ndarray | None = None,
) -> ShapeParams:
    """Parameters of single pictures ``index``; the identity (family and shape parameters) and the style
    are drawn from ``spec`` unless given."""
    index = np.asarray(index, dtype=np.int64)
    u = uniforms(seed, index, stream, STREAM_WIDTH)
    drawn_family, drawn_shape = draw_identities(u[:, SLOT.identity], spec.families, spec.named, family)
    shape = drawn_shape if shape is None else np.asarray(shape, dtype=np.float64)
    style = pick(u[:, SLOT.style], spec.styles, STYLES) if style is None else np.asarray(style, dtype=np.int64)
    sketch = style == STYLES.index("sketch")
    max_aspect = np.where(sketch, spec.sketch_aspect, spec.aspect)
    aspect = np.exp(u[:, SLOT.aspect] * np.log(max_aspect))
    lo, hi = spec.size
    size = np.minimum(lo + (hi - lo) * u[:, SLOT.size], largest(aspect))
    centre = (u[:, SLOT.centre] * 2 - 1) * reach(size, aspect)[:, None]
    fg, bg = sample_colours(u[:, SLOT.colours], style, spec)
    w = u[:, SLOT.width]
    width = np.where(sketch, 0.015 + 0.085 * w**1.5, 0.02 + 0.08 * w)
    return ShapeParams(
        family=torch.from_numpy(drawn_family),
        shape=torch.from_numpy(shape),
        style=torch.from_numpy(style.astype(np.int64)),
        centre=torch.from_numpy(centre).float(),
        size=torch.from_numpy(size).float(),
        angle=torch.from_numpy(u[:, SLOT.angle] * 2 * math.pi).float(),
        mirror=torch.from_numpy(u[:, SLOT.mirror] < 0.5),
        aspect=torch.from_numpy(aspect).float(),
        fg=torch.from_numpy(fg).float(),
        bg=torch.from_numpy(bg).float(),
        width=torch.from_numpy(width).float(),
        hand=torch.from_numpy(u[:, SLOT.hand]).float(),
        hard=torch.from_numpy(u[:, SLOT.hard_edges] < spec.hard_edges),
        framed=torch.from_numpy(u[:, SLOT.framed] < spec.framed),
    )
