"""What each control of the app does, as named functions: the pictures in (sheets, uploads, pastes, examples,
a random pair), the answer out, and the Map and Model tabs.

app.py lays out the components and wires each event to one of these, with its inputs and outputs in the
orders the functions name: an answer is :data:`ANSWER`'s six outputs, the pictures :data:`SHEETS`' four.
A function gets the app's :class:`Context` (its models and map) first.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass

import gradio as gr

from ..atlas import Atlas
from ..card import weights_summary
from . import answers, sheet
from .answers import Answer, Mistake
from .mapview import colour_bar, map_svg
from .models import Predictors

__all__ = [
    "ANSWER",
    "SHEETS",
    "Context",
    "bind",
    "shown",
    "answer_drawn",
    "answer_asked",
    "answer_upload",
    "answer_paste",
    "answer_pair",
    "swap_pictures",
    "clear_pictures",
    "random_pair",
    "answer_files",
    "choose_model",
    "find_similar",
    "picked_on_map",
    "map_for",
]

# The outputs an answer fills, in this order: verdict, message, similarity, heatmap A, heatmap B, the map's stars.
ANSWER = ("verdict", "message", "similarity", "heat_a", "heat_b", "placed")
# The pictures, in this order: sheet A, sheet B, the upload under A, the upload under B.
SHEETS = ("sheet_a", "sheet_b", "under_a", "under_b")
_UNCHANGED = (gr.skip(),) * len(ANSWER)


@dataclass
class Context:
    """What every event may use: the models to answer with, and the map (made by the main model)."""

    models: Predictors
    atlas: Atlas | None

    def map_of(self, name: str) -> Atlas | None:
        """The map, for the model it was made by (another model's embeddings mean nothing on it)."""
        return self.atlas if name == self.models.name else None

    def answer(self, a, b, name: str, turns: bool) -> Answer:
        return answers.answer(self.models.get(name), self.map_of(name), a, b, turns)

    def atlas_table(self) -> dict:
        """The map's points: x, y, class and style of every reference picture."""
        return self.atlas.table().to_dict(orient="list") if self.atlas is not None else {}


def bind(ctx: Context, fn: typing.Callable, **given) -> typing.Callable:
    """``fn`` with the app's context first (and the keywords ``given``), as a plain function whose signature and
    type hints name the rest: gradio finds the parameters it fills itself (``gr.EventData``) by their
    annotations, which a ``functools.partial`` hides."""
    signature = inspect.signature(fn)
    rest = [p for p in list(signature.parameters.values())[1:] if p.name not in given]
    hints = typing.get_type_hints(fn)

    def handler(*args):
        return fn(ctx, *args, **given)

    handler.__name__, handler.__doc__ = fn.__name__, fn.__doc__
    handler.__signature__ = signature.replace(parameters=rest)
    handler.__annotations__ = {p.name: hints[p.name] for p in rest if p.name in hints}
    return handler


def shown(answer: Answer) -> tuple:
    """An answer as :data:`ANSWER`'s outputs: the verdict, or the mistake in its place."""
    mistake = f"⚠️ {answer.mistake}" if answer.mistake else ""
    return (
        gr.update(value=answer.verdict, visible=answer.mistake is None),
        gr.update(value=mistake, visible=bool(answer.mistake)),
        answer.similarity,
        answer.heat_a,
        answer.heat_b,
        answer.placed,
    )


def answer_drawn(ctx: Context, value_a, value_b, under_a, under_b, name, turns=True, on=True) -> tuple:
    """After a stroke: the answer, when answering as one draws is on and both sheets show something."""
    a, b = answers.pictures((value_a, value_b), (under_a, under_b))
    return shown(ctx.answer(a, b, name, turns)) if on and a is not None and b is not None else _UNCHANGED


def answer_asked(ctx: Context, value_a, value_b, under_a, under_b, name, turns=True) -> tuple:
    """Compare: the answer, or which sheet is empty, in the verdict's place."""
    a, b = answers.pictures((value_a, value_b), (under_a, under_b))
    return shown(ctx.answer(a, b, name, turns))


def answer_upload(ctx: Context, path, value_a, value_b, under_a, under_b, name, turns, on, *, side: str) -> tuple:
    """An uploaded picture onto its sheet and the answer (:data:`SHEETS`, then :data:`ANSWER`); or what is wrong."""
    try:
        picture = answers.uploaded(path, side)
    except Mistake as mistake:
        return (gr.skip(),) * len(SHEETS) + shown(Answer(mistake=str(mistake)))
    return _placed(ctx, side, picture, value_a, value_b, under_a, under_b, name, turns, on)


def answer_paste(ctx: Context, value, value_a, value_b, under_a, under_b, name, turns, on, *, side: str) -> tuple:
    """A picture pasted or dropped on a sheet, as an upload; or what is wrong with it (text, too large), the
    sheet as it was."""
    try:
        picture = answers.given(value, side)
    except Mistake as mistake:
        kept = {k: v for k, v in (value or {}).items() if not k.startswith("given")}
        sheets = (kept, gr.skip()) if side == "A" else (gr.skip(), kept)
        return (*sheets, gr.skip(), gr.skip()) + shown(Answer(mistake=str(mistake)))
    return _placed(ctx, side, picture, value_a, value_b, under_a, under_b, name, turns, on)


def _placed(ctx: Context, side, picture, value_a, value_b, under_a, under_b, name, turns, on) -> tuple:
    """A picture shown on its sheet (its strokes gone) and kept whole; the answer, as after a stroke. The other
    sheet is left as the browser has it: a picture given there meanwhile is not overwritten by this answer."""
    shown_here = sheet.showing(picture)
    if side == "A":
        value_a, under_a = shown_here, picture
        mine = (shown_here, gr.skip(), picture, gr.skip())
    else:
        value_b, under_b = shown_here, picture
        mine = (gr.skip(), shown_here, gr.skip(), picture)
    return mine + answer_drawn(ctx, value_a, value_b, under_a, under_b, name, turns, on)


def answer_pair(ctx: Context, a, b, name, turns=True) -> tuple:
    """Two pictures at once (an example's files, a random pair's arrays): both sheets and the answer."""
    a, b = (answers.uploaded(x, s) if isinstance(x, str) else x for x, s in ((a, "A"), (b, "B")))
    return (sheet.showing(a), sheet.showing(b), a, b) + shown(ctx.answer(a, b, name, turns))


def swap_pictures(ctx: Context, value_a, value_b, under_a, under_b, name, turns=True) -> tuple:
    """The two pictures change places; the very same numbers the other way round."""
    a, b = answers.pictures((value_b, value_a), (under_b, under_a))
    answer = shown(ctx.answer(a, b, name, turns)) if a is not None and b is not None else _UNCHANGED
    return (value_b, value_a, under_b, under_a) + answer


def clear_pictures() -> tuple:
    """Two blank sheets, no answer, no note (:data:`SHEETS`, :data:`ANSWER`, the note)."""
    return (sheet.blank(), sheet.blank(), None, None) + shown(Answer()) + ("",)


def random_pair(ctx: Context, preset: str, counter: int, name, turns=True) -> tuple:
    """A pair from the generator: both sheets, the answer, what it shows, and the counter moved on."""
    a, b, note, counter = answers.random_pair(preset, counter)
    return answer_pair(ctx, a, b, name, turns) + (note, counter)


def answer_files(ctx: Context, a, b, name, turns=True) -> tuple:
    """The API's compare: verdict, cosine similarity (a number; None for a design without one), both heatmaps, the
    map's stars; a mistake as an error a script can catch (``AppError``)."""
    try:
        got = answers.compare(ctx.models.get(name), ctx.map_of(name), a, b, turns)
    except Mistake as mistake:
        raise gr.Error(str(mistake), print_exception=False) from None  # one line: logged by answers
    return got.verdict, got.cosine, got.heat_a, got.heat_b, got.placed


def choose_model(ctx: Context, name: str) -> tuple:
    """The Model tab's choice: (chosen, card, stars, colour bar, map note, map) for the model Compare uses now."""
    chosen, mapped = ctx.models.get(name), ctx.map_of(name) is not None
    note = answers.MAP_HELP if mapped else answers.no_map_for(chosen, ctx.models.name)
    legend = gr.update(value=colour_bar(chosen.model), visible=chosen.model.has_maps)
    return name, weights_summary(chosen), [], legend, note, map_svg(ctx.atlas) if mapped else ""


def find_similar(ctx: Context, value_a, under_a, name) -> tuple:
    """The reference pictures nearest picture A, and a word when there are none."""
    (a,) = answers.pictures((value_a,), (under_a,))
    return answers.similar(ctx.models.get(name), ctx.map_of(name), a)


def similar_files(ctx: Context, path, name) -> list:
    """The API's nearest reference pictures to a picture file."""
    return answers.similar(ctx.models.get(name), ctx.map_of(name), path)[0]


def picked_on_map(ctx: Context, evt: gr.EventData) -> list:
    """The reference pictures of the dots picked on the map."""
    ids = [int(i) for i in str(evt.ids).split(",") if i]
    return ctx.atlas.pictures(ids) if ctx.atlas is not None else []


def map_for(ctx: Context, marks, name) -> str:
    """The map with the user's pictures as stars, sent when the tab is looked at (2,000 points)."""
    return map_svg(ctx.atlas, marks) if ctx.map_of(name) else ""
