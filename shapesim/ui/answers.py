"""What the app shows, as plain data: the answer for two pictures, or what is wrong with them in words.

The app (``app.py``) lays out components and wires events; everything it shows is made here, where it
is tested without a browser. A picture arrives as a drawing sheet's value (:mod:`shapesim.ui.sheet`: strokes,
over an upload the session keeps), an array, or a file path. A user's mistake is a :class:`Mistake` with
a message for the page, logged as one line, never a traceback.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field

import numpy as np

from ..atlas import Atlas
from ..card import SEPARATE
from ..data import PairGenerator
from ..images import ImageError, read_image
from ..predict import Predictor
from . import sheet

__all__ = [
    "Answer",
    "Mistake",
    "answer",
    "compare",
    "pictures",
    "uploaded",
    "given",
    "random_pair",
    "similar",
    "no_map_for",
    "quiet_disconnects",
]

log = logging.getLogger(__name__)

VERDICTS = ("same shape", "different shapes")
TURNS_LABEL = "Turned or mirrored counts as the same shape"
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
# On a narrow screen the verdict is under both sheets: after an answer, bring it into view if it is out of it.
SHOW_VERDICT_JS = """() => {
  if (window.innerWidth > 760) return;
  const shown = [...document.querySelectorAll('#verdict, #message')].find(e => e.offsetParent !== null);
  if (!shown) return;
  const r = shown.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) shown.scrollIntoView({behavior: 'smooth', block: 'center'});
}"""


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
    cosine: float | None = None  # the cosine itself, for scripts (None: the design has none)
    heat_a: np.ndarray | None = None  # (H, W, 3) uint8: picture A with its heatmap
    heat_b: np.ndarray | None = None
    placed: list[tuple[str, tuple[float, float]]] = field(default_factory=list)  # the pictures as map stars


def pictures(values: tuple, under: tuple) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The two sheets as pictures (an upload under the strokes, or white paper): None for a blank one. A sheet
    whose pasted or dropped picture is still on its way (its own event not yet answered) shows that picture:
    two pictures given a moment apart are compared, whichever event is answered first."""
    got = []
    for value, picture, side in zip(values, under, "AB", strict=False):
        arriving = _arriving(value, side) if picture is None else None
        got.append(arriving if arriving is not None else sheet.picture(value, picture))
    return tuple(got)


def _arriving(value: dict | None, side: str) -> np.ndarray | None:
    """The picture pasted or dropped on a sheet whose own event has not placed it yet; None if there is none
    (or it cannot be used: its own event says why)."""
    if not (isinstance(value, dict) and value.get("given")):
        return None
    try:
        return given(value, side)
    except Mistake:
        return None


def compare(predictor: Predictor, atlas: Atlas | None, picture_a, picture_b, turns: bool = True) -> Answer:
    """The answer for two pictures (arrays, PIL images, paths); a :class:`Mistake` that says which and why.
    ``turns``: a turned or mirrored copy counts as the same shape, and the verdict says how it is turned."""
    for side, picture in (("A", picture_a), ("B", picture_b)):
        if picture is None:
            raise Mistake(f"Picture {side} is empty: draw a shape or upload a picture first.")
    try:
        result = predictor.compare(picture_a, picture_b, turns=turns)
    except ImageError as err:
        raise Mistake(f"Picture {_refused(predictor, picture_a, picture_b)} cannot be used: {err}.") from err
    similarity = (
        f"**Cosine similarity** of the two embeddings: **{result.similarity:+.3f}** (−1 … +1)"
        if result.similarity is not None
        else f"The `{predictor.arch}` design has no similarity of its own and no map of where it looked."
    )
    if result.similarity is not None and not predictor.model.cosine_classifier:
        similarity += f"; {SEPARATE}"
    placed = []
    if atlas is not None and result.embedding_a is not None and len(result.embedding_a) == atlas.dim:
        placed = [
            (f"your picture {s}", atlas.locate(e)) for s, e in (("A", result.embedding_a), ("B", result.embedding_b))
        ]
    same = VERDICTS[0] + (f", {result.turned}" if result.same and result.turned else "")  # "same shape, mirrored …"
    return Answer(
        verdict={same: result.probability, VERDICTS[1]: 1 - result.probability},
        similarity=similarity,
        cosine=result.similarity,
        heat_a=result.close_up(0),
        heat_b=result.close_up(1),
        placed=placed,
    )


def _refused(predictor: Predictor, picture_a, picture_b) -> str:
    """Which picture the predictor cannot use ("A" or "B"), to name it."""
    try:
        predictor.prepare(picture_a)
    except ImageError:
        return "A"
    return "B"


def answer(predictor: Predictor, atlas: Atlas | None, picture_a, picture_b, turns: bool = True) -> Answer:
    """:func:`compare` as the page shows it: the answer, or the mistake in the verdict's place."""
    try:
        return compare(predictor, atlas, picture_a, picture_b, turns)
    except Mistake as mistake:
        return Answer(mistake=str(mistake))


def no_map_for(predictor: Predictor, main: str) -> str:
    """What the Map tab says for a model other than the one its map was made by."""
    if predictor.embedding_dim is None:
        return f"> The `{predictor.arch}` design has no embeddings, so it has no map: choose `{main}` to see one."
    return f"> The map was made by `{main}`; this model has none of its own (`python -m shapesim atlas` makes one)."


def quiet_disconnects() -> None:
    """A browser that goes away in the middle of an upload is one line in the server's log, not a traceback
    of the web server's (starlette's ``ClientDisconnect``, logged by uvicorn)."""
    for name in ("uvicorn.error", "uvicorn", "gradio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Disconnects) for f in logger.filters):
            logger.addFilter(_Disconnects())


class _Disconnects(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        while err is not None and type(err).__name__ != "ClientDisconnect":
            err = err.__cause__ or err.__context__ or (err.exceptions[0] if getattr(err, "exceptions", None) else None)
        if err is not None:
            record.msg, record.args, record.exc_info, record.exc_text = (
                "a client went away during a request",
                (),
                None,
                None,
            )
        return True


MAX_UPLOAD = 10_000_000  # bytes: a larger file is refused in words (the server takes up to four times this)


def uploaded(path: str | bytes | None, side: str) -> np.ndarray:
    """An uploaded file (or its bytes), read by shapesim's reader; a :class:`Mistake` if it is no picture or larger
    than ``MAX_UPLOAD``."""
    size = (
        len(path)
        if isinstance(path, (bytes, bytearray))
        else os.path.getsize(path)
        if path and os.path.isfile(path)
        else 0
    )
    if size > MAX_UPLOAD:
        raise Mistake(f"Picture {side} cannot be used: it is too large: {size / 1e6:.0f} MB; the limit is "
                      f"{MAX_UPLOAD // 1_000_000} MB.")  # fmt: skip
    try:
        return np.asarray(read_image(path))
    except ImageError as err:
        raise Mistake(f"Picture {side} cannot be used: {err}.") from err


def given(value: dict | None, side: str) -> np.ndarray:
    """A picture pasted or dropped on a sheet (:func:`shapesim.sheet.given`), read as an upload is; a
    :class:`Mistake` if it is none (text, too large, not a picture)."""
    try:
        return uploaded(sheet.given(value), side)
    except Mistake:
        raise
    except ValueError as why:
        raise Mistake(f"Picture {side} cannot be used: {why}.") from why


def random_pair(preset: str, counter: int | None) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Two generated pictures (a labelled pair), what they show, and the counter moved on; a session's first
    (``counter`` None) starts anywhere, so that a reload does not show the same pairs again."""
    counter = secrets.randbelow(1 << 30) if counter is None else counter
    batch = PairGenerator(preset, image_size=sheet.SIDE, seed=20_26)(int(counter), 1)
    a, b = batch.pictures(0)
    note = f"Random pair from preset `{preset}`: {batch.caption(0)}."
    return a, b, note, int(counter) + 1


def similar(predictor: Predictor, atlas: Atlas | None, picture_a, k: int = 24) -> tuple[list, str]:
    """The reference pictures nearest picture A in the model's embedding, and a word when there are none."""
    if predictor.embedding_dim is None:
        return [], f"The `{predictor.arch}` design has no embeddings to compare pictures by, so no map either."
    if atlas is None:
        return [], "These weights come without a map (`python -m shapesim atlas --weights DIR` makes one)."
    if picture_a is None:
        return [], "Draw or upload picture A first."
    try:
        return atlas.similar(predictor.embed([picture_a])[0], k), ""
    except ImageError as err:
        return [], f"Picture A cannot be used: {err}."
