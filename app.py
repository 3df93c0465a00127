"""shapesim's Gradio app: draw or upload two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id, ``user/name[@revision]``; default:
the bundled checkpoints/), and gradio's own GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port. What the
page shows is made by the package (shapesim.answers, .sheet, .plots, .card); this file lays out and wires.
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

from shapesim import answers, sheet  # noqa: E402
from shapesim.answers import Answer, Mistake  # noqa: E402
from shapesim.card import heatmap_meaning, weights_summary  # noqa: E402
from shapesim.hub import BUNDLED  # noqa: E402
from shapesim.images import MAX_PIXELS  # noqa: E402
from shapesim.plots import COLOUR_BAR, MAP_CSS, MAP_JS, map_svg  # noqa: E402
from shapesim.predict import Predictor, Predictors  # noqa: E402
from shapesim.runtime import keep_freed_memory  # noqa: E402
from shapesim.spec import PRESETS  # noqa: E402

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = ASSETS / "examples"
MAX_UPLOAD, PRIVATE = "10mb", {"api_visibility": "private"}
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2

# The configured weights, or the bundled ones (with the reason) when those cannot be used: an app must start.
load_predictor = partial(Predictor.from_pretrained, fallback=True)


def examples() -> list[list[str]]:  # the app's example pairs: assets/examples/NAME_a.png and NAME_b.png
    return [[str(a), str(a.with_name(a.name.replace("_a.png", "_b.png")))] for a in sorted(EXAMPLES.glob("*_a.png"))]


class Page(SimpleNamespace):
    """The components that events read and write, by name (sheet_a, verdict, heat_a, ...: see :func:`layout`)."""

    def shown(self, answer: Answer) -> dict:
        """An answer as updates of the Compare tab: the verdict, or the mistake in its place."""
        mistake = f"⚠️ {answer.mistake}" if answer.mistake else ""
        return {
            self.verdict: gr.update(value=answer.verdict, visible=answer.mistake is None),
            self.message: gr.update(value=mistake, visible=bool(answer.mistake)),
            self.similarity: answer.similarity,
            self.heat_a: answer.heat_a,
            self.heat_b: answer.heat_b,
            self.placed: answer.placed,
        }

    @property
    def answer_outputs(self) -> set:
        return {self.verdict, self.message, self.similarity, self.heat_a, self.heat_b, self.placed}


def _sheet(side: str) -> gr.HTML:
    return gr.HTML(sheet.blank(), html_template=sheet.SHEET_HTML, js_on_load=sheet.SHEET_JS,
                   css_template=sheet.SHEET_CSS, label=f"Picture {side}", show_label=True, container=True,
                   elem_id=f"canvas_{side.lower()}")  # fmt: skip


def _legend(predictor: Predictor) -> str:
    return COLOUR_BAR.format(meaning=heatmap_meaning(predictor.model))


def _heatmap(label: str, elem_id: str) -> gr.Image:
    # JPEG: 0.4 ms to encode a 280×280 heatmap here, PNG 10 ms; no buttons over a small picture's title
    return gr.Image(label=label, type="numpy", format="jpeg", interactive=False, height=170, buttons=[],
                    elem_id=elem_id, elem_classes="heat")  # fmt: skip


def layout(predictor: Predictor, atlas, models: Predictors) -> Page:
    """The three tabs (inside a ``gr.Blocks`` context): Compare, Map, Model."""
    gr.Markdown(answers.INTRO)
    c = {"placed": gr.State([]), "counter": gr.State(0), "chosen": gr.State(models.name)}
    c |= {"under_a": gr.State(None), "under_b": gr.State(None)}  # uploaded pictures, whole
    with gr.Tab("Compare"):
        with gr.Row(equal_height=False):
            for side in ("A", "B"):
                with gr.Column(min_width=300):
                    c[f"sheet_{side.lower()}"] = _sheet(side)
                    c[f"upload_{side.lower()}"] = gr.UploadButton(f"Upload picture {side}", size="sm",
                                                                  file_types=["image"],
                                                                  elem_id=f"upload_{side.lower()}")  # fmt: skip
            with gr.Column(min_width=300):
                c["verdict"] = gr.Label(label="Verdict", num_top_classes=2, elem_id="verdict")
                c["message"] = gr.Markdown(visible=False, elem_id="message")
                with gr.Row():
                    c["heat_a"], c["heat_b"] = _heatmap("Looked at in A", "heat_a"), _heatmap("... in B", "heat_b")
                c["legend"] = gr.HTML(_legend(predictor), visible=predictor.model.has_maps)
                c["similarity"] = gr.Markdown(elem_id="similarity")
                c["live"] = gr.Checkbox(True, label="Answer as I draw", elem_id="live")
                c["turns"] = gr.Checkbox(True, label=answers.TURNS_LABEL, info=answers.TURNS_INFO, elem_id="turns",
                                         visible=predictor.model.upright)  # fmt: skip
                with gr.Row():
                    for name, variant in (("compare", "primary"), ("swap", "secondary"), ("clear", "secondary")):
                        c[name] = gr.Button(name.capitalize(), variant=variant, elem_id=name, min_width=80)
                with gr.Row():
                    c["preset"] = gr.Dropdown(list(PRESETS), value="open", label="Random pair from", scale=2)
                    c["random"] = gr.Button("Random pair", elem_id="random", scale=1, min_width=100)
                c["note"] = gr.Markdown()
        # the API's pictures; the examples (a click loads both and answers, in one request)
        c["file_a"], c["file_b"] = (gr.File(visible=False, label=f"Picture {s}") for s in "AB")
        shown = [gr.Image(render=False, label=f"Picture {s}") for s in "AB"]
        c["examples"] = gr.Dataset(components=shown, samples=examples(), elem_id="examples", samples_per_page=12,
                                   label="Examples: click one to load both pictures")  # fmt: skip
    with gr.Tab("Map") as c["map_tab"]:
        c["map_note"] = gr.Markdown(answers.MAP_HELP if atlas is not None else answers.NO_MAP)
        c["map_html"] = gr.HTML(map_svg(atlas) if atlas else "", js_on_load=MAP_JS, css_template=MAP_CSS,
                                elem_id="atlas")  # fmt: skip
        c["picked"] = gr.Gallery(label="Pictures you picked on the map", columns=6, height=260, elem_id="picked")
        c["find_similar"] = gr.Button("Find pictures like picture A", elem_id="find_similar")
        c["similar_note"] = gr.Markdown(elem_id="similar_note")
        c["alike"] = gr.Gallery(label="Nearest to picture A", columns=6, height=300, elem_id="similar")
    with gr.Tab("Model"):
        many = len(models.names) > 1
        c["choice"] = gr.Dropdown(models.names, value=models.name, label="Model", visible=many, elem_id="model_choice")
        c["card"] = gr.Markdown(weights_summary(predictor))
        if (ASSETS / "training.png").is_file():
            gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False, buttons=[])
    return Page(**c)


def wire(page: Page, models: Predictors, atlas) -> None:
    """The events: every change of a picture answers by itself (the last request wins, none waits in a queue)."""
    p = page
    map_of = lambda name: atlas if name == models.name else None  # noqa: E731  (a map is its own model's)
    sheets = [p.sheet_a, p.sheet_b, p.under_a, p.under_b, p.chosen, p.turns]

    def answer(a, b, name, turns=True) -> dict:
        return p.shown(answers.answer(models.get(name), map_of(name), a, b, turns))

    def drawn(value_a, value_b, under_a, under_b, name, turns=True, on=True) -> dict:
        """After a stroke: an answer when the switch is on and both sheets show something."""
        a, b = answers.pictures((value_a, value_b), (under_a, under_b))
        return answer(a, b, name, turns) if on and a is not None and b is not None else {p.verdict: gr.skip()}

    def upload(path, value_a, value_b, under_a, under_b, name, turns, on, side: str) -> dict:
        """The picture onto its sheet and, as after a stroke, the answer; or what is wrong with it."""
        try:
            picture = answers.uploaded(path, side)
        except Mistake as mistake:
            return p.shown(Answer(mistake=str(mistake)))
        return placed(picture, value_a, value_b, under_a, under_b, name, turns, on, side)

    def pasted(value, value_a, value_b, under_a, under_b, name, turns, on, side: str) -> dict:
        """A picture pasted or dropped on a sheet: as an upload; or what is wrong with it (text, too large),
        the sheet as it was."""
        try:
            picture = answers.given(value, side)
        except Mistake as mistake:
            kept = {k: v for k, v in (value or {}).items() if not k.startswith("given")}
            return {**p.shown(Answer(mistake=str(mistake))), (p.sheet_a if side == "A" else p.sheet_b): kept}
        return placed(picture, value_a, value_b, under_a, under_b, name, turns, on, side)

    def placed(picture, value_a, value_b, under_a, under_b, name, turns, on, side: str) -> dict:
        """A picture shown on its sheet (strokes there are gone) and kept whole; the answer, as after a stroke."""
        if side == "A":
            value_a, under_a = sheet.showing(picture), picture
        else:
            value_b, under_b = sheet.showing(picture), picture
        held = {p.sheet_a: value_a, p.sheet_b: value_b, p.under_a: under_a, p.under_b: under_b}
        return {**held, **drawn(value_a, value_b, under_a, under_b, name, turns, on)}

    def given(a, b, name, turns=True) -> dict:
        """Two pictures at once (an example, a random pair): both sheets and the answer, in one request."""
        a, b = (answers.uploaded(x, s) if isinstance(x, str) else x for x, s in ((a, "A"), (b, "B")))
        held = {p.sheet_a: sheet.showing(a), p.sheet_b: sheet.showing(b), p.under_a: a, p.under_b: b}
        return {**held, **answer(a, b, name, turns)}

    def swapped(value_a, value_b, under_a, under_b, name, turns=True) -> dict:
        a, b = answers.pictures((value_b, value_a), (under_b, under_a))
        both = {p.sheet_a: value_b, p.sheet_b: value_a, p.under_a: under_b, p.under_b: under_a}
        return {**both, **(answer(a, b, name, turns) if a is not None and b is not None else {})}

    def cleared() -> dict:
        return {**p.shown(Answer()), p.sheet_a: sheet.blank(), p.sheet_b: sheet.blank(), p.under_a: None,
                p.under_b: None, p.note: ""}  # fmt: skip

    def random_pair(preset, counter, name, turns=True) -> dict:
        a, b, note, counter = answers.random_pair(preset, counter)
        return {**given(a, b, name, turns), p.note: note, p.counter: counter}

    def api_compare(a, b, name, turns=True) -> dict:
        """The API's compare: the same answer, and a mistake as an error a script can catch (AppError)."""
        try:
            got = answers.compare(models.get(name), map_of(name), a, b, turns)
        except Mistake as mistake:
            raise gr.Error(str(mistake), print_exception=False) from None  # one line: logged by answers
        return {p.verdict: got.verdict, p.similarity: got.similarity, p.heat_a: got.heat_a, p.heat_b: got.heat_b,
                p.placed: got.placed}  # fmt: skip

    def choose(name: str) -> dict:
        """The Model tab's choice: the model Compare uses in this session, its card, its colour bar, its map."""
        chosen, mapped = models.get(name), map_of(name) is not None
        note = answers.MAP_HELP if mapped else answers.no_map_for(chosen, models.name)
        legend = gr.update(value=_legend(chosen), visible=chosen.model.has_maps)
        return {p.chosen: name, p.card: weights_summary(chosen), p.placed: [], p.map_note: note,
                p.map_html: map_svg(atlas) if mapped else "", p.legend: legend}  # fmt: skip

    def nearest(value_a, under_a, name) -> dict:
        (a,) = answers.pictures((value_a,), (under_a,))
        found, why = answers.similar(models.get(name), map_of(name), a)
        return {p.alike: found, p.similar_note: why}

    def pick(evt: gr.EventData) -> list:
        """The reference pictures of the dots picked on the map."""
        return atlas.pictures([int(i) for i in str(evt.ids).split(",") if i]) if atlas is not None else []

    outputs, held = p.answer_outputs, {p.sheet_a, p.sheet_b, p.under_a, p.under_b}
    p.compare.click(lambda *v: drawn(*v), sheets, outputs, **PRIVATE)
    for s in (p.sheet_a, p.sheet_b):
        s.input(drawn, [*sheets, p.live], outputs, trigger_mode="always_last", show_progress="hidden", **PRIVATE)
    for button, side in ((p.upload_a, "A"), (p.upload_b, "B")):
        button.upload(partial(upload, side=side), [button, *sheets, p.live], held | outputs, **PRIVATE)
    for s, side in ((p.sheet_a, "A"), (p.sheet_b, "B")):
        s.submit(partial(pasted, side=side), [s, *sheets, p.live], held | outputs, **PRIVATE)
    p.swap.click(swapped, sheets, held | outputs, api_name="swap")
    p.clear.click(cleared, None, held | outputs | {p.note}, js=sheet.CLEAR_JS, api_name="clear")
    p.random.click(random_pair, [p.preset, p.counter, p.chosen, p.turns], held | outputs | {p.note, p.counter},
                   api_name="random_pair")  # fmt: skip
    p.examples.click(lambda pair, name, turns: given(*pair, name, turns), [p.examples, p.chosen, p.turns],
                     held | outputs, **PRIVATE)  # fmt: skip
    p.turns.change(lambda *v: drawn(*v), sheets, outputs, **PRIVATE)
    api_out = [p.verdict, p.similarity, p.heat_a, p.heat_b, p.placed]
    gr.Button(visible=False).click(api_compare, [p.file_a, p.file_b, p.chosen, p.turns], api_out, api_name="compare")
    p.choice.change(choose, p.choice, {p.chosen, p.card, p.placed, p.legend, p.map_note, p.map_html},
                    api_name="choose_model")  # fmt: skip
    # The map (2,000 points) is sent when it is looked at, not with every answer.
    p.map_tab.select(lambda marks, name: map_svg(atlas, marks) if map_of(name) else "", [p.placed, p.chosen],
                     p.map_html, api_name="map")  # fmt: skip
    p.map_html.submit(pick, None, p.picked, **PRIVATE)
    p.find_similar.click(nearest, [p.sheet_a, p.under_a, p.chosen], {p.alike, p.similar_note}, **PRIVATE)
    gr.Button(visible=False).click(lambda path, name: answers.similar(models.get(name), map_of(name), path)[0],
                                   [p.file_a, p.chosen], p.alike, api_name="similar")  # fmt: skip

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
    answers.quiet_disconnects()  # a browser that goes away mid-upload is one line in the log, not a traceback
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(max_file_size=MAX_UPLOAD, allowed_paths=[str(ASSETS)], show_error=True, **options)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    keep_freed_memory()  # a server answers batch after batch of the same sizes: reuse, don't page-fault
    launch(build())
