"""People's drawings as training pictures: Omniglot's pictures and pen trajectories, each drawn in a
look of its own.

A drawing with a pen trajectory (242 characters) becomes polylines drawn by the project's one
rasteriser; every drawing (all 964 characters) has a 105×105 picture, which is distorted as
siamese-network work on Omniglot distorts it (a small turn, shear, stretch and shift), its pen made
thinner or thicker, and framed as the app frames a user's picture. Both take the generator's ink
and paper or colours, so each of the 19,280 drawings gives endless pictures.

:class:`PeoplePairs` makes pairs (two people's drawings of one character are a same pair; two
characters a different pair, a share of them from one alphabet, the hardest to tell apart); pair
``i`` of a seed is always the same pair, as the generator's are. :meth:`PeoplePairs.group` makes
the all-pairs step's batches: characters, each drawn by two people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .geometry import Strokes
from .images import FILL
from .omniglot import SIDE, Omniglot
from .raster import HAVE_NUMBA, draw
from .sampling import sample_colours, uniforms
from .spec import STYLES, preset

__all__ = ["DrawingBank", "PeoplePairs", "PeopleBatch", "IDENTITY_OFFSET"]

STROKES, POINTS = 16, 32  # strokes kept per drawing (the longest, in drawing order); points per stroke
IDENTITY_OFFSET = 1 << 40  # people's characters as identities, apart from the generator's
_STREAM_PAIR, _STREAM_A, _STREAM_B, _STREAM_FLIP = 0, 1, 2, 3
_FROM_STROKES = 27  # the column of a picture's uniforms that chooses strokes over the picture, where both exist
_COLOURS = preset("open")  # the generator's mix of ways to colour a picture


@dataclass
class DrawingBank:
    """Drawings as arrays, ready to draw: trajectories centred on their ink's box, its longest side 1;
    pictures as they are, with their ink's box."""

    points: np.ndarray  # (N, STROKES, POINTS, 2) float32
    count: np.ndarray  # (N, STROKES) int64: POINTS for a stroke there is, 0 for none (no trajectory: all 0)
    character: np.ndarray  # (N,) int64, index into names
    alphabet: np.ndarray  # (N,) int64
    names: list[str]  # the characters, "Greek #07"
    pictures: np.ndarray | None = None  # (N, SIDE, SIDE) bool ink; None: no drawing has a picture
    box: np.ndarray | None = None  # (N, 4) float32 x0, y0, x1, y1 of each picture's ink (pixel edges)

    @classmethod
    def from_omniglot(cls, data: Omniglot) -> DrawingBank:
        n = len(data.drawings)
        points = np.zeros((n, STROKES, POINTS, 2), np.float32)
        count = np.zeros((n, STROKES), np.int64)
        for i, d in enumerate(data.drawings):
            if not d.strokes:
                continue
            lengths = [_length(s) for s in d.strokes]
            kept = sorted(np.argsort(lengths)[::-1][:STROKES])  # the longest, in the order they were drawn
            for k, j in enumerate(kept):
                points[i, k] = _resample(d.strokes[j], POINTS)
                count[i, k] = POINTS
            used = points[i, count[i] > 0].reshape(-1, 2)
            lo, hi = used.min(0), used.max(0)
            points[i] = (points[i] - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-6)
        pictures = box = None
        if any(d.picture is not None for d in data.drawings):
            pictures = np.zeros((n, SIDE, SIDE), bool)
            for i, d in enumerate(data.drawings):
                if d.picture is not None:
                    pictures[i] = d.picture
            box = _ink_boxes(pictures)
        alphabets = sorted({c.alphabet for c in data.characters})
        return cls(
            points=points,
            count=count,
            character=np.array([d.character for d in data.drawings], np.int64),
            alphabet=np.array([alphabets.index(data.characters[d.character].alphabet) for d in data.drawings]),
            names=[str(c) for c in data.characters],
            pictures=pictures,
            box=box,
        )

    @classmethod
    def load(cls, folder: str, *, pictures: bool = True) -> DrawingBank:
        return cls.from_omniglot(Omniglot.load(folder, pictures=pictures))

    def __len__(self) -> int:
        return len(self.character)

    @property
    def has_strokes(self) -> np.ndarray:
        return self.count.sum(1) > 0

    @property
    def has_picture(self) -> np.ndarray:
        return np.zeros(len(self), bool) if self.box is None else self.box[:, 2] > self.box[:, 0]

    def only(self, characters: np.ndarray) -> DrawingBank:
        """The drawings of these characters only (their numbering kept)."""
        keep = np.isin(self.character, characters)
        pictures, box = (None, None) if self.pictures is None else (self.pictures[keep], self.box[keep])
        return DrawingBank(
            self.points[keep], self.count[keep], self.character[keep], self.alphabet[keep], self.names, pictures, box
        )

    def split(self, every: int = 10) -> tuple[DrawingBank, DrawingBank]:
        """(training, validation): every ``every``-th character (of each alphabet's list) for validation."""
        characters = np.unique(self.character)
        held = characters[np.arange(len(characters)) % every == every - 1]
        return self.only(np.setdiff1d(characters, held)), self.only(held)


def _ink_boxes(pictures: np.ndarray) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 of each picture's ink, in pixel edges (0 … SIDE); all 0 for a blank one."""
    rows, cols = pictures.any(2), pictures.any(1)
    first = lambda m: m.argmax(1)  # noqa: E731
    last = lambda m: m.shape[1] - m[:, ::-1].argmax(1)  # noqa: E731
    box = np.stack([first(cols), first(rows), last(cols), last(rows)], 1).astype(np.float32)
    box[~rows.any(1)] = 0
    return box


def _soften(ink: Tensor, sigma: float = 1.2) -> Tensor:
    """``(n, 1, H, W)`` ink blurred by a Gaussian of ``sigma`` pixels: a one-bit picture as a smooth field whose
    level sets are its strokes, thinner or thicker, and whose resampling does not alias."""
    r = math.ceil(3 * sigma)
    k = torch.exp(-((torch.arange(-r, r + 1, device=ink.device, dtype=ink.dtype) / sigma) ** 2) / 2)
    k = k / k.sum()
    ink = F.conv2d(ink, k.view(1, 1, 1, -1), padding=(0, r))
    return F.conv2d(ink, k.view(1, 1, -1, 1), padding=(r, 0))


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

    def render(
        self, drawings: np.ndarray, index: np.ndarray, stream: np.ndarray, compiled: bool | None = None
    ) -> Tensor:
        """Pictures of ``drawings``, each in the look of its pair ``index`` and side ``stream`` (both arrays may
        hold both sides of a batch: one call draws them all, and the compiled renderer takes 64 or more).
        A drawing with both a trajectory and a picture is drawn from either, half the time each."""
        u = np.concatenate([uniforms(self.seed, index[stream == s], s, 32) for s in (_STREAM_A, _STREAM_B)])
        order = np.concatenate([np.nonzero(stream == s)[0] for s in (_STREAM_A, _STREAM_B)])
        u = u[np.argsort(order)]
        style = np.where(u[:, 9] < 0.6, STYLES.index("sketch"), STYLES.index("fill"))  # ink on paper, or colours
        fg, bg = sample_colours(u[:, 10:27], style, _COLOURS)
        fg, bg = torch.from_numpy(fg).float(), torch.from_numpy(bg).float()
        lines = self.bank.has_strokes[drawings] & (~self.bank.has_picture[drawings] | (u[:, _FROM_STROKES] < 0.5))
        out = torch.empty(len(drawings), 3, self.image_size, self.image_size, device=self.device)
        if lines.any():
            strokes = self.strokes(drawings[lines], u[lines])
            compiled = self.compiled if compiled is None else compiled
            out[torch.from_numpy(lines)] = draw(strokes, fg[lines], bg[lines], self.image_size, self.device, compiled)
        if not lines.all():
            rest = ~lines
            ink = self.picture_ink(drawings[rest], u[rest])
            fg_, bg_ = (c[rest].to(self.device)[:, :, None, None] for c in (fg, bg))
            out[torch.from_numpy(rest)] = torch.addcmul(bg_, ink[:, None], fg_ - bg_)
        return out

    def picture_ink(self, drawings: np.ndarray, u: np.ndarray) -> Tensor:
        """``(n, S, S)`` ink in [0, 1] of the drawings' pictures, each distorted as the uniforms ``u`` (n, 9)
        say: turned (as :meth:`strokes` turns), sheared, stretched, shifted a little, its pen thinner or
        thicker, and framed as the app frames a user's picture (the ink's box centred, its longest side
        ``FILL`` of the side, give or take 12 %, but never enlarged past the scale at which the app shows
        a 105-px picture). One resampling of each picture, on the device."""
        bank, s = self.bank, self.image_size
        if bank.pictures is None or not bank.has_picture[drawings].all():
            raise ValueError("these drawings have no pictures")
        angle = np.where(u[:, 0] < self.turn, u[:, 1] * 2 * math.pi, (u[:, 1] * 2 - 1) * self.tilt)
        shear = (u[:, 2] * 2 - 1) * 0.3
        stretch = np.exp((u[:, 3] * 2 - 1) * math.log(1.2))
        c, si = np.cos(angle), np.sin(angle)
        # x' = R (stretch·(x + shear·y), y): as the strokes are distorted, in pixels with y down
        linear = np.stack([np.stack([c * stretch, c * stretch * shear - si], -1),
                           np.stack([si * stretch, si * stretch * shear + c], -1)], 1)  # fmt: skip
        box = bank.box[drawings].astype(np.float64)
        half = (box[:, 2:] - box[:, :2]) / 2
        corners = np.stack([half * [sx, sy] for sx in (-1, 1) for sy in (-1, 1)], 1)  # (n, 4, 2)
        reach = np.abs(np.einsum("nij,nkj->nki", linear, corners)).max(1).max(1)  # half the longest side, turned
        # never enlarged, as the app frames a 105-px picture: a small drawing stays small, its pen as drawn
        scale = np.minimum(FILL * s * (0.88 + 0.24 * u[:, 5]) / 2 / np.maximum(reach, 0.5), 1.0)
        forward = linear * scale[:, None, None]  # source pixels → output pixels, about the ink's middle
        inverse = np.linalg.inv(forward)
        shift = (u[:, 6:8] * 2 - 1) * 2  # up to 2 px off centre, as framing jitters
        middle = (box[:, :2] + box[:, 2:]) / 2
        # affine_grid maps the output's [-1, 1] to the source's [-1, 1] (pixel edges, align_corners=False)
        theta = np.concatenate(
            [inverse * (s / SIDE), (2 / SIDE * (middle - np.einsum("nij,nj->ni", inverse, shift)) - 1)[:, :, None]], 2
        )
        source = torch.from_numpy(bank.pictures[drawings]).to(self.device, torch.float32)[:, None]
        grid = F.affine_grid(
            torch.from_numpy(theta).float().to(self.device), [len(drawings), 1, s, s], align_corners=False
        )
        sampled = F.grid_sample(_soften(source), grid, mode="bilinear", padding_mode="zeros", align_corners=False)[:, 0]
        # the pen: a lower threshold on the softened ink draws a thicker line, a higher one a thinner
        level = torch.from_numpy(0.12 + 0.5 * u[:, 4]).float().to(self.device)[:, None, None]
        ink = ((sampled - level) / 0.2 + 0.5).clamp_(0, 1)
        hard = torch.from_numpy(u[:, 8] < 0.25).to(self.device)[:, None, None]
        return torch.where(hard, (ink > 0.5).float(), ink)

    def group(self, batch: int, n: int) -> tuple[Tensor, Tensor]:
        """``n`` characters, each drawn by two people, for a step on every pair of a batch: ``(pictures
        (2n, 3, S, S), identities (2n,))``, one person's drawing of each character then another's (character
        k at rows k and n + k); identities as :meth:`PeopleBatch.identities` numbers them. A share
        ``same_alphabet`` of groups takes its characters from one alphabet where it has enough, as the
        one-shot runs do. Group ``batch`` of a seed is always the same."""
        rng = np.random.default_rng([self.seed, batch, 0x6E0])
        kin = [a for a, chars in self._alphabet_chars.items() if len(chars) >= min(n, 20)]
        if kin and rng.random() < self.same_alphabet:
            own = self._alphabet_chars[kin[rng.integers(len(kin))]]
            chosen = rng.permutation(own)[:n]
            rest = np.setdiff1d(self._chars, chosen)
            chars = np.concatenate([chosen, rng.choice(rest, n - len(chosen), replace=False)])
        else:
            chars = rng.choice(self._chars, n, replace=False)
        drawers = [rng.choice(self._of[int(c)], 2, replace=False) for c in chars]
        drawings = np.array([d[0] for d in drawers] + [d[1] for d in drawers])
        index = np.arange(batch * n, (batch + 1) * n, dtype=np.int64)
        compiled = self.device.type == "cpu" and HAVE_NUMBA if self.compiled is None else self.compiled
        sides = np.repeat([_STREAM_A, _STREAM_B], n)
        pictures = self.render(drawings, np.concatenate([index, index]), sides, compiled)
        return pictures, torch.from_numpy(self.bank.character[drawings] + IDENTITY_OFFSET)

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
