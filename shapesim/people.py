"""Pairs of people's drawings: Omniglot's pen trajectories drawn by the project's one rasteriser.

Every drawing is a set of strokes as a person's pen moved; here each becomes a polyline and is
drawn in a look of its own (pen width, ink and paper, a turn, a slant, a stretch, framed as the
app frames a user's picture), so each of the 4,840 drawings gives endless pictures. Two people's
drawings of one character are a same pair; two characters a different pair, a share of them from
one alphabet (the hardest to tell apart). Pair ``i`` of a seed is always the same pair, as the
generator's are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .geometry import Strokes
from .images import FILL
from .omniglot import Omniglot
from .raster import draw
from .sampling import sample_colours, uniforms
from .spec import STYLES, preset

__all__ = ["DrawingBank", "PeoplePairs", "PeopleBatch", "IDENTITY_OFFSET"]

STROKES, POINTS = 16, 32  # strokes kept per drawing (the longest, in drawing order); points per stroke
IDENTITY_OFFSET = 1 << 40  # people's characters as identities, apart from the generator's
_STREAM_PAIR, _STREAM_A, _STREAM_B, _STREAM_FLIP = 0, 1, 2, 3
_COLOURS = preset("open")  # the generator's mix of ways to colour a picture


@dataclass
class DrawingBank:
    """Drawings as arrays, ready to draw: each centred on its ink's box, its longest side 1."""

    points: np.ndarray  # (N, STROKES, POINTS, 2) float32
    count: np.ndarray  # (N, STROKES) int64: POINTS for a stroke there is, 0 for none
    character: np.ndarray  # (N,) int64, index into names
    alphabet: np.ndarray  # (N,) int64
    names: list[str]  # the characters, "Greek #07"

    @classmethod
    def from_omniglot(cls, data: Omniglot) -> DrawingBank:
        n = len(data.drawings)
        points = np.zeros((n, STROKES, POINTS, 2), np.float32)
        count = np.zeros((n, STROKES), np.int64)
        for i, d in enumerate(data.drawings):
            lengths = [_length(s) for s in d.strokes]
            kept = sorted(np.argsort(lengths)[::-1][:STROKES])  # the longest, in the order they were drawn
            for k, j in enumerate(kept):
                points[i, k] = _resample(d.strokes[j], POINTS)
                count[i, k] = POINTS
            used = points[i, count[i] > 0].reshape(-1, 2)
            lo, hi = used.min(0), used.max(0)
            points[i] = (points[i] - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-6)
        alphabets = sorted({c.alphabet for c in data.characters})
        return cls(
            points=points,
            count=count,
            character=np.array([d.character for d in data.drawings], np.int64),
            alphabet=np.array([alphabets.index(data.characters[d.character].alphabet) for d in data.drawings]),
            names=[str(c) for c in data.characters],
        )

    @classmethod
    def load(cls, folder: str) -> DrawingBank:
        return cls.from_omniglot(Omniglot.load(folder))

    def __len__(self) -> int:
        return len(self.character)

    def only(self, characters: np.ndarray) -> DrawingBank:
        """The drawings of these characters only (their numbering kept)."""
        keep = np.isin(self.character, characters)
        return DrawingBank(self.points[keep], self.count[keep], self.character[keep], self.alphabet[keep], self.names)

    def split(self, every: int = 10) -> tuple[DrawingBank, DrawingBank]:
        """(training, validation): every ``every``-th character (of each alphabet's list) for validation."""
        characters = np.unique(self.character)
        held = characters[np.arange(len(characters)) % every == every - 1]
        return self.only(np.setdiff1d(characters, held)), self.only(held)


def _length(stroke: np.ndarray) -> float:
    return float(np.hypot(*np.diff(stroke, axis=0).T).sum()) if len(stroke) > 1 else 0.0


def _resample(stroke: np.ndarray, m: int) -> np.ndarray:
    """``m`` points evenly along the stroke (a dot stays a dot: all points at it)."""
    steps = np.hypot(*np.diff(stroke, axis=0).T) if len(stroke) > 1 else np.zeros(0)
    along = np.concatenate([[0], np.cumsum(steps)])
    if along[-1] <= 0:
        return np.repeat(stroke[:1], m, axis=0)
    t = np.linspace(0, along[-1], m)
    return np.stack([np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])], -1)


@dataclass
class PeopleBatch:
    """A batch of pairs of people's drawings: pictures on the device, which drawings on the CPU."""

    a: Tensor  # (B, 3, S, S)
    b: Tensor
    label: Tensor  # (B,) float32: 1 = the same character
    drawing_a: np.ndarray  # (B,) indices into the bank
    drawing_b: np.ndarray
    character_a: np.ndarray  # (B,)
    character_b: np.ndarray
    hard: np.ndarray  # (B,) all HARD_NONE: no pair is made hard on purpose

    def identities(self) -> Tensor:
        """``(2B,)`` int64 of pictures a then b: equal numbers, the same character (apart from the generator's)."""
        return torch.from_numpy(np.concatenate([self.character_a, self.character_b]) + IDENTITY_OFFSET)

    def pictures(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        to_uint8 = lambda t: (t.permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)  # noqa: E731
        return to_uint8(self.a[i]), to_uint8(self.b[i])


@dataclass
class PeoplePairs:
    """Pairs of people's drawings from ``bank``: pair ``i`` of ``seed`` is always the same pair.

    Labels are balanced over every aligned block of two indices. ``same_alphabet`` is the share of
    different pairs whose two characters are of one alphabet. ``turn`` is the share of pictures
    turned by any angle (the others by at most ``tilt`` radians either way, as people's hands turn a
    character: 15° for nine in ten). Turned, a character can be another one of its alphabet (u and
    n, b and q): a pair labelled by character would then teach a contradiction, so none are turned
    by default."""

    bank: DrawingBank
    image_size: int = 64
    seed: int = 0
    device: torch.device | str | None = None
    same_alphabet: float = 0.5
    turn: float = 0.0
    tilt: float = 0.25
    compiled: bool | None = None  # which renderer: see shapesim.raster.draw

    def __post_init__(self) -> None:
        self.device = torch.device(self.device or "cpu")
        chars, counts = np.unique(self.bank.character, return_counts=True)
        self._chars = chars[counts >= 2]  # a character with one drawing makes no same pair
        if len(self._chars) < 2:
            raise ValueError("people's pairs need at least two characters with two drawings each")
        self._of = {int(c): np.nonzero(self.bank.character == c)[0] for c in chars}  # its drawings
        alphabet = {int(c): int(self.bank.alphabet[self._of[int(c)][0]]) for c in self._chars}
        self._alphabet_chars = {
            a: np.array([c for c in self._chars if alphabet[int(c)] == a]) for a in set(alphabet.values())
        }
        self._alphabet = alphabet

    def drawings(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(drawing a, drawing b, label) of pairs ``index``."""
        index = np.asarray(index, dtype=np.int64)
        u = uniforms(self.seed, index, _STREAM_PAIR, 5)
        flip = uniforms(self.seed, index // 2, _STREAM_FLIP, 1)[:, 0] < 0.5
        label = ((index % 2) ^ flip).astype(np.int64)
        pick = lambda x, n: np.minimum((x * n).astype(np.int64), n - 1)  # noqa: E731
        char_a = self._chars[pick(u[:, 0], len(self._chars))]
        a, b = np.empty(len(index), np.int64), np.empty(len(index), np.int64)
        for i, c in enumerate(char_a):
            own = self._of[int(c)]
            j = pick(u[i, 1], len(own))
            a[i] = own[j]
            if label[i]:  # another person's drawing of the same character
                b[i] = own[(j + 1 + pick(u[i, 2], len(own) - 1)) % len(own)]
                continue
            kin = self._alphabet_chars[self._alphabet[int(c)]]
            pool = kin if u[i, 3] < self.same_alphabet and len(kin) > 1 else self._chars
            other = pool[pick(u[i, 2], len(pool) - 1)]
            other = pool[-1] if other == c else other  # the pool without c: its last one stands in for c
            theirs = self._of[int(other)]
            b[i] = theirs[pick(u[i, 4], len(theirs))]
        return a, b, label

    def strokes(self, drawings: np.ndarray, u: np.ndarray) -> Strokes:
        """The drawings as polylines in pixels, each in the look the uniforms ``u`` (n, 8) give it: turned,
        slanted, stretched, a pen of its own width, framed as a user's picture is."""
        s = self.image_size
        pts = self.bank.points[drawings].astype(np.float64)  # (n, C, M, 2)
        count = self.bank.count[drawings]
        angle = np.where(u[:, 0] < self.turn, u[:, 1] * 2 * math.pi, (u[:, 1] * 2 - 1) * self.tilt)
        shear = (u[:, 2] * 2 - 1) * 0.2
        stretch = np.exp((u[:, 3] * 2 - 1) * math.log(1.15))
        x, y = pts[..., 0], pts[..., 1]
        x = (x + shear[:, None, None] * y) * stretch[:, None, None]
        c, si = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        x, y = x * c - y * si, x * si + y * c
        half = (0.01 + 0.03 * u[:, 4]) * s  # pen: 2-8 % of the side across
        used = np.arange(pts.shape[2])[None, None, :] < count[:, :, None]
        box = [np.where(used, v, sign * np.inf) for v in (x, y) for sign in (1, -1)]
        x0, x1, y0, y1 = (box[0].min((1, 2)), box[1].max((1, 2)), box[2].min((1, 2)), box[3].max((1, 2)))
        room = np.maximum(FILL * s * (0.88 + 0.24 * u[:, 5]) - 2 * half, 0.3 * FILL * s)
        scale = room / np.maximum(np.maximum(x1 - x0, y1 - y0), 1e-6)
        shift = (u[:, 6:8] * 2 - 1) * 2  # up to 2 px off centre, as framing jitters
        px = (x - ((x0 + x1) / 2)[:, None, None]) * scale[:, None, None] + s / 2 + shift[:, 0, None, None]
        py = (y - ((y0 + y1) / 2)[:, None, None]) * scale[:, None, None] + s / 2 + shift[:, 1, None, None]
        n, pens = len(drawings), np.broadcast_to(half[:, None, None], count.shape + (pts.shape[2],))
        return Strokes(
            points=torch.from_numpy(np.stack([px, py], -1).astype(np.float32)),
            count=torch.from_numpy(count.copy()),
            closed=torch.zeros(count.shape, dtype=torch.bool),
            half=torch.from_numpy(pens.astype(np.float32)),
            fill=torch.zeros(n, dtype=torch.bool),
            hard=torch.from_numpy(u[:, 8] < 0.25),
        )

    def render(self, drawings: np.ndarray, index: np.ndarray, stream: int) -> Tensor:
        """Pictures of ``drawings``, each in the look of its pair ``index`` and side ``stream`` (both arrays may
        hold both sides of a batch: one call draws them all, and the compiled renderer takes 64 or more)."""
        u = np.concatenate([uniforms(self.seed, index[stream == s], s, 32) for s in (_STREAM_A, _STREAM_B)])
        order = np.concatenate([np.nonzero(stream == s)[0] for s in (_STREAM_A, _STREAM_B)])
        u = u[np.argsort(order)]
        style = np.where(u[:, 9] < 0.6, STYLES.index("sketch"), STYLES.index("fill"))  # ink on paper, or colours
        fg, bg = sample_colours(u[:, 10:27], style, _COLOURS)
        strokes = self.strokes(drawings, u)
        fg, bg = torch.from_numpy(fg).float(), torch.from_numpy(bg).float()
        return draw(strokes, fg, bg, self.image_size, self.device, self.compiled)

    def batch(self, index: np.ndarray | list[int] | range) -> PeopleBatch:
        index = np.asarray(index, dtype=np.int64)
        a, b, label = self.drawings(index)
        n = len(index)
        sides = np.repeat([_STREAM_A, _STREAM_B], n)
        both = self.render(np.concatenate([a, b]), np.concatenate([index, index]), sides)
        return PeopleBatch(
            a=both[:n],
            b=both[n:],
            label=torch.from_numpy(label).float().to(self.device),
            drawing_a=a,
            drawing_b=b,
            character_a=self.bank.character[a],
            character_b=self.bank.character[b],
            hard=np.zeros(n, np.int64),
        )

    def __call__(self, start: int, size: int) -> PeopleBatch:
        """Pairs ``start .. start + size - 1``."""
        return self.batch(np.arange(start, start + size))
