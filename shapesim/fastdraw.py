"""The renderer of :mod:`shapesim.data` as compiled loops, for the CPU.

:func:`shapesim.data.render` draws in eager PyTorch: every step of a picture
(coordinates, warp, signed distance, stroke) is a pass over all its pixels,
over a hundred of them for a sketch. Here numba compiles the same formulas
into loops that take each pixel through all steps in registers, skip pixels
that the shape's bounding circle says cannot be inked, and draw pictures on
every core at once; a sketch's row runs several pixels at a time (SIMD), its
formulas written without branches so that the compiler can. The pictures are
the PyTorch renderer's to float rounding (``tests/test_fastdraw.py`` compares
them pixel by pixel); the formulas live in :mod:`shapesim.shapes` and
:mod:`shapesim.data`, and any change there must be made here too.

numba comes with umap-learn. :func:`shapesim.data.render` imports this module,
and so numba (0.4 s), only when it draws a large batch on the CPU; the loops
are compiled on first use (about half a minute here) and cached on disk, so
later processes load them in under a second.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from numba import prange

from .shapes import CLASSES

_TAU = 2 * math.pi
_HEART = 0.631  # shapes._HEART_SCALE
assert CLASSES == ("circle", "square", "triangle", "pentagon", "star", "cross", "heart", "crescent", "arrow")
# fastmath lets the compiler reorder sums; the numpy error model drops the check for a division
# by zero that would otherwise stop it from running a loop several pixels at a time.
_jit = numba.njit(cache=True, fastmath=True, error_model="numpy")
_inline = numba.njit(cache=True, fastmath=True, error_model="numpy", inline="always")


@_inline
def _sin(x):
    """sin(x) to ~1e-9 in a dozen multiplications (libm's takes 20 ns here and runs one at a time)."""
    r = x - _TAU * math.floor(x / _TAU + 0.5)  # [-pi, pi]
    r = math.pi - r if r > math.pi / 2 else r
    r = -math.pi - r if r < -math.pi / 2 else r
    r2 = r * r
    series = 1 / 362880 + r2 * (-1 / 39916800 + r2 / 6227020800)  # Taylor to r^13: error below 1e-9
    return r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * series))))


@_inline
def _atan2(y, x):
    """atan2(y, x) to ~1e-9 (Cephes' reduction: to [0, 1], then past pi / 6, then a short series)."""
    ax, ay = abs(x), abs(y)
    a = min(ax, ay) / max(max(ax, ay), 1e-300)
    big = a > 0.2679491924311227  # tan(pi / 12)
    a = (a * 1.7320508075688772 - 1) / (a + 1.7320508075688772) if big else a
    a2 = a * a
    series = a * (1 + a2 * (-1 / 3 + a2 * (1 / 5 + a2 * (-1 / 7 + a2 * (1 / 9 + a2 * (-1 / 11 + a2 / 13))))))
    t = series + (math.pi / 6 if big else 0.0)
    t = math.pi / 2 - t if ay > ax else t
    t = math.pi - t if x < 0 else t
    return -t if y < 0 else t


@_inline
def _sign(v):
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


# ----------------------------------------------------------------------------- the shapes (shapes.py)
# Each takes local coordinates and the class's parameters p (a 6-tuple), as shapes.SDF does.


@_inline
def _circle(x, y, p):
    return math.sqrt(x * x + y * y) - 1.0


@_inline
def _square(x, y, p):
    half = 1.0 / math.sqrt(2.0)
    dx, dy = abs(x) - half, abs(y) - half
    ox, oy = max(dx, 0.0), max(dy, 0.0)
    return math.sqrt(ox * ox + oy * oy) + min(max(dx, dy), 0.0)


@_inline
def _edge(x, y, ax, ay, bx, by):
    """Squared distance to the segment a-b, and whether a ray to the right crosses it (polygon_sdf)."""
    ex, ey = bx - ax, by - ay
    wx, wy = x - ax, y - ay
    t = min(max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0), 1.0)
    dx, dy = wx - ex * t, wy - ey * t
    c1, c2, c3 = y >= ay, y < by, ex * wy > ey * wx
    return dx * dx + dy * dy, (c1 == c2) & (c2 == c3)


@_inline
def _triangle(x, y, p):
    d0, k0 = _edge(x, y, p[0], p[1], p[4], p[5])
    d1, k1 = _edge(x, y, p[2], p[3], p[0], p[1])
    d2, k2 = _edge(x, y, p[4], p[5], p[2], p[3])
    d = min(min(d0, (x - p[0]) ** 2 + (y - p[1]) ** 2), min(d1, d2))
    return math.sqrt(d) * (-1.0 if k0 ^ k1 ^ k2 else 1.0)


@_inline
def _fold5(x, y, offset):
    """shapes._fold for five sectors: the point turned into the sector of angle 2 pi / 5 around
    ``offset`` (radians from up), as (along the sector's centre line, across it)."""
    sector = _TAU / 5
    turn = offset + sector * math.floor((_atan2(x, y) - offset) / sector + 0.5)
    c, s = _sin(turn + math.pi / 2), _sin(turn)
    return y * c + x * s, x * c - y * s


@_inline
def _pentagon(x, y, p):
    u, v = _fold5(x, y, math.pi / 5)
    apothem, half_edge = math.cos(math.pi / 5), math.sin(math.pi / 5)
    du, dv = u - apothem, v - min(max(v, -half_edge), half_edge)
    return math.sqrt(du * du + dv * dv) * _sign(du)


@_inline
def _star(x, y, p):
    u, v = _fold5(x, y, 0.0)
    v = abs(v)
    ax, ay = p[0] * math.cos(math.pi / 5) - 1.0, p[0] * math.sin(math.pi / 5)
    wx = u - 1.0
    t = min(max((wx * ax + v * ay) / (ax * ax + ay * ay), 0.0), 1.0)
    bx, by = wx - ax * t, v - ay * t
    return math.sqrt(bx * bx + by * by) * (1.0 if ax * v < ay * wx else -1.0)


@_inline
def _cross(x, y, p):
    arm = p[0]
    length = math.sqrt(1.0 - arm * arm)
    ax, ay = abs(x), abs(y)
    x, y = max(ax, ay), min(ax, ay)
    qx, qy = x - length, y - arm
    k = max(qx, qy)
    wx = max(qx if k > 0 else arm - x, 0.0)
    wy = max(qy if k > 0 else -k, 0.0)
    return _sign(k) * math.sqrt(wx * wx + wy * wy)


@_inline
def _heart(x, y, p):
    x, y = abs(x) * _HEART, y * _HEART + _HEART
    lobe = math.sqrt((x - 0.25) ** 2 + (y - 0.75) ** 2) - math.sqrt(2.0) / 4.0
    h = max(x + y, 0.0) * 0.5
    tip = math.sqrt(min(x * x + (y - 1.0) ** 2, (x - h) ** 2 + (y - h) ** 2)) * _sign(x - y)
    return (lobe if x + y > 1.0 else tip) / _HEART


@_inline
def _crescent(x, y, p):
    outer = math.sqrt(x * x + y * y) - 1.0
    bite = math.sqrt((x - p[0]) ** 2 + y * y) - 0.9
    return max(outer, -bite)


@_inline
def _arrow(x, y, p):
    y = abs(y)
    qx, qy = abs(x + 0.225) - 0.725, y - p[0]
    ox, oy = max(qx, 0.0), max(qy, 0.0)
    shaft = math.sqrt(ox * ox + oy * oy) + min(max(qx, qy), 0.0)
    d1, _ = _edge(x, y, 0.95, 0.0, 0.15, 0.6)
    d2, _ = _edge(x, y, 0.15, 0.6, 0.15, 0.0)
    inside = (x >= 0.15) & (0.6 * (x - 0.95) + 0.8 * y <= 0)
    return min(shaft, math.sqrt(min(d1, d2)) * (-1.0 if inside else 1.0))


@_jit
def _sdf(cls, x, y, p):
    """shapes.signed_distance for one point of class number ``cls``."""
    if cls == 0:
        return _circle(x, y, p)
    if cls == 1:
        return _square(x, y, p)
    if cls == 2:
        return _triangle(x, y, p)
    if cls == 3:
        return _pentagon(x, y, p)
    if cls == 4:
        return _star(x, y, p)
    if cls == 5:
        return _cross(x, y, p)
    if cls == 6:
        return _heart(x, y, p)
    if cls == 7:
        return _crescent(x, y, p)
    return _arrow(x, y, p)


# ----------------------------------------------------------------------------- pictures (data.py)


@_inline
def _bent(col, s, frame, look):
    """The local point of pixel ``col`` of a row (``frame`` holds the row's affine map), with
    the sketch's warp of the plane (data._render_group)."""
    gx = (col + 0.5) / s * 2 - 1
    x, y = frame[0] * gx + frame[1], frame[2] * gx + frame[3]
    bend = look[8]
    x = x + 0.05 * _sin(bend[0] * y + bend[1])
    return x, y + 0.05 * _sin(bend[2] * x + bend[3])


@_inline
def _sketch_ink(x, y, d, look):
    """data._sketch_coverage at one point whose signed distance is ``d`` pixels; ``look`` holds
    the stroke's settings worked out once a picture (see _draw)."""
    cs, sn, cp, sp, wobble, drift, end, half_width, _ = look
    xr, yr = x * cs + y * sn, y * cs - x * sn
    t = _atan2(yr, xr) + math.pi
    inv = 1.0 / max(math.sqrt(xr * xr + yr * yr), 1e-6)
    c1, s1 = xr * inv, yr * inv
    c2, s2 = c1 * c1 - s1 * s1, 2 * s1 * c1
    c3, s3 = c2 * c1 - s2 * s1, s2 * c1 + c2 * s1
    c4, s4 = c3 * c1 - s3 * s1, s3 * c1 + c3 * s1
    bend = c2 * wobble[0] + s2 * wobble[1] + c3 * wobble[2] + s3 * wobble[3] + c4 * wobble[4] + s4 * wobble[5]
    half = half_width * (1 + 0.35 * (c3 * cp + s3 * sp))
    off = d - bend - t * drift / _TAU
    ink = min(max(half + 0.5 - abs(off), 0.0), 1.0) if t < _TAU + min(end, 0.0) else 0.0
    again = min(max(half + 0.5 - abs(off - drift), 0.0), 1.0) if end > 0 and t < end else 0.0
    return max(ink, again)


@_jit
def _sketch_span(kind, cover, lo, hi, frame, look):
    """A sketch's ink at pixels ``lo .. hi - 1`` of a row, into ``cover``: one loop per class, so
    that each runs its own distance formula several pixels at a time. (Written out nine times:
    one loop taking the formula as an argument vectorises too, but numba cannot cache it on
    disk, and then every process would compile for half a minute.)"""
    s, r, p = len(cover), frame[4], frame[5]
    if kind == 0:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _circle(x, y, p) * r, look)
    elif kind == 1:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _square(x, y, p) * r, look)
    elif kind == 2:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _triangle(x, y, p) * r, look)
    elif kind == 3:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _pentagon(x, y, p) * r, look)
    elif kind == 4:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _star(x, y, p) * r, look)
    elif kind == 5:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _cross(x, y, p) * r, look)
    elif kind == 6:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _heart(x, y, p) * r, look)
    elif kind == 7:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _crescent(x, y, p) * r, look)
    else:
        for col in range(lo, hi):
            x, y = _bent(col, s, frame, look)
            cover[col] = _sketch_ink(x, y, _arrow(x, y, p) * r, look)


@_jit
def _paint(red, green, blue, cover, colours):
    """A row's three colour planes from its ink. (The planes come as arguments: the compiler
    then knows they do not overlap, which it must to fill several pixels at a time.)"""
    for col in range(len(cover)):
        red[col] = colours[0] + cover[col] * colours[3]
        green[col] = colours[1] + cover[col] * colours[4]
        blue[col] = colours[2] + cover[col] * colours[5]


@_jit
def _span(ax, bx, ay, by, reach, s, inward=False):
    """The columns ``lo .. hi - 1`` of a row whose local point ``(ax gx + bx, ay gx + by)`` lies
    within ``reach`` of the centre, from the roots of a quadratic in gx: a pixel more at each
    end, or with ``inward`` a pixel fewer, so that rounding never decides."""
    a, b, c = ax * ax + ay * ay, 2 * (ax * bx + ay * by), bx * bx + by * by - reach * reach
    disc = b * b - 4 * a * c
    if disc < 0 or reach <= 0:
        return 0, 0
    root = math.sqrt(disc)
    first = ((-b - root) / (2 * a) + 1) * s / 2 - 0.5  # the columns, as real numbers
    last = ((-b + root) / (2 * a) + 1) * s / 2 - 0.5
    if inward:
        lo, hi = int(math.ceil(first)) + 1, int(math.floor(last))
    else:
        lo, hi = int(math.floor(first)) - 1, int(math.ceil(last)) + 2
    lo, hi = min(max(lo, 0), s), min(max(hi, 0), s)
    return lo, max(lo, hi)


@numba.njit(parallel=True, cache=True, fastmath=True, error_model="numpy")
def _draw(cls, style, centre, size, angle, aspect, shape, fg, bg, width, stroke, out):
    """Draw every picture into ``out`` (B, 3, S, S); the arguments are ShapeParams' fields as arrays."""
    s = out.shape[-1]
    for i in prange(out.shape[0]):
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        stretch, radius = math.sqrt(aspect[i]), size[i]
        cx, cy = centre[i, 0], centre[i, 1]
        sx, sy = 1 / (radius * stretch), stretch / radius
        radius_px, width_px = radius * (s / 2), width[i] * s
        p = (shape[i, 0], shape[i, 1], shape[i, 2], shape[i, 3], shape[i, 4], shape[i, 5])
        kind, kind_of_stroke = cls[i], style[i]  # locals: not reloaded for every pixel
        ink_row = np.empty(s)  # the ink along a row
        colours = (bg[i, 0], bg[i, 1], bg[i, 2], fg[i, 0] - bg[i, 0], fg[i, 1] - bg[i, 1], fg[i, 2] - bg[i, 2])
        st = stroke[i]
        amp = 0.05 * radius_px
        wobble = (  # harmonics 2, 3, 4 of the contour's wobble, each (cosine, sine), in pixels
            amp * (st[1] * 2 - 1) / 2,
            amp * (st[2] * 2 - 1) / 2,
            amp * (st[3] * 2 - 1) / 3,
            amp * (st[4] * 2 - 1) / 3,
            amp * (st[5] * 2 - 1) / 4,
            amp * (st[6] * 2 - 1) / 4,
        )
        drift = (st[9] * 2 - 1) * radius_px * 0.08
        # How far (pixels) from the contour ink can reach: half the stroke and the edge's
        # anti-aliasing pixel; for a sketch, the widest pressure, the wobble and the drift too.
        if kind_of_stroke == 0:
            band = 0.5
        elif kind_of_stroke == 1:
            band = width_px / 2 + 0.5
        else:
            bends = math.hypot(wobble[0], wobble[1]) + math.hypot(wobble[2], wobble[3])
            bends += math.hypot(wobble[4], wobble[5])
            band = 1.35 * width_px / 2 + 0.5 + bends + 2 * abs(drift)
        # Every shape lies in the unit circle, so at r from its centre (local units) its distance
        # is at least r - 1: past this reach nothing is inked. The sketch's warp moves a point
        # by up to 0.05 on each axis.
        warp = 0.0708 if kind_of_stroke == 2 else 0.0
        reach = 1 + warp + band / radius_px
        # And around the centre, when it lies inside: a signed distance d(0) < 0 means the disc
        # of radius -d(0) is all shape (every formula changes by at most the distance moved), so
        # nearer than this inner reach the distance is below -band: a filled shape's full ink,
        # an outline's none.
        inner = max(-_sdf(kind, 0.0, 0.0, p) - warp - band / radius_px, 0.0)
        inside = 1.0 if kind_of_stroke == 0 else 0.0
        if kind_of_stroke == 2:
            end = -0.6 * st[13] if st[12] < 0.5 else st[13]
            turns = (math.cos(st[0] * _TAU), math.sin(st[0] * _TAU), math.cos(st[10] * _TAU), math.sin(st[10] * _TAU))
            bending = (1.5 + 2 * st[14], 6.3 * st[15], 1.5 + 2 * st[15], 6.3 * st[14])
            look = (*turns, wobble, drift, end, width_px / 2, bending)
        for row in range(s):
            gy = -((row + 0.5) / s * 2 - 1)
            ax, bx = cos * sx, (sin * sx) * gy - (cos * cx + sin * cy) * sx
            ay, by = -sin * sy, (cos * sy) * gy + (sin * cx - cos * cy) * sy
            lo, hi = _span(ax, bx, ay, by, reach, s)
            if kind_of_stroke == 2:  # every pixel of the span but the middle, where a stroke never is
                frame = (ax, bx, ay, by, radius_px, p)
                middle_lo, middle_hi = _span(ax, bx, ay, by, inner, s, inward=True)
                ink_row[:] = 0.0
                if middle_lo < middle_hi:
                    _sketch_span(kind, ink_row, lo, max(min(middle_lo, hi), lo), frame, look)
                    _sketch_span(kind, ink_row, min(max(middle_hi, lo), hi), hi, frame, look)
                else:
                    _sketch_span(kind, ink_row, lo, hi, frame, look)
            else:  # a filled or outlined shape, pixel by pixel
                for col in range(s):
                    gx = (col + 0.5) / s * 2 - 1
                    x, y = ax * gx + bx, ay * gx + by
                    r2 = x * x + y * y
                    cover = 0.0
                    if r2 < inner * inner:
                        cover = inside
                    elif lo <= col < hi:
                        d = _sdf(kind, x, y, p) * radius_px
                        if kind_of_stroke == 0:
                            cover = min(max(0.5 - d, 0.0), 1.0)
                        else:
                            cover = min(max(width_px / 2 + 0.5 - abs(d), 0.0), 1.0)
                    ink_row[col] = cover
            _paint(out[i, 0, row], out[i, 1, row], out[i, 2, row], ink_row, colours)


def render(params, image_size: int) -> torch.Tensor:
    """Like :func:`shapesim.data.render` on the CPU: ``(B, 3, S, S)`` float32."""
    out = np.empty((len(params), 3, image_size, image_size), np.float32)
    args = [getattr(params, f).numpy() for f in ("cls", "style", "centre", "size", "angle", "aspect")]
    args += [getattr(params, f).numpy() for f in ("shape", "fg", "bg", "width", "stroke")]
    # as many threads as torch uses: a limit set for torch (torch.set_num_threads) holds here too
    numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    _draw(*args, out)
    return torch.from_numpy(out)
