"""shapesim's Gradio app.

For now it previews the pair generator; the comparing model, the heatmaps and
the embedding map come with the model, predictor and app work.
Run: python app.py (host and port from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from shapesim.data import PRESETS, PairGenerator  # noqa: E402
from shapesim.plots import pair_grid  # noqa: E402


def sample_pairs(preset: str, seed: float):
    """A labelled grid of eight generated pairs (a matplotlib figure)."""
    batch = PairGenerator(preset, image_size=96, seed=int(seed))(0, 8)
    return pair_grid(batch, columns=4, title=f"preset '{preset}', seed {int(seed)}")


def build() -> gr.Blocks:
    with gr.Blocks(title="shapesim") as demo:
        gr.Markdown("# shapesim\nPairs of pictures from the generator: same shape (green) or different (red).")
        with gr.Row():
            preset = gr.Dropdown(choices=list(PRESETS), value="sketch", label="Preset")
            seed = gr.Number(value=0, precision=0, label="Seed")
            button = gr.Button("Draw pairs", variant="primary")
        plot = gr.Plot(label="Pairs")
        button.click(sample_pairs, [preset, seed], plot, api_name="sample")
        demo.load(sample_pairs, [preset, seed], plot)
    return demo


if __name__ == "__main__":
    build().queue(default_concurrency_limit=2, max_size=32).launch()
