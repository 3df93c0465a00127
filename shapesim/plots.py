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


# One colour per category of the map (tab20's, first the dark then the light of each pair), in the figure and
# on the app's page.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
            "#dbdb8d", "#9edae5"]  # fmt: skip


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


def training_curves(records: list[dict], title: str | None = None, one_shot: list[dict] | None = None) -> Figure:
    """Training loss and validation F1 against pairs seen, from ``metrics.jsonl`` records (people's pairs
    too when the run learned from them); with ``one_shot`` records (``oneshot.jsonl``), Omniglot's
    20-way one-shot error beside them."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    pairs = [r["pairs"] for r in records]
    fig, axes = plt.subplots(1, 3 if one_shot else 2, figsize=(13.5 if one_shot else 9, 3.4))
    left, right = axes[0], axes[1]
    for ax in axes:  # "600k", "1.2M": short labels that never run into each other
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
        ax.set_xlabel("training pairs seen")
        ax.grid(alpha=0.3)
    left.plot(pairs, [r["loss"] for r in records], marker="o", ms=3, color="#0969da")
    left.set_yscale("log")
    left.set_title("training loss (pair + all-pairs BCE, last batch)", fontsize=10)
    right.plot(pairs, [r["val_f1"] for r in records], marker="o", ms=3, color="#1a7f37", label="F1, generator")
    right.plot(pairs, [r["val_roc_auc"] for r in records], ls="--", color="#8250df", label="ROC-AUC, generator")
    lowest = [r["val_f1"] for r in records]
    if all("val_people_f1" in r for r in records):
        people = [r["val_people_f1"] for r in records]
        right.plot(pairs, people, marker="s", ms=3, color="#bc4c00", label="F1, people's drawings")
        lowest += people
    right.set_ylim(min(0.5, *lowest), 1.005)
    right.set_title("validation (fixed pairs)", fontsize=10)
    right.legend(loc="lower right", fontsize=8)
    if one_shot:
        ax = axes[2]
        ax.plot([r["pairs"] for r in one_shot], [r["error"] for r in one_shot], marker="o", ms=3, color="#cf222e")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, max(0.7, *(r["error"] for r in one_shot)))
        ax.set_title("Omniglot 20-way one-shot error (not used to choose)", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def _short_number(value: float, _position=None) -> str:
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


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
    for k, name in enumerate(atlas.class_names):
        colour = PALETTE[k % len(PALETTE)]  # the SVG map's colours: one per category (tab10 has only ten)
        m = atlas.cls == k
        if not m.any():
            continue
        held = name in atlas.holdout
        ax.scatter(
            atlas.coords[m, 0],
            atlas.coords[m, 1],
            s=7,
            alpha=0.75,
            facecolors="none" if held else colour,
            edgecolors=colour,
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
