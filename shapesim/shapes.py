"""The shape vocabulary as signed-distance functions.

Every shape lives in its own local frame: centred on the origin, y up, and
scaled so that it fits in (and nearly touches) the unit circle. A signed
distance is negative inside, positive outside, in local units. Position, size,
rotation and aspect are applied by the renderer (`shapesim.data`) before a point
reaches these functions, so "the same shape" means the same class under any
similarity transform.

Each function takes local coordinates ``x, y`` of any (broadcastable) shape and
per-sample parameters shaped to broadcast against them, and returns distances
of the broadcast shape. Most formulas follow Inigo Quilez's 2D distance
functions (https://iquilezles.org/articles/distfunctions2d/).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["CLASSES", "signed_distance", "class_index", "check_classes"]


def _circle(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    return torch.sqrt(x * x + y * y) - 1.0


def _square(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    half = 1.0 / math.sqrt(2.0)  # corners on the unit circle
    dx, dy = x.abs() - half, y.abs() - half
    outside = torch.sqrt(dx.clamp(min=0) ** 2 + dy.clamp(min=0) ** 2)
    return outside + torch.maximum(dx, dy).clamp(max=0)


def _fold(x: Tensor, y: Tensor, n: int, offset: float) -> tuple[Tensor, Tensor]:
    """Rotate each point into the sector of angle 2 pi / n centred on ``offset`` (radians from up).

    Returns ``(u, v)``: u along the sector's centre line, v across it.
    """
    sector = 2 * math.pi / n
    angle = torch.atan2(x, y) - offset
    angle = angle - sector * torch.round(angle / sector)
    radius = torch.sqrt(x * x + y * y)
    return radius * torch.cos(angle), radius * torch.sin(angle)


def _regular_polygon(n: int) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
    sector = math.pi / n
    apothem, half_edge = math.cos(sector), math.sin(sector)

    def sdf(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
        # Fold the plane into one sector around an edge normal (a vertex points up);
        # there the edge is the segment u = apothem, |v| <= half_edge.
        u, v = _fold(x, y, n, sector)
        du, dv = u - apothem, v - v.clamp(-half_edge, half_edge)
        return torch.sqrt(du * du + dv * dv) * torch.sign(du)

    return sdf


def _star(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    """Five-pointed star; ``p[..., 0]`` is the inner radius (0.38-0.5)."""
    n = 5
    sector = math.pi / n
    u, v = _fold(x, y, n, 0.0)  # a point of the star points up
    v = v.abs()
    inner = p[..., 0]
    # The edge from the outer vertex (1, 0) to the inner vertex at angle `sector`.
    ax, ay = inner * math.cos(sector) - 1.0, inner * math.sin(sector)
    wx = u - 1.0
    t = ((wx * ax + v * ay) / (ax * ax + ay * ay)).clamp_(0, 1)
    bx, by = wx - ax * t, v - ay * t
    outside = ax * v < ay * wx  # on the far side of the edge's line
    return torch.sqrt(bx * bx + by * by) * (2 * outside.float() - 1)


def _cross(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    """A plus sign; ``p[..., 0]`` is the arm half-width (0.22-0.32)."""
    arm = p[..., 0]
    length = torch.sqrt(1.0 - arm * arm)  # arm corners on the unit circle
    x, y = x.abs(), y.abs()
    x, y = torch.maximum(x, y), torch.minimum(x, y)
    qx, qy = x - length, y - arm
    k = torch.maximum(qx, qy)
    wx = torch.where(k > 0, qx, arm - x)
    wy = torch.where(k > 0, qy, -k)
    return torch.sign(k) * torch.sqrt(wx.clamp(min=0) ** 2 + wy.clamp(min=0) ** 2)


_HEART_SCALE = 0.631  # Quilez's heart fits a circle of this radius around (0, 0.631)


def _heart(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    x, y = x.abs() * _HEART_SCALE, y * _HEART_SCALE + _HEART_SCALE
    lobe = torch.sqrt((x - 0.25) ** 2 + (y - 0.75) ** 2) - math.sqrt(2.0) / 4.0
    h = (x + y).clamp(min=0) * 0.5
    tip = torch.sqrt(torch.minimum(x * x + (y - 1.0) ** 2, (x - h) ** 2 + (y - h) ** 2))
    return torch.where(x + y > 1.0, lobe, tip * torch.sign(x - y)) / _HEART_SCALE


def _crescent(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    """A moon: the unit disc minus a disc shifted right; ``p[..., 0]`` is the shift."""
    shift = p[..., 0]
    outer = torch.sqrt(x * x + y * y) - 1.0
    bite = torch.sqrt((x - shift) ** 2 + y * y) - 0.9
    return torch.maximum(outer, -bite)


def polygon_sdf(x: Tensor, y: Tensor, vx: Tensor, vy: Tensor) -> Tensor:
    """Signed distance to a closed polygon with vertices ``(vx[..., i], vy[..., i])``.

    The vertex tensors have one more trailing dimension (the vertex) than the
    broadcast shape of ``x`` and ``y``. Works for non-convex polygons.
    """
    n = vx.shape[-1]
    dist2 = (x - vx[..., 0]) ** 2 + (y - vy[..., 0]) ** 2
    inside = torch.zeros_like(dist2, dtype=torch.bool)
    for i in range(n):
        j = i - 1
        ex, ey = vx[..., j] - vx[..., i], vy[..., j] - vy[..., i]
        inv = 1.0 / (ex * ex + ey * ey)
        wx, wy = x - vx[..., i], y - vy[..., i]
        t = torch.addcmul(wx * ex, wy, ey).mul_(inv).clamp_(0, 1)
        bx, by = torch.addcmul(wx, ex, t, value=-1), torch.addcmul(wy, ey, t, value=-1)
        dist2 = torch.minimum(dist2, torch.addcmul(bx * bx, by, by))
        # Even-odd rule: a ray to the right crosses this edge.
        c1, c2, c3 = y >= vy[..., i], y < vy[..., j], ex * wy > ey * wx
        inside ^= (c1 == c2) & (c2 == c3)
    return torch.sqrt(dist2).mul_(1 - 2 * inside.float())


def _triangle(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    """Any triangle: ``p[..., 0:6]`` are its three vertices (x0, y0, x1, y1, x2, y2)."""
    return polygon_sdf(x, y, p[..., 0:6:2], p[..., 1:6:2])


def _segment2(x: Tensor, y: Tensor, ax: float, ay: float, bx: float, by: float) -> Tensor:
    """Squared distance from points to the segment (ax, ay)-(bx, by)."""
    ex, ey = bx - ax, by - ay
    wx, wy = x - ax, y - ay
    t = (wx * ex + wy * ey).mul_(1 / (ex * ex + ey * ey)).clamp_(0, 1)
    dx, dy = wx - t * ex, wy - t * ey
    return torch.addcmul(dx * dx, dy, dy)


def _arrow(x: Tensor, y: Tensor, p: Tensor) -> Tensor:
    """An arrow pointing right; ``p[..., 0]`` is the shaft's half-width (0.14-0.24).

    The union of a shaft (a box reaching into the head, so no edge shows where
    they meet) and a head (a triangle, mirrored about the axis).
    """
    y = y.abs()
    w = p[..., 0]
    # The shaft: x in [-0.95, 0.5], |y| <= w.
    qx, qy = (x + 0.225).abs() - 0.725, y - w
    shaft = torch.sqrt(qx.clamp(min=0) ** 2 + qy.clamp(min=0) ** 2) + torch.maximum(qx, qy).clamp(max=0)
    # The head: tip (0.95, 0), corner (0.15, 0.6), base on x = 0.15.
    dist = torch.sqrt(torch.minimum(_segment2(x, y, 0.95, 0.0, 0.15, 0.6), _segment2(x, y, 0.15, 0.6, 0.15, 0.0)))
    inside = (x >= 0.15) & (0.6 * (x - 0.95) + 0.8 * y <= 0)
    head = dist * (1 - 2 * inside.float())
    return torch.minimum(shaft, head)


SDF: dict[str, Callable[[Tensor, Tensor, Tensor], Tensor]] = {
    "circle": _circle,
    "square": _square,
    "triangle": _triangle,
    "pentagon": _regular_polygon(5),
    "star": _star,
    "cross": _cross,
    "heart": _heart,
    "crescent": _crescent,
    "arrow": _arrow,
}
CLASSES: tuple[str, ...] = tuple(SDF)


def check_classes(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return ``names`` as a tuple, or raise a ValueError naming the valid classes."""
    unknown = [n for n in names if n not in SDF]
    if unknown:
        raise ValueError(f"unknown shape class {unknown}; valid classes: {', '.join(CLASSES)}")
    return tuple(names)


def class_index(name: str) -> int:
    check_classes([name])
    return CLASSES.index(name)


def signed_distance(name: str, x: Tensor, y: Tensor, params: Tensor) -> Tensor:
    """Signed distance of shape ``name`` at local points ``x, y``.

    ``params`` holds the class's shape parameters (for example a triangle's
    vertices) with a trailing parameter dimension; its leading dimensions
    broadcast against ``x`` and ``y``.
    """
    return SDF[name](x, y, params)
