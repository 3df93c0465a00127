"""Turned and mirrored copies: the eight ways to turn a square picture by quarter turns and mirror it.

A model trained ``upright`` tells a shape from its turned or mirrored copy (b from d, u from n);
"it is the same shape, turned over" is then an answer it can give by comparing one picture with
each of the other's eight copies and saying which matched. Transform ``t`` mirrors a picture left
to right when ``t >= 4``, then turns it ``t % 4`` quarter turns anticlockwise.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["TURNS", "TURN_NAMES", "TURN_MARGIN", "turn", "turn_back", "inverse", "all_turns", "best_turn"]

TURNS = 8
# Logits by which a turned or mirrored copy must beat the threshold to make a pair "the same shape, turned": the
# best of seven copies' scores is optimistic, and people's different drawings were called "same, turned" by it
# (validation pairs, docs/bundled-model.md).
TURN_MARGIN = 1.5
# What transform t does to a picture, in words (the picture as shown: x right, y down).
TURN_NAMES: tuple[str, ...] = (
    "as drawn",
    "turned 90° anticlockwise",
    "turned 180°",
    "turned 90° clockwise",
    "mirrored left to right",
    "mirrored across the \\ diagonal",
    "mirrored top to bottom",
    "mirrored across the / diagonal",
)


def turn(x: Tensor, t: int) -> Tensor:
    """Pictures or maps ``(..., H, W)`` under transform ``t``."""
    if not 0 <= t < TURNS:
        raise ValueError(f"a transform is a number from 0 to {TURNS - 1}, got {t}")
    if t >= 4:
        x = torch.flip(x, dims=(-1,))
    return torch.rot90(x, t % 4, dims=(-2, -1)) if t % 4 else x


def inverse(t: int) -> int:
    """The transform that undoes ``t`` (a mirror image is its own inverse; a turn's is the opposite turn)."""
    return t if t >= 4 else (4 - t) % 4


def turn_back(x: Tensor, t: int) -> Tensor:
    """``x`` as it was before transform ``t``: maps of a turned picture in the picture's own orientation."""
    return turn(x, inverse(t))


def all_turns(x: Tensor) -> Tensor:
    """``(B, ...)`` → ``(B, TURNS, ...)``: every picture under every transform."""
    return torch.stack([turn(x, t) for t in range(TURNS)], dim=1)


def best_turn(logits: Tensor, margin: float | None = None) -> tuple[Tensor, Tensor]:
    """``(B, TURNS)`` logits of a pair with each copy of its second picture → the answer's logit ``(B,)`` and the
    copy it comes from ``(B,)``: the picture as drawn when that is "same" (a square is not reported turned), else
    the likeliest turned copy if it beats the picture as drawn by more than ``margin`` (:data:`TURN_MARGIN`);
    a turned copy's logit counts ``margin`` less, since the best of seven scores is an optimistic one."""
    margin = TURN_MARGIN if margin is None else margin
    upright = logits[:, 0]
    turned, which = logits[:, 1:].max(1)
    turned = turned - margin
    use = (upright < 0) & (turned > upright)
    return torch.where(use, turned, upright), torch.where(use, which + 1, torch.zeros_like(which))
