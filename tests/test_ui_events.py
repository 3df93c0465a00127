import inspect

import gradio as gr
from gradio.helpers import special_args

from shapesim.ui import events


def test_a_bound_handler_still_names_what_gradio_fills_in():
    """gradio gives a handler the event's data where a parameter is annotated gr.EventData; a
    functools.partial hides the annotation (the map's picks once came as None)."""
    bound = events.bind("context", events.picked_on_map)
    assert list(inspect.signature(bound).parameters) == ["evt"]
    data = gr.EventData(None, {"ids": "3,5"})
    filled, _, at, _ = special_args(bound, [], event_data=data)
    assert at == 0 and filled[0].ids == "3,5"


def test_a_bound_handler_gets_the_context_and_the_keywords_given():
    def answer(ctx, value, *, side):
        return ctx, value, side

    bound = events.bind("context", answer, side="B")
    assert list(inspect.signature(bound).parameters) == ["value"]
    assert bound("drawing") == ("context", "drawing", "B")


def _given(colour) -> dict:
    """A blank sheet's value with a picture pasted on it, as the browser sends it before the server answers."""
    from PIL import Image, ImageDraw

    from shapesim.ui import sheet

    img = Image.new("RGB", (120, 90), "white")
    ImageDraw.Draw(img).ellipse((20, 10, 100, 80), outline=colour, width=6)
    return {**sheet.blank(), "given": sheet.showing(img)["picture"]}  # the picture as a PNG data URL


def test_two_pictures_given_a_moment_apart_are_both_kept_and_compared(predictor):
    """A paste on A and a drop on B before A's answer came back: B's event still sees A's picture, and
    neither event writes over the other sheet (each leaves it to the browser)."""
    from shapesim.ui import sheet
    from shapesim.ui.models import Predictors

    ctx = events.Context(Predictors(predictor), None)
    a, b = _given((200, 0, 0)), _given((0, 120, 0))
    # A's event was sent while B was still blank; B's while A's picture was on its way (under_a not set yet)
    first = events.answer_paste(ctx, a, a, sheet.blank(), None, None, ctx.models.name, True, True, side="A")
    second = events.answer_paste(ctx, b, a, b, None, None, ctx.models.name, True, True, side="B")
    skip = gr.skip()
    assert first[1] == skip and first[3] == skip and first[0]["picture"].startswith("data:image/png")
    assert first[4] == skip  # B was blank when A's event was sent: no verdict yet, and none wiped out
    assert second[0] == skip and second[2] == skip and second[3].shape == (90, 120, 3)
    # a verdict, from A's picture as it arrived and B's
    assert set(second[4]["value"]) == {"same shape", "different shapes"}
