"""Polylines into pixels: one rasteriser with two implementations, PyTorch here (any device) and the
same rules compiled for the CPU (:mod:`shapesim.fastdraw`). Pictures are float32 RGB in [0, 1],
shaped ``(B, 3, S, S)``."""

from __future__ import annotations

import importlib.util
from dataclasses import fields

import torch
from torch import Tensor

from .geometry import Strokes, geometry
from .sampling import ShapeParams

__all__ = ["render", "draw", "coverage", "COMPILED_FROM"]

_CHUNK = 64  # pictures drawn at once: keeps the per-pixel tensors in the CPU's cache
# From this many pictures on the CPU, the compiled loops of shapesim.fastdraw draw them (several
# times faster); fewer are drawn here, without importing numba (0.4 s) or compiling them (half a
# minute, once per checkout).
COMPILED_FROM = 64
HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def render(
    params: ShapeParams, image_size: int, device: torch.device | str | None = None, compiled: bool | None = None
) -> Tensor:
    """Draw each picture described by ``params``: ``(B, 3, image_size, image_size)`` float32 in [0, 1]
    (:func:`draw` of their :func:`~shapesim.geometry.geometry`)."""
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    return draw(geometry(params, image_size), params.fg, params.bg, image_size, device, compiled)


def draw(
    strokes: Strokes,
    fg: Tensor,
    bg: Tensor,
    image_size: int,
    device: torch.device | str | None = None,
    compiled: bool | None = None,
) -> Tensor:
    """Polylines in pixels into pictures, ink ``fg`` (B, 3) on ``bg``: ``(B, 3, S, S)`` float32 in [0, 1].

    ``compiled`` chooses :mod:`shapesim.fastdraw`'s loops (CPU only, the same pictures to
    float rounding) over this module's PyTorch; None means: for ``COMPILED_FROM`` or more
    pictures on the CPU, when numba is installed.
    """
    device = torch.device(device or "cpu")
    if compiled is None:
        compiled = device.type == "cpu" and len(fg) >= COMPILED_FROM and HAVE_NUMBA
    if compiled and device.type != "cpu":
        raise ValueError(f"the compiled renderer draws on the CPU only, not on {device}")
    if compiled:
        from .fastdraw import draw as compiled_draw  # numba: imported only for large CPU batches

        return compiled_draw(strokes, fg, bg, image_size)
    strokes = strokes.to(device)
    chunk = _CHUNK if device.type == "cpu" else max(1, len(fg))  # an accelerator takes the batch at once
    cover = torch.cat([coverage(_rows(strokes, i, chunk), image_size) for i in range(0, len(fg), chunk)])
    fg, bg = fg.to(device), bg.to(device)
    return torch.addcmul(bg[:, :, None, None], cover[:, None], (fg - bg)[:, :, None, None])


def _rows(s: Strokes, i: int, chunk: int = _CHUNK) -> Strokes:
    return Strokes(*(getattr(s, f.name)[i : i + chunk] for f in fields(s)))


def coverage(s: Strokes, image_size: int, batched: bool | None = None) -> Tensor:
    """How much ink covers each pixel, ``(n, S, S)`` in [0, 1], in PyTorch on the strokes' device.

    A stroked segment covers a pixel whose centre lies within the pen's half-width of it (anti-aliased:
    by ``half + 0.5 - distance``); a filled picture covers what its closed contours enclose by the
    even-odd rule (a ray to the right crosses an odd number of them; anti-aliased by ``0.5 ∓ distance``
    to the nearest). The compiled renderer follows these same rules.

    Two ways, the same pictures: on an accelerator (``batched``, the default off the CPU) every segment of
    every picture is measured against every pixel in a few large operations, no loop per segment and one
    wait for the device per batch; on the CPU one segment at a time over small tensors that stay in its
    cache (5× faster there than the large operations, measured on 32 pictures of 64 px).
    """
    if batched is None:
        batched = s.points.device.type != "cpu"
    return _coverage_batched(s, image_size) if batched else _coverage_looped(s, image_size)


def _coverage_batched(s: Strokes, image_size: int, budget: int = 1 << 24) -> Tensor:
    """:func:`coverage` in large operations: segments taken as many at a time as ``budget`` numbers per
    temporary allow."""
    n, c, m = s.count.shape[0], s.count.shape[1], s.points.shape[2]
    dev = s.points.device
    grid = torch.arange(image_size, device=dev, dtype=torch.float32) + 0.5
    px, py = grid.view(1, 1, 1, -1), grid.view(1, 1, -1, 1)
    # segment j of a contour joins point j to the next one; a closed contour's last point joins its first
    j = torch.arange(m, device=dev).view(1, 1, m)
    count, closed = s.count[:, :, None], s.closed[:, :, None]
    joined = j + 1 < count
    valid = joined | (closed & (j == count - 1) & (count >= 3))
    nxt = torch.where(joined, j + 1, torch.zeros_like(j)).clamp(max=m - 1).expand(n, c, m)
    b = torch.gather(s.points, 2, nxt[..., None].expand(n, c, m, 2))
    hb = torch.gather(s.half, 2, nxt)
    fill = s.fill.view(n, 1, 1)
    stroked = (valid & ~(fill & closed)).reshape(n, c * m)
    edge = (valid & fill & closed & (count >= 3)).reshape(n, c * m)
    a, b = s.points.reshape(n, c * m, 2), b.reshape(n, c * m, 2)
    ha, hb = s.half.reshape(n, c * m), hb.reshape(n, c * m)
    # each picture's segments first, padding last; only as many columns as the busiest picture has
    # (one wait for the device per batch, to know that number)
    order = torch.argsort((~valid.reshape(n, c * m)).to(torch.int8), dim=1, stable=True)
    used = int(valid.reshape(n, c * m).sum(1).max()) if n else 0
    order = order[:, :used]
    a, b = (torch.gather(t, 1, order[..., None].expand(n, used, 2)) for t in (a, b))
    ha, hb, stroked, edge = (torch.gather(t, 1, order) for t in (ha, hb, stroked, edge))
    cover = torch.zeros(n, image_size, image_size, device=dev)
    near = torch.full((n, image_size, image_size), float("inf"), device=dev)
    odd = torch.zeros(n, image_size, image_size, dtype=torch.int32, device=dev)
    hard = s.hard.view(-1, 1, 1, 1)
    step = max(1, budget // max(1, n * image_size * image_size))
    for i in range(0, used, step):  # a few chunks of many segments each, not a loop per segment
        cut = slice(i, i + step)
        seg = lambda t, cut=cut: t[:, cut, None, None]  # noqa: E731
        ax, ay, bx, by = seg(a[..., 0]), seg(a[..., 1]), seg(b[..., 0]), seg(b[..., 1])
        ex, ey = bx - ax, by - ay
        wx, wy = px - ax, py - ay
        t = ((wx * ex + wy * ey) / (ex * ex + ey * ey).clamp(min=1e-12)).clamp(0, 1)
        dx, dy = wx - t * ex, wy - t * ey
        d = torch.sqrt(dx * dx + dy * dy)
        h = seg(ha) + t * seg(hb - ha)
        ink = torch.where(hard, (d <= h).float(), (h + 0.5 - d).clamp(0, 1))
        cover = torch.maximum(cover, (ink * seg(stroked)).amax(1))
        rim = seg(edge)
        near = torch.minimum(near, torch.where(rim, d, float("inf")).amin(1))
        across = (ay <= py) != (by <= py)
        x_at = ax + (py - ay) * ex / torch.where(ey == 0, torch.ones_like(ey), ey)
        odd += (rim & across & (px < x_at)).sum(1, dtype=torch.int32)
    inside = odd % 2 == 1
    area = torch.where(inside, (0.5 + near).clamp(0, 1), (0.5 - near).clamp(0, 1))
    area = torch.where(s.hard.view(-1, 1, 1), inside.float(), area)
    return torch.maximum(cover, area * s.fill.view(-1, 1, 1))


def _coverage_looped(s: Strokes, image_size: int) -> Tensor:
    """:func:`coverage` one segment at a time, over small tensors that stay in a CPU's cache."""
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
