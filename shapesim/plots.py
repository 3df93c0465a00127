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
        caption = f"{'same' if same else 'different'}: {info['a']['shape']} / {info['b']['shape']}"
        ax.set_title(caption, fontsize=8, color="#1a7f37" if same else "#cf222e")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def training_curves(records: list[dict], title: str | None = None) -> Figure:
    """Training loss and validation F1 against pairs seen, from ``metrics.jsonl`` records."""
    plt = _pyplot()
    pairs = [r["pairs"] for r in records]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(pairs, [r["loss"] for r in records], marker="o", ms=3, color="#0969da")
    left.set_yscale("log")
    left.set_xlabel("training pairs seen")
    left.set_title("training loss (pair + all-pairs BCE, last batch)", fontsize=10)
    left.grid(alpha=0.3)
    right.plot(pairs, [r["val_f1"] for r in records], marker="o", ms=3, color="#1a7f37", label="F1")
    right.plot(pairs, [r["val_roc_auc"] for r in records], ls="--", color="#8250df", label="ROC-AUC")
    right.set_ylim(min(0.5, *(r["val_f1"] for r in records)), 1.005)
    right.set_xlabel("training pairs seen")
    right.set_title("validation (fixed pairs)", fontsize=10)
    right.legend(loc="lower right")
    right.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def confusion_matrices(results: dict[str, dict]) -> Figure:
    """One 2×2 confusion matrix per test set (rows: truth, columns: prediction)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(2.9 * len(results), 3.0), squeeze=False)
    for ax, (name, m) in zip(axes[0], results.items(), strict=True):
        grid = np.array([[m["tn"], m["fp"]], [m["fn"], m["tp"]]])
        ax.imshow(grid, cmap="Blues")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > grid.max() / 2 else "black")
        ax.set_xticks([0, 1], ["different", "same"])
        ax.set_yticks([0, 1], ["different", "same"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{name}: F1 {m['f1']:.4f}", fontsize=10)
    fig.tight_layout()
    return fig


def atlas_map(atlas, title: str | None = None, placed: list[tuple[float, float, str]] | None = None) -> Figure:
    """The atlas as a scatter coloured by class; classes held out of training drawn hollow.

    ``placed`` adds highlighted points ``(x, y, label)``, such as a user's pictures.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 5.6))
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(atlas.class_names):
        m = atlas.cls == k
        if not m.any():
            continue
        held = name in atlas.holdout
        ax.scatter(
            atlas.coords[m, 0],
            atlas.coords[m, 1],
            s=7,
            alpha=0.75,
            facecolors="none" if held else colours(k),
            edgecolors=colours(k),
            linewidths=0.6,
            label=f"{name} (held out)" if held else name,
        )
    for x, y, label in placed or []:
        ax.scatter([x], [y], s=160, marker="*", color="black", edgecolors="white", linewidths=1.2, zorder=5)
        ax.annotate(label, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=10, weight="bold")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, markerscale=2, frameon=False)
    ax.set_title(title or "UMAP of the learned embeddings", fontsize=11)
    fig.tight_layout()
    return fig
