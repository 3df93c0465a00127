"""Pairs of people's drawings (shapesim/people.py): fixed pairs, the right labels, pictures framed as a user's."""

import numpy as np
import pytest
import torch

from shapesim.people import IDENTITY_OFFSET, DrawingBank, PeoplePairs


@pytest.fixture(scope="module")
def bank(omniglot_folder):
    """The drawings that have trajectories only (quicker to read; the pen drawn by the rasteriser)."""
    return DrawingBank.load(omniglot_folder, pictures=False)


def test_the_bank_holds_every_drawing_centred_and_of_unit_size(bank, drawing_bank):
    assert bank.points.shape[0] == len(bank) == 4840 and len(bank.names) == 242 and bank.pictures is None
    for i in (0, 1234, 4839):
        used = bank.points[i][bank.count[i] > 0].reshape(-1, 2)
        lo, hi = used.min(0), used.max(0)
        assert (hi - lo).max() == pytest.approx(1, abs=1e-5) and (lo + hi) / 2 == pytest.approx([0, 0], abs=1e-5)
    learn, held = bank.split()
    assert not set(learn.character) & set(held.character) and len(learn) + len(held) == len(bank)
    assert len(np.unique(held.character)) == 24
    everything = drawing_bank  # with the pictures: all 964 characters, trajectories where there are some
    assert len(everything) == 19280 and everything.has_picture.all() and everything.has_strokes.sum() == 4840
    ink = everything.pictures[5]
    rows, cols = np.nonzero(ink.any(1))[0], np.nonzero(ink.any(0))[0]
    assert everything.box[5].tolist() == [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]


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


def test_pictures_are_distorted_a_little_and_framed_never_enlarged(drawing_bank):
    """Pictures (no trajectory used): the ink's box centred, its longest side FILL of the picture at most
    (give or take the jitter), and a small drawing kept at its own scale, as the app frames a 105-px picture."""
    people = PeoplePairs(drawing_bank, 64, seed=0)
    drawings = np.arange(0, 19280, 401)
    u = np.random.default_rng(0).random((len(drawings), 32))
    ink = people.picture_ink(drawings, u)
    assert ink.shape == (len(drawings), 64, 64) and 0 <= float(ink.min()) and float(ink.max()) <= 1
    for k, d in enumerate(drawings):
        ys, xs = np.nonzero(ink[k].numpy() > 0.5)
        side = max(xs.max() - xs.min(), ys.max() - ys.min()) + 1
        own = (drawing_bank.box[d, 2:] - drawing_bank.box[d, :2]).max()
        assert side < 0.8 * 64 and side < own * 1.35  # never blown up past its own size (turns and shear aside)
        assert abs((xs.max() + xs.min()) / 2 - 31.5) < 6 and abs((ys.max() + ys.min()) / 2 - 31.5) < 6
    again = people.picture_ink(drawings[:4], u[:4])
    assert torch.equal(again, ink[:4])


def test_a_group_is_characters_each_drawn_by_two_people(drawing_bank):
    people = PeoplePairs(drawing_bank, 32, seed=2, same_alphabet=1.0)
    pictures, ids = people.group(7, 12)
    assert pictures.shape == (24, 3, 32, 32) and torch.equal(ids[:12], ids[12:])
    assert len(set(ids.tolist())) == 12 and (ids >= IDENTITY_OFFSET).all()
    characters = (ids[:12] - IDENTITY_OFFSET).numpy()
    alphabets = {int(drawing_bank.alphabet[drawing_bank.character == c][0]) for c in characters}
    assert len(alphabets) == 1  # same_alphabet=1: one alphabet's characters, the hardest to tell apart
    again, ids_again = people.group(7, 12)
    assert torch.equal(again, pictures) and torch.equal(ids_again, ids)
    assert not torch.equal(people.group(8, 12)[1], ids)
