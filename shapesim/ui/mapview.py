"""The Map tab's picture: the atlas as an SVG a browser draws and picks dots on, and the colour bar of the
heatmaps. Strings for the page, made without matplotlib (which stays out of requests)."""

from __future__ import annotations

from html import escape

import numpy as np

from ..card import heatmap_meaning
from ..heatmaps import VIRIDIS
from ..models import PairModel
from ..plots import PALETTE

__all__ = ["map_svg", "colour_bar", "COLOUR_BAR", "MAP_JS", "MAP_CSS"]


# the user's pictures in black and a strong orange, drawn last and large
_MARKS = ("#111111", "#ff6a00")


def map_svg(atlas, marks: list[tuple[str, object]] | None = None, width: int = 720, height: int = 520) -> str:
    """The atlas as an SVG scatter for a web page: a dot per reference picture (its category and style
    as a tooltip, held-out categories hollow), the ``marks`` (``(label, Placement)``, such as a user's
    pictures) as large outlined labelled stars on top, and a legend. Each dot carries its index
    (``data-i``), for a selection made in the browser."""
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
        colour = PALETTE[int(atlas.cls[i]) % len(PALETTE)]
        fill = "none" if held[i] else colour
        tip = escape(f"{labels[i]} · {styles[i]}")
        dots.append(
            f'<circle data-i="{i}" cx="{sx(xs[i]):.1f}" cy="{sy(ys[i]):.1f}" r="3" fill="{fill}" '
            f'stroke="{colour}" stroke-width="1"><title>{tip}</title></circle>'
        )
    stars, seen = [], []
    for k, (label, p) in enumerate(marks or []):
        cx, cy, colour = sx(p.x), sy(p.y), _MARKS[k % len(_MARKS)]
        if any(abs(cx - x) < 20 and abs(cy - y) < 20 for x, y in seen):  # two pictures in one place: both seen
            cx, cy = cx + 14, cy - 14
        seen.append((cx, cy))
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
        colour = PALETTE[k % len(PALETTE)]
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


# A heatmap's colours (viridis, as shapesim.heatmaps.overlay draws them), least to most, and what they measure.
COLOUR_BAR = (
    '<div class="colour-bar" style="display:flex;align-items:center;gap:8px;font-size:13px">'
    "<span>least</span>"
    '<span style="display:inline-block;width:160px;height:12px;border-radius:3px;background:linear-gradient(to right,'
    f'{",".join(VIRIDIS)})"></span>'
    "<span>most</span></div><div style='font-size:12px;color:#666'>{meaning}; scaled per picture. Outside the "
    "white frame the picture is as it is: the model did not see it.</div>"
)


def colour_bar(model: PairModel) -> str:
    """The heatmaps' colour bar, saying what the colours measure for ``model``."""
    return COLOUR_BAR.format(meaning=heatmap_meaning(model))


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
