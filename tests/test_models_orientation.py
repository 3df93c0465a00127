"""Turned and mirrored copies (shapesim/models/orientation.py): what each transform does, in words and pixels."""

import pytest
import torch

from shapesim.models import TURN_NAMES, TURNS, all_turns, best_turn, turn, turn_back
from shapesim.models.orientation import inverse

# an L: ink down the left column and along the bottom row, shorter (no symmetry at all)
L = torch.tensor([[1, 0, 0], [1, 0, 0], [1, 1, 0]])


def test_each_transform_does_what_its_name_says():
    assert torch.equal(turn(L, 0), L)
    assert TURN_NAMES[1] == "turned 90° anticlockwise" and torch.equal(
        turn(L, 1), torch.tensor([[0, 0, 0], [0, 0, 1], [1, 1, 1]])
    )
    assert TURN_NAMES[3] == "turned 90° clockwise" and torch.equal(
        turn(L, 3), torch.tensor([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    )
    assert TURN_NAMES[4] == "mirrored left to right" and torch.equal(turn(L, 4), L.flip(1))
    assert TURN_NAMES[6] == "mirrored top to bottom" and torch.equal(turn(L, 6), L.flip(0))
    assert torch.equal(turn(L, 5), L.T)  # the \ diagonal


def test_the_eight_are_distinct_and_each_undone_by_its_inverse():
    copies = all_turns(L[None])[0]
    assert copies.shape == (TURNS, 3, 3)
    assert len({tuple(c.flatten().tolist()) for c in copies}) == TURNS  # an L has no symmetry
    for t in range(TURNS):
        assert torch.equal(turn_back(turn(L, t), t), L)
        assert torch.equal(turn(turn(L, t), inverse(t)), L)
    with pytest.raises(ValueError, match="0 to 7"):
        turn(L, 8)


def test_the_answer_is_the_picture_as_drawn_when_that_is_the_same_shape():
    logits = torch.tensor(
        [[2.0, 5.0, 0, 0, 0, 0, 0, 0], [-1.0, -3, 4, 0, 0, 0, 0, 0], [-1.0, -3, -4, -1, -1, -2, -0.5, -9]]
    )
    logit, chosen = best_turn(logits, margin=0.0)
    assert chosen.tolist() == [0, 2, 6]  # a square is not reported turned; else the likeliest
    assert logit.tolist() == [2.0, 4.0, -0.5]


def test_a_turned_copy_must_beat_the_picture_as_drawn_by_the_margin():
    logits = torch.tensor([[-1.0, 1.0, 0, 0, 0, 0, 0, 0], [-3.0, -2.5, -4, -4, -4, -4, -4, -4]])
    logit, chosen = best_turn(logits, margin=1.5)
    assert chosen.tolist() == [1, 0] and logit.tolist() == [-0.5, -3.0]  # turned, but no longer "same"
