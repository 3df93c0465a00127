"""What the app shows, as plain data: the answer for two pictures, or what is wrong with them in words.

The app (``app.py``) lays out components and wires events; everything it shows is made here, where it
is tested without a browser. A picture arrives as an image editor's value (a dict with ``background``,
``layers`` and ``composite``, as gradio's ``ImageEditor`` sends it), an array, or a file path. A user's
mistake is a :class:`Mistake` with a message for the page, logged as one line, never a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .atlas import Atlas
from .card import heatmap_meaning
from .data import PairGenerator
from .images import ImageError, read_image
from .predict import Predictor

__all__ = [
    "CANVAS",
    "Answer",
    "Mistake",
    "answer",
    "compare",
    "editor_value",
    "editor_picture",
    "is_drawn",
    "uploaded",
    "unreadable",
    "random_pair",
    "similar",
]

log = logging.getLogger(__name__)

CANVAS = 280  # px: the sheet an editor starts with; small canvases draw smoothly
_WHITE = np.full((CANVAS, CANVAS, 3), 255, np.uint8)
VERDICTS = ("same shape", "different shapes")
INTRO = (
    "# shapesim — do these two pictures show the same shape?\n"
    "Draw in both boxes (the brush is ready) or upload a picture into each: the answer comes as you "
    "draw. Any shape: a house, a letter, a spiral, a cloud."
)
MAP_HELP = (
    "Every dot is a reference picture, placed by a UMAP of the model's embeddings (hollow: shapes held out "
    "of training); hover for what it shows. Your last two pictures are the stars. Drag a rectangle (or click "
    "a dot) to see the pictures there."
)
NO_MAP = "> These weights come without a map: `python -m shapesim atlas --weights DIR` makes one."


class Mistake(ValueError):
    """A picture the app cannot answer for, with what the page says about it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        log.info("refused: %s", message)  # a user's mistake: one line, no traceback


@dataclass
class Answer:
    """What the Compare tab shows: the verdict, or the mistake in its place, and what goes with them."""

    verdict: dict[str, float] | None = None  # {"same shape": p, "different shapes": 1 - p}
    mistake: str | None = None  # shown instead of the verdict
    similarity: str = ""  # markdown: the cosine and what the heatmaps mean
    heat_a: np.ndarray | None = None  # (H, W, 3) uint8: picture A with its heatmap
    heat_b: np.ndarray | None = None
    placed: list[tuple[str, tuple[float, float]]] = field(default_factory=list)  # the pictures as map stars


def editor_value(picture: np.ndarray | None = None) -> dict:
    """An editor holding ``picture`` at its own size (a blank sheet of paper when None: its brush draws at once)."""
    picture = _WHITE if picture is None else picture
    return {"background": picture, "layers": [], "composite": picture}


def editor_picture(value: dict | np.ndarray | None) -> np.ndarray | None:
    """The picture in an editor's value: the composite, else the background, else None."""
    if value is None or isinstance(value, np.ndarray):
        return value
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return np.asarray(value[key])
    return None


def is_drawn(value) -> bool:
    """Whether an editor shows anything yet (a blank sheet is not a mistake, only not a picture yet)."""
    picture = editor_picture(value)
    return picture is not None and np.ptp(picture) > 0


def compare(predictor: Predictor, atlas: Atlas | None, value_a, value_b) -> Answer:
    """The answer for two editors' pictures; a :class:`Mistake` that says which picture and why."""
    pictures = []
    for side, value in (("A", value_a), ("B", value_b)):
        picture = editor_picture(value)
        if picture is None:
            raise Mistake(f"Picture {side} is empty: draw a shape or upload a picture first.")
        pictures.append(picture)
    try:
        result = predictor.compare(*pictures)
    except ImageError as err:
        raise Mistake(f"That picture cannot be used: {err}.") from err
    similarity = (
        f"**Cosine similarity** of the two embeddings: **{result.similarity:+.3f}** (−1 … +1)"
        if result.similarity is not None
        else f"The `{predictor.arch}` design has no similarity of its own, only the verdict."
    )
    placed = []
    if atlas is not None and result.embedding_a is not None and len(result.embedding_a) == atlas.dim:
        placed = [
            (f"your picture {s}", atlas.locate(e)) for s, e in (("A", result.embedding_a), ("B", result.embedding_b))
        ]
    return Answer(
        verdict=dict(zip(VERDICTS, (result.probability, 1 - result.probability), strict=True)),
        similarity=f"{similarity}\n\n*Heatmaps*: {heatmap_meaning(predictor.model)}.",
        heat_a=result.overlay_a,
        heat_b=result.overlay_b,
        placed=placed,
    )


def answer(predictor: Predictor, atlas: Atlas | None, value_a, value_b) -> Answer:
    """:func:`compare` as the page shows it: the answer, or the mistake in the verdict's place."""
    try:
        return compare(predictor, atlas, value_a, value_b)
    except Mistake as mistake:
        return Answer(mistake=str(mistake))


def uploaded(path: str | None, side: str) -> dict:
    """An uploaded file, read by shapesim's reader, as an editor's value; a :class:`Mistake` if it is no picture."""
    try:
        return editor_value(np.asarray(read_image(path)))
    except ImageError as err:
        raise Mistake(f"Picture {side} cannot be used: {err}.") from err


def unreadable(paths: list[str | None], label: str) -> Mistake:
    """What is wrong with an upload that could not be decoded: shapesim's reader says, for the first of
    ``paths`` (the files sent for one editor) it refuses."""
    for path in paths:
        try:
            if path:
                read_image(path)
        except ImageError as why:
            return Mistake(f"{label} cannot be used: {why}.")
    return Mistake(f"{label} cannot be used: it cannot be read as a picture.")


def random_pair(preset: str, counter: int) -> tuple[dict, dict, str, int]:
    """Two generated pictures (a labelled pair) for the editors, what they show, and the counter moved on."""
    batch = PairGenerator(preset, image_size=CANVAS, seed=20_26)(int(counter), 1)
    a, b = batch.pictures(0)
    note = f"Random pair from preset `{preset}`: {batch.caption(0)}."
    return editor_value(a), editor_value(b), note, int(counter) + 1


def similar(predictor: Predictor, atlas: Atlas | None, value_a, k: int = 24) -> list[tuple[np.ndarray, str]]:
    """The reference pictures nearest picture A in the model's embedding (none without a map or a picture)."""
    picture = editor_picture(value_a)
    if atlas is None or picture is None or predictor.embedding_dim is None:
        return []
    try:
        return atlas.similar(predictor.embed([picture])[0], k)
    except ImageError:
        return []
