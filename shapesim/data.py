"""Pairs of pictures, in batches, straight into tensors: pair ``i`` of a seed is the same pair on every
run, in any batch, on any device (to float rounding), so validation and test sets are fixed without files.

The jobs beneath: :mod:`shapesim.spec` (what pictures look like, the presets), :mod:`shapesim.sampling`
(their parameters from counter-based random numbers), :mod:`shapesim.geometry` (polylines in pixels)
and :mod:`shapesim.raster` (pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from .geometry import TOLERATED_TURN, same_when_turned
from .raster import HAVE_NUMBA, render
from .sampling import SLOT, ShapeParams, largest, reach, sample_images, uniforms
from .shapes import near_misses, pick
from .spec import STYLES, PairSpec, preset

__all__ = ["PairBatch", "PairGenerator", "HARD_NONE", "HARD_NEGATIVE", "HARD_POSITIVE"]

# A pair's random streams: its own numbers (which pairs are hard, which near miss), each picture's, and the
# label's flip (one per two pairs, so that every aligned block of two is balanced).
_STREAM_PAIR, _STREAM_A, _STREAM_B, _STREAM_HARD, _STREAM_GROUP = 0, 1, 2, 3, 4
_HARDNESS, _NEAR = 2, 3  # columns of the pair's stream: whether it is hard; which near miss, or turn
HARD_NONE, HARD_NEGATIVE, HARD_POSITIVE = 0, 1, 2


@dataclass
class PairBatch:
    """A batch of pairs: pictures on the generator's device, metadata on the CPU."""

    a: Tensor  # (B, 3, S, S)
    b: Tensor  # (B, 3, S, S)
    label: Tensor  # (B,) float32: 1 = same shape
    index: np.ndarray  # (B,) pair indices
    params_a: ShapeParams
    params_b: ShapeParams
    hard: np.ndarray  # (B,) HARD_NONE, HARD_NEGATIVE or HARD_POSITIVE

    def identities(self) -> Tensor:
        """``(2B,)`` int64 identity numbers of pictures a then b: equal numbers, the same shape."""
        return self.params_a.concat(self.params_b).identities()

    def pictures(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Pair ``i`` as two ``(S, S, 3)`` uint8 RGB pictures, as a file would hold them."""
        to_uint8 = lambda t: (t.permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)  # noqa: E731
        return to_uint8(self.a[i]), to_uint8(self.b[i])

    def caption(self, i: int) -> str:
        """Pair ``i`` in words: "regular 7-gon (sketch) and regular 6-gon (fill)"."""
        a, b = self.params_a.describe(i), self.params_b.describe(i)
        return f"{a['shape']} ({a['style']}) and {b['shape']} ({b['style']})"

    def describe(self, i: int) -> dict:
        """Plain-data metadata of pair ``i``: label, both pictures' shapes, styles and colours."""
        kind = ("random", "hard negative", "hard positive")[int(self.hard[i])]
        return {
            "index": int(self.index[i]),
            "label": int(self.label[i]),
            "kind": kind,
            "a": self.params_a.describe(i),
            "b": self.params_b.describe(i),
        }


@dataclass
class PairGenerator:
    """Pairs of pictures: pair ``i`` of ``seed`` is always the same pair.

    Labels are exactly balanced over every aligned block of two indices. A
    positive shows one identity twice, each picture with its own look; a
    negative two identities. A share of negatives are hard (the second picture
    copies the first's look, and its identity is a near miss of the first's:
    a heptagon for a hexagon, one part moved) and a share of positives are hard
    (the same identity, everything else pushed apart: other style, swapped
    colours, opposite size, another turn).
    """

    spec: PairSpec | str = "shapes"
    image_size: int = 64
    seed: int = 0
    device: torch.device | str | None = None
    holdout: tuple[str, ...] = field(default=())
    compiled: bool | None = None  # which renderer: see render()

    def __post_init__(self) -> None:
        if isinstance(self.spec, str):
            self.spec = preset(self.spec)
        if self.holdout:
            self.spec = self.spec.without(self.holdout)
        if not isinstance(self.image_size, int) or self.image_size < 8:
            raise ValueError(f"image_size must be an integer >= 8, got {self.image_size!r}")
        self.device = torch.device(self.device or "cpu")

    def params(
        self, index: np.ndarray | list[int] | range, *, same: bool = False
    ) -> tuple[ShapeParams, ShapeParams, np.ndarray, np.ndarray]:
        """Parameters of pairs ``index``: (params_a, params_b, labels, hardness); with ``same``, every pair a
        positive (as the label would have made it)."""
        index = np.asarray(index, dtype=np.int64)
        if index.ndim != 1:
            raise ValueError("index must be one-dimensional")
        spec = self.spec
        u = uniforms(self.seed, index, _STREAM_PAIR, 4)
        flip = uniforms(self.seed, index // 2, _STREAM_HARD, 1)[:, 0] < 0.5
        label = np.ones(len(index), np.int64) if same else ((index % 2) ^ flip).astype(np.int64)
        hard = np.full(len(index), HARD_NONE)
        hard[(label == 0) & (u[:, _HARDNESS] < spec.hard_negatives)] = HARD_NEGATIVE
        hard[(label == 1) & (u[:, _HARDNESS] < spec.hard_positives)] = HARD_POSITIVE

        a = sample_images(spec, self.seed, index, _STREAM_A)
        # b: its own look and its own identity, unless the label says otherwise
        b_style = pick(uniforms(self.seed, index, _STREAM_B, SLOT.style + 1)[:, SLOT.style], spec.styles, STYLES)
        styles = np.array([STYLES.index(s) for s in spec.styles])
        position = np.argmax(styles[None, :] == a.style.numpy()[:, None], axis=1)
        b_style = np.where(hard == HARD_POSITIVE, styles[(position + 1) % len(styles)], b_style)
        b = sample_images(spec, self.seed, index, _STREAM_B, style=b_style)
        family, shape = b.family.numpy().copy(), b.shape.numpy().copy()
        same = label == 1
        family[same], shape[same] = a.family.numpy()[same], a.shape.numpy()[same]
        near = hard == HARD_NEGATIVE
        if near.any():
            family[near], shape[near] = near_misses(
                a.family.numpy()[near], a.shape.numpy()[near], u[near, _NEAR], spec.named
            )
        clash = (label == 0) & (family == a.family.numpy()) & (shape == a.shape.numpy()).all(1)
        if clash.any():  # a family with a list of identities drew the same one twice: take the next
            family[clash], shape[clash] = near_misses(
                family[clash], shape[clash], u[clash, _NEAR], spec.named, any_other=True
            )
        b = replace(b, family=torch.from_numpy(family), shape=torch.from_numpy(shape))
        b = b.where(torch.from_numpy(near), replace(a, family=b.family, shape=b.shape))
        b = b.where(torch.from_numpy(hard == HARD_POSITIVE), self._push_apart(a, b, u[:, _NEAR]))
        return a, b, label, hard

    def _push_apart(self, a: ShapeParams, b: ShapeParams, u: np.ndarray) -> ShapeParams:
        """``b`` moved away from ``a``: the opposite size, another angle, swapped colours."""
        lo, hi = self.spec.size
        ink = STYLES.index("sketch")
        swap = (a.style != ink) & (b.style != ink)  # ink stays dark on light
        size = torch.minimum(lo + hi - a.size, largest(b.aspect))
        # Keep b's relative place but within the reach of its new size.
        unit = b.centre / reach(b.size, b.aspect).clamp(min=1e-6)[:, None]
        return replace(
            b,
            size=size,
            centre=unit * reach(size, b.aspect)[:, None],
            angle=a.angle + math.pi / 4 + torch.from_numpy(u).float() * math.pi / 2,
            fg=torch.where(swap[:, None], a.bg, b.fg),
            bg=torch.where(swap[:, None], a.fg, b.bg),
        )

    def batch(self, index: np.ndarray | list[int] | range) -> PairBatch:
        """Render pairs ``index`` on the generator's device."""
        a, b, label, hard = self.params(index)
        # One render call for both sides: fewer, larger operations.
        both = render(a.concat(b), self.image_size, self.device, self.compiled)
        return PairBatch(
            a=both[: len(a)],
            b=both[len(a) :],
            label=torch.from_numpy(label).float().to(self.device),
            index=np.asarray(index, dtype=np.int64),
            params_a=a,
            params_b=b,
            hard=hard,
        )

    def group(self, batch: int, n: int, *, upright: bool = True) -> tuple[Tensor, Tensor, Tensor]:
        """``n`` identities, each drawn twice, for a step on every pair of a batch: ``(pictures (2n, 3, S, S),
        identities (2n,), rivals (2n,))``, the first drawing of each identity then the second (identity k at
        rows k and n + k); equal numbers, the same shape. A picture's rival is the identity its shape is a near
        miss or a turned copy of (-1: none), its hardest different pair. Group ``batch`` of a seed is always
        the same.

        Identities come in twos, the second of each two being a near miss of the first (two in five), or
        (``upright``) its turned or mirrored copy (three in ten), or drawn on its own. Upright, an identity's
        two drawings are turned at most ``TOLERATED_TURN`` apart and mirrored alike, and a turned copy is
        another shape unless the shape looks the same so turned (:func:`~shapesim.geometry.same_when_turned`:
        a square turned 90°); otherwise they are turned and mirrored at random, as in :meth:`params`.
        """
        a, b, ids, rivals = self.group_params(batch, n, upright=upright)
        # training's batches: the compiled renderer on the CPU, however few the pictures
        compiled = self.device.type == "cpu" and HAVE_NUMBA if self.compiled is None else self.compiled
        pictures = render(a.concat(b), self.image_size, self.device, compiled)
        return pictures, torch.cat([ids, ids]), torch.cat([rivals, rivals])

    def group_params(
        self, batch: int, n: int, *, upright: bool = True
    ) -> tuple[ShapeParams, ShapeParams, Tensor, Tensor]:
        """The parameters behind :meth:`group`: each identity's first and second drawing, its number and its
        rival's (the identity before it, where it is that one's near miss or turned copy; else -1)."""
        index = np.arange(batch * n, (batch + 1) * n, dtype=np.int64)
        a, b, _, _ = self.params(index, same=True)
        u = uniforms(self.seed, index, _STREAM_GROUP, 5)
        second = np.arange(n) % 2 == 1
        near = second & (u[:, 0] < 0.4)
        copy = second & (u[:, 0] >= 0.4) & (u[:, 0] < 0.7) & upright
        family, shape = a.family.numpy().copy(), a.shape.numpy().copy()
        rows = np.nonzero(near)[0]
        family[rows], shape[rows] = near_misses(family[rows - 1], shape[rows - 1], u[rows, 1], self.spec.named)
        rows = np.nonzero(copy)[0]
        family[rows], shape[rows] = family[rows - 1], shape[rows - 1]
        mirror = a.mirror.numpy().copy()
        angle = a.angle.numpy().astype(np.float64)
        flipped = u[rows, 1] < 0.5  # mirrored (any quarter turn), else turned by 1-3 quarters, give or take 20°
        quarter = np.where(flipped, np.floor(u[rows, 2] * 4), 1 + np.floor(u[rows, 2] * 3))
        jitter = (u[rows, 3] * 2 - 1) * np.where(flipped, TOLERATED_TURN, math.radians(20))
        angle[rows] = angle[rows - 1] + quarter * math.pi / 2 + jitter
        mirror[rows] = mirror[rows - 1] ^ flipped
        a = replace(a, family=torch.from_numpy(family), shape=torch.from_numpy(shape),
                    angle=torch.from_numpy(angle).float(), mirror=torch.from_numpy(mirror))  # fmt: skip
        b = replace(b, family=a.family, shape=a.shape)
        if upright:  # the second drawing: as the first, turned a little
            turn = (u[:, 4] * 2 - 1) * TOLERATED_TURN
            b = replace(b, angle=a.angle + torch.from_numpy(turn).float(), mirror=a.mirror.clone())
        ids = a.identities().numpy()
        if copy.any():  # is the copy still its original, seen as drawn?
            relation = (angle[rows] - angle[rows - 1]) * np.where(mirror[rows - 1], -1, 1)
            still = same_when_turned(family[rows], shape[rows], relation, flipped)
            ids[rows[~still]] = ids.max() + 1 + np.arange((~still).sum())
        rivals = np.full(n, -1, dtype=ids.dtype)
        rows = np.nonzero(near | copy)[0]
        rivals[rows] = np.where(ids[rows] != ids[rows - 1], ids[rows - 1], -1)
        return a, b, torch.from_numpy(ids), torch.from_numpy(rivals)

    def __call__(self, start: int, size: int) -> PairBatch:
        """Pairs ``start .. start + size - 1``."""
        return self.batch(np.arange(start, start + size))
