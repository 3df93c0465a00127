import numpy as np
import pytest

from shapesim.doodles import DOODLE_CLASSES, doodle, doodle_pairs


@pytest.mark.parametrize("name", DOODLE_CLASSES)
def test_a_doodle_is_black_ink_on_white_inside_the_canvas(name):
    img = np.asarray(doodle(name, np.random.default_rng(0)))
    assert img.shape == (280, 280, 3)
    ink = img.min(axis=2) < 128
    assert 0.01 < ink.mean() < 0.3  # a stroke, not a blot
    assert not ink[0].any() and not ink[-1].any() and not ink[:, 0].any() and not ink[:, -1].any()


def test_pairs_are_balanced_reproducible_and_labelled_by_class():
    a, b, labels, names = doodle_pairs(10, seed=3, classes=("circle", "square"))
    assert labels.tolist() == [1, 0] * 5
    assert all((x == y) == bool(lab) for (x, y), lab in zip(names, labels, strict=True))
    again, _, _, _ = doodle_pairs(10, seed=3, classes=("circle", "square"))
    assert all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(a, again, strict=True))
    with pytest.raises(ValueError, match="no doodle for"):
        doodle("crescent", np.random.default_rng(0))
