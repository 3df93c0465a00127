"""The vocabulary: families of shapes, each a way to make outlines from a parameter vector.

A shape *identity* is a family and a parameter vector. The family turns the vector
into an outline: contours as polylines in the shape's own frame (centred, y up,
reaching the unit circle). A closed contour bounds an area (its last point joins
its first); an open one is a stroke (a zig-zag, a spiral, the bar of a letter).
Position, size, rotation, reflection, aspect, style and colour are the renderer's
(:mod:`shapesim.data`), so that every picture of one identity shows the same shape.

**What "the same shape" means.** Two pictures show the same shape when one figure
can be turned into the other by a change of position, size, rotation or reflection,
drawn in any colour, as a filled area, an outline or a hand-drawn stroke of any
width with the wobble, gaps and overshoots of a person's hand. A different number
of sides or points, a different arrangement of parts, a clearly different
proportion (a 2:1 rectangle vs a square), an open stroke vs a closed one: different.
So an identity is a shape up to similarity; the renderer's aspect jitter (up to
about 1.3 between two pictures) is the tolerance of a hand, and the families'
near misses (:attr:`Family.near`) differ from their identity by more than that.
A difference has to be one a picture can show: no shape is drawn so small that its
finest feature (:attr:`Family.detail`) is under a pixel deep (:func:`least_radius`).

Adding a family is one entry in :data:`FAMILIES`: how to draw identities from
uniform random numbers, how to make their outlines, and how to make a near miss.
Everything is numpy, vectorised over a batch of identities.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from .glyphs import _GLYPH_NEIGHBOURS, _LETTER_NEIGHBOURS, GLYPHS, LETTERS, _glyph_table, _letter_table
from .outline import TAU, K, Outline, P, _arc, _merge, _polygon, _ring

__all__ = [
    "P",
    "K",
    "Outline",
    "Family",
    "FAMILIES",
    "FAMILY_NAMES",
    "NAMED",
    "family_index",
    "check_families",
    "outline",
    "least_radius",
    "draw_identities",
    "near_misses",
    "identity_names",
]

# ----------------------------------------------------------------------------- the nine named shapes


def _named_table() -> Outline:
    circle = _arc(0, 0, 1, 1, 0, TAU, 65)[:-1]
    square = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float)
    polygon = lambda n: _arc(0, 0, 1, 1, math.pi / 2, math.pi / 2 + TAU, n + 1)[:-1]  # noqa: E731
    star = polygon(10) * np.where(np.arange(10) % 2 == 0, 1.0, 0.44)[:, None]
    w = 0.27
    cross = np.array(
        [[w, 1], [w, w], [1, w], [1, -w], [w, -w], [w, -1], [-w, -1], [-w, -w], [-1, -w], [-1, w], [-w, w], [-w, 1]]
    )
    t = np.linspace(0, TAU, 65)[:-1]
    heart = np.stack([16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)], -1)
    # a moon: the unit disc minus a disc of radius 0.9 shifted right by 0.45
    hit = math.atan2(math.sqrt(1 - 0.4361**2), 0.4361)  # where the two circles cross, on the outer one
    bite = math.atan2(math.sqrt(1 - 0.4361**2), 0.4361 - 0.45)  # ... and on the inner one
    inner = _arc(0.45, 0, 0.9, 0.9, TAU - bite, bite, 22)[1:-1]
    crescent = np.concatenate([_arc(0, 0, 1, 1, hit, TAU - hit, 44), inner])
    s = 0.19
    arrow = np.array([[-0.95, -s], [0.15, -s], [0.15, -0.6], [0.95, 0], [0.15, 0.6], [0.15, s], [-0.95, s]])
    shapes = [circle, square, polygon(3), polygon(5), star, cross, heart, crescent, arrow]
    return Outline.of([[(p, True)] for p in shapes]).fitted()


NAMED = ("circle", "square", "triangle", "pentagon", "star", "cross", "heart", "crescent", "arrow")


def _named_outline(p: np.ndarray) -> Outline:
    table = _cached("named", _named_table)
    i = p[:, 0].astype(np.int64)
    return Outline(table.points[i], table.count[i], table.closed[i])


def _named_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Another named shape."""
    q = p.copy()
    q[:, 0] = (p[:, 0] + 1 + np.floor(u[:, 0] * (len(NAMED) - 1))) % len(NAMED)
    return q


# ----------------------------------------------------------------------------- polygons and stars


def _regular_sample(u: np.ndarray) -> np.ndarray:
    p = np.zeros((len(u), P))
    p[:, 0] = 6 + np.floor(u[:, 0] * 5)  # hexagon .. decagon (3-5 sides are named shapes)
    return p


def _regular_outline(p: np.ndarray) -> Outline:
    n = p[:, 0].astype(np.int64)
    i = np.arange(10)[None, :]
    return _polygon(n, i * TAU / n[:, None], np.ones((len(p), 10))).fitted()


def _regular_detail(p: np.ndarray) -> np.ndarray:
    """The sagitta of a side: 1 - cos(pi / n) (a decagon's sides lie 0.05 of its radius inside the circle)."""
    return 1 - np.cos(math.pi / p[:, 0])


def _regular_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One side more or fewer (a hexagon and a heptagon)."""
    q = p.copy()
    up = (u[:, 0] < 0.5) & (p[:, 0] < 10) | (p[:, 0] == 6)
    q[:, 0] = np.where(up, p[:, 0] + 1, p[:, 0] - 1)
    return q


def _irregular_sample(u: np.ndarray) -> np.ndarray:
    """Polygons of 3-8 vertices at random angles (no two closer than a third of an even share) and
    radii 0.4-1: triangles of every proportion, convex and concave polygons."""
    p = np.zeros((len(u), P))
    n = 3 + np.floor(u[:, 0] * 6)
    gaps = 0.35 + u[:, 1:9]  # relative angular gaps, each at least a third of the largest
    gaps = np.where(np.arange(8)[None, :] < n[:, None], gaps, 0)
    angles = np.cumsum(gaps, axis=1) / gaps.sum(axis=1, keepdims=True) * TAU
    p[:, 0], p[:, 1:9], p[:, 9:17] = n, angles, 0.4 + 0.6 * u[:, 9:17]
    return p


def _irregular_outline(p: np.ndarray) -> Outline:
    return _polygon(p[:, 0].astype(np.int64), p[:, 1:9], p[:, 9:17]).fitted()


def _irregular_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One vertex moved: pulled in or pushed out by half its radius (one part moved)."""
    q = p.copy()
    n = p[:, 0].astype(np.int64)
    which = np.minimum((u[:, 0] * n).astype(np.int64), n - 1)
    rows = np.arange(len(p))
    r = p[rows, 9 + which]
    q[rows, 9 + which] = np.where(r > 0.7, r * 0.45, np.minimum(r * 2.2, 1.0))
    return q


def _star_sample(u: np.ndarray) -> np.ndarray:
    """Stars of 4-9 points, inner radius 0.25-0.7 (a five-pointed one far from the named star's 0.44)."""
    p = np.zeros((len(u), P))
    k = 4 + np.floor(u[:, 0] * 6)
    inner = 0.25 + 0.45 * u[:, 1]
    five = k == 5
    inner[five] = np.where(u[five, 1] < 0.5, 0.25 + 0.16 * u[five, 1], 0.6 + 0.2 * (u[five, 1] - 0.5))
    p[:, 0], p[:, 1] = k, inner
    return p


def _star_outline(p: np.ndarray) -> Outline:
    k = p[:, 0].astype(np.int64)
    i = np.arange(18)[None, :]
    radii = np.where(i % 2 == 0, 1.0, p[:, 1:2])
    return _polygon(2 * k, i * math.pi / k[:, None], radii).fitted()


def _star_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One point more or fewer (a five- and a six-pointed star), or much deeper or shallower points."""
    q = p.copy()
    count = u[:, 0] < 0.6
    up = ((u[:, 1] < 0.5) & (p[:, 0] < 9)) | (p[:, 0] == 4)
    q[:, 0] = np.where(count, np.where(up, p[:, 0] + 1, p[:, 0] - 1), p[:, 0])
    deeper = np.where(p[:, 1] > 0.47, p[:, 1] - 0.22, p[:, 1] + 0.22)
    q[:, 1] = np.where(count, p[:, 1], deeper)
    return q


# ----------------------------------------------------------------------------- smooth closed curves


def _blob_sample(u: np.ndarray) -> np.ndarray:
    """Radius 1 + Σ a_k cos(kθ + φ_k) for k = 2..5, one harmonic strong enough that it is no circle;
    or an ellipse of aspect 1.7-3 (a fifth of them)."""
    p = np.zeros((len(u), P))
    a = (u[:, 1:5] * 2 - 1) * 0.2
    strong = np.minimum((u[:, 5] * 4).astype(np.int64), 3)
    rows = np.arange(len(u))
    a[rows, strong] = np.sign(a[rows, strong] + 1e-9) * (0.14 + 0.1 * u[:, 6])
    p[:, 0] = (u[:, 0] < 0.2).astype(float)  # 1: an ellipse
    p[:, 1:5], p[:, 5:9], p[:, 9] = a, u[:, 7:11] * TAU, 1.7 + 1.3 * u[:, 11]
    return p


def _blob_outline(p: np.ndarray) -> Outline:
    t = np.linspace(0, TAU, 73)[:-1][None, :]
    k = np.arange(2, 6)[None, :, None]
    r = 1 + (p[:, 1:5, None] * np.cos(k * t[:, None, :] + p[:, 5:9, None])).sum(1)
    r = np.maximum(r, 0.25)
    ellipse = p[:, :1] > 0.5
    x = np.where(ellipse, p[:, 9:10] * np.cos(t), r * np.cos(t))
    y = np.where(ellipse, np.sin(t), r * np.sin(t))
    return _ring(x, y).fitted()


def _blob_detail(p: np.ndarray) -> np.ndarray:
    """How far the strongest harmonic bends the circle; an ellipse's aspect shows at any size."""
    return np.where(p[:, 0] > 0.5, 1.0, np.abs(p[:, 1:5]).max(1))


def _blob_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The strongest harmonic weakened and another made strong. An ellipse's near miss is such a blob
    with three to five bumps, not an ellipse of another aspect: people's hands stretch a shape by as
    much (two drawings of one character differ in elongation by up to 1.5×), so a person calls two
    ellipses the same shape."""
    q = p.copy()
    rows = np.arange(len(p))
    strongest = np.abs(p[:, 1:5]).argmax(1)
    other = (strongest + 1 + np.minimum((u[:, 0] * 3).astype(np.int64), 2)) % 4
    ellipse = p[:, 0] > 0.5
    other = np.where(ellipse, 1 + np.minimum((u[:, 0] * 3).astype(np.int64), 2), other)  # k = 3, 4 or 5
    q[rows, 1 + strongest] = np.where(ellipse, 0.0, p[rows, 1 + strongest] * 0.2)
    q[rows, 1 + other] = np.where(u[:, 1] < 0.5, -1, 1) * (0.16 + 0.06 * u[:, 2])
    q[:, 0] = 0.0  # a blob
    return q


# ----------------------------------------------------------------------------- open strokes


def _zigzag(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2-6 teeth, as tall as 0.25-0.9 of the length."""
    corners = 2 * (2 + np.floor(v[:, 0] * 5)) + 1
    j = np.minimum(np.arange(13)[None, :], corners[:, None] - 1)
    return j / (corners[:, None] - 1) * 2 - 1, np.where(j % 2 == 0, -0.5, 0.5) * (0.25 + 0.65 * v[:, 1:2])


def _wave(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-3 periods of a sine, amplitude 0.15-0.5 of the half length."""
    s = np.linspace(0, 1, 64)[None, :]
    periods = 1 + np.floor(v[:, 0:1] * 5) / 2
    return s * 2 - 1, (0.15 + 0.35 * v[:, 1:2]) * np.sin(TAU * periods * s)


def _spiral(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1.25-3 turns, the radius growing evenly from 0.1."""
    s = np.linspace(0, 1, K)[None, :]
    turns, r = 1.25 + 1.75 * v[:, 0:1], 0.1 + 0.9 * s
    return r * np.cos(TAU * turns * s), r * np.sin(TAU * turns * s)


def _arc_stroke(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """100-310 degrees of a circle: open, so never the circle."""
    s = np.linspace(0, 1, 48)[None, :]
    sweep = np.radians(100 + 210 * v[:, 0:1])
    return np.cos(sweep * s), np.sin(sweep * s)


def _hook(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A straight stem 1-2.5 radii long, then a turn of 120-240 degrees (a J, a walking stick)."""
    s = np.linspace(0, 1, 48)[None, :]
    stem, turn = 1 + 1.5 * v[:, 0:1], np.radians(120 + 120 * v[:, 1:2])
    along = s * (stem + turn)
    bent = np.clip(along - stem, 0, None)
    return np.where(along <= stem, 1.0, np.cos(bent)), np.where(along <= stem, stem - along, -np.sin(bent))


def _tick(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two strokes meeting at 40-110 degrees, the second 1.6-3 times as long (a check mark)."""
    bend, ratio = np.radians(40 + 70 * v[:, 0]), 1.6 + 1.4 * v[:, 1]
    heading = np.radians(-60 + 30 * v[:, 2])  # of the first stroke, down to the right
    second = heading + np.pi - bend
    x1, y1 = np.cos(heading), np.sin(heading)
    x2, y2 = x1 + ratio * np.cos(second), y1 + ratio * np.sin(second)
    return np.stack([np.zeros_like(x1), x1, x2], 1), np.stack([np.zeros_like(y1), y1, y2], 1)


def _polyline(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Four points anywhere, joined: three strokes with corners."""
    return v[:, 0:4] * 2 - 1, v[:, 4:8] * 2 - 1


def _s_curve(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two arcs turning opposite ways, the second 0.5-1 times as big (an S)."""
    r2 = 0.5 + 0.5 * v[:, 0:1]
    t = np.linspace(0, 1, 32)[None, :]
    upper = (np.cos(np.radians(20 + 250 * t)), 1 + np.sin(np.radians(20 + 250 * t)))  # round the left, to (0, 0)
    lower = (r2 * np.cos(np.radians(90 - 250 * t)), r2 * (np.sin(np.radians(90 - 250 * t)) - 1))  # round the right
    x = np.concatenate([np.broadcast_to(upper[0], r2.shape[:1] + (32,)), lower[0][:, 1:]], 1)
    y = np.concatenate([np.broadcast_to(upper[1], r2.shape[:1] + (32,)), lower[1][:, 1:]], 1)
    return x, y


STROKES = {
    "zigzag": _zigzag,
    "wave": _wave,
    "spiral": _spiral,
    "arc": _arc_stroke,
    "hook": _hook,
    "tick": _tick,
    "polyline": _polyline,
    "s-curve": _s_curve,
}


def _strokes_sample(u: np.ndarray) -> np.ndarray:
    p = np.zeros((len(u), P))
    p[:, 0] = np.minimum((u[:, 0] * len(STROKES)).astype(np.int64), len(STROKES) - 1)
    p[:, 1:9] = u[:, 1:9]  # each kind reads what it needs
    return p


def _strokes_outline(p: np.ndarray) -> Outline:
    kind = p[:, 0].astype(np.int64)
    parts = []
    for i, make in enumerate(STROKES.values()):
        rows = np.nonzero(kind == i)[0]
        if len(rows):
            x, y = np.broadcast_arrays(*make(p[rows, 1:9]))
            o = _ring(x, y, closed=False)
            if i == 0:  # a zig-zag uses as many points as it has corners
                o = Outline(o.points, 2 * (2 + np.floor(p[rows, 1:2] * 5)).astype(np.int64) + 1, o.closed)
            parts.append((rows, o))
    return _merge(parts, len(p)).fitted()


def _strokes_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A tooth or a period more or fewer, half a turn more or less, a much wider or narrower arc,
    another bend; or, for an arc, the whole circle (an open stroke and a closed one)."""
    q = p.copy()
    kind = p[:, 0].astype(np.int64)
    counted = np.isin(kind, [0, 1])  # zig-zag teeth (steps of 1/5), wave periods (steps of 1/5)
    step = np.where((u[:, 0] < 0.5) & (p[:, 1] < 0.8) | (p[:, 1] < 0.2), 0.2, -0.2)
    q[:, 1] = np.where(counted, p[:, 1] + step, q[:, 1])
    spiral_or_arc = np.isin(kind, [2, 3])
    q[:, 1] = np.where(spiral_or_arc, np.where(p[:, 1] > 0.5, p[:, 1] - 0.45, p[:, 1] + 0.45), q[:, 1])
    bends = np.isin(kind, [4, 5, 7])
    q[:, 1] = np.where(bends, np.where(p[:, 1] > 0.5, p[:, 1] - 0.5, p[:, 1] + 0.5), q[:, 1])
    moved = kind == 6  # one corner of the polyline moved far
    corner = np.minimum((u[:, 1] * 4).astype(np.int64), 3)
    rows = np.arange(len(p))
    q[rows, 1 + corner] = np.where(moved, (p[rows, 1 + corner] + 0.5) % 1, q[rows, 1 + corner])
    return q


# ----------------------------------------------------------------------------- figures of several parts

PARTS = ("circle", "square", "triangle", "hexagon")
ARRANGEMENTS = ("inside", "beside", "on top", "overlapping", "three")


def _part(kind: np.ndarray) -> np.ndarray:
    """Closed contours (n, 48, 2) of unit-radius parts: circle, square, triangle or hexagon."""
    t = np.linspace(0, 1, 48, endpoint=False)
    sides = np.array([0, 4, 3, 6])[kind][:, None]
    circle = np.stack([np.cos(TAU * t), np.sin(TAU * t)], -1)[None].repeat(len(kind), 0)
    # a polygon's points spread along its edges, a vertex up (a square stands on an edge)
    turn = np.where(sides == 4, math.pi / 4, math.pi / 2)
    m = np.maximum(sides, 1)
    edge = np.floor(t[None, :] * m)
    f = t[None, :] * m - edge
    a0, a1 = turn + edge * TAU / m, turn + (edge + 1) * TAU / m
    poly = np.stack([np.cos(a0) * (1 - f) + np.cos(a1) * f, np.sin(a0) * (1 - f) + np.sin(a1) * f], -1)
    return np.where((sides == 0)[..., None], circle, poly)


_PART_TOP = np.array([1.0, math.sqrt(0.5), 1.0, 1.0])  # how far each unit part reaches up from its centre
_PART_BOTTOM = np.array([1.0, math.sqrt(0.5), 0.5, 1.0])  # ... and down


def _composite_sample(u: np.ndarray) -> np.ndarray:
    """An arrangement, the parts' kinds, their sizes and the offset of the second part."""
    p = np.zeros((len(u), P))
    p[:, 0] = np.minimum((u[:, 0] * len(ARRANGEMENTS)).astype(np.int64), len(ARRANGEMENTS) - 1)
    p[:, 1:4] = np.minimum((u[:, 1:4] * len(PARTS)).astype(np.int64), len(PARTS) - 1)
    p[:, 4:8] = u[:, 4:8]
    return p


def _composite_outline(p: np.ndarray) -> Outline:
    n = len(p)
    arrangement = p[:, 0].astype(np.int64)
    kinds = p[:, 1:4].astype(np.int64)
    v = p[:, 4:8]
    parts = [_part(kinds[:, j]) for j in range(3)]
    scale, offset = np.ones((n, 3)), np.zeros((n, 3, 2))
    # inside: a second part of 0.3-0.5 the size, anywhere it fits in the first
    inside = arrangement == 0
    s = 0.3 + 0.2 * v[:, 0]
    room = (0.75 - s)[:, None] * (v[:, 1:3] * 2 - 1)
    scale[inside, 1], offset[inside, 1] = s[inside], room[inside]
    # beside: two parts on a line, the second 0.5-1 the size, a gap between
    beside = arrangement == 1
    s = 0.5 + 0.5 * v[:, 0]
    scale[beside, 1] = s[beside]
    offset[beside, 0, 0], offset[beside, 1, 0] = -1, (0.3 + 0.5 * v[beside, 1]) + s[beside]
    # on top: the second part sits on the first (a house: a triangle on a square), 0.6-1.1 the size
    top = arrangement == 2
    s = 0.6 + 0.5 * v[:, 0]
    above, below = _PART_TOP[kinds[:, 0]], _PART_BOTTOM[kinds[:, 1]]
    scale[top, 1], offset[top, 1, 1] = s[top], above[top] + s[top] * below[top]
    # overlapping: centres 0.6-1.3 radii apart
    over = arrangement == 3
    offset[over, 1, 0] = 0.6 + 0.7 * v[over, 0]
    # three: in a triangle or a row, the same size
    three = arrangement == 4
    row = v[:, 0] < 0.5
    offset[three, 1, 0] = 2.3
    offset[three & row, 2, 0] = 4.6
    offset[three & ~row, 2] = np.array([1.15, 2.0])
    points = np.stack([parts[j] * scale[:, j, None, None] + offset[:, j, None, :] for j in range(3)], 1)
    count = np.where(np.arange(3)[None, :] < np.where(three, 3, 2)[:, None], 48, 0)
    return Outline(points, count, count > 0).fitted()


def _composite_near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One part moved (far to the side, off the other, apart) or one part of another kind."""
    q = p.copy()
    move = u[:, 0] < 0.6
    q[:, 5:7] = np.where(move[:, None], (p[:, 5:7] + 0.5) % 1, p[:, 5:7])
    q[:, 4] = np.where(move, (p[:, 4] + 0.5) % 1, p[:, 4])  # the second part's size too
    other = (p[:, 2] + 1 + np.floor(u[:, 1] * (len(PARTS) - 1))) % len(PARTS)
    q[:, 2] = np.where(move, p[:, 2], other)
    return q


def _table_outline(name: str, make: Callable[[], Outline]) -> Callable[[np.ndarray], Outline]:
    def outline(p: np.ndarray) -> Outline:
        table = _cached(name, make)
        i = p[:, 0].astype(np.int64)
        return Outline(table.points[i], table.count[i], table.closed[i])

    return outline


def _table_sample(size: int) -> Callable[[np.ndarray], np.ndarray]:
    def sample(u: np.ndarray) -> np.ndarray:
        p = np.zeros((len(u), P))
        p[:, 0] = np.minimum((u[:, 0] * size).astype(np.int64), size - 1)
        return p

    return sample


def _table_near(names: str, neighbours: dict[str, str]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Another entry: a look-alike where there is one (E and F), else any other."""

    alikes = {k: "".join(ch for ch in v if ch in names and ch != k) for k, v in neighbours.items()}

    def near(p: np.ndarray, u: np.ndarray) -> np.ndarray:
        q = p.copy()
        for row, i in enumerate(p[:, 0].astype(np.int64)):
            alike = alikes.get(names[i], "")
            if alike and u[row, 0] < 0.7:
                q[row, 0] = names.index(alike[int(u[row, 1] * len(alike)) % len(alike)])
            else:
                q[row, 0] = (i + 1 + int(u[row, 1] * (len(names) - 1))) % len(names)
        return q

    return near


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Family:
    """A way to make shapes: identities drawn from uniforms, their outlines, their near misses."""

    name: str
    about: str  # what its shapes are, for people
    sample: Callable[[np.ndarray], np.ndarray]  # uniforms (n, U) → identities (n, P)
    outline: Callable[[np.ndarray], Outline]  # identities (n, P) → outlines, fitted (Outline.fitted)
    near: Callable[[np.ndarray, np.ndarray], np.ndarray]  # identities, uniforms → close but different identities
    names: Callable[[np.ndarray], list[str]]  # identities → what to call each, for people
    fixed: int = 0  # how many identities the family has, when it has a list of them (0: without end)
    # identities → the depth of the finest feature that tells each from its near misses, as a share of its
    # radius (a regular n-gon's: how far its sides fall inside the circle); None: coarse enough at any size
    detail: Callable[[np.ndarray], np.ndarray] | None = None


def _named_names(p):
    return [NAMED[int(i)] for i in p[:, 0]]


FAMILIES: tuple[Family, ...] = (
    Family("named", "the nine named shapes: " + ", ".join(NAMED), _table_sample(len(NAMED)), _named_outline,
           _named_near, _named_names, fixed=len(NAMED)),
    Family("polygon", "regular polygons of 6-10 sides", _regular_sample, _regular_outline, _regular_near,
           lambda p: [f"regular {int(n)}-gon" for n in p[:, 0]], detail=_regular_detail),
    Family("irregular", "polygons of 3-8 vertices anywhere: triangles of every proportion, convex and concave",
           _irregular_sample, _irregular_outline, _irregular_near,
           lambda p: [f"{int(n)}-vertex polygon" for n in p[:, 0]]),
    Family("star-polygon", "stars of 4-9 points, shallow or deep", _star_sample, _star_outline, _star_near,
           lambda p: [f"{int(k)}-point star" for k in p[:, 0]]),
    Family("blob", "smooth closed curves and ellipses", _blob_sample, _blob_outline, _blob_near,
           lambda p: ["ellipse" if e > 0.5 else "blob" for e in p[:, 0]], detail=_blob_detail),
    Family("stroke", "open strokes: " + ", ".join(STROKES), _strokes_sample, _strokes_outline, _strokes_near,
           lambda p: [list(STROKES)[int(k)] for k in p[:, 0]]),
    Family("composite", "figures of two or three parts: one inside, beside or on top of another, overlapping, three",
           _composite_sample, _composite_outline, _composite_near,
           lambda p: [f"{ARRANGEMENTS[int(a)]}: {PARTS[int(b)]}, {PARTS[int(c)]}" for a, b, c in p[:, :3]]),
    Family("glyph", "letters, digits and symbols of DejaVu Sans, as outlines", _table_sample(len(GLYPHS)),
           _table_outline("glyph", _glyph_table), _table_near(GLYPHS, _GLYPH_NEIGHBOURS),
           lambda p: [f"glyph {GLYPHS[int(i)]}" for i in p[:, 0]], fixed=len(GLYPHS)),
    Family("letter", "capital letters and digits as a hand writes them: strokes", _table_sample(len(LETTERS)),
           _table_outline("letter", _letter_table), _table_near(LETTERS, _LETTER_NEIGHBOURS),
           lambda p: [f"letter {LETTERS[int(i)]}" for i in p[:, 0]], fixed=len(LETTERS)),
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)


@cache
def _cached(name: str, make: Callable[[], Outline]) -> Outline:
    return make()


def check_families(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return ``names`` as a tuple, or raise a ValueError naming the valid families."""
    unknown = [n for n in names if n not in FAMILY_NAMES]
    if unknown:
        raise ValueError(f"unknown shape family {unknown}; valid families: {', '.join(FAMILY_NAMES)}")
    return tuple(names)


def family_index(name: str) -> int:
    check_families([name])
    return FAMILY_NAMES.index(name)


def outline(family: np.ndarray, params: np.ndarray) -> Outline:
    """Outlines of identities ``(family (n,), params (n, P))``, centred and reaching the unit circle."""
    family = np.asarray(family, dtype=np.int64)
    params = np.asarray(params, dtype=np.float64)
    parts = []
    for f in np.unique(family):
        rows = np.nonzero(family == f)[0]
        parts.append((rows, FAMILIES[f].outline(params[rows])))
    if not parts:
        return Outline(np.zeros((0, 1, 2, 2)), np.zeros((0, 1), np.int64), np.zeros((0, 1), bool))
    return _merge(parts, len(family))


def least_radius(family: np.ndarray, params: np.ndarray, pixels: float = 1.0) -> np.ndarray:
    """The smallest radius, in pixels, at which each identity's finest feature (:attr:`Family.detail`) is
    ``pixels`` deep: drawn smaller, a decagon is a circle and a nonagon to any eye, and a pair of them
    called "different" would teach a difference nobody can see. 0 where any size shows the shape."""
    family = np.asarray(family, dtype=np.int64)
    least = np.zeros(len(family))
    for f in np.unique(family):
        if FAMILIES[f].detail is not None:
            rows = np.nonzero(family == f)[0]
            least[rows] = pixels / FAMILIES[f].detail(np.asarray(params, dtype=np.float64)[rows])
    return least


def pick(u: np.ndarray, names: tuple[str, ...], vocabulary: tuple[str, ...]) -> np.ndarray:
    """One of ``names`` for each uniform of ``u``, as its index in ``vocabulary``."""
    allowed = np.array([vocabulary.index(n) for n in names])
    return allowed[np.minimum((u * len(allowed)).astype(np.int64), len(allowed) - 1)]


def draw_identities(
    u: np.ndarray, families: tuple[str, ...] = FAMILY_NAMES, named: tuple[str, ...] = NAMED, family=None
) -> tuple[np.ndarray, np.ndarray]:
    """Identities ``(family (n,), params (n, P))`` from uniforms ``u`` (n, 33): the family from ``u[:, 0]``
    among ``families`` (unless given), each as likely, its parameters from the rest; the named family
    shows only the shapes in ``named``."""
    family = pick(u[:, 0], families, FAMILY_NAMES) if family is None else np.asarray(family, np.int64)
    params = np.zeros((len(u), P))
    for f in np.unique(family):
        rows = np.nonzero(family == f)[0]
        params[rows] = FAMILIES[f].sample(u[rows, 1:])
    is_named = family == FAMILY_NAMES.index("named")
    params[is_named, 0] = pick(u[is_named, 1], named, NAMED)
    return family, params


def near_misses(
    family: np.ndarray, params: np.ndarray, u: np.ndarray, named: tuple[str, ...] = NAMED, any_other: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A different identity close to each given one, by its family's idea of a near miss (uniforms ``u``
    (n,) choose); with ``any_other``, any other entry of a family with a list of identities. The
    named family stays within the shapes in ``named``."""
    out = params.copy()
    uu = np.stack([u, (u * 7.31) % 1, (u * 3.17) % 1], 1)
    for f in np.unique(family):
        rows = np.nonzero(family == f)[0]
        fam = FAMILIES[f]
        if fam.name == "named":
            allowed = np.sort([NAMED.index(n) for n in named])
            here = np.searchsorted(allowed, params[rows, 0])
            step = 1 + np.floor(uu[rows, 0] * (len(allowed) - 1)).astype(np.int64)
            out[rows, 0] = allowed[(here + step) % len(allowed)]
        elif any_other and fam.fixed:
            out[rows, 0] = (params[rows, 0] + 1 + np.floor(uu[rows, 0] * (fam.fixed - 1))) % fam.fixed
        else:
            out[rows] = fam.near(params[rows], uu[rows])
    return family, out


def identity_names(family: np.ndarray, params: np.ndarray) -> list[str]:
    """What to call each identity, for people: "circle", "regular 7-gon", "glyph R", ..."""
    family = np.asarray(family, dtype=np.int64)
    out = [""] * len(family)
    for f in np.unique(family):
        rows = np.nonzero(family == f)[0]
        for row, name in zip(rows, FAMILIES[f].names(np.asarray(params)[rows]), strict=True):
            out[row] = name
    return out
