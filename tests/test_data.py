import subprocess
import sys

import numpy as np
import pytest
import torch

from shapesim.data import HARD_NEGATIVE, HARD_POSITIVE, PairGenerator
from shapesim.raster import render
from shapesim.sampling import MIN_VISIBLE, colour_distance, luma, sample_images
from shapesim.shapes import FAMILY_NAMES, NAMED
from shapesim.spec import COLOURS, PRESETS, STYLES, PairSpec, preset


def test_same_seed_and_index_give_the_same_pair_in_any_batch():
    g1, g2 = PairGenerator("open", 32, seed=7), PairGenerator("open", 32, seed=7)
    big = g1.batch(np.arange(40))
    small = g2.batch([5, 33, 12])
    for j, i in enumerate([5, 33, 12]):
        assert torch.allclose(small.a[j], big.a[i], atol=1e-5)
        assert torch.allclose(small.b[j], big.b[i], atol=1e-5)
        assert small.label[j] == big.label[i]
        assert small.describe(j) == big.describe(i)


def test_other_seed_gives_other_pairs():
    a = PairGenerator("open", 32, seed=0)(0, 8)
    b = PairGenerator("open", 32, seed=1)(0, 8)
    assert not torch.allclose(a.a, b.a)


_FINGERPRINT = """
import torch
from shapesim.data import PairGenerator
b = PairGenerator("open", 24, seed=11)(100, 6)
print(repr([round(float(b.a.sum()), 2), round(float(b.b.sum()), 2), b.label.tolist()]))
"""


def test_same_pairs_in_a_fresh_process():
    run = lambda: (
        subprocess.run([sys.executable, "-c", _FINGERPRINT], capture_output=True, text=True, check=True).stdout
    )
    b = PairGenerator("open", 24, seed=11)(100, 6)
    here = repr([round(float(b.a.sum()), 2), round(float(b.b.sum()), 2), b.label.tolist()])
    assert run().strip() == here


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_same_pairs_on_cuda():
    cpu = PairGenerator("open", 32, seed=3)(0, 16)
    gpu = PairGenerator("open", 32, seed=3, device="cuda")(0, 16)
    assert gpu.a.device.type == "cuda"
    assert torch.allclose(cpu.a, gpu.a.cpu(), atol=1e-3)


def test_images_are_float_rgb_in_unit_range_on_the_device():
    b = PairGenerator("open", 40, seed=0)(0, 12)
    assert b.a.shape == b.b.shape == (12, 3, 40, 40)
    assert b.a.dtype == torch.float32 and b.label.dtype == torch.float32
    assert b.a.min() >= 0 and b.a.max() <= 1


def _same_identity(pa, pb):
    return ((pa.family == pb.family) & (pa.shape == pb.shape).all(1)).numpy()


@pytest.mark.parametrize("name", list(PRESETS))
def test_labels_are_balanced_and_say_whether_the_identity_is_the_same(name):
    pa, pb, label, _ = PairGenerator(name, 16, seed=2).params(np.arange(1000))
    assert label.sum() == 500  # exactly balanced over aligned blocks of two
    assert (label == _same_identity(pa, pb)).all()
    assert (label.reshape(-1, 2).sum(1) == 1).all()  # each block of two: one positive, one negative


def test_identity_numbers_follow_the_labels():
    batch = PairGenerator("open", 16, seed=2).batch(np.arange(200))
    ids = batch.identities()
    assert ids.shape == (400,)
    assert ((ids[:200] == ids[200:]).numpy() == batch.label.numpy().astype(bool)).all()


def test_presets_use_their_families_named_shapes_and_styles():
    for name, spec in PRESETS.items():
        pa, pb, _, _ = PairGenerator(name, 16, seed=4).params(np.arange(1500))
        families = {FAMILY_NAMES[i] for i in torch.cat([pa.family, pb.family]).tolist()}
        styles = {STYLES[i] for i in torch.cat([pa.style, pb.style]).tolist()}
        assert families == set(spec.families), name
        assert styles == set(spec.styles), name
    seed = PRESETS["seed"]
    assert seed.families == ("named",) and seed.named == ("circle", "square") and seed.styles == ("fill",)
    assert seed.colours == (0, 0, 1) and seed.hard_edges == 0.5


def test_holdout_removes_families_and_named_shapes():
    g = PairGenerator("open", 16, seed=0, holdout=("glyph", "composite", "star"))
    pa, pb, _, _ = g.params(np.arange(3000))
    seen = {FAMILY_NAMES[i] for i in torch.cat([pa.family, pb.family]).tolist()}
    assert seen == set(FAMILY_NAMES) - {"glyph", "composite"}
    named = torch.cat([pa.family, pb.family]) == FAMILY_NAMES.index("named")
    shown = {NAMED[int(i)] for i in torch.cat([pa.shape, pb.shape])[named, 0]}
    assert shown == set(NAMED) - {"star"}
    assert preset("open").only(("glyph",)).families == ("glyph",)
    assert preset("open").only(("circle", "square")).named == ("circle", "square")


def test_hard_negatives_are_near_misses_with_the_same_look():
    spec = PairSpec(hard_negatives=1.0, hard_positives=0.0)
    b = PairGenerator(spec, 32, seed=5)(0, 64)
    neg = (b.label == 0).numpy()
    assert (b.hard[neg] == HARD_NEGATIVE).all()
    pa, pb = b.params_a.select(neg), b.params_b.select(neg)
    assert (pa.family == pb.family).all() and not _same_identity(pa, pb).any()
    for field in ("centre", "size", "angle", "mirror", "aspect", "fg", "bg", "style", "width", "hard"):
        assert torch.equal(getattr(pa, field), getattr(pb, field)), field


def test_hard_positives_differ_in_everything_but_the_identity():
    spec = PairSpec(hard_negatives=0.0, hard_positives=1.0)
    b = PairGenerator(spec, 32, seed=5)(0, 64)
    pos = (b.label == 1).numpy()
    assert (b.hard[pos] == HARD_POSITIVE).all()
    pa, pb = b.params_a.select(pos), b.params_b.select(pos)
    assert _same_identity(pa, pb).all()
    assert (pa.style != pb.style).all()
    assert torch.allclose(pb.fg, pa.bg) and torch.allclose(pb.bg, pa.fg)  # colours swapped
    lo, hi = spec.size
    mid = (lo + hi) / 2
    assert ((pa.size - mid) * (pb.size - mid) <= 1e-6).all()  # sizes on opposite sides of the range


def test_positives_come_turned_and_mirrored():
    pa, pb, label, _ = PairGenerator("open", 16, seed=1).params(np.arange(400))
    same = label == 1
    assert (pa.mirror != pb.mirror).numpy()[same].mean() > 0.3  # a reflection is the same shape
    assert ((pa.angle - pb.angle).abs() > 0.5).numpy()[same].mean() > 0.5


def test_share_of_hard_pairs_follows_the_spec():
    _, _, label, hard = PairGenerator(PairSpec(hard_negatives=0.3, hard_positives=0.1), 16).params(np.arange(4000))
    assert abs((hard[label == 0] == HARD_NEGATIVE).mean() - 0.3) < 0.04
    assert abs((hard[label == 1] == HARD_POSITIVE).mean() - 0.1) < 0.03


def test_colours_come_in_every_way_and_are_always_visible():
    spec = PairSpec(styles=("fill", "outline"), colours=(0.4, 0.3, 0.3))
    p = sample_images(spec, 0, np.arange(6000))
    gap = (luma(p.fg) - luma(p.bg)).abs()
    distance = colour_distance(p.fg, p.bg)
    assert (distance >= MIN_VISIBLE - 1e-5).all()  # never a shape nobody could see
    equal = (gap < 0.05).float().mean()
    assert equal > 0.25  # red on purple: about the equal-luma share, and some uniform draws
    contrast = (gap >= spec.min_contrast - 1e-5).float().mean()
    assert contrast > 0.4
    assert p.fg.min() >= 0 and p.fg.max() <= 1 and p.bg.min() >= 0 and p.bg.max() <= 1
    assert len(COLOURS) == 3


def test_the_seed_preset_draws_independent_uniform_colours_and_hard_edges():
    p = sample_images(PRESETS["seed"], 0, np.arange(4000))
    for c in (p.fg, p.bg):  # uniform in the RGB cube: each channel's mean 0.5, spread 1/sqrt(12)
        assert torch.allclose(c.mean(0), torch.full((3,), 0.5), atol=0.03)
        assert torch.allclose(c.std(0), torch.full((3,), 12**-0.5), atol=0.03)
    assert abs(float(np.corrcoef(p.fg[:, 0], p.bg[:, 0])[0, 1])) < 0.05  # independent
    assert abs(p.hard.float().mean() - 0.5) < 0.03
    small = (p.size * 64 < 20).float().mean()  # 12-20 pixels across at 64 px: a fair share of the pictures
    assert small > 0.05


def test_random_colours_are_of_both_polarities_and_ink_is_dark_on_light():
    p = sample_images(PairSpec(styles=("fill",)), 0, np.arange(2000))
    lighter = luma(p.fg) > luma(p.bg)
    assert 0.3 < lighter.float().mean() < 0.7
    ink = sample_images(PRESETS["sketch"], 0, np.arange(500))
    assert (luma(ink.bg) >= 0.88 - 1e-6).all() and (luma(ink.fg) <= 0.3 + 1e-6).all()


def _coverage(params, size=64):
    img = render(params, size)
    return ((img - params.bg.view(-1, 3, 1, 1)) / (params.fg - params.bg).view(-1, 3, 1, 1)).mean(1)


def _circles(style: str, n: int = 8, **look):
    spec = PairSpec(families=("named",), named=("circle", "square"), styles=(style,), hard_edges=0)
    p = sample_images(spec, 0, np.arange(n), shape=np.zeros((n, 24)), **look)
    p.centre[:] = 0
    p.width[:] = 0.05
    return p


def test_outline_is_a_ring_and_fill_is_solid():
    fill = _coverage(_circles("fill"))
    outline = _coverage(_circles("outline"))
    assert (fill[:, 32, 32] > 0.99).all() and (outline[:, 32, 32] < 0.01).all()
    assert (outline.sum((1, 2)) < fill.sum((1, 2))).all()


def test_edges_are_anti_aliased_unless_hard():
    soft = _coverage(sample_images(PairSpec(hard_edges=0.0), 0, np.arange(16)))
    hard = _coverage(sample_images(PairSpec(hard_edges=1.0), 0, np.arange(16)))
    partial = lambda c: ((c > 0.05) & (c < 0.95)).float().mean()  # noqa: E731
    assert partial(soft) > 0.005 and partial(hard) < 1e-4  # a plain rasteriser's pixels: in or out


def test_open_strokes_are_strokes_in_every_style():
    spec = PairSpec(families=("stroke", "letter"), styles=("fill",), hard_edges=0)
    p = sample_images(spec, 0, np.arange(16))
    cover = _coverage(p)
    assert ((cover > 0.5).float().mean((1, 2)) < 0.25).all()  # a filled open stroke is still a line


def test_sketch_is_not_a_perfect_outline():
    p = sample_images(PRESETS["sketch"], 1, np.arange(32))
    sketch = _coverage(p) > 0.5
    clean = _coverage(type(p)(**{**p.__dict__, "style": torch.full((32,), STYLES.index("outline"))})) > 0.5
    iou = (sketch & clean).sum((1, 2)).float() / (sketch | clean).sum((1, 2)).float()
    assert iou.mean() < 0.75  # wobble, uneven width, gaps and overshoots
    assert iou.mean() > 0.1  # but still the same contour


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: preset("nope"), "valid presets: seed, shapes, sketch, mixed, open"),
        (lambda: PairSpec(families=("named", "blob2")), "valid families: named"),
        (lambda: PairSpec(families=("named",), named=("circle",)), "at least two shapes"),
        (lambda: PairSpec(named=("circle", "hexagram")), "valid named shapes: circle"),
        (lambda: PairSpec(styles=("watercolour",)), "valid styles: fill, outline, sketch"),
        (lambda: PairSpec(size=(0.0, 0.5)), "0 < low <= high <= 1"),
        (lambda: PairSpec(size=(-0.2, 0.5)), "0 < low <= high <= 1"),
        (lambda: PairSpec(min_contrast=1.5), "min_contrast must be between 0 and 0.85"),
        (lambda: PairSpec(colours=(0.5, 0.5, 0.5)), "three shares"),
        (lambda: PairSpec(hard_negatives=2), "hard_negatives must be a share"),
        (lambda: PairSpec(hard_edges=-1), "hard_edges must be a share"),
        (lambda: PairGenerator("seed", image_size=0), "image_size must be an integer >= 8"),
        (lambda: preset("shapes", holdout=["hexagram"]), "valid families"),
        (lambda: preset("seed", holdout=["circle"]), "at least two shapes"),
    ],
)
def test_bad_settings_raise_a_clear_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_no_shape_is_drawn_too_small_for_its_finest_feature():
    # A regular decagon whose sides lie less than a pixel inside its circle is a circle to any eye, and a
    # nonagon too: such a picture is drawn larger, so that no pair teaches a difference nobody can see.
    spec = PairSpec(families=("polygon",), styles=("fill",), size=(0.15, 0.2), hard_edges=1.0)
    p = sample_images(spec, 0, np.arange(64))
    sides = p.shape[:, 0].numpy()
    for size in (64, 128):
        ink = (_coverage(p, size) > 0.5).numpy()
        for picture, n in zip(ink, sides, strict=True):
            ys, xs = np.nonzero(picture)
            radius = np.hypot(ys - ys.mean(), xs - xs.mean()).max() + 0.5  # pixels, centre to corner
            assert radius * (1 - np.cos(np.pi / n)) > 0.9  # how deep its sides lie inside its circle
            assert not (picture[0].any() or picture[-1].any() or picture[:, 0].any() or picture[:, -1].any())
    small = PairSpec(families=("named",), named=("circle", "square"), size=(0.15, 0.2))
    circles = sample_images(small, 0, np.arange(16), shape=np.zeros((16, 24)))
    assert ((_coverage(circles) > 0.5).any(1).sum(1) < 0.35 * 64).all()  # a circle stays small (a decagon: 40 px)


def _outline_named(names):
    from shapesim.shapes import P

    family, shape = np.zeros(len(names), np.int64), np.zeros((len(names), P))
    shape[:, 0] = [NAMED.index(n) for n in names]
    return family, shape


def test_a_shape_is_itself_turned_only_by_its_own_symmetry():
    import math

    from shapesim.geometry import same_when_turned

    names = ["square", "triangle", "heart", "arrow", "circle"]
    family, shape = _outline_named(names)
    quarter = same_when_turned(family, shape, np.full(5, math.pi / 2), np.zeros(5, bool))
    half = same_when_turned(family, shape, np.full(5, math.pi), np.zeros(5, bool))
    mirrored = same_when_turned(family, shape, np.zeros(5), np.ones(5, bool))
    # a square turned 90° is a square; a triangle turned 90° is itself turned 30°; turned 180° it points down
    assert dict(zip(names, quarter.tolist(), strict=True)) == {
        "square": True, "triangle": True, "heart": False, "arrow": False, "circle": True}  # fmt: skip
    assert dict(zip(names, half.tolist(), strict=True)) == {
        "square": True, "triangle": False, "heart": False, "arrow": False, "circle": True}  # fmt: skip
    assert mirrored[[0, 1, 2, 4]].all()  # each is its own mirror image across an upright axis
    assert same_when_turned(family, shape, np.full(5, 0.3), np.zeros(5, bool)).all()  # a small turn is allowed


@pytest.mark.parametrize("upright", [True, False])
def test_a_group_is_identities_drawn_twice(upright):
    gen = PairGenerator("open", 32, seed=5)
    pictures, ids, rivals = gen.group(3, 24, upright=upright)
    assert pictures.shape == (48, 3, 32, 32) and ids.shape == (48,) and torch.equal(ids[:24], ids[24:])
    again = gen.group(3, 24, upright=upright)
    assert torch.equal(again[0], pictures) and torch.equal(again[1], ids) and torch.equal(again[2], rivals)
    assert len(set(ids.tolist())) > 12  # near misses and turned copies are other identities (mostly)
    # a rival is the identity drawn just before (its near miss's or turned copy's original), never itself
    has = torch.nonzero(rivals[:24] >= 0).flatten()
    assert len(has) > 0 and (has % 2 == 1).all() and torch.equal(rivals[has], ids[has - 1])
    assert (rivals[has] != ids[has]).all() and torch.equal(rivals[:24], rivals[24:])


def test_upright_groups_keep_the_turn_and_label_turned_copies_by_symmetry():
    """An identity's two drawings mirrored alike and turned at most 45° apart; a turned copy of a square is the
    square, of an arrow another shape."""
    import math

    gen = PairGenerator(PairSpec(families=("named",), named=("square", "arrow")), 32, seed=1)
    a, b, _, _ = gen.group_params(0, 64)
    assert (a.family == b.family).all() and (a.shape == b.shape).all() and torch.equal(a.mirror, b.mirror)
    assert ((b.angle - a.angle).abs() <= math.pi / 4 + 1e-6).all()
    loose_a, loose_b, _, _ = gen.group_params(0, 64, upright=False)
    assert ((loose_b.angle - loose_a.angle).abs() > math.pi / 2).any() and (loose_a.mirror != loose_b.mirror).any()

    def identities(*named):
        return PairGenerator(PairSpec(families=("named",), named=named), 32, seed=1).group_params(0, 64)[2]

    arrows, squares = identities("arrow", "heart"), identities("square", "circle")
    assert len(set(arrows.tolist())) > 2  # the arrow's and heart's turned copies are other shapes
    assert len(set(squares.tolist())) == 2  # every copy of a square is a square, of a circle a circle
