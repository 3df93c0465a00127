"""Rendering shapes and sampling pairs of them, in batches, straight into tensors.

Every random number comes from a counter-based hash of ``(seed, index, slot)``,
so pair ``i`` of a given seed is the same picture on every run, in any batch,
on any device (to float rounding): validation and test sets are fixed without
storing files.

A picture is an identity of :mod:`shapesim.shapes` (a family and its parameters)
drawn with a look: place, size, rotation, reflection, a small stretch, a style
(filled, outlined, or sketched as a hand would), colours, stroke width and
whether edges are anti-aliased. :func:`geometry` turns both into polylines in
pixels; :func:`render` rasterises them: in PyTorch on any device, and for large
batches on the CPU with the same rules compiled (:mod:`shapesim.fastdraw`).
Pictures are float32 RGB in [0, 1], shaped ``(B, 3, S, S)``.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch
from torch import Tensor

from .images import FILL
from .shapes import (
    FAMILY_NAMES,
    NAMED,
    TAU,
    check_families,
    draw_identities,
    identity_names,
    least_radius,
    near_misses,
    outline,
)

__all__ = [
    "STYLES",
    "COLOURS",
    "PRESETS",
    "PairSpec",
    "ShapeParams",
    "Strokes",
    "PairBatch",
    "PairGenerator",
    "preset",
    "sample_images",
    "geometry",
    "render",
    "colour_distance",
    "luma",
]

STYLES: tuple[str, ...] = ("fill", "outline", "sketch")
COLOURS: tuple[str, ...] = ("contrast", "equal-luma", "uniform")  # how a picture's two colours are drawn
MIN_VISIBLE = 0.08  # the smallest RGB distance between shape and ground a picture is drawn with
_SLOTS = 96  # random numbers reserved for one image
_HAND_POINTS = 96  # points along each stroke of a sketch


@dataclass(frozen=True)
class PairSpec:
    """What pictures look like and how pairs are made of them.

    ``families`` are the families of :mod:`shapesim.shapes` identities come from
    (each as likely as the others); ``named`` the named shapes the ``named``
    family may show. Sizes are the shape's radius as a fraction of half the image
    (0.5 fills half the width); aspect is the largest long/short axis ratio.
    ``colours`` are the shares of pictures whose colours differ in brightness by at
    least ``min_contrast`` (luma), of nearly equal brightness (red on purple), and
    drawn independently and uniformly, as the origin project does; ``hard_edges``
    the share drawn without anti-aliasing, as a plain rasteriser does. ``framed`` is
    the share of pictures drawn as :func:`shapesim.images.frame` shows a user's picture
    to the model (the ink's bounding box centred, its longest side about ``FILL`` of
    the picture); the others lie anywhere at any size.
    """

    families: tuple[str, ...] = FAMILY_NAMES
    named: tuple[str, ...] = NAMED
    styles: tuple[str, ...] = ("fill", "outline")
    size: tuple[float, float] = (0.15, 0.85)
    aspect: float = 1.15
    sketch_aspect: float = 1.25
    colours: tuple[float, float, float] = (0.6, 0.2, 0.2)
    min_contrast: float = 0.3
    hard_edges: float = 0.25
    framed: float = 0.0
    hard_negatives: float = 0.25
    hard_positives: float = 0.25

    def __post_init__(self) -> None:
        object.__setattr__(self, "families", check_families(tuple(self.families)))
        unknown = [n for n in self.named if n not in NAMED]
        if unknown:
            raise ValueError(f"unknown named shape {unknown}; valid named shapes: {', '.join(NAMED)}")
        object.__setattr__(self, "named", tuple(self.named))
        if "named" in self.families and not self.named:
            raise ValueError("the named family needs at least one named shape")
        if len(self.families) == 1 and (self.families[0] == "named" and len(self.named) < 2):
            raise ValueError(f"a pair spec needs at least two shapes to make different pairs, got {self.named}")
        if not self.families:
            raise ValueError("a pair spec needs at least one family")
        object.__setattr__(self, "styles", tuple(self.styles))
        bad = [s for s in self.styles if s not in STYLES]
        if bad or not self.styles:
            raise ValueError(f"unknown style {bad or '(none)'}; valid styles: {', '.join(STYLES)}")
        lo, hi = self.size
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"size must satisfy 0 < low <= high <= 1 (fraction of half the image), got {self.size}")
        if self.aspect < 1 or self.sketch_aspect < 1:
            raise ValueError("aspect ratios must be >= 1 (long axis / short axis)")
        if not 0 <= self.min_contrast <= 0.85:
            raise ValueError(f"min_contrast must be between 0 and 0.85 (luma difference), got {self.min_contrast}")
        if len(self.colours) != 3 or min(self.colours) < 0 or abs(sum(self.colours) - 1) > 1e-6:
            raise ValueError(f"colours must be three shares ({', '.join(COLOURS)}) adding up to 1, got {self.colours}")
        for name in ("hard_negatives", "hard_positives", "hard_edges", "framed"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {getattr(self, name)}")

    def without(self, holdout: tuple[str, ...] | list[str]) -> PairSpec:
        """The same spec without the ``holdout`` families and named shapes."""
        _check_names(holdout)
        return replace(
            self,
            families=tuple(f for f in self.families if f not in holdout),
            named=tuple(n for n in self.named if n not in holdout),
        )

    def only(self, names: tuple[str, ...] | list[str]) -> PairSpec:
        """The same spec with only these families and named shapes (a named shape implies its family)."""
        _check_names(names)
        named = tuple(n for n in self.named if n in names) or (self.named if "named" in names else ())
        families = tuple(f for f in self.families if f in names or (f == "named" and named))
        return replace(self, families=families, named=named or self.named)


def _check_names(names) -> None:
    unknown = [n for n in names if n not in FAMILY_NAMES and n not in NAMED]
    if unknown:
        raise ValueError(
            f"unknown family or named shape {unknown}; valid families: {', '.join(FAMILY_NAMES)}; "
            f"named shapes: {', '.join(NAMED)}"
        )


PRESETS: dict[str, PairSpec] = {
    # The origin project's data: a filled circle or square anywhere, of any size, in independent
    # uniform colours, half of them with the hard edges of a plain rasteriser; plain random pairs.
    "seed": PairSpec(families=("named",), named=("circle", "square"), styles=("fill",), colours=(0, 0, 1),
                     hard_edges=0.5, hard_negatives=0.0, hard_positives=0.0),
    # The nine named shapes, filled and outlined; most pictures as framing shows them.
    "shapes": PairSpec(families=("named",), framed=0.6),
    # The nine named shapes drawn by hand: dark wobbly strokes on a light background.
    "sketch": PairSpec(families=("named",), styles=("sketch",), framed=0.6),
    # The nine named shapes in every style.
    "mixed": PairSpec(families=("named",), styles=STYLES, framed=0.6),
    # Shapes without end: every family in every style; what the bundled model trains on (some held out).
    "open": PairSpec(styles=STYLES, framed=0.6),
}  # fmt: skip


def preset(name: str, holdout: tuple[str, ...] | list[str] = ()) -> PairSpec:
    """The named preset, optionally without some families or named shapes."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    spec = PRESETS[name]
    return spec.without(holdout) if holdout else spec


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
        col = np.arange(n, dtype=np.uint64)[None, :] + np.uint64(stream * _SLOTS)
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


def _sample_colours(u: np.ndarray, style: np.ndarray, spec: PairSpec) -> tuple[np.ndarray, np.ndarray]:
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


def _largest(aspect):
    """The largest size (radius, a fraction of half the image) at which a shape of this aspect fits."""
    return 0.95 / np.sqrt(aspect)


def _reach(size, aspect):
    """How far from the middle a shape's centre may go and keep the shape in the picture."""
    return (1 - size * aspect**0.5 - 0.04).clip(0, None)


def _choose(u: np.ndarray, names: tuple[str, ...], vocabulary: tuple[str, ...]) -> np.ndarray:
    allowed = np.array([vocabulary.index(n) for n in names])
    return allowed[np.minimum((u * len(allowed)).astype(np.int64), len(allowed) - 1)]


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
    u = uniforms(seed, index, stream, _SLOTS)
    drawn_family, drawn_shape = draw_identities(u[:, 48:81], spec.families, spec.named, family)
    shape = drawn_shape if shape is None else np.asarray(shape, dtype=np.float64)
    style = _choose(u[:, 1], spec.styles, STYLES) if style is None else np.asarray(style, dtype=np.int64)
    sketch = style == STYLES.index("sketch")
    max_aspect = np.where(sketch, spec.sketch_aspect, spec.aspect)
    aspect = np.exp(u[:, 2] * np.log(max_aspect))
    lo, hi = spec.size
    size = np.minimum(lo + (hi - lo) * u[:, 3], _largest(aspect))
    centre = (u[:, 4:6] * 2 - 1) * _reach(size, aspect)[:, None]
    fg, bg = _sample_colours(u[:, 10:27], style, spec)
    width = np.where(sketch, 0.015 + 0.085 * u[:, 7] ** 1.5, 0.02 + 0.08 * u[:, 7])
    return ShapeParams(
        family=torch.from_numpy(drawn_family),
        shape=torch.from_numpy(shape),
        style=torch.from_numpy(style.astype(np.int64)),
        centre=torch.from_numpy(centre).float(),
        size=torch.from_numpy(size).float(),
        angle=torch.from_numpy(u[:, 6] * 2 * math.pi).float(),
        mirror=torch.from_numpy(u[:, 8] < 0.5),
        aspect=torch.from_numpy(aspect).float(),
        fg=torch.from_numpy(fg).float(),
        bg=torch.from_numpy(bg).float(),
        width=torch.from_numpy(width).float(),
        hand=torch.from_numpy(u[:, 30:46]).float(),
        hard=torch.from_numpy(u[:, 9] < spec.hard_edges),
        framed=torch.from_numpy(u[:, 27] < spec.framed),
    )


# ----------------------------------------------------------------------------- geometry


@dataclass
class Strokes:
    """What the rasterisers draw: each picture's contours as polylines in pixels (x right, y down,
    pixel centres at k + 0.5), with the half-width of the pen at every point."""

    points: Tensor  # (n, C, M, 2) float32
    count: Tensor  # (n, C) int64: points each contour uses (0: none)
    closed: Tensor  # (n, C) bool: its last point joins its first
    half: Tensor  # (n, C, M) float32: half the stroke's width at each point, pixels
    fill: Tensor  # (n,) bool: closed contours are filled (even-odd); otherwise every contour is stroked
    hard: Tensor  # (n,) bool: hard edges

    def to(self, device) -> Strokes:
        return Strokes(*(getattr(self, f.name).to(device) for f in fields(self)))


def geometry(params: ShapeParams, image_size: int) -> Strokes:
    """The polylines of every picture: its identity's outline, drawn by hand for the sketch style,
    then mirrored, stretched, turned, scaled and placed in a picture of ``image_size`` pixels. A shape
    whose finest feature would be under a pixel deep at its size (:func:`shapesim.shapes.least_radius`)
    is drawn that much larger, moved in if need be to stay in the picture."""
    o = outline(params.family.numpy(), params.shape.numpy())
    points, count, closed = o.points, o.count, o.closed
    pressure = np.ones(points.shape[:3])
    sketch = (params.style == STYLES.index("sketch")).numpy()
    if sketch.any():
        drawn, drawn_count, drawn_pressure = _by_hand(o, params.hand.numpy().astype(np.float64), sketch)
        m = max(points.shape[2], _HAND_POINTS)
        points, pressure = _pad(points, m), _pad(pressure[..., None], m)[..., 0]
        points[sketch], pressure[sketch] = _pad(drawn, m), _pad(drawn_pressure[..., None], m)[..., 0]
        count = count.copy()
        count[sketch] = drawn_count
    s = image_size / 2
    x, y = points[..., 0], points[..., 1]
    x = np.where(params.mirror.numpy()[:, None, None], -x, x)
    aspect = params.aspect.numpy().astype(np.float64)
    stretch = np.sqrt(aspect)[:, None, None]
    x, y = x * stretch, y / stretch
    a = params.angle.numpy().astype(np.float64)[:, None, None]
    x, y = x * np.cos(a) - y * np.sin(a), x * np.sin(a) + y * np.cos(a)
    # never so small that the finest feature of the shape is under a pixel (a small decagon is a circle)
    least = least_radius(params.family.numpy(), params.shape.numpy()) * np.sqrt(aspect) / s  # the short axis too
    size = np.maximum(params.size.numpy().astype(np.float64), np.minimum(least, _largest(aspect)))
    centre = params.centre.numpy().astype(np.float64)
    reach = _reach(size, aspect)[:, None]
    centre = np.clip(centre, -reach, reach)
    r = size[:, None, None]
    cx, cy = (centre[:, None, None, i] for i in (0, 1))
    px, py = (x * r + cx + 1) * s, (1 - (y * r + cy)) * s
    half = params.width.numpy().astype(np.float64)[:, None, None] * image_size / 2 * pressure
    framed = params.framed.numpy()
    if framed.any():
        px[framed], py[framed], half[framed] = _as_framed(
            px[framed], py[framed], half[framed], count[framed], params, framed, image_size
        )
    return Strokes(
        points=torch.from_numpy(np.stack([px, py], -1).astype(np.float32)),
        count=torch.from_numpy(count.astype(np.int64)),
        closed=torch.from_numpy(closed),
        half=torch.from_numpy(half.astype(np.float32)),
        fill=params.style == STYLES.index("fill"),
        hard=params.hard.clone(),
    )


def _as_framed(px, py, half, count, params: ShapeParams, rows: np.ndarray, image_size: int):
    """Drawings moved and scaled as :func:`shapesim.images.frame` shows a picture: the ink's bounding box
    (the pen's width included) centred, its longest side ``FILL`` of the picture; the picture's size
    (0.15-0.85 → ×0.88-1.12) and centre (→ up to 2 pixels) only jitter that. The pen keeps its width:
    the picture is drawn at the framed size, not enlarged (which would swell a small drawing's strokes)."""
    used = np.arange(px.shape[2])[None, None, :] < count[:, :, None]
    pen = np.where(used, half, 0).max(axis=(1, 2))
    box = [np.where(used, v, sign * np.inf) for v in (px, py) for sign in (1, -1)]
    x0, x1, y0, y1 = box[0].min(axis=(1, 2)), box[1].max(axis=(1, 2)), box[2].min(axis=(1, 2)), box[3].max(axis=(1, 2))
    side = np.maximum(x1 - x0, y1 - y0)
    jitter = 0.88 + 0.24 * (params.size.numpy()[rows] - 0.15) / 0.7
    room = np.maximum(FILL * image_size * jitter - 2 * pen, 0.3 * FILL * image_size)  # for the outline, inside the pen
    scale = (room / np.maximum(side, 1e-9))[:, None, None]
    shift = params.centre.numpy()[rows].astype(np.float64) * 2
    mx, my = ((x0 + x1) / 2)[:, None, None], ((y0 + y1) / 2)[:, None, None]
    cx, cy = image_size / 2 + shift[:, 0, None, None], image_size / 2 - shift[:, 1, None, None]
    return (px - mx) * scale + cx, (py - my) * scale + cy, half


def _pad(a: np.ndarray, m: int) -> np.ndarray:
    """``a`` (n, C, k, ...) with room for ``m >= k`` points along axis 2, the last one repeated."""
    if a.shape[2] >= m:
        return a.copy()
    return np.concatenate([a, np.repeat(a[:, :, -1:], m - a.shape[2], axis=2)], axis=2)


def _by_hand(o, hand: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How a hand draws the outlines of pictures ``rows``: each contour one stroke of ``_HAND_POINTS``
    points that starts anywhere on a closed contour and stops short of its start or runs past it,
    drifting, with a low wobble, in a plane a little bent, pressing unevenly.

    Returns the points ``(r, C, M, 2)``, counts ``(r, C)`` and pen pressure ``(r, C, M)``.
    """
    r, c, k, _ = o.points[rows].shape
    m = _HAND_POINTS
    pic, con = np.nonzero(o.count[rows] > 0)  # the contours there are, one row each
    pts, count, closed = o.points[rows][pic, con], o.count[rows][pic, con], o.closed[rows][pic, con]
    h = hand[rows][pic]
    # the polyline as drawn, a closed contour back to its first point; its length so far at each point
    loop = np.concatenate([pts, pts[:, :1]], axis=1)  # (R, k + 1, 2)
    ends = np.arange(k + 1)[None, :] == count[:, None]
    loop[ends & closed[:, None]] = pts[closed, 0]
    used = np.arange(1, k + 1)[None, :] <= np.where(closed, count, count - 1)[:, None]
    along = np.zeros((len(pts), k + 1))
    np.cumsum(np.hypot(*np.diff(loop, axis=1).transpose(2, 0, 1)) * used, axis=1, out=along[:, 1:])
    total = np.maximum(along[:, -1:], 1e-9)
    # where the pen goes, as a fraction of the contour: from a random start once round (a closed
    # contour, with a gap or an overshoot of up to a sixth) or end to end (an open one)
    t = np.linspace(0, 1, m)[None, :]
    start = (h[:, 0:1] + 0.37 * con[:, None]) % 1
    end = np.where(h[:, 12:13] < 0.5, -0.12 * h[:, 13:14], 0.18 * h[:, 13:14])
    frac = np.where(
        closed[:, None], (start + t * (1 + end)) % 1, np.clip(0.02 * h[:, 1:2] + t * (0.96 + 0.02 * h[:, 2:3]), 0, 1)
    )
    at = frac * total
    # interpolate every contour at once: offset each row's distances so that all are one sorted array
    offset = np.arange(len(pts))[:, None] * (float(total.max()) * 2 + 1)
    i = np.searchsorted((along + offset).ravel(), (at + offset).ravel(), side="right").reshape(at.shape) - 1
    i = np.clip(i - np.arange(len(pts))[:, None] * (k + 1), 0, k - 1)
    a0, a1 = np.take_along_axis(along, i, 1), np.take_along_axis(along, i + 1, 1)
    w = np.clip((at - a0) / np.maximum(a1 - a0, 1e-12), 0, 1)
    x0, y0 = np.take_along_axis(loop[..., 0], i, 1), np.take_along_axis(loop[..., 1], i, 1)
    x = x0 + (np.take_along_axis(loop[..., 0], i + 1, 1) - x0) * w
    y = y0 + (np.take_along_axis(loop[..., 1], i + 1, 1) - y0) * w
    # wobble across the stroke (harmonics 2-4 along it) and a drift that grows to its end
    tx, ty = np.gradient(x, axis=1), np.gradient(y, axis=1)
    norm = np.maximum(np.hypot(tx, ty), 1e-12)
    wobble = sum(
        (
            (h[:, 2 * j - 3 : 2 * j - 2] * 2 - 1) * np.cos(TAU * j * t)
            + (h[:, 2 * j - 2 : 2 * j - 1] * 2 - 1) * np.sin(TAU * j * t)
        )
        / j
        for j in (2, 3, 4)
    )
    shift = 0.05 * wobble + (h[:, 9:10] * 2 - 1) * 0.08 * t * closed[:, None]
    x, y = x - ty / norm * shift, y + tx / norm * shift
    # a hand is not a ruler: bend the whole plane a little (a smooth warp, one sine wave per axis)
    x = x + 0.05 * np.sin((1.5 + 2 * h[:, 14:15]) * y + 6.3 * h[:, 15:16])
    y = y + 0.05 * np.sin((1.5 + 2 * h[:, 15:16]) * x + 6.3 * h[:, 14:15])
    points, pressure = np.zeros((r, c, m, 2)), np.ones((r, c, m))
    points[pic, con] = np.stack([x, y], -1)
    pressure[pic, con] = 1 + 0.35 * np.cos(TAU * 3 * t + TAU * h[:, 10:11])
    return points, np.where(o.count[rows] > 0, m, 0), pressure


# ----------------------------------------------------------------------------- rasterising

_CHUNK = 64  # pictures drawn at once: keeps the per-pixel tensors in the CPU's cache
# From this many pictures on the CPU, the compiled loops of shapesim.fastdraw draw them (several
# times faster); fewer are drawn here, without importing numba (0.4 s) or compiling them (half a
# minute, once per checkout).
COMPILED_FROM = 64
HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def render(
    params: ShapeParams, image_size: int, device: torch.device | str | None = None, compiled: bool | None = None
) -> Tensor:
    """Draw each picture described by ``params``: ``(B, 3, image_size, image_size)`` float32 in [0, 1].

    ``compiled`` chooses :mod:`shapesim.fastdraw`'s loops (CPU only, the same pictures to
    float rounding) over this module's PyTorch; None means: for ``COMPILED_FROM`` or more
    pictures on the CPU, when numba is installed.
    """
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    device = torch.device(device or "cpu")
    if compiled is None:
        compiled = device.type == "cpu" and len(params) >= COMPILED_FROM and HAVE_NUMBA
    if compiled and device.type != "cpu":
        raise ValueError(f"the compiled renderer draws on the CPU only, not on {device}")
    strokes = geometry(params, image_size)
    if compiled:
        from .fastdraw import draw  # numba: imported only for large CPU batches

        return draw(strokes, params.fg, params.bg, image_size)
    strokes = strokes.to(device)
    cover = torch.cat([coverage(_rows(strokes, i), image_size) for i in range(0, len(params), _CHUNK)])
    fg, bg = params.fg.to(device), params.bg.to(device)
    return torch.addcmul(bg[:, :, None, None], cover[:, None], (fg - bg)[:, :, None, None])


def _rows(s: Strokes, i: int) -> Strokes:
    return Strokes(*(getattr(s, f.name)[i : i + _CHUNK] for f in fields(s)))


def coverage(s: Strokes, image_size: int) -> Tensor:
    """How much ink covers each pixel, ``(n, S, S)`` in [0, 1], in PyTorch on the strokes' device.

    A stroked segment covers a pixel whose centre lies within the pen's half-width of it (anti-aliased:
    by ``half + 0.5 - distance``); a filled picture covers what its closed contours enclose by the
    even-odd rule (a ray to the right crosses an odd number of them; anti-aliased by ``0.5 ∓ distance``
    to the nearest). The compiled renderer follows these same rules.
    """
    n, c, m = s.count.shape[0], s.count.shape[1], s.points.shape[2]
    dev = s.points.device
    grid = torch.arange(image_size, device=dev, dtype=torch.float32) + 0.5
    px, py = grid.view(1, 1, -1), grid.view(1, -1, 1)
    cover = torch.zeros(n, image_size, image_size, device=dev)
    near = torch.full((n, image_size, image_size), float("inf"), device=dev)
    inside = torch.zeros(n, image_size, image_size, dtype=torch.bool, device=dev)
    hard = s.hard.view(-1, 1, 1)
    per = lambda t: t.view(-1, 1, 1)  # noqa: E731
    rows = torch.arange(n, device=dev)
    for k in range(c):
        count, closed = s.count[:, k], s.closed[:, k]
        for j in range(int(count.max())):
            # segment j joins point j to the next one; a closed contour's last point joins its first
            joined = j + 1 < count
            closing = closed & (j == count - 1) & (count >= 3)
            valid = joined | closing
            if not bool(valid.any()):
                continue
            nxt = torch.where(joined, torch.full_like(count, j + 1), torch.zeros_like(count)).clamp(max=m - 1)
            a, b = s.points[:, k, j], s.points[rows, k, nxt]
            ha, hb = s.half[:, k, j], s.half[rows, k, nxt]
            ax, ay, bx, by = per(a[:, 0]), per(a[:, 1]), per(b[:, 0]), per(b[:, 1])
            ex, ey = bx - ax, by - ay
            wx, wy = px - ax, py - ay
            t = ((wx * ex + wy * ey) / (ex * ex + ey * ey).clamp(min=1e-12)).clamp(0, 1)
            dx, dy = wx - t * ex, wy - t * ey
            d = torch.sqrt(dx * dx + dy * dy)
            stroked = valid & ~(s.fill & closed)
            if bool(stroked.any()):
                h = per(ha) + t * per(hb - ha)
                ink = torch.where(hard, (d <= h).float(), (h + 0.5 - d).clamp(0, 1))
                cover = torch.maximum(cover, ink * per(stroked))
            edge = valid & s.fill & closed & (count >= 3)
            if bool(edge.any()):
                near = torch.where(per(edge), torch.minimum(near, d), near)
                across = (ay <= py) != (by <= py)
                x_at = ax + (py - ay) * ex / torch.where(ey == 0, torch.ones_like(ey), ey)
                inside ^= per(edge) & across & (px < x_at)
    area = torch.where(inside, (0.5 + near).clamp(0, 1), (0.5 - near).clamp(0, 1))
    area = torch.where(hard, inside.float(), area)
    return torch.maximum(cover, area * per(s.fill))


# ----------------------------------------------------------------------------- pairs

_STREAM_PAIR, _STREAM_A, _STREAM_B, _STREAM_HARD = 0, 1, 2, 3
HARD_NONE, HARD_NEGATIVE, HARD_POSITIVE = 0, 1, 2


@dataclass
class PairBatch:
    """A batch of pairs: pictures on the generator's device, metadata on the CPU."""

    a: Tensor  # (B, 3, S, S)
    b: Tensor  # (B, 3, S, S)
    label: Tensor  # (B,) float32: 1 = same shape
    index: np.ndarray  # (B,) pair indices
    params_a: ShapeParams
    params_b: ShapeParams
    hard: np.ndarray  # (B,) HARD_NONE, HARD_NEGATIVE or HARD_POSITIVE

    def identities(self) -> Tensor:
        """``(2B,)`` int64 identity numbers of pictures a then b: equal numbers, the same shape."""
        return self.params_a.concat(self.params_b).identities()

    def pictures(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``i`` as two ``(S, S, 3)`` uint8 RGB pictures, as a file would hold them."""
        to_uint8 = lambda t: (t.permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)  # noqa: E731
        return to_uint8(self.a[i]), to_uint8(self.b[i])

    def caption(self, i: int) -> str:
        """Pair ``i`` in words: "regular 7-gon (sketch) and regular 6-gon (fill)"."""
        a, b = self.params_a.describe(i), self.params_b.describe(i)
        return f"{a['shape']} ({a['style']}) and {b['shape']} ({b['style']})"

    def describe(self, i: int) -> dict:
        """Plain-data metadata of pair ``i``: label, both pictures' shapes, styles and colours."""
        kind = ("random", "hard negative", "hard positive")[int(self.hard[i])]
        return {
            "index": int(self.index[i]),
            "label": int(self.label[i]),
            "kind": kind,
            "a": self.params_a.describe(i),
            "b": self.params_b.describe(i),
        }


@dataclass
class PairGenerator:
    """Pairs of pictures: pair ``i`` of ``seed`` is always the same pair.

    Labels are exactly balanced over every aligned block of two indices. A
    positive shows one identity twice, each picture with its own look; a
    negative two identities. A share of negatives are hard (the second picture
    copies the first's look, and its identity is a near miss of the first's:
    a heptagon for a hexagon, one part moved) and a share of positives are hard
    (the same identity, everything else pushed apart: other style, swapped
    colours, opposite size, another turn).
    """

    spec: PairSpec | str = "shapes"
    image_size: int = 64
    seed: int = 0
    device: torch.device | str | None = None
    holdout: tuple[str, ...] = field(default=())
    compiled: bool | None = None  # which renderer: see render()

    def __post_init__(self) -> None:
        if isinstance(self.spec, str):
            self.spec = preset(self.spec)
        if self.holdout:
            self.spec = self.spec.without(self.holdout)
        if not isinstance(self.image_size, int) or self.image_size < 8:
            raise ValueError(f"image_size must be an integer >= 8, got {self.image_size!r}")
        self.device = torch.device(self.device or "cpu")

    def params(self, index: np.ndarray | list[int] | range) -> tuple[ShapeParams, ShapeParams, np.ndarray, np.ndarray]:
        """Parameters of pairs ``index``: (params_a, params_b, labels, hardness)."""
        index = np.asarray(index, dtype=np.int64)
        if index.ndim != 1:
            raise ValueError("index must be one-dimensional")
        spec = self.spec
        u = uniforms(self.seed, index, _STREAM_PAIR, 4)
        flip = uniforms(self.seed, index // 2, _STREAM_HARD, 1)[:, 0] < 0.5
        label = ((index % 2) ^ flip).astype(np.int64)
        hard = np.full(len(index), HARD_NONE)
        hard[(label == 0) & (u[:, 2] < spec.hard_negatives)] = HARD_NEGATIVE
        hard[(label == 1) & (u[:, 2] < spec.hard_positives)] = HARD_POSITIVE

        a = sample_images(spec, self.seed, index, _STREAM_A)
        # b: its own look and its own identity, unless the label says otherwise
        b_style = _choose(uniforms(self.seed, index, _STREAM_B, 2)[:, 1], spec.styles, STYLES)
        styles = np.array([STYLES.index(s) for s in spec.styles])
        position = np.argmax(styles[None, :] == a.style.numpy()[:, None], axis=1)
        b_style = np.where(hard == HARD_POSITIVE, styles[(position + 1) % len(styles)], b_style)
        b = sample_images(spec, self.seed, index, _STREAM_B, style=b_style)
        family, shape = b.family.numpy().copy(), b.shape.numpy().copy()
        same = label == 1
        family[same], shape[same] = a.family.numpy()[same], a.shape.numpy()[same]
        near = hard == HARD_NEGATIVE
        if near.any():
            family[near], shape[near] = near_misses(
                a.family.numpy()[near], a.shape.numpy()[near], u[near, 3], spec.named
            )
        clash = (label == 0) & (family == a.family.numpy()) & (shape == a.shape.numpy()).all(1)
        if clash.any():  # a family with a list of identities drew the same one twice: take the next
            family[clash], shape[clash] = near_misses(
                family[clash], shape[clash], u[clash, 3], spec.named, any_other=True
            )
        b = replace(b, family=torch.from_numpy(family), shape=torch.from_numpy(shape))
        b = b.where(torch.from_numpy(near), replace(a, family=b.family, shape=b.shape))
        b = b.where(torch.from_numpy(hard == HARD_POSITIVE), self._push_apart(a, b, u[:, 3]))
        return a, b, label, hard

    def _push_apart(self, a: ShapeParams, b: ShapeParams, u: np.ndarray) -> ShapeParams:
        """``b`` moved away from ``a``: the opposite size, another angle, swapped colours."""
        lo, hi = self.spec.size
        ink = STYLES.index("sketch")
        swap = (a.style != ink) & (b.style != ink)  # ink stays dark on light
        size = torch.minimum(lo + hi - a.size, 0.95 / torch.sqrt(b.aspect))
        # Keep b's relative place but within the reach of its new size.
        unit = b.centre / _reach(b.size, b.aspect).clamp(min=1e-6)[:, None]
        return replace(
            b,
            size=size,
            centre=unit * _reach(size, b.aspect)[:, None],
            angle=a.angle + math.pi / 4 + torch.from_numpy(u).float() * math.pi / 2,
            fg=torch.where(swap[:, None], a.bg, b.fg),
            bg=torch.where(swap[:, None], a.fg, b.bg),
        )

    def batch(self, index: np.ndarray | list[int] | range) -> PairBatch:
        """Render pairs ``index`` on the generator's device."""
        a, b, label, hard = self.params(index)
        # One render call for both sides: fewer, larger operations.
        both = render(a.concat(b), self.image_size, self.device, self.compiled)
        return PairBatch(
            a=both[: len(a)],
            b=both[len(a) :],
            label=torch.from_numpy(label).float().to(self.device),
            index=np.asarray(index, dtype=np.int64),
            params_a=a,
            params_b=b,
            hard=hard,
        )

    def __call__(self, start: int, size: int) -> PairBatch:
        """Pairs ``start .. start + size - 1``."""
        return self.batch(np.arange(start, start + size))
