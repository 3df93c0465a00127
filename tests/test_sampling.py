"""Pictures' parameters from counter-based random numbers (shapesim/sampling.py): the table of slots, and the
fixed sets it pins."""

import numpy as np
import pytest
import torch

from shapesim.sampling import SLOT, STREAM_WIDTH, sample_images, uniforms
from shapesim.spec import preset
from shapesim.testsets import make_test_sets


def columns(slot) -> list[int]:
    return list(range(slot.start, slot.stop)) if isinstance(slot, slice) else [slot]


def test_every_slot_has_columns_of_its_own_within_the_stream():
    taken = [c for name, slot in vars(SLOT).items() if not name.startswith("_") for c in columns(slot)]
    assert len(taken) == len(set(taken)) and min(taken) >= 0 and max(taken) < STREAM_WIDTH


def test_numbers_depend_only_on_seed_index_stream_and_column():
    u = uniforms(3, np.arange(10), 1, STREAM_WIDTH)
    assert u.shape == (10, STREAM_WIDTH) and 0 <= u.min() and u.max() < 1
    assert np.array_equal(uniforms(3, np.array([7, 2]), 1, 5), u[[7, 2], :5])
    assert not np.array_equal(uniforms(3, np.arange(10), 2, STREAM_WIDTH), u)


def test_the_fixed_pictures_and_test_sets_stay_as_they_were():
    """Pinned: a change of the slots (or of the sampling) that moves these changes every eval.json figure."""
    p = sample_images(preset("open"), 5, np.arange(4), 1)
    assert p.names() == ["letter H", "blob", "star", "letter U"]
    assert p.size.tolist() == pytest.approx([0.438243, 0.439948, 0.265335, 0.240125], abs=1e-6)
    assert p.angle.tolist() == pytest.approx([2.934158, 4.517612, 5.46311, 0.346715], abs=1e-6)
    pinned = {
        "seed": (8786.609, 9793.375, [1, 0, 0, 1, 1, 0]),
        "named": (11197.302, 9744.767, [0, 1, 1, 0, 1, 0]),
        "trained": (12475.655, 14269.699, [0, 1, 1, 0, 1, 0]),
        "heldout": (14400.202, 12035.744, [1, 0, 1, 0, 1, 0]),
    }
    for s in make_test_sets(32, ("composite", "glyph", "letter"), n=6):
        b = s.generator.batch(s.index)
        ink_a, ink_b, labels = pinned[s.name]
        assert float(b.a.double().sum()) == pytest.approx(ink_a, abs=0.05), s.name
        assert float(b.b.double().sum()) == pytest.approx(ink_b, abs=0.05), s.name
        assert b.label.int().tolist() == labels


def test_parameters_are_cpu_tensors_batch_first():
    p = sample_images(preset("mixed"), 0, np.arange(5))
    assert len(p) == 5 and all(t.device == torch.device("cpu") for t in (p.size, p.fg, p.hand))
    assert p.hand.shape == (5, columns(SLOT.hand)[-1] - SLOT.hand.start + 1)
