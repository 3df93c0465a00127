"""Outlines: a batch of shapes' contours as padded polylines, and the primitives families make them of."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TAU", "P", "K", "Outline"]

TAU = 2 * math.pi
P = 24  # parameters of an identity (a family uses the first few; the rest are 0)
K = 96  # points of a contour at most


@dataclass(frozen=True)
class Outline:
    """Outlines of a batch of shapes: contours as polylines, padded to the same sizes."""

    points: np.ndarray  # (n, C, K, 2) float64, in the shape's frame: y up, within the unit circle
    count: np.ndarray  # (n, C) int: points each contour uses (0: no contour)
    closed: np.ndarray  # (n, C) bool: the contour bounds an area (its last point joins its first)

    def __len__(self) -> int:
        return len(self.points)

    @staticmethod
    def of(contours: list[list[tuple[np.ndarray, bool]]]) -> Outline:
        """From Python lists: for each shape, its contours as ``(points (k, 2), closed)``."""
        n = len(contours)
        c = max(1, max(len(cs) for cs in contours))
        k = max(2, max((len(p) for cs in contours for p, _ in cs), default=2))
        points, count, closed = np.zeros((n, c, k, 2)), np.zeros((n, c), np.int64), np.zeros((n, c), bool)
        for i, cs in enumerate(contours):
            for j, (p, shut) in enumerate(cs):
                points[i, j, : len(p)], points[i, j, len(p) :] = p, p[-1]
                count[i, j], closed[i, j] = len(p), shut
        return Outline(points, count, closed)

    def padded(self, c: int, k: int) -> Outline:
        """The same outlines with room for ``c`` contours of ``k`` points (the last point repeated)."""
        n, c0, k0, _ = self.points.shape
        points = np.zeros((n, c, k, 2))
        points[:, :c0, :k0] = self.points
        points[:, :c0, k0:] = self.points[:, :, -1:]
        count, closed = np.zeros((n, c), np.int64), np.zeros((n, c), bool)
        count[:, :c0], closed[:, :c0] = self.count, self.closed
        return Outline(points, count, closed)

    def fitted(self) -> Outline:
        """Centred on the middle of its bounding box and scaled so that its farthest point is at radius 1."""
        used = (np.arange(self.points.shape[2])[None, None, :] < self.count[:, :, None])[..., None]  # (n, C, K, 1)
        lo = np.where(used, self.points, np.inf).min(axis=(1, 2))
        hi = np.where(used, self.points, -np.inf).max(axis=(1, 2))
        centred = self.points - ((lo + hi) / 2)[:, None, None, :]
        reach = np.where(used[..., 0], np.hypot(centred[..., 0], centred[..., 1]), 0).max(axis=(1, 2))
        return Outline(centred / np.maximum(reach, 1e-9)[:, None, None, None], self.count, self.closed)


def _merge(parts: list[tuple[np.ndarray, Outline]], n: int) -> Outline:
    """Outlines of several groups of a batch (row indices, outlines) put back in the batch's order."""
    c = max(o.points.shape[1] for _, o in parts)
    k = max(o.points.shape[2] for _, o in parts)
    out = Outline(np.zeros((n, c, k, 2)), np.zeros((n, c), np.int64), np.zeros((n, c), bool))
    for rows, o in parts:
        o = o.padded(c, k)
        out.points[rows], out.count[rows], out.closed[rows] = o.points, o.count, o.closed
    return out


def _ring(x: np.ndarray, y: np.ndarray, closed: bool = True) -> Outline:
    """One contour per shape from coordinate arrays ``(n, k)``."""
    n, k = x.shape
    return Outline(np.stack([x, y], -1)[:, None], np.full((n, 1), k), np.full((n, 1), closed))


def _polygon(n_sides: np.ndarray, angles: np.ndarray, radii: np.ndarray) -> Outline:
    """Polygons whose vertex ``i < n_sides`` is at ``angles[:, i]`` (radians from up) and ``radii[:, i]``."""
    k = angles.shape[1]
    used = np.arange(k)[None, :] < n_sides[:, None]
    last = np.take_along_axis(angles, n_sides[:, None] - 1, 1), np.take_along_axis(radii, n_sides[:, None] - 1, 1)
    a, r = np.where(used, angles, last[0]), np.where(used, radii, last[1])
    o = _ring(r * np.sin(a), r * np.cos(a))
    return Outline(o.points, n_sides[:, None].astype(np.int64), o.closed)


def _arc(cx, cy, rx, ry, a0, a1, k) -> np.ndarray:
    """``k`` points along an ellipse from angle ``a0`` to ``a1`` (radians, counter-clockwise from +x)."""
    t = np.linspace(a0, a1, k)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], -1)
