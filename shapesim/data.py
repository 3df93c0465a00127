"""Rendering shapes and sampling pairs of them, in batches, straight into tensors.

Every random number comes from a counter-based hash of ``(seed, index, slot)``,
so pair ``i`` of a given seed is the same picture on every run, in any batch,
on any device (to float rounding): validation and test sets are fixed without
storing files.

Pictures are float32 RGB in [0, 1], shaped ``(B, 3, S, S)``. :func:`render`
draws them in PyTorch on any device; large batches on the CPU go through the
same formulas compiled (:mod:`shapesim.fastdraw`).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch
from torch import Tensor

from .shapes import CLASSES, check_classes, signed_distance

__all__ = [
    "STYLES",
    "PRESETS",
    "PairSpec",
    "ShapeParams",
    "PairBatch",
    "PairGenerator",
    "preset",
    "sample_images",
    "render",
]

STYLES: tuple[str, ...] = ("fill", "outline", "sketch")
_SLOTS = 64  # random numbers reserved for one image
_HARMONICS = 3  # wobble of a sketched contour: harmonics 2..4 of the angle


@dataclass(frozen=True)
class PairSpec:
    """What pictures look like and how pairs are made of them.

    Sizes are the shape's radius as a fraction of half the image (0.5 fills
    half the width); aspect is the largest long/short axis ratio; contrast is
    the smallest luma difference between shape and background (0-1).
    """

    classes: tuple[str, ...] = CLASSES
    styles: tuple[str, ...] = ("fill", "outline")
    size: tuple[float, float] = (0.35, 0.85)
    aspect: float = 1.15
    sketch_aspect: float = 1.4
    min_contrast: float = 0.3
    hard_negatives: float = 0.25
    hard_positives: float = 0.25

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", check_classes(tuple(self.classes)))
        if len(set(self.classes)) < 2:
            raise ValueError(f"a pair spec needs at least two classes to make different pairs, got {self.classes}")
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
        for name in ("hard_negatives", "hard_positives"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, got {getattr(self, name)}")

    def without(self, holdout: tuple[str, ...] | list[str]) -> PairSpec:
        """The same spec with the ``holdout`` classes removed."""
        holdout = check_classes(tuple(holdout))
        return replace(self, classes=tuple(c for c in self.classes if c not in holdout))

    def only(self, classes: tuple[str, ...] | list[str]) -> PairSpec:
        return replace(self, classes=check_classes(tuple(classes)))


PRESETS: dict[str, PairSpec] = {
    # The seed's data: circles and squares, filled, random colours, plain random pairs.
    "seed": PairSpec(classes=("circle", "square"), styles=("fill",), hard_negatives=0.0, hard_positives=0.0),
    # The whole vocabulary, filled and outlined, random colours.
    "shapes": PairSpec(),
    # The whole vocabulary drawn by hand: dark wobbly strokes on a light background.
    "sketch": PairSpec(styles=("sketch",)),
    # Everything at once; what the bundled model trains on.
    "mixed": PairSpec(styles=STYLES),
}


def preset(name: str, holdout: tuple[str, ...] | list[str] = ()) -> PairSpec:
    """The named preset, optionally with some classes held out."""
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

    cls: Tensor  # (B,) int64 index into CLASSES
    style: Tensor  # (B,) int64 index into STYLES
    centre: Tensor  # (B, 2) in [-1, 1], y up
    size: Tensor  # (B,) radius as a fraction of half the image
    angle: Tensor  # (B,) rotation in radians
    aspect: Tensor  # (B,) long/short axis ratio >= 1
    shape: Tensor  # (B, 6) class-specific parameters (triangle vertices, star depth ...)
    fg: Tensor  # (B, 3) RGB of the shape
    bg: Tensor  # (B, 3) RGB of the background
    width: Tensor  # (B,) stroke width as a fraction of the image side
    stroke: Tensor  # (B, 16) hand-drawing parameters, used by the sketch style only

    def __len__(self) -> int:
        return int(self.cls.shape[0])

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

    def describe(self, i: int) -> dict:
        """Plain-data metadata of picture ``i``."""
        return {
            "class": CLASSES[int(self.cls[i])],
            "style": STYLES[int(self.style[i])],
            "centre": [round(float(v), 4) for v in self.centre[i]],
            "size": round(float(self.size[i]), 4),
            "angle": round(float(self.angle[i]), 4),
            "aspect": round(float(self.aspect[i]), 4),
            "fg": [round(float(v), 4) for v in self.fg[i]],
            "bg": [round(float(v), 4) for v in self.bg[i]],
        }


_LUMA = np.array([0.299, 0.587, 0.114])


def luma(rgb: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Rec. 601 luma of RGB values in [0, 1] (last axis is the channel)."""
    w = _LUMA if isinstance(rgb, np.ndarray) else torch.tensor(_LUMA, dtype=rgb.dtype, device=rgb.device)
    return (rgb * w).sum(-1)


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


def _sample_colours(u: np.ndarray, style: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and background colours whose lumas differ by at least ``c``."""
    # Random colours: a background luma that leaves room for contrast on some
    # side, then a foreground luma uniform over what is at least c away from it.
    bg_l = u[:, 0] if c <= 0.5 else _uniform_outside(u[:, 0], np.full(len(u), 1 - c), np.full(len(u), c))
    fg_l = _uniform_outside(u[:, 1], np.maximum(bg_l - c, 0), np.minimum(bg_l + c, 1))
    # Ink on paper (the sketch style): a dark stroke on a light, barely tinted background.
    ink = style == STYLES.index("sketch")
    paper_l = 0.88 + 0.12 * u[:, 0]
    ink_l = np.minimum(0.3, paper_l - c) * u[:, 1]
    bg_l, fg_l = np.where(ink, paper_l, bg_l), np.where(ink, ink_l, fg_l)
    bg = _colour_with_luma(bg_l, u[:, 4:7], np.where(ink, 0.3, 1.0) * u[:, 2])
    fg = _colour_with_luma(fg_l, u[:, 7:10], u[:, 3])
    return fg, bg


def _triangle_vertices(u: np.ndarray) -> np.ndarray:
    """Triangles of every proportion: thin, flat, tall, skewed; scaled to touch the unit circle."""
    height = 0.45 + 1.35 * u[:, 0]  # relative to a half-base of 1
    apex = (u[:, 1] * 2 - 1) * 1.1  # apex x offset
    v = np.stack(
        [-np.ones_like(height), np.zeros_like(height), np.ones_like(height), np.zeros_like(height), apex, height], 1
    )
    v = v.reshape(-1, 3, 2)
    v = v - v.mean(axis=1, keepdims=True)
    v = v / np.linalg.norm(v, axis=2).max(axis=1)[:, None, None]
    return v.reshape(-1, 6)


def _shape_params(cls: np.ndarray, u: np.ndarray) -> np.ndarray:
    out = np.zeros((len(cls), 6))
    name = np.array(CLASSES)[cls]
    out[:] = _triangle_vertices(u[:, :2]) * (name == "triangle")[:, None]
    one = np.select(
        [name == "star", name == "cross", name == "crescent", name == "arrow"],
        [0.38 + 0.12 * u[:, 2], 0.22 + 0.1 * u[:, 2], 0.35 + 0.25 * u[:, 2], 0.14 + 0.1 * u[:, 2]],
        default=0.0,
    )
    out[:, 0] = np.where(name == "triangle", out[:, 0], one)
    return out


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
    cls: np.ndarray | None = None,
    style: np.ndarray | None = None,
) -> ShapeParams:
    """Parameters of single pictures ``index``; class and style are drawn from ``spec`` unless given."""
    index = np.asarray(index, dtype=np.int64)
    u = uniforms(seed, index, stream, _SLOTS)
    cls = _choose(u[:, 0], spec.classes, CLASSES) if cls is None else np.asarray(cls, dtype=np.int64)
    style = _choose(u[:, 1], spec.styles, STYLES) if style is None else np.asarray(style, dtype=np.int64)
    sketch = style == STYLES.index("sketch")
    max_aspect = np.where(sketch, spec.sketch_aspect, spec.aspect)
    aspect = np.exp(u[:, 2] * np.log(max_aspect))
    lo, hi = spec.size
    size = np.minimum(lo + (hi - lo) * u[:, 3], 0.95 / np.sqrt(aspect))
    centre = (u[:, 4:6] * 2 - 1) * _reach(size, aspect)[:, None]
    angle = u[:, 6] * 2 * math.pi
    fg, bg = _sample_colours(u[:, 10:20], style, spec.min_contrast)
    width = np.where(sketch, 0.015 + 0.085 * u[:, 20] ** 1.5, 0.02 + 0.08 * u[:, 20])
    stroke = u[:, 30:46]
    return ShapeParams(
        cls=torch.from_numpy(cls),
        style=torch.from_numpy(style.astype(np.int64)),
        centre=torch.from_numpy(centre).float(),
        size=torch.from_numpy(size).float(),
        angle=torch.from_numpy(angle).float(),
        aspect=torch.from_numpy(aspect).float(),
        shape=torch.from_numpy(_shape_params(cls, u[:, 21:24])).float(),
        fg=torch.from_numpy(fg).float(),
        bg=torch.from_numpy(bg).float(),
        width=torch.from_numpy(width).float(),
        stroke=torch.from_numpy(stroke).float(),
    )


# ----------------------------------------------------------------------------- rendering


def _sketch_coverage(x: Tensor, y: Tensor, d: Tensor, radius: Tensor, width: Tensor, s: Tensor) -> Tensor:
    """Ink coverage of a hand-drawn contour: one wobbly stroke of uneven width that
    starts at a random angle and either stops short (a gap) or runs past its start
    (an overshoot), drifting outwards as a hand does.

    ``x, y`` are local coordinates and ``d`` the signed distance in pixels (n, S, S);
    ``radius`` and ``width`` are in pixels and ``s`` the stroke parameters, (n, 1, 1[, k]).
    """
    start = s[..., 0] * 2 * math.pi
    cs, sn = torch.cos(start), torch.sin(start)
    # Coordinates turned so that the stroke starts at angle -pi; t runs 0 .. 2 pi along it.
    xr, yr = torch.addcmul(x * cs, y, sn), torch.addcmul(y * cs, x, sn, value=-1)
    t = torch.atan2(yr, xr).add_(math.pi)
    inv = torch.addcmul(xr * xr, yr, yr).sqrt_().clamp_(min=1e-6).reciprocal_()
    c1, s1 = xr * inv, yr * inv  # cos t', sin t'
    # Low-frequency wobble of the contour: harmonics 2.. with amplitudes falling as 1/k.
    ck, sk = c1, s1
    wobble = torch.zeros_like(d)
    for k in range(2, 2 + _HARMONICS):
        ck, sk = torch.addcmul(ck * c1, sk, s1, value=-1), torch.addcmul(sk * c1, ck, s1)
        a, b = (s[..., 2 * k - 3] * 2 - 1) / k, (s[..., 2 * k - 2] * 2 - 1) / k
        wobble = wobble.addcmul_(ck, a).addcmul_(sk, b)
        if k == 3:
            c3, s3 = ck, sk
    # Uneven pressure: the width follows another mix of the third harmonic.
    phase = s[..., 10] * 2 * math.pi
    half = width / 2 * (1 + 0.35 * torch.addcmul(c3 * torch.cos(phase), s3, torch.sin(phase)))
    drift = (s[..., 9] * 2 - 1) * radius * 0.08  # how far the stroke has moved when it comes back
    end = torch.where(s[..., 12] < 0.5, -0.6 * s[..., 13], 1.0 * s[..., 13])  # < 0: a gap, > 0: an overshoot
    off = torch.addcmul(d, wobble, radius * 0.05, value=-1).addcmul_(t, drift / (2 * math.pi), value=-1)
    ink = (half + 0.5 - off.abs()).clamp_(0, 1).mul_(t < 2 * math.pi + end.clamp(max=0))
    if (end > 0).any():
        again = (half + 0.5 - (off - drift).abs_()).clamp_(0, 1).mul_(t < end.clamp(min=0))
        ink = torch.maximum(ink, again)
    return ink


_CHUNK = 64  # pictures drawn at once: keeps the per-pixel tensors in the CPU's cache
# From this many pictures on the CPU, the compiled loops of shapesim.fastdraw draw them (2-4x
# faster); fewer are drawn here, without importing numba (0.4 s) or compiling them (half a
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
    if compiled:
        if device.type != "cpu":
            raise ValueError(f"the compiled renderer draws on the CPU only, not on {device}")
        from .fastdraw import render as draw_compiled

        return draw_compiled(params, image_size)
    # Draw pictures of one class and style together, each group with one code
    # path, into a buffer in that order; put them back in the caller's order at the end.
    group = params.cls * len(STYLES) + params.style
    order = torch.argsort(group, stable=True)
    bounds = torch.cumsum(torch.bincount(group, minlength=len(CLASSES) * len(STYLES)), 0).tolist()
    drawn = torch.empty(len(params), 3, image_size, image_size, device=device)
    start = 0
    for g, end in enumerate(bounds):
        for lo in range(start, end, _CHUNK):
            hi = min(end, lo + _CHUNK)
            part = params.select(order[lo:hi])
            part = ShapeParams(**{f.name: getattr(part, f.name).to(device) for f in fields(part)})
            _render_group(part, CLASSES[g // len(STYLES)], STYLES[g % len(STYLES)], image_size, drawn[lo:hi])
        start = end
    return torch.index_select(drawn, 0, torch.argsort(order).to(device))


def _render_group(p: ShapeParams, name: str, style: str, s: int, out: Tensor) -> None:
    """Draw pictures that share a class and a style into ``out`` (n, 3, s, s)."""
    grid = (torch.arange(s, device=p.cls.device, dtype=torch.float32) + 0.5) / s * 2 - 1
    gx, gy = grid.view(1, 1, s), -grid.view(1, s, 1)

    def per(t: Tensor) -> Tensor:
        return t.view(-1, 1, 1, *t.shape[1:])

    # Local coordinates as one affine map per picture: translate, rotate, scale, stretch.
    cos, sin = per(torch.cos(p.angle)), per(torch.sin(p.angle))
    stretch, radius = per(torch.sqrt(p.aspect)), per(p.size)
    cx, cy = per(p.centre[:, 0]), per(p.centre[:, 1])
    sx, sy = 1 / (radius * stretch), stretch / radius
    x = (cos * sx) * gx + ((sin * sx) * gy - (cos * cx + sin * cy) * sx)
    y = (-sin * sy) * gx + ((cos * sy) * gy + (sin * cx - cos * cy) * sy)
    st = per(p.stroke)
    if style == "sketch":
        # A hand is not a ruler: bend the whole plane a little, so straight edges
        # bow and corners move (a smooth domain warp, one sine wave per axis).
        x = x + 0.05 * torch.sin((1.5 + 2 * st[..., 14]) * y + 6.3 * st[..., 15])
        y = y + 0.05 * torch.sin((1.5 + 2 * st[..., 15]) * x + 6.3 * st[..., 14])

    radius_px = radius * (s / 2)
    d = signed_distance(name, x, y, per(p.shape)) * radius_px
    width_px = per(p.width) * s
    if style == "fill":
        cover = (0.5 - d).clamp_(0, 1)
    elif style == "outline":
        cover = (width_px / 2 + 0.5 - d.abs()).clamp_(0, 1)
    else:
        cover = _sketch_coverage(x, y, d, radius_px, width_px, st)
    n = len(p)
    torch.mul(cover.unsqueeze(1), (p.fg - p.bg).view(n, 3, 1, 1), out=out)
    out.add_(p.bg.view(n, 3, 1, 1))


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

    def pictures(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``i`` as two ``(S, S, 3)`` uint8 RGB pictures, as a file would hold them."""
        to_uint8 = lambda t: (t.permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)  # noqa: E731
        return to_uint8(self.a[i]), to_uint8(self.b[i])

    def describe(self, i: int) -> dict:
        """Plain-data metadata of pair ``i``: label, both pictures' classes, styles and colours."""
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

    Labels are exactly balanced over every aligned block of two indices. A share
    of negatives are hard (the second picture copies the first's colours, size,
    place and style; only the class differs) and a share of positives are hard
    (same class, everything else pushed apart: other style, swapped colours,
    opposite size).
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
        allowed = np.array([CLASSES.index(c) for c in spec.classes])
        k = len(allowed)
        ia = np.minimum((u[:, 0] * k).astype(np.int64), k - 1)
        ib = (ia + 1 + np.minimum((u[:, 1] * (k - 1)).astype(np.int64), k - 2)) % k
        ib = np.where(label == 1, ia, ib)
        hard = np.full(len(index), HARD_NONE)
        hard[(label == 0) & (u[:, 2] < spec.hard_negatives)] = HARD_NEGATIVE
        hard[(label == 1) & (u[:, 2] < spec.hard_positives)] = HARD_POSITIVE

        a = sample_images(spec, self.seed, index, _STREAM_A, allowed[ia])
        # A hard positive's second picture takes the next style of the preset.
        styles = np.array([STYLES.index(s) for s in spec.styles])
        position = np.argmax(styles[None, :] == a.style.numpy()[:, None], axis=1)
        next_style = styles[(position + 1) % len(styles)]
        b_style = _choose(
            uniforms(self.seed, index, _STREAM_B, 2)[:, 1], spec.styles, STYLES
        )  # as sample_images draws it
        b_style = np.where(hard == HARD_POSITIVE, next_style, b_style)
        b = sample_images(spec, self.seed, index, _STREAM_B, allowed[ib], b_style)
        b = b.where(torch.from_numpy(hard == HARD_NEGATIVE), replace(a, cls=b.cls, shape=b.shape))
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
        # One render call for both sides: fewer, larger tensor operations.
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
