"""The renderer of :mod:`shapesim.data` as one compiled loop, for the CPU.

:func:`shapesim.data.render` draws in eager PyTorch: every step of a picture
(coordinates, warp, signed distance, stroke) is a pass over all its pixels,
over a hundred of them for a sketch. Here numba compiles the same formulas
into one loop that takes each pixel through all steps in registers, skips
pixels that the shape's bounding circle says cannot be inked, and draws
pictures on every core at once. The pictures are the torch renderer's to
float rounding (``tests/test_fastdraw.py`` compares them pixel by pixel); the
formulas live in :mod:`shapesim.shapes` and :mod:`shapesim.data`, and any
change there must be made here too.

numba comes with umap-learn. :func:`shapesim.data.render` imports this module,
and so numba (0.4 s), only when it draws a large batch on the CPU; the loop is
compiled on its first call (seconds) and cached on disk for later processes.
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
# cos and sin of k tenths of a turn, k = -7 .. 7: the angles a five-fold shape is turned by.
_COS_TENTHS = tuple(math.cos(k * math.pi / 5) for k in range(-7, 8))
_SIN_TENTHS = tuple(math.sin(k * math.pi / 5) for k in range(-7, 8))
_jit = numba.njit(cache=True, fastmath=True)


@_jit
def _sin(x):
    """sin(x) to ~1e-9 in a dozen multiplications (libm's costs 20 ns here, a fifth of a sketch pixel)."""
    r = x - _TAU * math.floor(x / _TAU + 0.5)  # [-pi, pi]
    if r > math.pi / 2:
        r = math.pi - r
    elif r < -math.pi / 2:
        r = -math.pi - r
    r2 = r * r
    series = 1 / 362880 + r2 * (-1 / 39916800 + r2 / 6227020800)  # Taylor to r^13: error below 1e-9
    return r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * series))))


@_jit
def _atan2(y, x):
    """atan2(y, x) to ~1e-9 (Cephes' reduction: to [0, 1], then past pi / 6, then a short series)."""
    ax, ay = abs(x), abs(y)
    hi, lo = max(ax, ay), min(ax, ay)
    if hi == 0.0:
        return 0.0
    a, base = lo / hi, 0.0
    if a > 0.2679491924311227:  # tan(pi / 12)
        a, base = (a * 1.7320508075688772 - 1) / (a + 1.7320508075688772), math.pi / 6
    a2 = a * a
    t = base + a * (1 + a2 * (-1 / 3 + a2 * (1 / 5 + a2 * (-1 / 7 + a2 * (1 / 9 + a2 * (-1 / 11 + a2 / 13))))))
    if ay > ax:
        t = math.pi / 2 - t
    if x < 0:
        t = math.pi - t
    return -t if y < 0 else t


@_jit
def _segment2(x, y, ax, ay, bx, by):
    ex, ey = bx - ax, by - ay
    wx, wy = x - ax, y - ay
    t = min(max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0), 1.0)
    dx, dy = wx - t * ex, wy - t * ey
    return dx * dx + dy * dy


@_jit
def _sdf(cls, x, y, p0, p1, p2, p3, p4, p5):
    """shapes.signed_distance for one point: the class's formula, scalar."""
    if cls == 0:  # circle
        return math.sqrt(x * x + y * y) - 1.0
    if cls == 1:  # square
        half = 1.0 / math.sqrt(2.0)
        dx, dy = abs(x) - half, abs(y) - half
        ox, oy = max(dx, 0.0), max(dy, 0.0)
        return math.sqrt(ox * ox + oy * oy) + min(max(dx, dy), 0.0)
    if cls == 2:  # triangle: polygon_sdf with vertices (p0, p1), (p2, p3), (p4, p5)
        vx = (p0, p2, p4)
        vy = (p1, p3, p5)
        d2 = (x - vx[0]) ** 2 + (y - vy[0]) ** 2
        inside = False
        for i in range(3):
            j = (i + 2) % 3
            ex, ey = vx[j] - vx[i], vy[j] - vy[i]
            wx, wy = x - vx[i], y - vy[i]
            t = min(max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0), 1.0)
            bx, by = wx - ex * t, wy - ey * t
            d2 = min(d2, bx * bx + by * by)
            c1, c2, c3 = y >= vy[i], y < vy[j], ex * wy > ey * wx
            if c1 == c2 and c2 == c3:
                inside = not inside
        return math.sqrt(d2) * (-1.0 if inside else 1.0)
    if cls == 3 or cls == 4:  # pentagon, star: fold into one sector (shapes._fold)
        # Turning by the sector's angle phi = offset + m * sector, one of a few: from a table.
        half_turns = 1 if cls == 3 else 0  # the offset in half sectors
        m = math.floor((_atan2(x, y) - half_turns * math.pi / 5) / (_TAU / 5) + 0.5)
        k = 2 * m + half_turns + 7
        u, v = y * _COS_TENTHS[k] + x * _SIN_TENTHS[k], x * _COS_TENTHS[k] - y * _SIN_TENTHS[k]
        if cls == 3:
            apothem, half_edge = math.cos(math.pi / 5), math.sin(math.pi / 5)
            du, dv = u - apothem, v - min(max(v, -half_edge), half_edge)
            return math.sqrt(du * du + dv * dv) * (1.0 if du > 0 else -1.0 if du < 0 else 0.0)
        v = abs(v)
        ax, ay = p0 * math.cos(math.pi / 5) - 1.0, p0 * math.sin(math.pi / 5)
        wx = u - 1.0
        t = min(max((wx * ax + v * ay) / (ax * ax + ay * ay), 0.0), 1.0)
        bx, by = wx - ax * t, v - ay * t
        return math.sqrt(bx * bx + by * by) * (1.0 if ax * v < ay * wx else -1.0)
    if cls == 5:  # cross
        length = math.sqrt(1.0 - p0 * p0)
        ax, ay = abs(x), abs(y)
        x, y = max(ax, ay), min(ax, ay)
        qx, qy = x - length, y - p0
        k = max(qx, qy)
        wx = qx if k > 0 else p0 - x
        wy = qy if k > 0 else -k
        wx, wy = max(wx, 0.0), max(wy, 0.0)
        return (1.0 if k > 0 else -1.0 if k < 0 else 0.0) * math.sqrt(wx * wx + wy * wy)
    if cls == 6:  # heart
        x, y = abs(x) * _HEART, y * _HEART + _HEART
        if x + y > 1.0:
            return (math.sqrt((x - 0.25) ** 2 + (y - 0.75) ** 2) - math.sqrt(2.0) / 4.0) / _HEART
        h = max(x + y, 0.0) * 0.5
        tip = math.sqrt(min(x * x + (y - 1.0) ** 2, (x - h) ** 2 + (y - h) ** 2))
        return tip * (1.0 if x > y else -1.0 if x < y else 0.0) / _HEART
    if cls == 7:  # crescent
        outer = math.sqrt(x * x + y * y) - 1.0
        bite = math.sqrt((x - p0) ** 2 + y * y) - 0.9
        return max(outer, -bite)
    # arrow
    y = abs(y)
    qx, qy = abs(x + 0.225) - 0.725, y - p0
    ox, oy = max(qx, 0.0), max(qy, 0.0)
    shaft = math.sqrt(ox * ox + oy * oy) + min(max(qx, qy), 0.0)
    d2 = min(_segment2(x, y, 0.95, 0.0, 0.15, 0.6), _segment2(x, y, 0.15, 0.6, 0.15, 0.0))
    inside = x >= 0.15 and 0.6 * (x - 0.95) + 0.8 * y <= 0
    return min(shaft, math.sqrt(d2) * (-1.0 if inside else 1.0))


@_jit
def _sketch(x, y, d, half_width, cs, sn, cp, sp, wobble2, wobble3, wobble4, drift, end):
    """data._sketch_coverage for one point. The stroke's settings come as numbers worked out
    once a picture: ``cs, sn`` and ``cp, sp`` are cosine and sine of its start angle and of
    its pressure phase, ``wobbleK`` the (cosine, sine) amplitudes of harmonic K, times
    0.05 radius, ``drift`` and ``end`` in pixels and radians."""
    xr, yr = x * cs + y * sn, y * cs - x * sn
    t = _atan2(yr, xr) + math.pi
    inv = 1.0 / max(math.sqrt(xr * xr + yr * yr), 1e-6)
    c1, s1 = xr * inv, yr * inv
    c2, s2 = c1 * c1 - s1 * s1, 2 * s1 * c1
    c3, s3 = c2 * c1 - s2 * s1, s2 * c1 + c2 * s1
    c4, s4 = c3 * c1 - s3 * s1, s3 * c1 + c3 * s1
    wobble = c2 * wobble2[0] + s2 * wobble2[1] + c3 * wobble3[0] + s3 * wobble3[1] + c4 * wobble4[0] + s4 * wobble4[1]
    half = half_width * (1 + 0.35 * (c3 * cp + s3 * sp))
    off = d - wobble - t * drift / _TAU
    ink = min(max(half + 0.5 - abs(off), 0.0), 1.0) if t < _TAU + min(end, 0.0) else 0.0
    if end > 0 and t < end:
        ink = max(ink, min(max(half + 0.5 - abs(off - drift), 0.0), 1.0))
    return ink


@numba.njit(parallel=True, cache=True, fastmath=True)
def _draw(cls, style, centre, size, angle, aspect, shape, fg, bg, width, stroke, out):
    """Draw every picture into ``out`` (B, 3, S, S); the arguments are ShapeParams' fields as arrays."""
    s = out.shape[-1]
    for i in prange(out.shape[0]):
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        stretch, radius = math.sqrt(aspect[i]), size[i]
        cx, cy = centre[i, 0], centre[i, 1]
        sx, sy = 1 / (radius * stretch), stretch / radius
        radius_px, width_px = radius * (s / 2), width[i] * s
        st = stroke[i]
        cs, sn = math.cos(st[0] * _TAU), math.sin(st[0] * _TAU)
        cp, sp = math.cos(st[10] * _TAU), math.sin(st[10] * _TAU)
        amp = 0.05 * radius * (s / 2)
        wobble2 = (amp * (st[1] * 2 - 1) / 2, amp * (st[2] * 2 - 1) / 2)
        wobble3 = (amp * (st[3] * 2 - 1) / 3, amp * (st[4] * 2 - 1) / 3)
        wobble4 = (amp * (st[5] * 2 - 1) / 4, amp * (st[6] * 2 - 1) / 4)
        drift = (st[9] * 2 - 1) * radius * (s / 2) * 0.08
        end = -0.6 * st[13] if st[12] < 0.5 else st[13]
        warp_x, shift_x, warp_y, shift_y = 1.5 + 2 * st[14], 6.3 * st[15], 1.5 + 2 * st[15], 6.3 * st[14]
        p = shape[i]
        kind, look = cls[i], style[i]  # locals, so the compiler need not reload them for every pixel
        # How far (pixels) from the contour ink can reach: half the stroke and the edge's
        # anti-aliasing pixel; for a sketch, the widest pressure, the wobble and the drift too.
        if look == 0:
            band = 0.5
        elif look == 1:
            band = width_px / 2 + 0.5
        else:
            wobble = math.hypot(*wobble2) + math.hypot(*wobble3) + math.hypot(*wobble4)
            band = 1.35 * width_px / 2 + 0.5 + wobble + 2 * abs(drift)
        # Every shape lies in the unit circle, so at r from its centre (local units) its distance
        # is at least r - 1: past this reach nothing is inked. The sketch's warp moves a point
        # by up to 0.05 on each axis.
        warp = 0.0708 if look == 2 else 0.0
        reach = 1 + warp + band / radius_px
        # And around the centre, when it lies inside: a signed distance d(0) < 0 means the disc
        # of radius -d(0) is all shape (for every class's formula), so nearer than this inner
        # reach the distance is below -band: a filled shape's full ink, an outline's none.
        inner = max(-_sdf(kind, 0.0, 0.0, p[0], p[1], p[2], p[3], p[4], p[5]) - warp - band / radius_px, 0.0)
        inside = 1.0 if look == 0 else 0.0
        dr, dg, db = fg[i, 0] - bg[i, 0], fg[i, 1] - bg[i, 1], fg[i, 2] - bg[i, 2]
        # The first warp's sine runs along a row at a constant rate: turned on from pixel to pixel.
        step = warp_x * (-sin * sy) * (2 / s)
        turn_c, turn_s = math.cos(step), math.sin(step)
        for row in range(s):
            gy = -((row + 0.5) / s * 2 - 1)
            y0 = (-sin * sy) * (0.5 / s * 2 - 1) + ((cos * sy) * gy + (sin * cx - cos * cy) * sy)
            wave_s, wave_c = _sin(warp_x * y0 + shift_x), _sin(warp_x * y0 + shift_x + math.pi / 2)
            for col in range(s):
                gx = (col + 0.5) / s * 2 - 1
                x = (cos * sx) * gx + ((sin * sx) * gy - (cos * cx + sin * cy) * sx)
                y = (-sin * sy) * gx + ((cos * sy) * gy + (sin * cx - cos * cy) * sy)
                r2 = x * x + y * y
                cover = 0.0
                if r2 < inner * inner:
                    cover = inside
                elif r2 < reach * reach:
                    if look == 2:
                        x = x + 0.05 * wave_s
                        y = y + 0.05 * _sin(warp_y * x + shift_y)
                    d = _sdf(kind, x, y, p[0], p[1], p[2], p[3], p[4], p[5]) * radius_px
                    if look == 0:
                        cover = min(max(0.5 - d, 0.0), 1.0)
                    elif look == 1:
                        cover = min(max(width_px / 2 + 0.5 - abs(d), 0.0), 1.0)
                    elif abs(d) < band:
                        cover = _sketch(x, y, d, width_px / 2, cs, sn, cp, sp, wobble2, wobble3, wobble4, drift, end)
                wave_s, wave_c = wave_s * turn_c + wave_c * turn_s, wave_c * turn_c - wave_s * turn_s
                out[i, 0, row, col] = bg[i, 0] + cover * dr
                out[i, 1, row, col] = bg[i, 1] + cover * dg
                out[i, 2, row, col] = bg[i, 2] + cover * db


def render(params, image_size: int) -> torch.Tensor:
    """Like :func:`shapesim.data.render` on the CPU: ``(B, 3, S, S)`` float32."""
    out = np.empty((len(params), 3, image_size, image_size), np.float32)
    args = [getattr(params, f).numpy() for f in ("cls", "style", "centre", "size", "angle", "aspect")]
    args += [getattr(params, f).numpy() for f in ("shape", "fg", "bg", "width", "stroke")]
    _draw(*args, out)
    return torch.from_numpy(out)
