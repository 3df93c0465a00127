"""shapesim's Gradio app: draw or upload two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id,
``user/name[@revision]``; default: the bundled checkpoints/), and gradio's own
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port. The work is the
package's (shapesim.predict, shapesim.atlas); this file lays out and wires.
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
import pandas as pd  # noqa: E402
import PIL.Image  # noqa: E402

from shapesim.atlas import Atlas  # noqa: E402
from shapesim.card import heatmap_meaning, weights_summary  # noqa: E402
from shapesim.data import PRESETS, PairGenerator  # noqa: E402
from shapesim.hub import BUNDLED  # noqa: E402
from shapesim.images import MAX_PIXELS, ImageError, read_image  # noqa: E402
from shapesim.predict import Predictor, Predictors  # noqa: E402
from shapesim.runtime import keep_freed_memory  # noqa: E402

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
EXAMPLES = ASSETS / "examples"
CANVAS = 280  # px; small canvases draw smoothly
MAX_UPLOAD = "10mb"
log = logging.getLogger("shapesim.app")
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2


def load_predictor() -> Predictor:
    """The configured weights, or the bundled ones (with the reason) when those cannot be used."""
    return Predictor.from_pretrained(fallback=True)


def editor_picture(value: dict | np.ndarray | None) -> np.ndarray | None:
    """The picture in an ImageEditor value: the composite, else the background, else None."""
    if value is None or isinstance(value, np.ndarray):
        return value
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return np.asarray(value[key])
    return None


def compare(predictor: Predictor, atlas: Atlas | None, value_a, value_b):
    """The Compare button: verdict, similarity, two heatmaps, and the map points of both pictures."""
    pictures = []
    for side, value in (("A", value_a), ("B", value_b)):
        picture = editor_picture(value)
        if picture is None:
            raise gr.Error(f"Picture {side} is empty: draw a shape or upload a picture first.")
        pictures.append(picture)
    try:
        result = predictor.compare(*pictures)
    except ImageError as err:
        raise gr.Error(f"That picture cannot be used: {err}.") from err
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


def random_pair(preset: str, counter: int):
    """Two generated pictures (a labelled pair) for the editors, and the counter moved on."""
    batch = PairGenerator(preset, image_size=CANVAS, seed=20_26)(int(counter), 1)
    a, b = batch.pictures(0)
    info = batch.describe(0)
    note = (
        f"Random pair from preset `{preset}`: {info['a']['shape']} ({info['a']['style']}) "
        f"and {info['b']['shape']} ({info['b']['style']})."
    )
    return editor_value(a), editor_value(b), note, int(counter) + 1


def editor_value(picture) -> dict:
    return {"background": picture, "layers": [], "composite": picture}


def _explain_unreadable_uploads(editor: gr.ImageEditor) -> gr.ImageEditor:
    """Unreadable uploads get shapesim's message, not a stack trace.

    gradio decodes an upload before any handler runs; when that fails, the file
    is read again with shapesim's own reader, whose error says what is wrong.
    (A wrapper on the instance: a subclass of a gradio component would make
    gradio write a .pyi file next to this one at import.)
    """
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
            raise gr.Error(f"{editor.label} cannot be used: {reason}.") from err

    editor.preprocess = preprocess
    return editor


def _editor(label: str, elem_id: str) -> gr.ImageEditor:
    editor = gr.ImageEditor(
        label=label,
        elem_id=elem_id,
        sources=("upload", "clipboard"),
        type="numpy",
        image_mode="RGB",
        canvas_size=(CANVAS, CANVAS),
        fixed_canvas=True,
        brush=gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed"),
        eraser=gr.Eraser(default_size=16),
        layers=False,
        transforms=(),
        height=CANVAS + 120,
    )
    return _explain_unreadable_uploads(editor)


def examples() -> list[list[dict]]:
    pairs = sorted(EXAMPLES.glob("*_a.png"))
    as_value = lambda p: {"background": str(p), "layers": None, "composite": str(p)}  # noqa: E731
    return [[as_value(a), as_value(a.with_name(a.name.replace("_a.png", "_b.png")))] for a in pairs]


def build(predictor: Predictor | None = None, atlas: Atlas | None = None, variants: Path | None = None) -> gr.Blocks:
    """The app. ``variants``: a folder of further models for the Model tab (default: checkpoints/variants/)."""
    predictor = predictor or load_predictor()
    atlas = atlas if atlas is not None else predictor.atlas
    models = Predictors(predictor, variants if variants is not None else BUNDLED / "variants")

    def map_table(marks: list | None = None):
        """Every reference point of the map and the user's placed pictures (no map: no rows)."""
        return atlas.table(marks) if atlas is not None else pd.DataFrame(columns=["x", "y", "class", "style"])

    def pictures_in_range(evt: gr.SelectData):
        return atlas.in_x_range(evt.index) if atlas is not None else []

    def atlas_data() -> dict:
        """The map's points: x, y, class and style of every reference picture."""
        return map_table().to_dict(orient="list")

    with gr.Blocks(title="shapesim: same shape?") as demo:
        gr.Markdown(
            "# shapesim — do these two pictures show the same shape?\n"
            "Draw with the mouse (or upload, or paste) in both boxes, then press **Compare**."
        )
        placed = gr.State([])
        counter = gr.State(0)
        with gr.Tab("Compare"):
            with gr.Row():
                editor_a = _editor("Picture A", "canvas_a")
                editor_b = _editor("Picture B", "canvas_b")
            with gr.Row():
                compare_btn = gr.Button("Compare", variant="primary", elem_id="compare")
                swap_btn = gr.Button("Swap", elem_id="swap")
                clear_btn = gr.Button("Clear", elem_id="clear")
                preset = gr.Dropdown(list(PRESETS), value="sketch", label="Random pair from", scale=1)
                random_btn = gr.Button("Random pair", elem_id="random")
            note = gr.Markdown()
            with gr.Row():
                verdict = gr.Label(label="Verdict", num_top_classes=2, elem_id="verdict")
                with gr.Column():
                    similarity = gr.Markdown(elem_id="similarity")
                    gr.Markdown(
                        "**Heatmap colours**: yellow = most, green = some, dark blue = least (scaled per "
                        "picture); what they measure depends on the model, as said above."
                    )
            with gr.Row():
                # JPEG: 0.4 ms to encode a 280×280 heatmap here, PNG 10 ms (a quarter of a compare's server time)
                heat_a = gr.Image(label="Heatmap on A", type="numpy", format="jpeg", interactive=False)
                heat_b = gr.Image(label="Heatmap on B", type="numpy", format="jpeg", interactive=False)
            if examples():
                gr.Examples(examples(), inputs=[editor_a, editor_b], label="Examples (click to load both pictures)")

        with gr.Tab("Map") as map_tab:
            if atlas is None:
                gr.Markdown(
                    "> These weights come without their own map (`atlas.npz`), so the map is empty. "
                    "Make one with `python -m shapesim atlas --weights DIR`."
                )
            gr.Markdown(
                "Every dot is a reference picture, placed by a UMAP of the model's embeddings; hover for "
                "its class. Your last two pictures appear as **your picture A / B** after a Compare. "
                "Drag across the map to see the pictures in that range."
            )
            scatter = gr.ScatterPlot(
                map_table(),
                x="x",
                y="y",
                color="class",
                tooltip=["class", "style"],
                height=520,
                label="Embedding map",
            )
            gallery = gr.Gallery(label="Pictures in the selected range", columns=8, height=300)

        with gr.Tab("Model"):
            chosen = gr.State(models.name)
            if len(models.names) > 1:
                choice = gr.Dropdown(
                    models.names,
                    value=models.name,
                    label="Model used by Compare (the variants in checkpoints/variants/ had a small training budget)",
                    elem_id="model_choice",
                )
            card = gr.Markdown(weights_summary(predictor))
            if (ASSETS / "training.png").is_file():
                gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False)

        if len(models.names) > 1:
            choice.change(
                lambda name: (name, weights_summary(models.get(name)), []),
                choice,
                [chosen, card, placed],
                api_name="choose_model",
            )
        compare_btn.click(
            lambda a, b, name: compare(models.get(name), atlas if name == models.name else None, a, b),
            [editor_a, editor_b, chosen],
            [verdict, similarity, heat_a, heat_b, placed],
            api_name="compare",
            concurrency_limit=4,
        )
        # The map (2,000 points) is sent when it is looked at, not with every answer.
        map_tab.select(map_table, placed, scatter, api_name="map")
        swap_btn.click(lambda a, b: (b, a), [editor_a, editor_b], [editor_a, editor_b], api_name="swap")
        clear_btn.click(
            lambda: (None, None, None, "", None, None, ""),
            None,
            [editor_a, editor_b, verdict, similarity, heat_a, heat_b, note],
            api_name="clear",
        )
        random_btn.click(random_pair, [preset, counter], [editor_a, editor_b, note, counter], api_name="random_pair")
        scatter.select(pictures_in_range, None, gallery, api_visibility="private")
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
