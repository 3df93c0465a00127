import subprocess
import sys

import numpy as np
import pytest
import torch

from shapesim.data import (
    HARD_NEGATIVE,
    HARD_POSITIVE,
    PRESETS,
    STYLES,
    PairGenerator,
    PairSpec,
    luma,
    preset,
    render,
    sample_images,
)
from shapesim.shapes import CLASSES


def test_same_seed_and_index_give_the_same_pair_in_any_batch():
    g1, g2 = PairGenerator("mixed", 32, seed=7), PairGenerator("mixed", 32, seed=7)
    big = g1.batch(np.arange(40))
    small = g2.batch([5, 33, 12])
    for j, i in enumerate([5, 33, 12]):
        assert torch.allclose(small.a[j], big.a[i], atol=1e-5)
        assert torch.allclose(small.b[j], big.b[i], atol=1e-5)
        assert small.label[j] == big.label[i]
        assert small.describe(j) == big.describe(i)


def test_other_seed_gives_other_pairs():
    a = PairGenerator("shapes", 32, seed=0)(0, 8)
    b = PairGenerator("shapes", 32, seed=1)(0, 8)
    assert not torch.allclose(a.a, b.a)


_FINGERPRINT = """
import torch
from shapesim.data import PairGenerator
b = PairGenerator("mixed", 24, seed=11)(100, 6)
print(repr([round(float(b.a.sum()), 2), round(float(b.b.sum()), 2), b.label.tolist()]))
"""


def test_same_pairs_in_a_fresh_process():
    run = lambda: (
        subprocess.run([sys.executable, "-c", _FINGERPRINT], capture_output=True, text=True, check=True).stdout
    )
    b = PairGenerator("mixed", 24, seed=11)(100, 6)
    here = repr([round(float(b.a.sum()), 2), round(float(b.b.sum()), 2), b.label.tolist()])
    assert run().strip() == here


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_same_pairs_on_cuda():
    cpu = PairGenerator("mixed", 32, seed=3)(0, 16)
    gpu = PairGenerator("mixed", 32, seed=3, device="cuda")(0, 16)
    assert gpu.a.device.type == "cuda"
    assert torch.allclose(cpu.a, gpu.a.cpu(), atol=1e-3)


def test_images_are_float_rgb_in_unit_range_on_the_device():
    b = PairGenerator("mixed", 40, seed=0)(0, 12)
    assert b.a.shape == b.b.shape == (12, 3, 40, 40)
    assert b.a.dtype == torch.float32 and b.label.dtype == torch.float32
    assert b.a.min() >= 0 and b.a.max() <= 1


@pytest.mark.parametrize("name", list(PRESETS))
def test_labels_are_balanced_and_match_the_classes(name):
    b = PairGenerator(name, 16, seed=2).params(np.arange(1000))
    pa, pb, label, _ = b
    assert label.sum() == 500  # exactly balanced over aligned blocks of two
    assert (label == (pa.cls == pb.cls).numpy()).all()
    # Each block of two holds one positive and one negative.
    assert (label.reshape(-1, 2).sum(1) == 1).all()


def test_presets_use_their_classes_and_styles():
    for name, spec in PRESETS.items():
        pa, pb, _, _ = PairGenerator(name, 16, seed=4).params(np.arange(600))
        classes = {CLASSES[i] for i in torch.cat([pa.cls, pb.cls]).tolist()}
        styles = {STYLES[i] for i in torch.cat([pa.style, pb.style]).tolist()}
        assert classes == set(spec.classes), name
        assert styles == set(spec.styles), name
    assert PRESETS["seed"].classes == ("circle", "square") and PRESETS["seed"].styles == ("fill",)


def test_holdout_removes_classes():
    g = PairGenerator("shapes", 16, seed=0, holdout=("star", "heart"))
    pa, pb, _, _ = g.params(np.arange(2000))
    seen = {CLASSES[i] for i in torch.cat([pa.cls, pb.cls]).tolist()}
    assert "star" not in seen and "heart" not in seen
    assert seen == set(CLASSES) - {"star", "heart"}
    assert preset("shapes", holdout=["circle"]).classes == tuple(c for c in CLASSES if c != "circle")


def test_hard_negatives_differ_only_in_class():
    spec = PairSpec(hard_negatives=1.0, hard_positives=0.0)
    b = PairGenerator(spec, 32, seed=5)(0, 64)
    neg = (b.label == 0).numpy()
    assert (b.hard[neg] == HARD_NEGATIVE).all()
    pa, pb = b.params_a.select(neg), b.params_b.select(neg)
    assert (pa.cls != pb.cls).all()
    for field in ("centre", "size", "angle", "aspect", "fg", "bg", "style", "width"):
        assert torch.equal(getattr(pa, field), getattr(pb, field)), field


def test_hard_positives_differ_in_everything_but_class():
    spec = PairSpec(hard_negatives=0.0, hard_positives=1.0)
    b = PairGenerator(spec, 32, seed=5)(0, 64)
    pos = (b.label == 1).numpy()
    assert (b.hard[pos] == HARD_POSITIVE).all()
    pa, pb = b.params_a.select(pos), b.params_b.select(pos)
    assert (pa.cls == pb.cls).all()
    assert (pa.style != pb.style).all()
    assert torch.allclose(pb.fg, pa.bg) and torch.allclose(pb.bg, pa.fg)  # colours swapped
    lo, hi = spec.size
    mid = (lo + hi) / 2
    assert ((pa.size - mid) * (pb.size - mid) <= 1e-6).all()  # sizes on opposite sides of the range


def test_share_of_hard_pairs_follows_the_spec():
    _, _, label, hard = PairGenerator(PairSpec(hard_negatives=0.3, hard_positives=0.1), 16).params(np.arange(4000))
    assert abs((hard[label == 0] == HARD_NEGATIVE).mean() - 0.3) < 0.04
    assert abs((hard[label == 1] == HARD_POSITIVE).mean() - 0.1) < 0.03


@pytest.mark.parametrize("contrast", [0.0, 0.3, 0.6, 0.85])
def test_colours_keep_the_contrast(contrast):
    spec = PairSpec(styles=STYLES, min_contrast=contrast)
    p = sample_images(spec, 0, np.arange(3000))
    gap = (luma(p.fg) - luma(p.bg)).abs()
    assert (gap >= contrast - 1e-5).all()
    assert p.fg.min() >= 0 and p.fg.max() <= 1 and p.bg.min() >= 0 and p.bg.max() <= 1


def test_random_colours_are_of_both_polarities_and_ink_is_dark_on_light():
    p = sample_images(PairSpec(styles=("fill",)), 0, np.arange(2000))
    lighter = luma(p.fg) > luma(p.bg)
    assert 0.3 < lighter.float().mean() < 0.7
    ink = sample_images(PRESETS["sketch"], 0, np.arange(500))
    assert (luma(ink.bg) >= 0.88 - 1e-6).all() and (luma(ink.fg) <= 0.3 + 1e-6).all()


def _coverage(params, size=64):
    img = render(params, size)
    return ((img - params.bg.view(-1, 3, 1, 1)) / (params.fg - params.bg).view(-1, 3, 1, 1)).mean(1)


def test_outline_is_a_ring_and_fill_is_solid():
    base = sample_images(PairSpec(styles=("fill",), min_contrast=0.5), 0, np.arange(8), cls=np.zeros(8, dtype=np.int64))
    base.centre[:] = 0
    base.width[:] = 0.05
    fill = _coverage(base)
    outline = _coverage(type(base)(**{**base.__dict__, "style": torch.full((8,), STYLES.index("outline"))}))
    assert (fill[:, 32, 32] > 0.99).all() and (outline[:, 32, 32] < 0.01).all()
    assert (outline.sum((1, 2)) < fill.sum((1, 2))).all()


def test_edges_are_anti_aliased():
    cover = _coverage(sample_images(PRESETS["shapes"], 0, np.arange(16)))
    partial = ((cover > 0.05) & (cover < 0.95)).float().mean()
    assert partial > 0.005


def test_sketch_is_not_a_perfect_outline():
    spec = PRESETS["sketch"]
    p = sample_images(spec, 1, np.arange(32))
    sketch = _coverage(p) > 0.5
    clean = _coverage(type(p)(**{**p.__dict__, "style": torch.full((32,), STYLES.index("outline"))})) > 0.5
    iou = (sketch & clean).sum((1, 2)).float() / (sketch | clean).sum((1, 2)).float()
    assert iou.mean() < 0.75  # wobble, uneven width, gaps and overshoots
    assert iou.mean() > 0.1  # but still the same contour


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: preset("nope"), "valid presets: seed, shapes, sketch, mixed"),
        (lambda: PairSpec(classes=("circle", "blob")), "valid classes: circle"),
        (lambda: PairSpec(classes=("circle",)), "at least two classes"),
        (lambda: PairSpec(styles=("watercolour",)), "valid styles: fill, outline, sketch"),
        (lambda: PairSpec(size=(0.0, 0.5)), "0 < low <= high <= 1"),
        (lambda: PairSpec(size=(-0.2, 0.5)), "0 < low <= high <= 1"),
        (lambda: PairSpec(min_contrast=1.5), "min_contrast must be between 0 and 0.85"),
        (lambda: PairSpec(hard_negatives=2), "hard_negatives must be a share"),
        (lambda: PairGenerator("seed", image_size=0), "image_size must be an integer >= 8"),
        (lambda: preset("shapes", holdout=["hexagram"]), "valid classes"),
        (lambda: preset("seed", holdout=["circle"]), "at least two classes"),
    ],
)
def test_bad_settings_raise_a_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()
