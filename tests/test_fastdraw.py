"""The compiled renderer draws the torch renderer's pictures, faster, and only where it should."""

import numpy as np
import pytest
import torch

from shapesim.data import PairGenerator
from shapesim.raster import COMPILED_FROM, render
from shapesim.sampling import sample_images
from shapesim.shapes import FAMILY_NAMES
from shapesim.spec import STYLES, PairSpec

pytest.importorskip("numba")


def every_kind(family: str, size=(0.15, 0.85), repeats: int = 4, seed: int = 0, hard: float = 0.3):
    """Pictures of one family in every style, ``repeats`` of each, some with hard edges."""
    style = np.repeat(np.arange(len(STYLES)), repeats)
    spec = PairSpec(families=(family,), styles=STYLES, size=size, aspect=1.4, hard_edges=hard)
    return sample_images(spec, seed, np.arange(len(style)), style=style)


def _compare(params, image_size):
    fast = render(params, image_size, compiled=True)
    slow = render(params, image_size, compiled=False)
    assert fast.shape == slow.shape == (len(params), 3, image_size, image_size)
    assert fast.dtype == torch.float32 and 0 <= fast.min() and fast.max() <= 1
    diff = (fast - slow).abs().amax(1)
    # Anti-aliased pixels agree to float rounding. A hard-edged pixel whose centre lies within float
    # rounding of an edge may fall either way (torch works in float32, the loops in float64): at most
    # one such pixel in a thousand pictures' worth of edges.
    assert (diff > 1e-4).sum() <= max(1, len(params) // 1000), diff.flatten(1).amax(1)
    assert diff[~params.hard].max() < 1e-4


@pytest.mark.parametrize("family", FAMILY_NAMES)
@pytest.mark.parametrize("image_size", [64, 37, 8])
def test_compiled_draws_the_torch_pictures_of_every_family(family, image_size):
    _compare(every_kind(family), image_size)


@pytest.mark.parametrize("size", [(0.03, 0.08), (0.9, 1.0)])
def test_tiny_and_huge_shapes_too(size):
    _compare(every_kind("named", size=size, repeats=6), 48)


@pytest.mark.parametrize("preset", ["seed", "shapes", "sketch", "mixed", "open"])
def test_compiled_pairs_match_torch_pairs(preset):
    fast = PairGenerator(preset, 48, seed=5, compiled=True)(0, 40)
    slow = PairGenerator(preset, 48, seed=5, compiled=False)(0, 40)
    for f, s in ((fast.a, slow.a), (fast.b, slow.b)):
        assert ((f - s).abs() > 1e-4).sum() <= 2
    assert torch.equal(fast.label, slow.label)


def test_compiled_picture_does_not_depend_on_its_batch():
    gen = PairGenerator("open", 32, seed=3, compiled=True)
    whole = gen.batch(np.arange(100))
    part = gen.batch(np.array([57, 3]))
    assert torch.equal(part.a[0], whole.a[57]) and torch.equal(part.b[1], whole.b[3])


def test_large_cpu_batches_are_compiled_small_ones_are_not():
    params = every_kind("named", repeats=25)  # 75 pictures
    assert len(params) >= COMPILED_FROM
    assert torch.equal(render(params, 32), render(params, 32, compiled=True))
    small = params.select(np.arange(COMPILED_FROM - 1))
    assert torch.equal(render(small, 32), render(small, 32, compiled=False))


def test_compiled_renderer_refuses_other_devices():
    with pytest.raises(ValueError, match="CPU only"):
        render(every_kind("named", repeats=1), 16, device="meta", compiled=True)


def test_compiled_renderer_uses_torchs_thread_count():
    import numba

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        render(every_kind("named", repeats=1), 16, compiled=True)
        assert numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    render(every_kind("named", repeats=1), 16, compiled=True)
    assert numba.get_num_threads() == min(before, numba.config.NUMBA_NUM_THREADS)
