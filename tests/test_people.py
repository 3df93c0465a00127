"""Pairs of people's drawings (shapesim/people.py): fixed pairs, the right labels, pictures framed as a user's."""

import numpy as np
import pytest
import torch

from shapesim.people import IDENTITY_OFFSET, DrawingBank, PeoplePairs


@pytest.fixture(scope="module")
def bank(omniglot_folder):
    return DrawingBank.load(omniglot_folder)


def test_the_bank_holds_every_drawing_centred_and_of_unit_size(bank):
    assert bank.points.shape[0] == len(bank) == 4840 and len(bank.names) == 242
    for i in (0, 1234, 4839):
        used = bank.points[i][bank.count[i] > 0].reshape(-1, 2)
        lo, hi = used.min(0), used.max(0)
        assert (hi - lo).max() == pytest.approx(1, abs=1e-5) and (lo + hi) / 2 == pytest.approx([0, 0], abs=1e-5)
    learn, held = bank.split()
    assert not set(learn.character) & set(held.character) and len(learn) + len(held) == len(bank)
    assert len(np.unique(held.character)) == 24


def test_pairs_are_fixed_balanced_and_labelled_by_character(bank):
    pairs = PeoplePairs(bank, 32, seed=3, same_alphabet=1.0)
    big, small = pairs(0, 64), pairs.batch([9, 40])
    assert torch.allclose(small.a[1], big.a[40], atol=1e-5) and torch.equal(small.label, big.label[[9, 40]])
    a, b, label = pairs.drawings(np.arange(2000))
    assert label.sum() == 1000
    same = label == 1
    assert (bank.character[a[same]] == bank.character[b[same]]).all() and (a[same] != b[same]).all()
    assert (bank.character[a[~same]] != bank.character[b[~same]]).all()
    assert (bank.alphabet[a[~same]] == bank.alphabet[b[~same]]).all()  # same_alphabet=1: the hardest negatives
    other = PeoplePairs(bank, 32, seed=3, same_alphabet=0.0).drawings(np.arange(2000))
    assert 0.05 < (bank.alphabet[other[0]] == bank.alphabet[other[1]])[other[2] == 0].mean() < 0.3  # by chance
    ids = big.identities()
    assert ids.shape == (128,) and (ids >= IDENTITY_OFFSET).all()
    assert torch.equal(ids[:64] == ids[64:], big.label.bool())


def test_pictures_are_drawn_as_a_user_picture_is_framed(bank):
    batch = PeoplePairs(bank, 64, seed=0)(0, 48)
    assert batch.a.shape == (48, 3, 64, 64) and batch.a.dtype == torch.float32
    assert 0 <= float(batch.a.min()) and float(batch.a.max()) <= 1
    for picture in batch.a[:16]:
        ink = (picture - picture[:, :1, :1]).abs().sum(0) > 0.3
        ys, xs = np.nonzero(ink.numpy())
        side = max(xs.max() - xs.min(), ys.max() - ys.min()) + 1
        assert 0.5 * 64 < side < 0.8 * 64  # the longest side about 65 % of the picture, as framing shows it
        assert abs((xs.max() + xs.min()) / 2 - 31.5) < 5 and abs((ys.max() + ys.min()) / 2 - 31.5) < 5


def test_the_compiled_renderer_draws_peoples_pictures_as_pytorch_does(bank):
    index = np.arange(32)  # both sides: 64 pictures, the compiled loops by default
    compiled, plain = PeoplePairs(bank, 40, seed=1).batch(index), PeoplePairs(bank, 40, seed=1, compiled=False)(0, 32)
    assert (compiled.a - plain.a).abs().max() < 1e-4 and (compiled.b - plain.b).abs().max() < 1e-4
