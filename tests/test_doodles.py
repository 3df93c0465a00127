import numpy as np
import pytest

from shapesim.doodles import doodle, doodle_pairs, examples, plain_pairs, plain_picture
from shapesim.shapes import FAMILY_NAMES, NAMED, draw_identities


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_a_doodle_is_black_ink_on_white_inside_the_canvas(family):
    rng = np.random.default_rng(0)
    fam, params = draw_identities(rng.random((3, 33)), families=(family,))
    for f, p in zip(fam, params, strict=True):
        img = np.asarray(doodle((f, p), rng))
        assert img.shape == (280, 280, 3)
        ink = img.min(axis=2) < 128
        assert 0.003 < ink.mean() < 0.3  # strokes, not a blot
        assert not ink[0].any() and not ink[-1].any() and not ink[:, 0].any() and not ink[:, -1].any()


def test_pairs_are_balanced_reproducible_and_labelled_by_identity():
    a, b, labels, names = doodle_pairs(20, seed=3, named=("circle", "square", "star"))
    assert labels.tolist() == [1, 0] * 10
    assert all(x == y for (x, y), lab in zip(names, labels, strict=True) if lab)
    assert all({x, y} <= {"circle", "square", "star"} for x, y in names)
    again, _, _, _ = doodle_pairs(20, seed=3, named=("circle", "square", "star"))
    assert all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(a, again, strict=True))


def test_pairs_of_any_family_and_their_near_misses():
    _, _, labels, names = doodle_pairs(40, seed=1, families=("polygon",), near=1.0)
    for (x, y), lab in zip(names, labels, strict=True):
        if not lab:  # a near miss: one side more or fewer
            assert abs(int(x.split()[1].split("-")[0]) - int(y.split()[1].split("-")[0])) == 1


def test_plain_pictures_are_hard_edged_flat_shapes_of_the_right_size():
    rng = np.random.default_rng(0)
    for size in (64, 128):
        img = np.asarray(plain_picture("square", rng, size))
        colours = np.unique(img.reshape(-1, 3), axis=0)
        assert len(colours) == 2  # no anti-aliasing: shape and ground
        ink = (img != img[0, 0]).any(axis=2)
        ys, xs = np.nonzero(ink)
        across = xs.max() - xs.min() + 1
        assert 12 * size / 64 - 1 <= across <= 20 * size / 64 + 2
        assert ink.sum() == pytest.approx(across * (ys.max() - ys.min() + 1), rel=0.01)  # a full square
    a, b, labels = plain_pairs(10, seed=0)
    assert len(a) == len(b) == 10 and labels.tolist() == [1, 0] * 5


def test_the_apps_examples_come_in_pairs_of_one_size():
    pairs = examples()
    assert len(pairs) >= 8 and "03_houses" in pairs and "06_hexagon_heptagon" in pairs
    for a, b in pairs.values():
        assert a.size == b.size == (280, 280)
    assert NAMED[0] == "circle"


def test_a_named_shape_by_its_name():
    img = np.asarray(doodle("heart", np.random.default_rng(0), ink=(200, 0, 0), paper=(250, 250, 250)))
    assert (img == (250, 250, 250)).all(axis=2).mean() > 0.7 and ((img[..., 0] == 200) & (img[..., 1] == 0)).any()
    with pytest.raises(ValueError):
        doodle("hexagram", np.random.default_rng(0))
