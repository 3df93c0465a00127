"""The rasteriser of :mod:`shapesim.data` as compiled loops, for the CPU.

:func:`shapesim.data.coverage` draws in eager PyTorch: every segment of every
contour is a pass over all pixels of the picture. Here numba compiles the same
rules into loops that visit, for each segment, only the pixels its pen can reach
(its bounding box widened by the pen), find a filled shape's inside row by row
from where its edges cross the row, and draw pictures on every core at once. The
pictures are the PyTorch renderer's to float rounding (``tests/test_fastdraw.py``
compares them pixel by pixel); the rules live in :func:`shapesim.data.coverage`,
and any change there must be made here too.

numba comes with umap-learn. :func:`shapesim.data.render` imports this module,
and so numba (0.4 s), only when it draws a large batch on the CPU; the loops
are compiled on first use (seconds) and cached on disk, so later processes load
them at once.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from numba import prange

__all__ = ["draw"]

_jit = numba.njit(cache=True, fastmath=True, error_model="numpy")


@_jit
def _to_segment(px, py, ax, ay, bx, by):
    """Distance from the point to the segment a-b, and where along it (0..1) the nearest point is."""
    ex, ey = bx - ax, by - ay
    wx, wy = px - ax, py - ay
    t = min(max((wx * ex + wy * ey) / max(ex * ex + ey * ey, 1e-12), 0.0), 1.0)
    dx, dy = wx - t * ex, wy - t * ey
    return math.sqrt(dx * dx + dy * dy), t


@_jit
def _box(ax, ay, bx, by, reach, s):
    """The pixels ``x0..x1, y0..y1`` within ``reach`` of the segment's bounding box."""
    x0 = max(0, int(math.floor(min(ax, bx) - reach - 0.5)))
    x1 = min(s - 1, int(math.ceil(max(ax, bx) + reach - 0.5)))
    y0 = max(0, int(math.floor(min(ay, by) - reach - 0.5)))
    y1 = min(s - 1, int(math.ceil(max(ay, by) + reach - 0.5)))
    return x0, x1, y0, y1


@_jit
def _fill_inside(points, count, closed, hard, near, crossings, cover):
    """One picture's filled area into ``cover``: the inside by the even-odd rule (crossings of a ray to the right),
    anti-aliased by ``near`` (each pixel's distance to the nearest edge) unless ``hard``."""
    s = cover.shape[0]
    for row in range(s):
        py = row + 0.5
        m = 0
        for c in range(count.shape[0]):
            k = count[c]
            if not closed[c] or k < 3:
                continue
            for j in range(k):
                nj = j + 1 if j + 1 < k else 0
                ax, ay = points[c, j, 0], points[c, j, 1]
                bx, by = points[c, nj, 0], points[c, nj, 1]
                if (ay <= py) != (by <= py):
                    crossings[m] = ax + (py - ay) * (bx - ax) / (by - ay)
                    m += 1
        for col in range(s):
            px = col + 0.5
            inside = False
            for q in range(m):
                if px < crossings[q]:
                    inside = not inside
            d = near[row, col]
            if hard:
                area = 1.0 if inside else 0.0
            else:
                area = min(max(0.5 + d, 0.0), 1.0) if inside else min(max(0.5 - d, 0.0), 1.0)
            cover[row, col] = max(cover[row, col], area)


@numba.njit(parallel=True, cache=True, fastmath=True, error_model="numpy")
def _draw(points, count, closed, half, fill, hard, fg, bg, out):
    """Each picture into ``out`` (n, 3, S, S): its ink coverage by the rules of data.coverage, in its
    colours (``bg + cover · (fg − bg)``); the first six arguments are data.Strokes as arrays."""
    n, contours = count.shape
    s = out.shape[2]
    for i in prange(n):
        cover = np.zeros((s, s))
        near = np.full((s, s), 1e9)  # distance to the nearest edge of a filled area, near the edges
        crossings = np.empty(points.shape[1] * points.shape[2])
        for c in range(contours):
            k = count[i, c]
            shut = closed[i, c] and k >= 3
            stroked = not (fill[i] and closed[i, c])
            edge = fill[i] and closed[i, c] and not hard[i]
            for j in range(k if shut else k - 1):
                nj = j + 1 if j + 1 < k else 0
                ax, ay = points[i, c, j, 0], points[i, c, j, 1]
                bx, by = points[i, c, nj, 0], points[i, c, nj, 1]
                if stroked:
                    ha, hb = half[i, c, j], half[i, c, nj]
                    x0, x1, y0, y1 = _box(ax, ay, bx, by, max(ha, hb) + 1.0, s)
                    for row in range(y0, y1 + 1):
                        for col in range(x0, x1 + 1):
                            d, t = _to_segment(col + 0.5, row + 0.5, ax, ay, bx, by)
                            h = ha + t * (hb - ha)
                            ink = (1.0 if d <= h else 0.0) if hard[i] else min(max(h + 0.5 - d, 0.0), 1.0)
                            cover[row, col] = max(cover[row, col], ink)
                if edge:
                    x0, x1, y0, y1 = _box(ax, ay, bx, by, 1.5, s)
                    for row in range(y0, y1 + 1):
                        for col in range(x0, x1 + 1):
                            d, _ = _to_segment(col + 0.5, row + 0.5, ax, ay, bx, by)
                            near[row, col] = min(near[row, col], d)
        if fill[i]:
            _fill_inside(points[i], count[i], closed[i], hard[i], near, crossings, cover)
        for ch in range(3):
            out[i, ch] = bg[i, ch] + cover * (fg[i, ch] - bg[i, ch])


def draw(strokes, fg: torch.Tensor, bg: torch.Tensor, image_size: int) -> torch.Tensor:
    """Like :func:`shapesim.data.render` on the CPU: ``(n, 3, S, S)`` float32 pictures of ``strokes`` in
    colours ``fg`` and ``bg`` (n, 3)."""
    out = np.empty((len(strokes.count), 3, image_size, image_size), np.float32)
    args = [getattr(strokes, f).numpy() for f in ("points", "count", "closed", "half", "fill", "hard")]
    # as many threads as torch uses: a limit set for torch (torch.set_num_threads) holds here too
    numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    if len(out):
        _draw(*args, fg.numpy(), bg.numpy(), out)
    return torch.from_numpy(out)
