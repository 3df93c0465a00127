"""Mouse-drawn-looking pictures, made independently of the training generator.

The generator (``shapesim.data``) draws signed-distance shapes; this module
draws the way the app's canvas does: a polyline of points put down by a
shaky hand, stroked with a round brush by PIL on a white canvas. It is used
to check the model off its own generator (``python -m shapesim evaluate``'s
``doodles`` set) and for the app's examples, so it never feeds training.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["DOODLE_CLASSES", "doodle", "doodle_pairs"]

DOODLE_CLASSES = ("circle", "square", "triangle", "pentagon", "star", "cross", "heart", "arrow")


def _corners(name: str, rng: np.random.Generator) -> np.ndarray:
    """Corner points of a shape around the origin, radius about 1, y down."""
    if name == "square":
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) / math.sqrt(2)
    if name == "triangle":  # any proportion: apex anywhere above a base
        apex = rng.uniform(-0.8, 0.8)
        height = rng.uniform(0.7, 1.9)
        pts = np.array([[-1, height / 2], [1, height / 2], [apex, -height / 2]])
        return pts / np.abs(pts).max()
    if name == "pentagon":
        a = -math.pi / 2 + np.arange(5) * 2 * math.pi / 5
        return np.stack([np.cos(a), np.sin(a)], 1)
    if name == "star":
        a = -math.pi / 2 + np.arange(10) * math.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.0, rng.uniform(0.38, 0.5))
        return np.stack([r * np.cos(a), r * np.sin(a)], 1)
    if name == "cross":
        w = rng.uniform(0.22, 0.34)
        q = [[w, -1], [w, -w], [1, -w], [1, w], [w, w], [w, 1], [-w, 1], [-w, w], [-1, w], [-1, -w], [-w, -w], [-w, -1]]
        return np.array(q, dtype=float)
    if name == "arrow":
        w = rng.uniform(0.14, 0.24)
        q = [[-0.95, -w], [0.15, -w], [0.15, -0.6], [0.95, 0], [0.15, 0.6], [0.15, w], [-0.95, w]]
        return np.array(q, dtype=float)
    raise ValueError(f"no doodle for {name!r}; doodle classes: {', '.join(DOODLE_CLASSES)}")


def _path(name: str, rng: np.random.Generator) -> np.ndarray:
    """A closed-ish path as a hand draws it: dense points, a start anywhere, a gap or an overshoot."""
    if name in ("circle", "heart"):
        t0 = rng.uniform(0, 2 * math.pi)
        end = 2 * math.pi + rng.uniform(-0.35, 0.6)
        t = np.linspace(t0, t0 + end, 120)
        if name == "circle":
            pts = np.stack([np.cos(t), np.sin(t)], 1)
        else:
            x = 16 * np.sin(t) ** 3
            y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
            pts = np.stack([x, y + 2.5], 1) / 17
        # the hand drifts: radius grows or shrinks along the way
        pts *= (1 + rng.uniform(-0.08, 0.08) * (t - t0) / (2 * math.pi))[:, None]
        return pts
    corners = _corners(name, rng)
    corners = corners + rng.normal(0, 0.035, corners.shape)  # corners not quite right
    start = rng.integers(len(corners))
    corners = np.roll(corners, -start, axis=0)
    loop = np.concatenate([corners, corners[:1]])
    pts = []
    for p, q in zip(loop[:-1], loop[1:], strict=True):
        n = max(4, int(np.linalg.norm(q - p) * 20))
        s = np.linspace(0, 1, n, endpoint=False)[:, None]
        bow = rng.normal(0, 0.03) * np.sin(np.pi * s) * np.array([[-(q - p)[1], (q - p)[0]]])
        pts.append(p + (q - p) * s + bow)
    pts = np.concatenate(pts + [loop[-1:]])
    extra = rng.uniform(-0.05, 0.12)  # < 0: stop short; > 0: run past the start
    if extra > 0:
        pts = np.concatenate([pts, pts[1 : 1 + max(1, int(extra * len(pts) / 4))]])
    else:
        pts = pts[: len(pts) - int(-extra * len(pts) / 4) or None]
    return pts


def doodle(name: str, rng: np.random.Generator, size: int = 280, width: int | None = None) -> Image.Image:
    """A black-on-white drawing of ``name`` on a ``size``×``size`` canvas, as from a mouse."""
    pts = _path(name, rng)
    pts = pts + np.cumsum(rng.normal(0, 0.006, pts.shape), axis=0)  # tremor
    angle = rng.uniform(-0.3, 0.3) if name != "circle" else rng.uniform(0, 2 * math.pi)
    c, s = math.cos(angle), math.sin(angle)
    pts = pts @ np.array([[c, -s], [s, c]])
    aspect = rng.uniform(1.0, 1.3)
    pts *= [aspect, 1 / aspect] if rng.random() < 0.5 else [1 / aspect, aspect]
    radius = rng.uniform(0.2, 0.42) * size
    radius = min(radius, 0.45 * size / np.abs(pts).max())  # a stretched drawing still fits the canvas
    reach = np.abs(pts).max(axis=0) * radius  # how far the drawing spans from its centre
    centre = rng.uniform(0.05 * size + reach, 0.95 * size - reach)  # anywhere, all of it on the canvas
    xy = pts * radius + centre
    img = Image.new("RGB", (size, size), "white")
    w = int(width or rng.integers(3, 16))
    ImageDraw.Draw(img).line([tuple(p) for p in xy], fill="black", width=w, joint="curve")
    r = w / 2  # round caps at both ends
    for p in (xy[0], xy[-1]):
        ImageDraw.Draw(img).ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill="black")
    return img


def doodle_pairs(n: int, seed: int = 0, classes: tuple[str, ...] = DOODLE_CLASSES, size: int = 280):
    """``n`` pairs of doodles, half the same class: (pictures a, pictures b, labels, class names)."""
    rng = np.random.default_rng(seed)
    a, b, labels, names = [], [], [], []
    for i in range(n):
        same = i % 2 == 0
        ca = classes[rng.integers(len(classes))]
        cb = ca if same else classes[(classes.index(ca) + 1 + rng.integers(len(classes) - 1)) % len(classes)]
        a.append(doodle(ca, rng, size))
        b.append(doodle(cb, rng, size))
        labels.append(int(same))
        names.append((ca, cb))
    return a, b, np.array(labels), names
