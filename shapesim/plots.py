"""Figures made by code: sample pairs, training curves, the embedding map.

Every function returns a matplotlib Figure (the caller saves or shows it) and
imports matplotlib lazily, so importing shapesim stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .data import PairBatch


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def pair_grid(batch: PairBatch, columns: int = 4, title: str | None = None) -> Figure:
    """A grid of pairs, each captioned with its label and the two classes."""
    plt = _pyplot()
    n = len(batch.index)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 1.55 * rows + 0.4), squeeze=False)
    a = batch.a.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    b = batch.b.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    gap = np.ones((a.shape[1], max(2, a.shape[2] // 16), 3))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(np.concatenate([a[i], gap, b[i]], axis=1), interpolation="nearest")
        info = batch.describe(i)
        same = info["label"] == 1
        caption = f"{'same' if same else 'different'}: {info['a']['class']} / {info['b']['class']}"
        ax.set_title(caption, fontsize=8, color="#1a7f37" if same else "#cf222e")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
