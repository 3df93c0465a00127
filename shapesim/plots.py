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
        colour = _PALETTE[k % len(_PALETTE)]  # the SVG map's colours: one per category (tab10 has only ten)
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


# One colour per category of the map (tab20's, first the dark then the light of each pair); the user's
# pictures in black and a strong orange, drawn last and large.
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
            "#dbdb8d", "#9edae5"]  # fmt: skip
_MARKS = ("#111111", "#ff6a00")


def map_svg(atlas, marks: list[tuple[str, object]] | None = None, width: int = 720, height: int = 520) -> str:
    """The atlas as an SVG scatter for a web page: a dot per reference picture (its category and style
    as a tooltip, held-out categories hollow), the ``marks`` (``(label, Placement)``, such as a user's
    pictures) as large outlined labelled stars on top, and a legend. Each dot carries its index
    (``data-i``), for a selection made in the browser."""
    from html import escape

    pad = 24
    xs, ys = atlas.coords[:, 0], atlas.coords[:, 1]
    points = np.concatenate([atlas.coords, [[p.x, p.y] for _, p in marks or []]]) if marks else atlas.coords
    x0, x1 = float(points[:, 0].min()), float(points[:, 0].max())
    y0, y1 = float(points[:, 1].min()), float(points[:, 1].max())
    sx = lambda v: pad + (v - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad)  # noqa: E731
    sy = lambda v: height - pad - (v - y0) / max(y1 - y0, 1e-9) * (height - 2 * pad)  # noqa: E731
    held = atlas.held_out()
    labels = atlas.labels()
    styles = np.array(atlas.style_names)[atlas.style]
    dots = []
    for i in range(len(atlas)):
        colour = _PALETTE[int(atlas.cls[i]) % len(_PALETTE)]
        fill = "none" if held[i] else colour
        tip = escape(f"{labels[i]} · {styles[i]}")
        dots.append(
            f'<circle data-i="{i}" cx="{sx(xs[i]):.1f}" cy="{sy(ys[i]):.1f}" r="3" fill="{fill}" '
            f'stroke="{colour}" stroke-width="1"><title>{tip}</title></circle>'
        )
    stars = []
    for k, (label, p) in enumerate(marks or []):
        cx, cy, colour = sx(p.x), sy(p.y), _MARKS[k % len(_MARKS)]
        tip = escape(f"{label}: nearest to {p.nearest_class}")
        # the label on the star's roomier side: a star near the right edge is labelled to its left
        side = f'x="{cx + 15:.1f}"' if cx < width / 2 else f'x="{cx - 15:.1f}" text-anchor="end"'
        stars.append(
            f'<g class="mark"><path d="{_star_path(cx, cy, 13)}" fill="{colour}" stroke="white" stroke-width="2">'
            f'<title>{tip}</title></path><text {side} y="{cy + 5:.1f}" font-size="14" '
            f'font-weight="bold" stroke="white" stroke-width="3" paint-order="stroke">{escape(label)}</text></g>'
        )
    legend = []
    for k, name in enumerate(atlas.class_names):
        if not (atlas.cls == k).any():
            continue
        colour = _PALETTE[k % len(_PALETTE)]
        hollow = name in atlas.holdout or (held & (atlas.cls == k)).any()
        swatch = f'<span class="dot" style="border-color:{colour};background:{"none" if hollow else colour}"></span>'
        legend.append(f"<li>{swatch}{escape(name)}{' (held out)' if hollow else ''}</li>")
    for k, (label, _) in enumerate(marks or []):
        star = f'<span class="star" style="color:{_MARKS[k % len(_MARKS)]}">★</span>'
        legend.append(f"<li>{star}<b>{escape(label)}</b></li>")
    return (
        f'<div class="atlas-map"><svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="embedding map">{"".join(dots)}{"".join(stars)}</svg>'
        f'<ul class="atlas-legend">{"".join(legend)}</ul></div>'
    )


def _star_path(cx: float, cy: float, r: float) -> str:
    pts = []
    for k in range(10):
        a = np.pi / 2 + k * np.pi / 5
        rr = r if k % 2 == 0 else r * 0.45
        pts.append(f"{cx + rr * np.cos(a):.1f},{cy - rr * np.sin(a):.1f}")
    return "M" + " L".join(pts) + " Z"


# A heatmap's colours (viridis, as shapesim.predict.overlay draws them), least to most, and what they measure.
COLOUR_BAR = (
    '<div class="colour-bar" style="display:flex;align-items:center;gap:8px;font-size:13px">'
    "<span>least</span>"
    '<span style="display:inline-block;width:160px;height:12px;border-radius:3px;background:linear-gradient(to right,'
    '#440154,#482878,#3e4989,#31688e,#26828e,#1f9e89,#35b779,#6ece58,#fde725)"></span>'
    "<span>most</span></div><div style='font-size:12px;color:#666'>{meaning}; scaled per picture. Outside the "
    "white frame the picture is as it is: the model did not see it.</div>"
)


# A rectangle dragged on the map (or a click on a dot) picks the dots under it; their indices go to Python.
MAP_JS = """
const svgPoint = (svg, e) => {
  const r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
  return [(e.clientX - r.left) * vb.width / r.width, (e.clientY - r.top) * vb.height / r.height];
};
let start = null, box = null;
element.addEventListener('pointerdown', e => {
  const svg = element.querySelector('svg'); if (!svg) return;
  start = svgPoint(svg, e);
  box = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  box.setAttribute('class', 'brush'); svg.appendChild(box); e.preventDefault();
});
element.addEventListener('pointermove', e => {
  if (!start) return;
  const p = svgPoint(element.querySelector('svg'), e);
  box.setAttribute('x', Math.min(p[0], start[0])); box.setAttribute('y', Math.min(p[1], start[1]));
  box.setAttribute('width', Math.abs(p[0] - start[0])); box.setAttribute('height', Math.abs(p[1] - start[1]));
});
window.addEventListener('pointerup', e => {
  if (!start) return;
  const svg = element.querySelector('svg'), p = svgPoint(svg, e);
  const x0 = Math.min(p[0], start[0]) - 4, x1 = Math.max(p[0], start[0]) + 4;
  const y0 = Math.min(p[1], start[1]) - 4, y1 = Math.max(p[1], start[1]) + 4;
  const inside = c => { const x = +c.getAttribute('cx'), y = +c.getAttribute('cy');
                        return x >= x0 && x <= x1 && y >= y0 && y <= y1; };
  const ids = [...svg.querySelectorAll('circle')].filter(inside).map(c => c.dataset.i);
  box.remove(); start = null;
  if (ids.length) trigger('submit', {ids: ids.slice(0, 48).join(',')});
});
"""
MAP_CSS = """
.atlas-map { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }
.atlas-map svg { max-width: 100%; height: auto; touch-action: none; cursor: crosshair; background: #fff;
                 border: 1px solid #ddd; }
.atlas-map .brush { fill: rgba(0, 100, 255, 0.12); stroke: #06f; stroke-dasharray: 4 3; }
.atlas-legend { list-style: none; padding: 0; margin: 0; font-size: 13px; columns: 2; }
.atlas-legend li { white-space: nowrap; margin: 2px 0; }
.atlas-legend .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; border: 1.5px solid;
                     margin-right: 6px; }
.atlas-legend .star { margin-right: 4px; font-size: 16px; }
"""
