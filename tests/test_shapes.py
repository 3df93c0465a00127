import math

import numpy as np
import pytest
import torch

from shapesim.data import PairSpec, render, sample_images
from shapesim.shapes import CLASSES, class_index, signed_distance


def _grid(n=201, extent=1.5):
    v = torch.linspace(-extent, extent, n)
    y, x = torch.meshgrid(v, v, indexing="ij")
    return x, y


def _default_params(name):
    p = torch.zeros(6)
    if name == "triangle":
        p[:] = torch.tensor([-0.866, -0.5, 0.866, -0.5, 0.0, 1.0])
    elif name in ("star", "cross", "crescent", "arrow"):
        p[0] = {"star": 0.45, "cross": 0.27, "crescent": 0.45, "arrow": 0.19}[name]
    return p


def test_vocabulary_has_at_least_eight_classes_with_circle_and_square():
    assert len(CLASSES) >= 8 and "circle" in CLASSES and "square" in CLASSES
    assert len(set(CLASSES)) == len(CLASSES)


@pytest.mark.parametrize("name", CLASSES)
def test_each_shape_fits_the_unit_circle_and_has_an_inside(name):
    x, y = _grid()
    d = signed_distance(name, x, y, _default_params(name))
    inside = d < 0
    assert inside.any(), "the shape has no inside"
    r = torch.sqrt(x * x + y * y)
    assert r[inside].max() <= 1.02, "the shape pokes out of the unit circle"
    assert r[inside].max() >= 0.85, "the shape is much smaller than the unit circle"
    assert (d[r > 1.05] > 0).all()


@pytest.mark.parametrize("name", CLASSES)
def test_distance_is_a_distance(name):
    # |grad d| is about 1 wherever the function is smooth: a step of h moves d by at most h.
    x, y = _grid(301)
    d = signed_distance(name, x, y, _default_params(name))
    step = 3.0 / 300
    assert (d[:, 1:] - d[:, :-1]).abs().max() <= step * 1.3
    assert (d[1:, :] - d[:-1, :]).abs().max() <= step * 1.3


def test_circle_distance_is_exact():
    x, y = _grid()
    d = signed_distance("circle", x, y, torch.zeros(6))
    assert torch.allclose(d, torch.sqrt(x * x + y * y) - 1)


def test_unknown_class_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid classes: circle, square"):
        class_index("hexagram")


def _hull_area(points: np.ndarray) -> float:
    pts = sorted(map(tuple, points))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    h = np.array(lower[:-1] + upper[:-1], dtype=float)
    return 0.5 * abs(np.dot(h[:, 0], np.roll(h[:, 1], 1)) - np.dot(h[:, 1], np.roll(h[:, 0], 1)))


def _mask_features(mask: np.ndarray) -> tuple[float, float, float]:
    """Similarity-invariant features: fill of the enclosing circle, solidity, normalised inertia."""
    ys, xs = np.nonzero(mask)
    pts = np.stack([xs, ys], 1).astype(float) + 0.5
    area = len(pts)
    r2 = ((pts - pts.mean(0)) ** 2).sum(1)
    fill = area / (math.pi * (math.sqrt(r2.max()) + 0.5) ** 2)
    # The hull only needs the pixels on the mask's edge.
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    edge = mask.copy()
    edge[1:-1, 1:-1] &= ~inner
    ey, ex = np.nonzero(edge)
    edge_pts = np.stack([ex, ey], 1).astype(float) + 0.5
    corners = np.concatenate([edge_pts + o for o in ([-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5])])
    return fill, area / _hull_area(corners), 2 * math.pi * r2.sum() / area**2


def test_classes_are_distinguishable_from_rendered_masks():
    """Rendered at any place, size and rotation, every pair of classes differs in some
    similarity-invariant measure of its mask (their ranges do not overlap)."""
    spec = PairSpec(styles=("fill",), aspect=1.0, size=(0.6, 0.9), min_contrast=0.5)
    ranges = {}
    for k, name in enumerate(CLASSES):
        p = sample_images(spec, seed=3, index=np.arange(16), cls=np.full(16, k))
        img = render(p, 128)
        cover = ((img - p.bg.view(-1, 3, 1, 1)) / (p.fg - p.bg).view(-1, 3, 1, 1)).mean(1)
        feats = np.array([_mask_features(m) for m in (cover > 0.5).numpy()])
        ranges[name] = (feats.min(0), feats.max(0))
    for i, a in enumerate(CLASSES):
        for b in CLASSES[i + 1 :]:
            (lo_a, hi_a), (lo_b, hi_b) = ranges[a], ranges[b]
            apart = (hi_a < lo_b) | (hi_b < lo_a)
            assert apart.any(), f"{a} and {b} overlap in every feature: {ranges[a]} vs {ranges[b]}"
    # The circle is the roundest and the most solid.
    assert ranges["circle"][0][0] > 0.95 and ranges["circle"][0][1] > 0.95
