"""The PyTorch rasteriser (shapesim/raster.py): the accelerator's way, every segment at once, draws the same
pictures as the CPU's way, one segment at a time (the compiled loops are tested in test_fastdraw.py)."""

import numpy as np
import pytest
import torch
from test_fastdraw import every_kind

from shapesim.geometry import geometry
from shapesim.people import DrawingBank, PeoplePairs
from shapesim.raster import coverage, draw
from shapesim.shapes import FAMILY_NAMES


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_the_batched_way_draws_the_looped_ways_pictures_of_every_family_fill_outline_sketch(family):
    params = every_kind(family, repeats=3)
    for size in (40, 9):
        strokes = geometry(params, size)
        batched, looped = coverage(strokes, size, batched=True), coverage(strokes, size, batched=False)
        assert torch.equal(batched, looped), family  # the same operations on each segment: the same floats


def test_people_drawings_and_an_empty_picture_the_same_both_ways(omniglot_folder):
    pairs = PeoplePairs(DrawingBank.load(omniglot_folder, pictures=False), 32, seed=2)  # trajectories
    a, b, _ = pairs.drawings(np.arange(6))
    u = np.random.default_rng(0).random((12, 32))
    strokes = pairs.strokes(np.concatenate([a, b]), u)
    strokes.count[0] = 0  # a picture with nothing on it
    assert torch.equal(coverage(strokes, 32, batched=True), coverage(strokes, 32, batched=False))
    fg, bg = torch.zeros(12, 3), torch.ones(12, 3)
    assert (draw(strokes, fg, bg, 32, compiled=False)[0] == 1).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_the_batched_way_draws_the_cpus_pictures():
    params = every_kind("composite", repeats=6)
    strokes = geometry(params, 48)
    gpu = coverage(strokes.to("cuda"), 48).cpu()
    assert (gpu - coverage(strokes, 48)).abs().max() < 1e-4
