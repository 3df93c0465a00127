"""shapesim's Gradio app: draw or upload two pictures, see whether they show the same shape.

    python app.py

Configuration by environment: SHAPESIM_WEIGHTS (a folder or a Hub repo id,
``user/name[@revision]``; default: the bundled checkpoints/), and gradio's own
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT for host and port.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# torch does the heavy work on every core; numpy's BLAS threads (the map's nearest-neighbour
# search) would only spin against torch's for them between requests.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402

from shapesim import hub  # noqa: E402
from shapesim.atlas import ATLAS_NAME, Atlas  # noqa: E402
from shapesim.data import PRESETS, PairGenerator  # noqa: E402
from shapesim.images import MAX_PIXELS, ImageError, read_image  # noqa: E402
from shapesim.model import check_config  # noqa: E402
from shapesim.predict import Predictor, overlay  # noqa: E402
from shapesim.train import keep_freed_memory  # noqa: E402

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
EXAMPLES = ASSETS / "examples"
CANVAS = 280  # px; small canvases draw smoothly
MAX_UPLOAD = "10mb"
log = logging.getLogger("shapesim.app")
# gradio decodes uploads with PIL before a handler sees them: make PIL refuse what
# shapesim refuses (PIL raises above twice this, a decompression-bomb guard).
PIL.Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2


# ----------------------------------------------------------------------------- start-up


def load_predictor() -> Predictor:
    """The configured weights, or the bundled ones (with the reason) when those cannot be loaded."""
    try:
        return Predictor.from_pretrained()
    except (ValueError, FileNotFoundError) as err:
        log.warning("cannot load the configured weights (%s); using the bundled checkpoint", err)
        predictor = Predictor.from_pretrained(str(hub.BUNDLED))
        predictor.source = hub.WeightsSource(
            hub.BUNDLED,
            "bundled",
            str(hub.BUNDLED),
            fallback_reason=f"the configured weights could not be loaded: {err}",
        )
        return predictor


def load_atlas(predictor: Predictor) -> Atlas | None:
    """The map that came with the weights. A map is made by one model: another model's
    embeddings mean nothing on it, so weights without their own map get none."""
    path = Path(predictor.source.path) / ATLAS_NAME
    if not path.is_file():
        log.warning("no embedding map: %s has no %s (python -m shapesim atlas --weights DIR)", path.parent, ATLAS_NAME)
        return None
    try:
        atlas = Atlas.load(path)
    except (ValueError, FileNotFoundError) as err:
        log.warning("no embedding map: %s", err)
        return None
    if atlas.embeddings.shape[1] != predictor.embedding_dim:
        log.warning(
            "no embedding map: %s holds %d-D embeddings, the model makes %d-D ones",
            path,
            atlas.embeddings.shape[1],
            predictor.embedding_dim,
        )
        return None
    return atlas


# ----------------------------------------------------------------------------- handlers (plain functions)


def editor_picture(value: dict | np.ndarray | None) -> np.ndarray | None:
    """The picture in an ImageEditor value: the composite, else the background, else None."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value
    for key in ("composite", "background"):
        picture = value.get(key)
        if picture is not None:
            return np.asarray(picture)
    return None


def compare(predictor: Predictor, atlas: Atlas | None, value_a, value_b):
    """The Compare button: verdict, similarity, two heatmaps, and the map points of both pictures."""
    pictures = {}
    for side, value in (("A", value_a), ("B", value_b)):
        picture = editor_picture(value)
        if picture is None:
            raise gr.Error(f"Picture {side} is empty: draw a shape or upload a picture first.")
        pictures[side] = picture
    try:
        pictures = {side: read_image(picture) for side, picture in pictures.items()}  # read once, used twice
        result = predictor.compare(pictures["A"], pictures["B"])
    except ImageError as err:
        raise gr.Error(f"That picture cannot be used: {err}.") from err
    verdict = {"same shape": result.probability, "different shapes": 1 - result.probability}
    similarity = (
        f"**Cosine similarity** of the two embeddings: **{result.similarity:+.3f}** (−1 … +1)"
        if result.similarity is not None
        else f"The `{predictor.arch}` design has no similarity of its own, only the verdict."
    )
    similarity += f"\n\n*Heatmaps*: {MAPS.get(predictor.arch, NO_MAP)}."
    if result.heatmap_a is None:
        heat_a, heat_b = np.asarray(pictures["A"]), np.asarray(pictures["B"])  # already read above
    else:
        heat_a = overlay(pictures["A"], result.heatmap_a)
        heat_b = overlay(pictures["B"], result.heatmap_b)
    placed = []
    if atlas is not None and result.embedding_a is not None and len(result.embedding_a) == atlas.embeddings.shape[1]:
        for side, emb in (("A", result.embedding_a), ("B", result.embedding_b)):
            x, y = atlas.place(emb)
            placed.append({"x": x, "y": y, "label": f"your picture {side}", "near": atlas.nearest_class(emb)})
    return verdict, similarity, heat_a, heat_b, placed


def random_pair(preset: str, counter: int):
    """Two generated pictures (a labelled pair) for the editors, and the counter moved on."""
    batch = PairGenerator(preset, image_size=CANVAS, seed=20_26)(int(counter), 1)
    to_img = lambda t: (t.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # noqa: E731
    a, b = to_img(batch.a[0]), to_img(batch.b[0])
    info = batch.describe(0)
    a_info, b_info = info["a"], info["b"]
    note = (
        f"Random pair from preset `{preset}`: {a_info['class']} ({a_info['style']}) "
        f"and {b_info['class']} ({b_info['style']})."
    )
    editor = lambda img: {"background": img, "layers": [], "composite": img}  # noqa: E731
    return editor(a), editor(b), note, int(counter) + 1


def atlas_frame(atlas: Atlas | None, placed: list[dict] | None):
    """Rows for the map: every reference point, then the user's placed pictures."""
    import pandas as pd

    if atlas is None:
        return pd.DataFrame({"x": [], "y": [], "class": [], "style": []})
    names = np.array(atlas.class_names)[atlas.cls]
    held = np.isin(names, atlas.holdout)
    frame = pd.DataFrame(
        {
            "x": atlas.coords[:, 0],
            "y": atlas.coords[:, 1],
            "class": np.where(held, np.char.add(names, " (held out)"), names),
            "style": np.array(atlas.style_names)[atlas.style],
        }
    )
    if placed:
        extra = pd.DataFrame(
            {
                "x": [p["x"] for p in placed],
                "y": [p["y"] for p in placed],
                "class": [p["label"] for p in placed],
                "style": [f"nearest: {p['near']}" for p in placed],
            }
        )
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


def atlas_pictures(atlas: Atlas | None, x_range: list[float] | None, limit: int = 48):
    """The reference pictures whose points lie in ``x_range`` (the map's brush selection)."""
    if atlas is None or not x_range:
        return []
    lo, hi = sorted(float(v) for v in x_range[:2])
    idx = np.nonzero((atlas.coords[:, 0] >= lo) & (atlas.coords[:, 0] <= hi))[0][:limit]
    names = np.array(atlas.class_names)
    return [
        (
            np.repeat(atlas.thumbnails[i][:, :, None], 3, axis=2),
            f"{names[atlas.cls[i]]}, {atlas.style_names[atlas.style[i]]}",
        )
        for i in idx
    ]


ARCHITECTURES = {
    "agfusion": "Both pictures pass through the same ResNet-50 stem (conv1 … layer1, trained from scratch, "
    "256 feature maps). An **attention gate** lets each picture look at the other: its spatial "
    "gate is computed from its own features and a summary of the other's. The gated features are "
    "pooled, projected 256 → 128, and compared by **cosine similarity**; a one-weight classifier "
    "turns the cosine into the probability of the same shape.",
    "crossattn": "Each picture becomes 16×16 patch tokens (a small shared CNN); with **cross-attention** the "
    "patches of each picture read the other picture's patches; each side is averaged and the absolute "
    "difference of the two averages goes to a classifier.",
    "concat": "The two pictures are stacked as the two channels of one image and read by **one CNN** "
    "(a ResNet-50 stem), then a classifier. No shared branches: no embeddings, no maps, and swapping "
    "the pictures may change the answer.",
    "regionmatch": "Both pictures pass through the same ResNet-50 stem; its features are pooled into a 4×4 grid "
    "of **regions**; the regions of one picture are matched one to one with the other's by the "
    "**Hungarian algorithm** on their cosine similarities; the products of matched features go to a classifier.",
}
MAPS = {
    "agfusion": "the attention gate: where each picture's gate looked",
    "crossattn": "cross-attention: how much attention each patch received from the other picture",
    "regionmatch": "region matching: how well each of the 4×4 regions matched its partner in the other picture",
}

NO_MAP = "none: this design has no map, so the pictures are shown as they are"


class Models:
    """The model the app started with, and the bundled variants in checkpoints/variants/, loaded when chosen."""

    def __init__(self, main: Predictor, folder: Path) -> None:
        self.main = main
        self.name = f"{main.arch} ({main.source.kind})"
        self.folders = {
            f"{check_config(d / 'config.json')['arch']}: {d.name}": d
            for d in sorted(folder.glob("*"))
            if (d / "model.safetensors").is_file()
        }
        self.loaded = {self.name: main}
        self.lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [self.name, *self.folders]

    def get(self, name: str | None) -> Predictor:
        with self.lock:  # two sessions choosing the same variant load it once
            if name not in self.loaded and name in self.folders:
                self.loaded[name] = Predictor.from_pretrained(str(self.folders[name]), device=str(self.main.device))
            return self.loaded.get(name, self.main)


def model_card(predictor: Predictor) -> str:
    """The Model tab: where the weights came from, the architecture, and the metrics."""
    src = predictor.source
    lines = ["### Weights", f"Loaded from the **{src.describe()}**."]
    if src.fallback_reason:
        lines.append(f"\n> The configured weights were not used: {src.fallback_reason}")
    lines += [
        "",
        f"### Architecture: `{predictor.arch}`",
        ARCHITECTURES[predictor.arch] + " Colours and polarity are taken out first, so only the shape counts.",
        "",
        f"**Heatmaps**: {MAPS.get(predictor.arch, NO_MAP)}.",
    ]
    eval_path = Path(src.path) / "eval.json"
    if eval_path.is_file():
        from shapesim.evaluate import results_table, training_holdout

        lines += ["", "### Test results", results_table(json.loads(eval_path.read_text()), training_holdout(src.path))]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the UI


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


def _on_select(atlas: Atlas | None):
    def pictures_in_range(evt: gr.SelectData):
        return atlas_pictures(atlas, evt.index)

    return pictures_in_range


def build(predictor: Predictor | None = None, atlas: Atlas | None = None, variants: Path | None = None) -> gr.Blocks:
    """The app. ``variants``: a folder of further models for the Model tab (default: checkpoints/variants/)."""
    predictor = predictor or load_predictor()
    atlas = atlas if atlas is not None else load_atlas(predictor)
    models = Models(predictor, variants if variants is not None else hub.BUNDLED / "variants")

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
                atlas_frame(atlas, []),
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
            if models.folders:
                choice = gr.Dropdown(
                    models.names,
                    value=models.name,
                    label="Model used by Compare (the variants in checkpoints/variants/ had a small training budget)",
                    elem_id="model_choice",
                )
            card = gr.Markdown(model_card(predictor))
            if (ASSETS / "training.png").is_file():
                gr.Image(str(ASSETS / "training.png"), label="Training curves", interactive=False)

        if models.folders:

            def choose(name: str):
                """The Model tab's choice: the model Compare uses in this session, and its card."""
                return name, model_card(models.get(name)), []

            choice.change(choose, choice, [chosen, card, placed], api_name="choose_model")

        compare_btn.click(
            lambda a, b, name: compare(models.get(name), atlas if name == models.name else None, a, b),
            [editor_a, editor_b, chosen],
            [verdict, similarity, heat_a, heat_b, placed],
            api_name="compare",
            concurrency_limit=4,
        )
        # The map (2,000 points) is sent when it is looked at, not with every answer.
        map_tab.select(lambda pts: atlas_frame(atlas, pts), placed, scatter, api_name="map")
        swap_btn.click(lambda a, b: (b, a), [editor_a, editor_b], [editor_a, editor_b], api_name="swap")
        clear_btn.click(
            lambda: (None, None, None, "", None, None, ""),
            None,
            [editor_a, editor_b, verdict, similarity, heat_a, heat_b, note],
            api_name="clear",
        )
        random_btn.click(random_pair, [preset, counter], [editor_a, editor_b, note, counter], api_name="random_pair")
        scatter.select(_on_select(atlas), None, gallery, api_visibility="private")

        def atlas_data() -> dict:
            """The map's points: x, y, class and style of every reference picture."""
            return atlas_frame(atlas, []).to_dict(orient="list")

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
