"""The compiled renderer draws the torch renderer's pictures, faster, and only where it should."""

import numpy as np
import pytest
import torch

from shapesim.data import COMPILED_FROM, STYLES, PairGenerator, PairSpec, render, sample_images
from shapesim.shapes import CLASSES

pytest.importorskip("numba")


def every_kind(size: tuple[float, float] = (0.35, 0.85), repeats: int = 4, seed: int = 0):
    """Pictures of every class in every style, ``repeats`` of each."""
    cls = np.repeat(np.arange(len(CLASSES)), len(STYLES) * repeats)
    style = np.tile(np.repeat(np.arange(len(STYLES)), repeats), len(CLASSES))
    spec = PairSpec(styles=STYLES, size=size, aspect=1.4)
    return sample_images(spec, seed, np.arange(len(cls)), cls=cls, style=style)


@pytest.mark.parametrize("image_size", [64, 37, 8])
@pytest.mark.parametrize("size", [(0.35, 0.85), (0.05, 0.1), (0.9, 1.0)])
def test_compiled_draws_the_torch_pictures(image_size, size):
    params = every_kind(size)
    fast = render(params, image_size, compiled=True)
    slow = render(params, image_size, compiled=False)
    assert fast.shape == slow.shape == (len(params), 3, image_size, image_size)
    assert fast.dtype == torch.float32
    assert (fast - slow).abs().max() < 1e-4
    assert 0 <= fast.min() and fast.max() <= 1


@pytest.mark.parametrize("preset", ["seed", "shapes", "sketch", "mixed"])
def test_compiled_pairs_match_torch_pairs(preset):
    fast = PairGenerator(preset, 48, seed=5, compiled=True)(0, 40)
    slow = PairGenerator(preset, 48, seed=5, compiled=False)(0, 40)
    torch.testing.assert_close(fast.a, slow.a, atol=1e-4, rtol=0)
    torch.testing.assert_close(fast.b, slow.b, atol=1e-4, rtol=0)
    assert torch.equal(fast.label, slow.label)


def test_compiled_picture_does_not_depend_on_its_batch():
    gen = PairGenerator("mixed", 32, seed=3, compiled=True)
    whole = gen.batch(np.arange(100))
    part = gen.batch(np.array([57, 3]))
    assert torch.equal(part.a[0], whole.a[57]) and torch.equal(part.b[1], whole.b[3])


def test_large_cpu_batches_are_compiled_small_ones_are_not():
    params = every_kind(repeats=3)  # 81 pictures
    assert len(params) >= COMPILED_FROM
    assert torch.equal(render(params, 32), render(params, 32, compiled=True))
    small = params.select(np.arange(COMPILED_FROM - 1))
    assert torch.equal(render(small, 32), render(small, 32, compiled=False))


def test_compiled_renderer_refuses_other_devices():
    with pytest.raises(ValueError, match="CPU only"):
        render(every_kind(repeats=1), 16, device="meta", compiled=True)


def test_compiled_renderer_uses_torchs_thread_count():
    import numba

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        render(every_kind(repeats=1), 16, compiled=True)
        assert numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    render(every_kind(repeats=1), 16, compiled=True)
    assert numba.get_num_threads() == min(before, numba.config.NUMBA_NUM_THREADS)
