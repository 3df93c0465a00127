"""Pictures made without the training generator's renderer, to test the model off it.

*Doodles* are drawn the way the app's canvas is: the outline of a shape of
:mod:`shapesim.shapes` (any family, the same description the generator uses)
traced by a shaky hand as polylines, each contour one stroke that starts
anywhere and stops short or runs past its start, stroked by PIL with a round
brush, black on a white 280×280 canvas. *Plain pictures* are the origin
project's data as a plain rasteriser draws it: a filled circle or square of a
few pixels, hard-edged, in independent uniform colours (PIL's own drawing).
Neither ever feeds training.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from PIL import Image, ImageDraw

from .shapes import (
    FAMILY_NAMES,
    GLYPHS,
    LETTERS,
    NAMED,
    STROKES,
    P,
    draw_identities,
    identity_names,
    near_misses,
    outline,
)

__all__ = [
    "doodle",
    "doodle_pairs",
    "plain_picture",
    "plain_pairs",
    "examples",
    "EXAMPLE_ANSWERS",
    "elongation",
    "HAND_STRETCH",
]

HAND_STRETCH = 0.13  # spread of a doodle's log stretch (a normal's σ): people's spread, see doodle()


def _hand_path(points: np.ndarray, closed: bool, rng: np.random.Generator) -> np.ndarray:
    """A contour as a hand traces it: dense points, a closed one from anywhere round to a gap or an overshoot."""
    loop = np.concatenate([points, points[:1]]) if closed else points
    steps = np.linalg.norm(np.diff(loop, axis=0), axis=1)
    along = np.concatenate([[0], np.cumsum(steps)])
    total = max(along[-1], 1e-9)
    n = max(8, int(total * 40))
    if closed:
        start, span = rng.uniform(0, total), total * (1 + rng.uniform(-0.08, 0.12))
        at = (start + np.linspace(0, span, n)) % total
    else:
        at = np.linspace(rng.uniform(0, 0.02) * total, total * (1 - rng.uniform(0, 0.02)), n)
    pts = np.stack([np.interp(at, along, loop[:, 0]), np.interp(at, along, loop[:, 1])], 1)
    bow = rng.normal(0, 0.025) * np.sin(np.linspace(0, math.pi, n))  # the stroke bows a little
    drift = rng.uniform(-0.05, 0.05) * np.linspace(0, 1, n)  # and drifts, so the end misses the start
    tangent = np.gradient(pts, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], 1) / np.maximum(
        np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9
    )
    return pts + normal * (bow + drift)[:, None] + np.cumsum(rng.normal(0, 0.004, pts.shape), axis=0)  # tremor


def doodle(
    shape: str | tuple[int, np.ndarray],
    rng: np.random.Generator,
    size: int = 280,
    width: int | None = None,
    ink: str | tuple = "black",
    paper: str | tuple = "white",
    mirror: bool = False,
    stretch: float | None = None,
) -> Image.Image:
    """``shape`` (a named shape, or an identity ``(family, params)``) drawn with a mouse: strokes of ``ink``
    on a ``size``×``size`` canvas of ``paper`` (black on white, as the app's canvas), mirrored if asked, stretched
    as a hand stretches it (or by ``stretch``: 1.0, as the shape is)."""
    family, params = _identity("named", NAMED.index(shape)) if isinstance(shape, str) else shape
    o = outline(np.array([family]), np.asarray(params, dtype=np.float64)[None])
    contours = [c for c in range(o.count.shape[1]) if o.count[0, c] > 1]
    paths = [_hand_path(o.points[0, c, : o.count[0, c]], bool(o.closed[0, c]), rng) for c in contours]
    angle = rng.uniform(-0.35, 0.35)
    c, s = math.cos(angle), math.sin(angle)
    # stretched as people's hands stretch: two people's drawings of one Omniglot character differ in
    # elongation by 1.16× (median) and 1.53× (9 in 10) — python -m benchmarks.omniglot measures both
    aspect = math.exp(HAND_STRETCH * abs(NormalDist().inv_cdf(min(max(rng.uniform(0.0, 1.0), 1e-6), 1 - 1e-6))))
    aspect = aspect if stretch is None else stretch
    stretch = np.array([aspect, 1 / aspect]) if rng.random() < 0.5 else np.array([1 / aspect, aspect])
    flip = np.array([-1 if mirror else 1, -1])  # and y down on a canvas
    paths = [(p @ np.array([[c, s], [-s, c]])) * stretch * flip for p in paths]
    extent = max(np.abs(p).max() for p in paths)
    radius = min(rng.uniform(0.2, 0.42) * size, 0.45 * size / extent)  # a stretched drawing still fits
    reach = np.max([np.abs(p).max(axis=0) for p in paths], axis=0) * radius
    centre = rng.uniform(0.05 * size + reach, 0.95 * size - reach)  # anywhere, all of it on the canvas
    img = Image.new("RGB", (size, size), paper)
    draw = ImageDraw.Draw(img)
    w = int(width or rng.integers(3, 16))
    for path in paths:
        xy = path * radius + centre
        draw.line([tuple(p) for p in xy], fill=ink, width=w, joint="curve")
        for p in (xy[0], xy[-1]):  # round caps at both ends
            draw.ellipse([p[0] - w / 2, p[1] - w / 2, p[0] + w / 2, p[1] + w / 2], fill=ink)
    return img


def elongation(points: np.ndarray) -> float:
    """How elongated a drawing's ink is, whatever its turn: log √(λ1/λ2) of its points' second moments
    (0 for a circle or a square, 0.69 for a 2:1 rectangle's outline)."""
    q = np.asarray(points, np.float64)
    q = q - q.mean(0)
    small, large = np.linalg.eigvalsh(q.T @ q / len(q))
    return 0.5 * math.log(large / max(small, 1e-12))


def doodle_pairs(
    n: int,
    seed: int = 0,
    families: tuple[str, ...] = ("named",),
    named: tuple[str, ...] = NAMED,
    size: int = 280,
    near: float = 0.25,
):
    """``n`` pairs of doodles of identities from ``families``, half of one identity each; of the others a
    share ``near`` are near misses (a heptagon for a hexagon). Returns (pictures a, pictures b, labels,
    what each pair shows as (name a, name b))."""
    rng = np.random.default_rng(seed)
    fam_a, params_a = draw_identities(rng.random((n, 33)), families, named)
    fam_b, params_b = draw_identities(rng.random((n, 33)), families, named)
    same = np.arange(n) % 2 == 0
    fam_b[same], params_b[same] = fam_a[same], params_a[same]
    close = ~same & (rng.random(n) < near)
    if close.any():
        fam_b[close], params_b[close] = near_misses(fam_a[close], params_a[close], rng.random(close.sum()), named)
    clash = ~same & (fam_a == fam_b) & (params_a == params_b).all(1)
    if clash.any():
        fam_b[clash], params_b[clash] = near_misses(fam_b[clash], params_b[clash], rng.random(clash.sum()), named, True)
    a = [doodle((f, p), rng, size) for f, p in zip(fam_a, params_a, strict=True)]
    b = [doodle((f, p), rng, size) for f, p in zip(fam_b, params_b, strict=True)]
    names = list(zip(identity_names(fam_a, params_a), identity_names(fam_b, params_b), strict=True))
    return a, b, same.astype(int), names


def plain_picture(kind: str, rng: np.random.Generator, size: int = 64, min_distance: float = 0.08) -> Image.Image:
    """A filled ``"circle"`` or axis-aligned ``"square"`` as a plain rasteriser draws it (no anti-aliasing),
    12-20 pixels across on a 64-pixel picture (in proportion on others), anywhere, in two colours drawn
    independently and uniformly; a pair of colours closer than ``min_distance`` in RGB (a faint shape
    most people would miss) is drawn again."""
    while True:
        fg, bg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        if np.linalg.norm((fg - bg) / 255) >= min_distance:
            break
    across = rng.uniform(12, 20) * size / 64
    x0, y0 = rng.uniform(1, size - across - 1, 2)
    img = Image.new("RGB", (size, size), tuple(int(v) for v in bg))
    box = [x0, y0, x0 + across, y0 + across]
    draw = ImageDraw.Draw(img)
    (draw.ellipse if kind == "circle" else draw.rectangle)(box, fill=tuple(int(v) for v in fg))
    return img


def plain_pairs(n: int, seed: int = 0, size: int = 64):
    """``n`` pairs of :func:`plain_picture` s, half of one kind each: (pictures a, pictures b, labels)."""
    rng = np.random.default_rng(seed)
    kinds = ("circle", "square")
    a, b, labels = [], [], []
    for i in range(n):
        ka = kinds[rng.integers(2)]
        kb = ka if i % 2 == 0 else kinds[1 - kinds.index(ka)]
        a.append(plain_picture(ka, rng, size))
        b.append(plain_picture(kb, rng, size))
        labels.append(int(i % 2 == 0))
    return a, b, np.array(labels)


def _identity(family: str, *values: float) -> tuple[int, np.ndarray]:
    params = np.zeros(P)
    params[: len(values)] = values
    return FAMILY_NAMES.index(family), params


# Whether each of the app's example pairs shows one shape twice (what a person would say).
EXAMPLE_ANSWERS = {
    "01_circle_square": False, "02_two_circles": True, "03_houses": True, "04_house_tower": False,
    "05_letter_mirrored": True, "06_hexagon_heptagon": False, "07_tick_zigzag": False, "08_spirals": True,
    "09_red_on_purple": True, "10_letters": False, "11_two_people_one_character": True,
    "12_two_characters_of_one_alphabet": False,
}  # fmt: skip


def examples(seed: int = 0, runs: list | None = None) -> dict[str, tuple[Image.Image, Image.Image]]:
    """The app's example pairs, drawn by hand (and two in flat colours), both answers: what a visitor
    tries first, and shapes outside any list of classes. With Omniglot's one-shot ``runs``, two pairs of
    people's drawings too (of an alphabet training never sees): one character drawn by two people,
    and two characters of one alphabet."""
    rng = np.random.default_rng(seed)
    circle, square = "circle", "square"
    house = _identity("composite", 2, 1, 2, 0, 0.8, 0.5, 0.5, 0.5)  # on top: a triangle on a square
    tower = _identity("composite", 2, 1, 1, 0, 0.4, 0.5, 0.5, 0.5)  # on top: a small square on a square
    letter_r = _identity("letter", LETTERS.index("R"))
    hexagon, heptagon = _identity("polygon", 6), _identity("polygon", 7)
    tick = _identity("stroke", list(STROKES).index("tick"), 0.5, 0.4, 0.5)
    zigzag = _identity("stroke", list(STROKES).index("zigzag"), 0.3, 0.6)
    spiral = _identity("stroke", list(STROKES).index("spiral"), 0.5)
    glyph_a, glyph_b = _identity("glyph", GLYPHS.index("A")), _identity("glyph", GLYPHS.index("B"))
    draw = lambda identity, **kw: doodle(identity, rng, **kw)  # noqa: E731
    return {
        "01_circle_square": (draw(circle), draw(square)),
        "02_two_circles": (  # round, as the title says (a hand's stretch would make ellipses of them)
            draw(circle, width=5, stretch=1.03),
            draw(circle, width=12, ink=(200, 40, 40), paper=(250, 240, 200), stretch=1.05),
        ),
        "03_houses": (draw(house), draw(house, width=9)),
        "04_house_tower": (draw(house), draw(tower)),
        "05_letter_mirrored": (draw(letter_r), draw(letter_r, mirror=True)),
        "06_hexagon_heptagon": (draw(hexagon), draw(heptagon)),
        "07_tick_zigzag": (draw(tick), draw(zigzag)),
        "08_spirals": (draw(spiral, width=6), draw(spiral, width=10)),
        "09_red_on_purple": (
            _flat("circle", (200, 40, 40), (150, 60, 150), 40),
            _flat("circle", (40, 160, 40), (128, 128, 128), 110),
        ),
        "10_letters": (draw(glyph_a, width=4), draw(glyph_b, width=4)),
        **(_people_examples(runs[0]) if runs else {}),
    }


def _people_examples(run) -> dict[str, tuple[Image.Image, Image.Image]]:
    """The first test drawing of a one-shot run with its character's drawing by another person, and with
    the next character of its alphabet; enlarged to the app's canvas (280 px) to be seen."""
    from .omniglot import other_character

    big = lambda p: Image.fromarray(p).resize((280, 280), Image.LANCZOS)  # noqa: E731
    same, other = run.training[run.answer[0]], run.training[other_character(run, 0)]
    return {
        "11_two_people_one_character": (big(run.test[0]), big(same)),
        "12_two_characters_of_one_alphabet": (big(run.test[0]), big(other)),
    }


def _flat(kind: str, fg: tuple, bg: tuple, across: int, size: int = 280) -> Image.Image:
    """A filled shape of one flat colour on another, as a drawing program saves it."""
    img = Image.new("RGB", (size, size), bg)
    x0 = (size - across) / 2
    (ImageDraw.Draw(img).ellipse if kind == "circle" else ImageDraw.Draw(img).rectangle)(
        [x0, x0, x0 + across, x0 + across], fill=fg
    )
    return img
