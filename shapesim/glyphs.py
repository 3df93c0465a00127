"""Letters, digits and symbols: outlines of glyphs of the font matplotlib ships, and capital letters and digits
as a hand writes them (strokes). Tables the ``glyph`` and ``letter`` families of :mod:`shapesim.shapes` index."""

from __future__ import annotations

import numpy as np

from .outline import K, Outline, _arc

__all__ = ["GLYPHS", "LETTERS"]

# Outlines of glyphs of DejaVu Sans, the font matplotlib ships (no download). Left out: glyphs
# that are another glyph turned or mirrored (Z ~ N, 9 ~ 6, 0 ~ O), plain bars (I, -, 1, l) and
# symbols that are a named shape (★, ♥, ✚).
GLYPHS = "ABCDEFGHJKLMNOPQRSTUVWXY2345678&%$#@?!=♠♣♦☺☁⚡✓✈♪☂⌂✂☀✿⚓♞✉⚑☯"
_GLYPH_NEIGHBOURS = {"E": "F", "F": "E", "O": "Q", "Q": "O", "P": "R", "R": "PB", "C": "G", "G": "C", "B": "R8",
                     "8": "B", "M": "NW", "N": "MH", "W": "M", "V": "Y", "Y": "VT", "T": "Y", "3": "8", "5": "S",
                     "S": "5", "K": "X", "X": "K", "D": "O", "U": "V", "♠": "♣", "♣": "♠"}  # fmt: skip


def _glyph_table() -> Outline:
    from matplotlib.font_manager import FontProperties  # only when a glyph is drawn: matplotlib costs a second
    from matplotlib.textpath import TextPath

    font = FontProperties(family="DejaVu Sans")
    shapes = []
    for ch in GLYPHS:
        polygons = TextPath((0, 0), ch, size=1, prop=font).to_polygons()
        shapes.append([(_resampled(np.asarray(poly[:-1], float), K), True) for poly in polygons[:4]])
    return Outline.of(shapes).fitted()


def _resampled(points: np.ndarray, k: int) -> np.ndarray:
    """A closed polygon with at most ``k`` points: its own vertices if it has that few, else ``k``
    points evenly along it (a curve's outline from the font has many short edges)."""
    if len(points) <= k:
        return points
    loop = np.concatenate([points, points[:1]])
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(loop, axis=0), axis=1))])
    at = np.linspace(0, along[-1], k, endpoint=False)
    return np.stack([np.interp(at, along, loop[:, 0]), np.interp(at, along, loop[:, 1])], -1)


# Capital letters and digits as a hand writes them: strokes, not outlines. Each entry is its
# strokes as polylines in a box 1 wide and 1.4 tall (curves as short arcs).
def _letter_strokes() -> dict[str, list[np.ndarray]]:
    a = lambda cx, cy, r, a0, a1, k=14: _arc(cx, cy, r, r, np.radians(a0), np.radians(a1), k)  # noqa: E731
    L = lambda *pts: np.array(pts, float)  # noqa: E731
    bump = lambda y0, y1, k=12: np.concatenate(
        [L((-0.45, y1)), a(0.05, (y0 + y1) / 2, (y1 - y0) / 2, 90, -90, k), L((-0.45, y0))]
    )  # noqa: E731,E501
    return {
        "A": [L((-0.5, -0.7), (0, 0.7), (0.5, -0.7)), L((-0.27, -0.05), (0.27, -0.05))],
        "B": [L((-0.45, -0.7), (-0.45, 0.7)), bump(0, 0.7), bump(-0.7, 0)],
        "D": [L((-0.45, -0.7), (-0.45, 0.7)), bump(-0.7, 0.7, 20)],
        "E": [L((0.45, 0.7), (-0.45, 0.7), (-0.45, -0.7), (0.45, -0.7)), L((-0.45, 0), (0.3, 0))],
        "F": [L((0.45, 0.7), (-0.45, 0.7), (-0.45, -0.7)), L((-0.45, 0), (0.3, 0))],
        "G": [np.concatenate([a(0, 0, 0.6, 40, 330, 20), L((0.55, -0.1), (0.1, -0.1))])],
        "H": [L((-0.45, 0.7), (-0.45, -0.7)), L((0.45, 0.7), (0.45, -0.7)), L((-0.45, 0), (0.45, 0))],
        "K": [L((-0.45, 0.7), (-0.45, -0.7)), L((0.45, 0.7), (-0.45, -0.05), (0.45, -0.7))],
        "L": [L((-0.45, 0.7), (-0.45, -0.7), (0.45, -0.7))],
        "M": [L((-0.5, -0.7), (-0.5, 0.7), (0, 0), (0.5, 0.7), (0.5, -0.7))],
        "N": [L((-0.45, -0.7), (-0.45, 0.7), (0.45, -0.7), (0.45, 0.7))],
        "P": [L((-0.45, -0.7), (-0.45, 0.7)), bump(0, 0.7)],
        "R": [L((-0.45, -0.7), (-0.45, 0.7)), bump(0, 0.7), L((-0.1, 0), (0.45, -0.7))],
        "S": [np.concatenate([a(0.02, 0.35, 0.35, 20, 270, 12), a(0.02, -0.35, 0.35, 90, -160, 12)])],
        "T": [L((-0.5, 0.7), (0.5, 0.7)), L((0, 0.7), (0, -0.7))],
        "U": [np.concatenate([L((-0.45, 0.7)), a(0, -0.25, 0.45, 180, 360, 14), L((0.45, 0.7))])],
        "V": [L((-0.5, 0.7), (0, -0.7), (0.5, 0.7))],
        "W": [L((-0.6, 0.7), (-0.3, -0.7), (0, 0.3), (0.3, -0.7), (0.6, 0.7))],
        "X": [L((-0.5, 0.7), (0.5, -0.7)), L((0.5, 0.7), (-0.5, -0.7))],
        "Y": [L((-0.5, 0.7), (0, 0)), L((0.5, 0.7), (0, 0), (0, -0.7))],
        "2": [np.concatenate([a(0, 0.3, 0.4, 160, -30, 12), L((-0.45, -0.7), (0.45, -0.7))])],
        "3": [np.concatenate([a(0, 0.35, 0.35, 150, -90, 12), a(0, -0.35, 0.35, 90, -150, 12)])],
        "4": [L((0.2, -0.7), (0.2, 0.7), (-0.5, -0.2), (0.45, -0.2))],
        "5": [np.concatenate([L((0.4, 0.7), (-0.35, 0.7), (-0.4, 0.1)), a(0, -0.3, 0.42, 110, -150, 14)])],
        "7": [L((-0.45, 0.7), (0.45, 0.7), (-0.1, -0.7))],
    }


LETTERS = "ABDEFGHKLMNPRSTUVWXY23457"
_LETTER_NEIGHBOURS = {"E": "F", "F": "EP", "P": "RF", "R": "PB", "B": "RD", "M": "NW", "N": "MH", "W": "MV",
                      "V": "YU", "Y": "VT", "T": "Y", "K": "X", "X": "KY", "H": "N", "3": "B", "5": "S",
                      "S": "5", "U": "V", "D": "B"}  # fmt: skip


def _letter_table() -> Outline:
    strokes = _letter_strokes()
    return Outline.of([[(pts, False) for pts in strokes[ch]] for ch in LETTERS]).fitted()
