"""Pictures as polylines: each picture's identity outlined, drawn by hand for the sketch style, then
mirrored, stretched, turned, scaled and placed (or framed as a user's picture is) in pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import Tensor

from .images import FILL
from .sampling import ShapeParams, largest, reach
from .shapes import TAU, least_radius, outline
from .spec import STYLES

__all__ = ["Strokes", "geometry", "TOLERATED_TURN", "same_when_turned"]

TOLERATED_TURN = math.pi / 4  # an upright model's same shape: turned by at most this (the Predictor's copies
# are a quarter turn apart, so any turn is within this of one of them)
_SYMMETRY = 0.04  # mean distance of two outlines (radius 1) below which one is the other

_HAND_POINTS = 96  # points along each stroke of a sketch


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
    size = np.maximum(params.size.numpy().astype(np.float64), np.minimum(least, largest(aspect)))
    centre = params.centre.numpy().astype(np.float64)
    room = reach(size, aspect)[:, None]
    centre = np.clip(centre, -room, room)
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


def same_when_turned(
    family: np.ndarray, shape: np.ndarray, turn: np.ndarray, mirror: np.ndarray, tolerance: float = TOLERATED_TURN
) -> np.ndarray:
    """Whether each identity, mirrored (``mirror``) and turned by ``turn`` radians, is still itself within a
    turn of ``tolerance``: a square turned 90° is a square, a triangle turned 60° a triangle turned 180°,
    an A mirrored an A; an F mirrored or an L turned 90° is not. Measured on the identities' outlines (each
    resampled evenly along its length, centred on its mean): the turned copy, turned back by any angle up to
    ``tolerance``, lies on the outline (mean distance under 4 % of the radius)."""
    o = outline(family, shape)
    out = np.zeros(len(family), bool)
    checks = np.linspace(-tolerance, tolerance, 31)
    for i in range(len(family)):
        pts = _even(o.points[i], o.count[i], o.closed[i])
        pts -= pts.mean(0)
        copy = pts * [-1, 1] if mirror[i] else pts
        best = min(_chamfer(_turned(copy, turn[i] + d), pts) for d in checks)
        out[i] = best < _SYMMETRY
    return out


def _even(points: np.ndarray, count: np.ndarray, closed: np.ndarray, n: int = 64) -> np.ndarray:
    """Every contour of one outline as ``n`` points evenly spaced along it, together ``(m, 2)``."""
    parts = []
    for p, k, shut in zip(points, count, closed, strict=True):
        if k < 1:
            continue
        line = np.concatenate([p[:k], p[:1]]) if shut else p[:k]
        along = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
        t = np.linspace(0, along[-1], n, endpoint=not shut)
        parts.append(np.stack([np.interp(t, along, line[:, 0]), np.interp(t, along, line[:, 1])], -1))
    return np.concatenate(parts)


def _turned(p: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return p @ np.array([[c, s], [-s, c]])


def _chamfer(a: np.ndarray, b: np.ndarray) -> float:
    d = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
    return float((d.min(1).mean() + d.min(0).mean()) / 2)
