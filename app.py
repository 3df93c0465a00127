"""shapesim's Gradio app: draw, upload, paste or drop two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id, ``user/name[@revision]``; default:
the bundled checkpoints/), and gradio's own GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port. What the
page shows and what each control does are the package's (shapesim.ui); this file lays out and wires.
"""

from __future__ import annotations

import logging
import os
from collections import namedtuple
from functools import partial
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# torch does the heavy work on every core; numpy's BLAS threads (the map's nearest-neighbour
# search) would only spin against torch's for them between requests.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gradio as gr  # noqa: E402
import PIL.Image  # noqa: E402

from shapesim.card import weights_summary  # noqa: E402
from shapesim.hub import BUNDLED  # noqa: E402
from shapesim.images import MAX_PIXELS  # noqa: E402
from shapesim.predict import Predictor  # noqa: E402
from shapesim.runtime import keep_freed_memory  # noqa: E402
from shapesim.spec import PRESETS  # noqa: E402
from shapesim.ui import answers, events, sheet  # noqa: E402
from shapesim.ui.mapview import MAP_CSS, MAP_JS, colour_bar, map_svg  # noqa: E402
from shapesim.ui.models import Predictors  # noqa: E402

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = ASSETS / "examples"
# gradio's own limit, above shapesim's (answers.MAX_UPLOAD), so that a large file is refused in words, not a toast
MAX_UPLOAD, PRIVATE = "40mb", {"api_visibility": "private"}
# a table (the Model tab's test results) scrolls within a phone's width instead of running off it
CSS = (
    "#card table { display: block; overflow-x: auto; max-width: 100%; } #card td, #card th { white-space: nowrap; }"
    # a drawing sheet's label is a word, not gr.HTML's code icon
    " #canvas_a [data-testid='block-label'] svg, #canvas_b [data-testid='block-label'] svg,"
    " #canvas_a .block-label svg, #canvas_b .block-label svg { display: none; }"
    # on a phone the answer comes right under the pictures and their buttons, the examples after it
    " @media (max-width: 760px) { #pictures { display: contents; } #answer { order: 1; } #examples { order: 2; } }"
)
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2

# The configured weights, or the bundled ones (with the reason) when those cannot be used: an app must start.
load_predictor = partial(Predictor.from_pretrained, fallback=True)


def examples() -> list[list[str]]:  # the app's example pairs: assets/examples/NAME_a.png and NAME_b.png
    return [[str(a), str(a.with_name(a.name.replace("_a.png", "_b.png")))] for a in sorted(EXAMPLES.glob("*_a.png"))]


def drawing_sheet(side: str) -> gr.HTML:
    return gr.HTML(sheet.blank(), html_template=sheet.SHEET_HTML, js_on_load=sheet.SHEET_JS,
                   css_template=sheet.SHEET_CSS, label=f"Picture {side}", show_label=True, container=True,
                   elem_id=f"canvas_{side.lower()}")  # fmt: skip


def heatmap(label: str, elem_id: str) -> gr.Image:
    # JPEG: 0.4 ms to encode a 280×280 heatmap here, PNG 10 ms; no buttons over a small picture's title
    return gr.Image(label=label, type="numpy", format="jpeg", interactive=False, height=170, buttons=[],
                    elem_id=elem_id, elem_classes="heat")  # fmt: skip


# The Compare tab's components that events read or write, by name.
Compare = namedtuple("Compare", "sheet_a upload_a sheet_b upload_b compare swap clear random preset live turns note "
                     "pairs verdict message heat_a heat_b legend similarity file_a file_b cosine")  # fmt: skip


def compare_tab(predictor: Predictor) -> Compare:
    """The pictures, what to do with them and the examples; beside them, the answer."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300, elem_id="pictures"):  # the pictures, the buttons, the examples
            with gr.Row(equal_height=False):
                with gr.Column(min_width=280):
                    sheet_a = drawing_sheet("A")
                    upload_a = gr.UploadButton("Upload picture A", size="sm", file_types=["image"],
                                               elem_id="upload_a")  # fmt: skip
                with gr.Column(min_width=280):
                    sheet_b = drawing_sheet("B")
                    upload_b = gr.UploadButton("Upload picture B", size="sm", file_types=["image"],
                                               elem_id="upload_b")  # fmt: skip
            with gr.Row():
                compare = gr.Button("Compare", variant="primary", elem_id="compare", min_width=80)
                swap = gr.Button("Swap", elem_id="swap", min_width=80)
                clear = gr.Button("Clear", elem_id="clear", min_width=80)
                random = gr.Button("Random pair", elem_id="random", min_width=100)
                preset = gr.Dropdown(list(PRESETS), value="open", show_label=False, min_width=100,
                                     container=False)  # fmt: skip
            with gr.Row():
                live = gr.Checkbox(True, label="Answer as I draw", elem_id="live", container=False)
                turns = gr.Checkbox(True, label=answers.TURNS_LABEL, elem_id="turns", container=False,
                                    visible=predictor.model.upright)  # fmt: skip
            note = gr.Markdown()
            # the examples: a click loads both pictures and answers, in one request
            shown = [gr.Image(render=False, label=f"Picture {s}") for s in "AB"]
            pairs = gr.Dataset(components=shown, samples=examples(), elem_id="examples", samples_per_page=12,
                               label="Examples: click one to load both pictures")  # fmt: skip
        with gr.Column(scale=1, min_width=300, elem_id="answer"):  # the answer
            verdict = gr.Label(label="Verdict", num_top_classes=2, elem_id="verdict")
            message = gr.Markdown(visible=False, elem_id="message")
            with gr.Row():
                heat_a, heat_b = heatmap("Looked at in A", "heat_a"), heatmap("... in B", "heat_b")
            legend = gr.HTML(colour_bar(predictor.model), visible=predictor.model.has_maps)
            similarity = gr.Markdown(elem_id="similarity")
    # the API's pictures and its cosine, a number
    file_a, file_b = (gr.File(visible=False, label=f"Picture {s}") for s in "AB")
    cosine = gr.Number(visible=False, label="Cosine similarity")
    return Compare(sheet_a, upload_a, sheet_b, upload_b, compare, swap, clear, random, preset, live, turns, note,
                   pairs, verdict, message, heat_a, heat_b, legend, similarity, file_a, file_b, cosine)  # fmt: skip


def build(predictor: Predictor | None = None, atlas=None, variants: Path | None = None) -> gr.Blocks:
    """The app. ``variants``: a folder of further models for the Model tab (default: checkpoints/variants/)."""
    predictor = predictor or load_predictor()
    atlas = atlas if atlas is not None else predictor.atlas
    models = Predictors(predictor, variants if variants is not None else BUNDLED / "variants")
    ctx = events.Context(models, atlas)
    on = partial(events.bind, ctx)  # an event's function, with the app's context

    with gr.Blocks(title="shapesim: same shape?") as demo:
        gr.Markdown(answers.INTRO)
        placed, counter, chosen = gr.State([]), gr.State(None), gr.State(models.name)
        under_a, under_b = gr.State(None), gr.State(None)  # uploaded pictures, whole
        with gr.Tab("Compare"):
            c = compare_tab(predictor)
        with gr.Tab("Map") as map_tab:
            map_note = gr.Markdown(answers.MAP_HELP if atlas is not None else answers.NO_MAP)
            map_html = gr.HTML(map_svg(atlas) if atlas else "", js_on_load=MAP_JS, css_template=MAP_CSS,
                               elem_id="atlas")  # fmt: skip
            picked = gr.Gallery(label="Pictures you picked on the map", columns=6, height=260, elem_id="picked")
            find = gr.Button("Find pictures like picture A", elem_id="find_similar")
            similar_note = gr.Markdown(elem_id="similar_note")
            alike = gr.Gallery(label="Nearest to picture A", columns=6, height=300, elem_id="similar")
        with gr.Tab("Model"):
            choice = gr.Dropdown(models.choices, value=models.name, label="Model", visible=len(models.names) > 1,
                                 elem_id="model_choice")  # fmt: skip
            card = gr.Markdown(weights_summary(predictor), elem_id="card")
            if (ASSETS / "training.png").is_file():
                gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False, buttons=[])

        # Every change of a picture answers by itself: the last request wins, none waits in a queue.
        answer = [c.verdict, c.message, c.similarity, c.heat_a, c.heat_b, placed]  # events.ANSWER
        pictures = [c.sheet_a, c.sheet_b, under_a, under_b]  # events.SHEETS
        asked = [*pictures, chosen, c.turns]
        for s in (c.sheet_a, c.sheet_b):
            s.input(on(events.answer_drawn), [*asked, c.live], answer, trigger_mode="always_last",
                    show_progress="hidden", **PRIVATE).then(None, js=answers.SHOW_VERDICT_JS)  # fmt: skip
        for s, side in ((c.sheet_a, "A"), (c.sheet_b, "B")):
            s.submit(on(events.answer_paste, side=side), [s, *asked, c.live], pictures + answer, **PRIVATE)
        for button, side in ((c.upload_a, "A"), (c.upload_b, "B")):
            button.upload(on(events.answer_upload, side=side), [button, *asked, c.live], pictures + answer, **PRIVATE)
        c.compare.click(on(events.answer_asked), asked, answer, **PRIVATE)
        c.turns.change(on(events.answer_drawn), asked, answer, **PRIVATE)
        c.swap.click(on(events.swap_pictures), asked, pictures + answer, api_name="swap")
        c.clear.click(events.clear_pictures, None, pictures + answer + [c.note], js=sheet.CLEAR_JS, api_name="clear")
        c.random.click(on(events.random_pair), [c.preset, counter, chosen, c.turns],
                       pictures + answer + [c.note, counter], api_name="random_pair")  # fmt: skip
        c.pairs.click(lambda pair, name, t: events.answer_pair(ctx, *pair, name, t), [c.pairs, chosen, c.turns],
                      pictures + answer, **PRIVATE)  # fmt: skip
        api_out = [c.verdict, c.cosine, c.heat_a, c.heat_b, placed]
        gr.Button(visible=False).click(on(events.answer_files), [c.file_a, c.file_b, chosen, c.turns], api_out,
                                       api_name="compare")  # fmt: skip
        choice.change(on(events.choose_model), choice, [chosen, card, placed, c.legend, map_note, map_html],
                      api_name="choose_model")  # fmt: skip
        # The map (2,000 points) is sent when it is looked at, not with every answer.
        map_tab.select(on(events.map_for), [placed, chosen], map_html, api_name="map")
        map_html.submit(on(events.picked_on_map), None, picked, **PRIVATE)
        find.click(on(events.find_similar), [c.sheet_a, under_a, chosen], [alike, similar_note], **PRIVATE)
        gr.Button(visible=False).click(on(events.similar_files), [c.file_a, chosen], alike, api_name="similar")
        gr.api(ctx.atlas_table, api_name="atlas")
    return demo


def launch(demo: gr.Blocks, **options):
    """Serve ``demo`` with the app's limits: a bounded request queue, an upload size limit, and
    ``assets/`` as the only folder of this repository that may be served. Host and port come
    from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT unless ``options`` name them."""
    answers.quiet_disconnects()  # a browser that goes away mid-upload is one line in the log, not a traceback
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(max_file_size=MAX_UPLOAD, allowed_paths=[str(ASSETS)], show_error=True, css=CSS, **options)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    keep_freed_memory()  # a server answers batch after batch of the same sizes: reuse, don't page-fault
    launch(build())
