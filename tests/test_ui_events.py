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
