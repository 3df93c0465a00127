"""shapesim's Gradio app: draw or upload two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id,
``user/name[@revision]``; default: the bundled checkpoints/), and gradio's own
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port. What the page shows is made
by the package (shapesim.answers, shapesim.plots, shapesim.card); this file lays out and wires.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# torch does the heavy work on every core; numpy's BLAS threads (the map's nearest-neighbour
# search) would only spin against torch's for them between requests.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gradio as gr  # noqa: E402
import PIL.Image  # noqa: E402

from shapesim import answers  # noqa: E402
from shapesim.answers import CANVAS, Answer, Mistake, editor_value  # noqa: E402
from shapesim.card import heatmap_meaning, weights_summary  # noqa: E402
from shapesim.hub import BUNDLED  # noqa: E402
from shapesim.images import MAX_PIXELS  # noqa: E402
from shapesim.plots import COLOUR_BAR, MAP_CSS, MAP_JS, map_svg  # noqa: E402
from shapesim.predict import Predictor, Predictors  # noqa: E402
from shapesim.runtime import keep_freed_memory  # noqa: E402
from shapesim.spec import PRESETS  # noqa: E402

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = ASSETS / "examples"
MAX_UPLOAD = "10mb"
PRIVATE = {"api_visibility": "private"}
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2


# The configured weights, or the bundled ones (with the reason) when those cannot be used: an app must start.
load_predictor = partial(Predictor.from_pretrained, fallback=True)


def _explain_unreadable_uploads(editor: gr.ImageEditor) -> gr.ImageEditor:
    """An upload gradio cannot decode (a script's, sent straight to an editor) gets shapesim's message,
    not a stack trace: the file is read again with shapesim's reader, whose error says what is wrong.
    (A wrapper on the instance: a subclass of a gradio component makes gradio write a .pyi file.)"""
    decode = editor.preprocess

    def preprocess(payload):
        try:
            return decode(payload)
        except gr.Error:
            raise
        except Exception as err:
            files = (payload.composite, payload.background) if payload is not None else ()
            mistake = answers.unreadable([getattr(f, "path", None) for f in files], editor.label)
            raise gr.Error(str(mistake), print_exception=False) from err

    editor.preprocess = preprocess
    return editor


def _editor(label: str, elem_id: str) -> gr.ImageEditor:
    # fixed_canvas=False: an upload keeps its own size, no letterbox bands become part of it
    return _explain_unreadable_uploads(gr.ImageEditor(
        editor_value(), label=label, elem_id=elem_id, sources=("upload", "clipboard"), type="numpy", image_mode="RGB",
        canvas_size=(CANVAS, CANVAS), fixed_canvas=False, layers=False, transforms=(), height=CANVAS + 110,
        brush=gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed"), eraser=gr.Eraser(default_size=16),
    ))  # fmt: skip


def _heatmap(label: str, elem_id: str) -> gr.Image:
    # JPEG: 0.4 ms to encode a 280×280 heatmap here, PNG 10 ms (a quarter of a compare's time)
    return gr.Image(label=label, type="numpy", format="jpeg", interactive=False, height=180, elem_id=elem_id)


def examples() -> list[list[str]]:
    return [[str(a), str(a.with_name(a.name.replace("_a.png", "_b.png")))] for a in sorted(EXAMPLES.glob("*_a.png"))]


class Page(SimpleNamespace):
    """The components that events read and write, by name (editor_a, verdict, heat_a, ...: see :func:`layout`)."""

    def shown(self, answer: Answer) -> dict:
        """An answer as updates of the Compare tab: the verdict, or the mistake in its place."""
        return {
            self.verdict: gr.update(value=answer.verdict, visible=answer.mistake is None),
            self.message: gr.update(
                value=f"⚠️ {answer.mistake}" if answer.mistake else "", visible=bool(answer.mistake)
            ),  # fmt: skip
            self.similarity: answer.similarity,
            self.heat_a: answer.heat_a,
            self.heat_b: answer.heat_b,
            self.placed: answer.placed,
        }

    @property
    def answer_outputs(self) -> list:
        return [self.verdict, self.message, self.similarity, self.heat_a, self.heat_b, self.placed]


def layout(predictor: Predictor, atlas, models: Predictors) -> Page:
    """The three tabs (inside a ``gr.Blocks`` context): Compare, Map, Model."""
    gr.Markdown(answers.INTRO)
    c = {"placed": gr.State([]), "counter": gr.State(0), "chosen": gr.State(models.name)}
    with gr.Tab("Compare"):
        with gr.Row(equal_height=False):
            for side in ("a", "b"):
                with gr.Column():
                    c[f"editor_{side}"] = _editor(f"Picture {side.upper()}", f"canvas_{side}")
                    c[f"upload_{side}"] = gr.UploadButton(
                        f"Upload picture {side.upper()}", elem_id=f"upload_{side}", size="sm"
                    )
            with gr.Column():
                c["verdict"] = gr.Label(label="Verdict", num_top_classes=2, elem_id="verdict")
                c["message"] = gr.Markdown(visible=False, elem_id="message")
                with gr.Row():
                    c["heat_a"], c["heat_b"] = (
                        _heatmap("Where the model looked in A", "heat_a"),
                        _heatmap("... and in B", "heat_b"),
                    )
                c["legend"] = gr.HTML(
                    COLOUR_BAR.format(meaning=heatmap_meaning(predictor.model)), visible=predictor.model.has_maps
                )
                c["similarity"] = gr.Markdown(elem_id="similarity")
                c["live"] = gr.Checkbox(True, label="Answer as I draw", elem_id="live")
                with gr.Row():
                    for name, variant in (("compare", "primary"), ("swap", "secondary"), ("clear", "secondary")):
                        c[name] = gr.Button(name.capitalize(), variant=variant, elem_id=name)
                with gr.Row():
                    c["preset"] = gr.Dropdown(list(PRESETS), value="open", label="Random pair from", scale=2)
                    c["random"] = gr.Button("Random pair", elem_id="random", scale=1)
                c["note"] = gr.Markdown()
        c["examples"] = gr.Examples(
            examples(), [c["editor_a"], c["editor_b"]], label="Examples: click one to load both pictures"
        )
    with gr.Tab("Map") as c["map_tab"]:
        gr.Markdown(answers.MAP_HELP if atlas is not None else answers.NO_MAP)
        c["map_html"] = gr.HTML(
            map_svg(atlas) if atlas else "", js_on_load=MAP_JS, css_template=MAP_CSS, elem_id="atlas"
        )
        c["picked"] = gr.Gallery(label="Pictures you picked on the map", columns=8, height=260, elem_id="picked")
        c["find_similar"] = gr.Button("Find pictures like picture A", elem_id="find_similar")
        c["alike"] = gr.Gallery(label="Nearest to picture A", columns=8, height=260, elem_id="similar")
    with gr.Tab("Model"):
        many = len(models.names) > 1
        c["choice"] = gr.Dropdown(models.names, value=models.name, label="Model", visible=many, elem_id="model_choice")
        c["card"] = gr.Markdown(weights_summary(predictor))
        if (ASSETS / "training.png").is_file():
            gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False)
    return Page(**c)


def wire(page: Page, models: Predictors, atlas) -> None:
    """The events: every change of a picture answers by itself (the last request wins, none waits in a queue)."""
    p = page
    map_of = lambda name: atlas if name == models.name else None  # noqa: E731  (a map is its own model's)
    pair, live_in = [p.editor_a, p.editor_b, p.chosen], [p.editor_a, p.editor_b, p.chosen, p.live]

    def answer(a, b, name) -> dict:
        return p.shown(answers.answer(models.get(name), map_of(name), a, b))

    def answer_live(a, b, name, on) -> dict:
        """After each change of a picture: an answer when the switch is on and both show something."""
        return answer(a, b, name) if on and answers.is_drawn(a) and answers.is_drawn(b) else {p.verdict: gr.skip()}

    def upload(path, a, b, name, on, side: str) -> dict:
        """The picture into its editor and, as after a stroke, the answer; or what is wrong with it."""
        try:
            value = answers.uploaded(path, side)
        except Mistake as mistake:
            return p.shown(Answer(mistake=str(mistake)))
        a, b = (value, b) if side == "A" else (a, value)
        return {p.editor_a if side == "A" else p.editor_b: value, **answer_live(a, b, name, on)}

    def api_compare(a, b, name) -> dict:
        """The API's compare: the same answer, and a mistake as an error a script can catch (AppError)."""
        try:
            got = answers.compare(models.get(name), map_of(name), a, b)
        except Mistake as mistake:
            raise gr.Error(str(mistake), print_exception=False) from None  # one line: logged by answers
        return {p.verdict: got.verdict, p.similarity: got.similarity, p.heat_a: got.heat_a, p.heat_b: got.heat_b,
                p.placed: got.placed}  # fmt: skip

    def cleared() -> dict:
        """Blank paper in both editors, no answer."""
        return {**p.shown(Answer()), p.editor_a: editor_value(), p.editor_b: editor_value(), p.note: ""}

    def random_pair(preset, counter) -> dict:
        a, b, note, counter = answers.random_pair(preset, counter)
        return {p.editor_a: a, p.editor_b: b, p.note: note, p.counter: counter}

    def choose(name: str) -> dict:
        """The Model tab's choice: the model Compare uses in this session, its card and its colour bar."""
        chosen = models.get(name)
        legend = COLOUR_BAR.format(meaning=heatmap_meaning(chosen.model))
        return {p.chosen: name, p.card: weights_summary(chosen), p.placed: [],
                p.legend: gr.update(value=legend, visible=chosen.model.has_maps)}  # fmt: skip

    def pick(evt: gr.EventData) -> list:
        """The reference pictures of the dots picked on the map."""
        return atlas.pictures([int(i) for i in str(evt.ids).split(",") if i]) if atlas is not None else []

    outputs = set(p.answer_outputs)
    again = {"fn": answer_live, "inputs": live_in, "outputs": outputs, "show_progress": "hidden", **PRIVATE}
    p.compare.click(answer, pair, outputs, **PRIVATE)
    for button, editor, side in ((p.upload_a, p.editor_a, "A"), (p.upload_b, p.editor_b, "B")):
        editor.input(trigger_mode="always_last", **again)
        button.upload(lambda path, a, b, n, on, s=side: upload(path, a, b, n, on, s), [button, *live_in],
                      {editor, *outputs}, **PRIVATE)  # fmt: skip
    p.swap.click(lambda a, b: (b, a), [p.editor_a, p.editor_b], [p.editor_a, p.editor_b], api_name="swap").then(**again)
    p.clear.click(cleared, None, {p.editor_a, p.editor_b, p.note, *outputs}, api_name="clear")
    p.random.click(random_pair, [p.preset, p.counter], {p.editor_a, p.editor_b, p.note, p.counter},
                   api_name="random_pair").then(**again)  # fmt: skip
    gr.Button(visible=False).click(api_compare, pair, [p.verdict, p.similarity, p.heat_a, p.heat_b, p.placed],
                                   api_name="compare")  # fmt: skip
    p.examples.load_input_event.then(**again)
    p.choice.change(choose, p.choice, {p.chosen, p.card, p.placed, p.legend}, api_name="choose_model")
    # The map (2,000 points) is sent when it is looked at, not with every answer.
    p.map_tab.select(lambda marks: map_svg(atlas, marks) if atlas else "", p.placed, p.map_html, api_name="map")
    p.map_html.submit(pick, None, p.picked, **PRIVATE)
    p.find_similar.click(lambda a, name: answers.similar(models.get(name), map_of(name), a), [p.editor_a, p.chosen],
                         p.alike, api_name="similar")  # fmt: skip

    def atlas_data() -> dict:  # gr.api reads what it returns from the annotation
        """The map's points: x, y, class and style of every reference picture."""
        return atlas.table().to_dict(orient="list") if atlas is not None else {}

    gr.api(atlas_data, api_name="atlas")


def build(predictor: Predictor | None = None, atlas=None, variants: Path | None = None) -> gr.Blocks:
    """The app. ``variants``: a folder of further models for the Model tab (default: checkpoints/variants/)."""
    predictor = predictor or load_predictor()
    atlas = atlas if atlas is not None else predictor.atlas
    models = Predictors(predictor, variants if variants is not None else BUNDLED / "variants")
    with gr.Blocks(title="shapesim: same shape?") as demo:
        wire(layout(predictor, atlas, models), models, atlas)
    return demo


def launch(demo: gr.Blocks, **options):
    """Serve ``demo`` with the app's limits: a bounded request queue, an upload size limit, and
    ``assets/`` as the only folder of this repository that may be served. Host and port come
    from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT unless ``options`` name them."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(max_file_size=MAX_UPLOAD, allowed_paths=[str(ASSETS)], show_error=True, **options)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    keep_freed_memory()  # a server answers batch after batch of the same sizes: reuse, don't page-fault
    launch(build())
