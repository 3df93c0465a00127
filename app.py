"""shapesim's Gradio app: draw or upload two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id,
``user/name[@revision]``; default: the bundled checkpoints/), and gradio's own
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port. The work is the
package's (shapesim.predict, shapesim.atlas, shapesim.plots); this file lays out and wires.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# torch does the heavy work on every core; numpy's BLAS threads (the map's nearest-neighbour
# search) would only spin against torch's for them between requests.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402

from shapesim.card import heatmap_meaning, weights_summary  # noqa: E402
from shapesim.data import PairGenerator  # noqa: E402
from shapesim.hub import BUNDLED  # noqa: E402
from shapesim.images import MAX_PIXELS, ImageError, read_image  # noqa: E402
from shapesim.plots import COLOUR_BAR, MAP_CSS, MAP_JS, map_svg  # noqa: E402
from shapesim.predict import Predictor, Predictors  # noqa: E402
from shapesim.runtime import keep_freed_memory  # noqa: E402
from shapesim.spec import PRESETS  # noqa: E402

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
EXAMPLES = ASSETS / "examples"
CANVAS = 280  # px; small canvases draw smoothly
WHITE = np.full((CANVAS, CANVAS, 3), 255, np.uint8)  # the paper an editor starts with: its brush draws at once
MAX_UPLOAD = "10mb"
log = logging.getLogger("shapesim.app")
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2


def load_predictor() -> Predictor:
    """The configured weights, or the bundled ones (with the reason) when those cannot be used."""
    return Predictor.from_pretrained(fallback=True)


def editor_value(picture=None) -> dict:
    """An editor holding ``picture`` at its own size (a blank sheet of paper when None)."""
    picture = WHITE if picture is None else picture
    return {"background": picture, "layers": [], "composite": picture}


def editor_picture(value: dict | np.ndarray | None) -> np.ndarray | None:
    """The picture in an ImageEditor value: the composite, else the background, else None."""
    if value is None or isinstance(value, np.ndarray):
        return value
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return np.asarray(value[key])
    return None


def compare(predictor: Predictor, atlas, value_a, value_b):
    """Verdict, similarity, the two pictures with their heatmaps, and their places on the map.
    A picture that cannot be used is a gr.Error that says which and why (logged as one line)."""
    pictures = []
    for side, value in (("A", value_a), ("B", value_b)):
        picture = editor_picture(value)
        if picture is None:
            raise _mistake(f"Picture {side} is empty: draw a shape or upload a picture first.")
        pictures.append(picture)
    try:
        result = predictor.compare(*pictures)
    except ImageError as err:
        raise _mistake(f"That picture cannot be used: {err}.") from err
    verdict = {"same shape": result.probability, "different shapes": 1 - result.probability}
    similarity = (
        f"**Cosine similarity** of the two embeddings: **{result.similarity:+.3f}** (−1 … +1)"
        if result.similarity is not None
        else f"The `{predictor.arch}` design has no similarity of its own, only the verdict."
    )
    similarity += f"\n\n*Heatmaps*: {heatmap_meaning(predictor.model)}."
    placed = []
    if atlas is not None and result.embedding_a is not None and len(result.embedding_a) == atlas.dim:
        sides = (("A", result.embedding_a), ("B", result.embedding_b))
        placed = [(f"your picture {side}", atlas.locate(e)) for side, e in sides]
    return verdict, similarity, result.overlay_a, result.overlay_b, placed


def _mistake(message: str) -> gr.Error:
    log.info("refused: %s", message)  # a user's mistake: one line, no traceback
    return gr.Error(message, print_exception=False)


def refused(message: str) -> tuple:
    """What the page shows for a picture it cannot answer: the message in the verdict's place, alone."""
    return gr.update(value=None, visible=False), gr.update(value=f"⚠️ {message}", visible=True), "", None, None, []


def shown(predictor: Predictor, atlas, value_a, value_b) -> tuple:
    """:func:`compare` as the page shows it: the answer, or the mistake in the verdict's place."""
    try:
        verdict, *rest = compare(predictor, atlas, value_a, value_b)
    except gr.Error as err:
        return refused(err.message)
    return gr.update(value=verdict, visible=True), gr.update(visible=False), *rest


def uploaded(path: str | None, side: str) -> tuple[dict | None, str | None]:
    """An upload read by shapesim's reader as an editor's value, or what is wrong with it."""
    try:
        return editor_value(np.asarray(read_image(path))), None
    except ImageError as err:
        return None, _mistake(f"Picture {side} cannot be used: {err}.").message


def random_pair(preset: str, counter: int):
    """Two generated pictures (a labelled pair) for the editors, and the counter moved on."""
    batch = PairGenerator(preset, image_size=CANVAS, seed=20_26)(int(counter), 1)
    a, b = batch.pictures(0)
    note = f"Random pair from preset `{preset}`: {batch.caption(0)}."
    return editor_value(a), editor_value(b), note, int(counter) + 1


def similar(predictor: Predictor, atlas, value_a, k: int = 24):
    """The reference pictures nearest picture A in the model's embedding (none without a map or a picture)."""
    picture = editor_picture(value_a)
    if atlas is None or picture is None or predictor.embedding_dim is None:
        return []
    try:
        return atlas.similar(predictor.embed([picture])[0], k)
    except ImageError:
        return []


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
            reason = "it cannot be read as a picture"
            for file in (payload.composite, payload.background) if payload is not None else ():
                try:
                    if getattr(file, "path", None):
                        read_image(file.path)
                except ImageError as why:
                    reason = str(why)
                    break
            raise _mistake(f"{editor.label} cannot be used: {reason}.") from err

    editor.preprocess = preprocess
    return editor


def _editor(label: str, elem_id: str) -> gr.ImageEditor:
    return _explain_unreadable_uploads(
        gr.ImageEditor(
            editor_value(),
            label=label,
            elem_id=elem_id,
            sources=("upload", "clipboard"),
            type="numpy",
            image_mode="RGB",
            canvas_size=(CANVAS, CANVAS),
            fixed_canvas=False,  # an upload keeps its own size: no letterbox bands become part of it
            brush=gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed"),
            eraser=gr.Eraser(default_size=16),
            layers=False,
            transforms=(),
            height=CANVAS + 110,
        )
    )


def examples() -> list[list[str]]:
    return [[str(a), str(a.with_name(a.name.replace("_a.png", "_b.png")))] for a in sorted(EXAMPLES.glob("*_a.png"))]


def cleared():
    """Clear: blank paper in both editors, no answer."""
    no_answer = (gr.update(value=None, visible=True), gr.update(visible=False), "", None, None)
    return editor_value(), editor_value(), *no_answer, "", []


def colour_bar(predictor: Predictor):
    """The heatmaps' colour legend for this model; hidden for a design without maps."""
    return gr.update(
        value=COLOUR_BAR.format(meaning=heatmap_meaning(predictor.model)), visible=predictor.model.has_maps
    )


def build(predictor: Predictor | None = None, atlas=None, variants: Path | None = None) -> gr.Blocks:
    """The app. ``variants``: a folder of further models for the Model tab (default: checkpoints/variants/)."""
    predictor = predictor or load_predictor()
    atlas = atlas if atlas is not None else predictor.atlas
    models = Predictors(predictor, variants if variants is not None else BUNDLED / "variants")
    map_of = lambda name: atlas if name == models.name else None  # noqa: E731  (a map is its own model's)

    with gr.Blocks(title="shapesim: same shape?") as demo:
        gr.Markdown(
            "# shapesim — do these two pictures show the same shape?\n"
            "Draw in both boxes (the brush is ready) or upload a picture into each: the answer comes as you "
            "draw. Any shape: a house, a letter, a spiral, a cloud."
        )
        placed, counter, chosen = gr.State([]), gr.State(0), gr.State(models.name)
        with gr.Tab("Compare"):
            with gr.Row(equal_height=False):
                with gr.Column():
                    editor_a = _editor("Picture A", "canvas_a")
                    upload_a = gr.UploadButton("Upload picture A", elem_id="upload_a", size="sm")
                with gr.Column():
                    editor_b = _editor("Picture B", "canvas_b")
                    upload_b = gr.UploadButton("Upload picture B", elem_id="upload_b", size="sm")
                with gr.Column():
                    verdict = gr.Label(label="Verdict", num_top_classes=2, elem_id="verdict")
                    message = gr.Markdown(visible=False, elem_id="message")
                    with gr.Row():
                        # JPEG: 0.4 ms to encode a 280×280 heatmap here, PNG 10 ms (a quarter of a compare's time)
                        heat_a = gr.Image(label="Where the model looked in A", type="numpy", format="jpeg",
                                          interactive=False, height=180)  # fmt: skip
                        heat_b = gr.Image(
                            label="... and in B",
                            type="numpy",
                            format="jpeg",
                            interactive=False,
                            height=180,
                            elem_id="heat_b",
                        )
                    legend = gr.HTML(
                        COLOUR_BAR.format(meaning=heatmap_meaning(predictor.model)), visible=predictor.model.has_maps
                    )
                    similarity = gr.Markdown(elem_id="similarity")
                    live = gr.Checkbox(True, label="Answer as I draw", elem_id="live")
                    with gr.Row():
                        compare_btn = gr.Button("Compare", variant="primary", elem_id="compare")
                        swap_btn = gr.Button("Swap", elem_id="swap")
                        clear_btn = gr.Button("Clear", elem_id="clear")
                    with gr.Row():
                        preset = gr.Dropdown(list(PRESETS), value="open", label="Random pair from", scale=2)
                        random_btn = gr.Button("Random pair", elem_id="random", scale=1)
                    note = gr.Markdown()
            shown_examples = gr.Examples(
                examples(), [editor_a, editor_b], label="Examples: click one to load both pictures"
            )

        with gr.Tab("Map") as map_tab:
            gr.Markdown(
                "Every dot is a reference picture, placed by a UMAP of the model's embeddings (hollow: shapes "
                "held out of training); hover for what it shows. Your last two pictures are the stars. Drag a "
                "rectangle (or click a dot) to see the pictures there."
                if atlas is not None
                else "> These weights come without a map: `python -m shapesim atlas --weights DIR` makes one."
            )
            map_html = gr.HTML(
                map_svg(atlas) if atlas else "", js_on_load=MAP_JS, css_template=MAP_CSS, elem_id="atlas"
            )
            picked = gr.Gallery(label="Pictures you picked on the map", columns=8, height=260, elem_id="picked")
            similar_btn = gr.Button("Find pictures like picture A", elem_id="find_similar")
            alike = gr.Gallery(label="Nearest to picture A", columns=8, height=260, elem_id="similar")

        with gr.Tab("Model"):
            many = len(models.names) > 1
            choice = gr.Dropdown(models.names, value=models.name, label="Model", visible=many, elem_id="model_choice")
            card = gr.Markdown(weights_summary(predictor))
            if (ASSETS / "training.png").is_file():
                gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False)

        outputs = [verdict, message, similarity, heat_a, heat_b, placed]
        pair, live_in = [editor_a, editor_b, chosen], [editor_a, editor_b, chosen, live]

        def answer(a, b, name):
            return shown(models.get(name), map_of(name), a, b)

        def answer_live(a, b, name, on):
            """After each change of a picture: an answer when both show something (a blank sheet is not a
            mistake yet), and the switch is on."""
            pictures = [editor_picture(a), editor_picture(b)]
            if not on or any(p is None or np.ptp(p) == 0 for p in pictures):
                return [gr.skip()] * len(outputs)
            return answer(a, b, name)

        def pick(evt: gr.EventData):
            """The reference pictures of the dots picked on the map."""
            return atlas.pictures([int(i) for i in str(evt.ids).split(",") if i]) if atlas is not None else []

        def choose(name: str):
            """The Model tab's choice: the model Compare uses in this session, its card and its colour bar."""
            return name, weights_summary(models.get(name)), [], colour_bar(models.get(name))

        private = {"api_visibility": "private"}
        compare_btn.click(answer, pair, outputs, **private)
        # Every stroke answers by itself (the last request wins, none waits in a queue), and so does every
        # other change of a picture: an upload, an example, Swap, a random pair.
        again = {"fn": answer_live, "inputs": live_in, "outputs": outputs, "show_progress": "hidden", **private}

        def upload(path, a, b, name, on, side: str):
            """The picture into its editor and, as after a stroke, the answer; or what is wrong with it."""
            value, problem = uploaded(path, side)
            if problem:
                return gr.skip(), *refused(problem)
            a, b = (value, b) if side == "A" else (a, value)
            return value, *answer_live(a, b, name, on)

        for button, editor, side in ((upload_a, editor_a, "A"), (upload_b, editor_b, "B")):
            editor.input(trigger_mode="always_last", **again)
            button.upload(
                lambda p, a, b, n, on, s=side: upload(p, a, b, n, on, s),
                [button, *live_in],
                [editor, *outputs],
                **private,
            )
        swap_btn.click(lambda a, b: (b, a), [editor_a, editor_b], [editor_a, editor_b], api_name="swap").then(**again)
        clear_btn.click(cleared, None, [editor_a, editor_b, verdict, message, similarity, heat_a, heat_b, note, placed],
                        api_name="clear")  # fmt: skip
        drawn = random_btn.click(
            random_pair, [preset, counter], [editor_a, editor_b, note, counter], api_name="random_pair"
        )
        drawn.then(**again)
        # The API's compare: the same answer, and a mistake as an error a script can catch (gradio_client's AppError).
        gr.Button(visible=False).click(lambda a, b, name: compare(models.get(name), map_of(name), a, b), pair,
                                       [verdict, similarity, heat_a, heat_b, placed], api_name="compare")  # fmt: skip
        shown_examples.load_input_event.then(**again)
        choice.change(choose, choice, [chosen, card, placed, legend], api_name="choose_model")
        # The map (2,000 points) is sent when it is looked at, not with every answer.
        map_tab.select(lambda marks: map_svg(atlas, marks) if atlas else "", placed, map_html, api_name="map")
        map_html.submit(pick, None, picked, **private)
        similar_btn.click(lambda a, name: similar(models.get(name), map_of(name), a), [editor_a, chosen], alike,
                          api_name="similar")  # fmt: skip

        def atlas_data() -> dict:
            """The map's points: x, y, class and style of every reference picture."""
            return atlas.table().to_dict(orient="list") if atlas is not None else {}

        gr.api(atlas_data, api_name="atlas")
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
