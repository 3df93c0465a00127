"""The app's drawing sheet: a canvas of the app's own in the browser, which sends the strokes' points
when the pen comes up; the picture is drawn again here.

gradio's ImageEditor turns its layers into pictures and uploads them after every move of the pen
(a third of a second each, and strokes lost or the editor hung after Clear); a stroke is a few
hundred numbers. A sheet's value is plain JSON::

    {"width": 280, "height": 280,          # the sheet's size, pixels (an upload: shown at most 560 px)
     "picture": "data:image/png;base64,…",  # an uploaded picture shown under the strokes, or ""
     "strokes": [[x0, y0, x1, y1, …], …],   # in the sheet's pixels, in the order drawn
     "pen": 6}                              # the pen's width, pixels

An uploaded picture itself stays on the server (the app keeps it in the session's state) and the
strokes are drawn over it at its own size (:func:`picture`).
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["SIDE", "PEN", "blank", "showing", "picture", "is_drawn", "SHEET_HTML", "SHEET_JS", "SHEET_CSS", "CLEAR_JS"]

SIDE = 280  # a blank sheet's side, pixels: small canvases draw smoothly
PEN = 6  # the pen's width on a blank sheet, pixels
SHOWN = 560  # an uploaded picture is shown at most this large (the server keeps it whole)


def blank() -> dict:
    """A blank sheet of paper."""
    return {"width": SIDE, "height": SIDE, "picture": "", "strokes": [], "pen": PEN}


def showing(image: np.ndarray | Image.Image) -> dict:
    """A sheet showing ``image`` (to draw over, if one likes), at the image's own size."""
    shown = (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))).convert("RGB")
    if max(shown.size) > SHOWN:  # the browser gets a copy to show; strokes come back in its pixels
        shown = shown.copy()
        shown.thumbnail((SHOWN, SHOWN), Image.BILINEAR)
    data = io.BytesIO()
    shown.save(data, format="PNG", compress_level=1)
    url = "data:image/png;base64," + base64.b64encode(data.getvalue()).decode()
    pen = max(2, round(PEN * max(shown.size) / SIDE))  # as thick, for the eye, as on a blank sheet
    return {"width": shown.width, "height": shown.height, "picture": url, "strokes": [], "pen": pen}


def is_drawn(value: dict | None, under: np.ndarray | None = None) -> bool:
    """Whether the sheet shows anything: a picture under it, or a stroke."""
    return under is not None or bool(value and value.get("strokes"))


def picture(value: dict | None, under: np.ndarray | None = None) -> np.ndarray | None:
    """The sheet as a picture ``(H, W, 3)`` uint8: ``under`` (the uploaded picture, whole) or white paper,
    with the strokes drawn over it in black; None when there is nothing on it."""
    if not is_drawn(value, under):
        return None
    value = value or blank()
    strokes = _strokes(value)
    if under is None:
        img = Image.new("RGB", (int(value.get("width", SIDE)), int(value.get("height", SIDE))), "white")
    else:
        img = Image.fromarray(np.asarray(under, dtype=np.uint8)).convert("RGB")
    if strokes:
        sx = img.width / max(float(value.get("width", img.width)), 1)
        sy = img.height / max(float(value.get("height", img.height)), 1)
        pen = max(1, round(float(value.get("pen", PEN)) * (sx + sy) / 2))
        draw = ImageDraw.Draw(img)
        for s in strokes:
            xy = [(x * sx, y * sy) for x, y in s]
            if len(xy) > 1:
                draw.line(xy, fill="black", width=pen, joint="curve")
            for x, y in (xy[0], xy[-1]):  # round ends, and a dot for a tap
                draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill="black")
    return np.asarray(img)


def _strokes(value: dict) -> list[list[tuple[float, float]]]:
    """The strokes as point lists, whatever a browser sent: numbers only, pairs, at most 20,000 points."""
    out, budget = [], 20_000
    for s in value.get("strokes") or []:
        try:
            flat = np.asarray(s, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            continue
        flat = flat[: 2 * (len(flat) // 2)][: 2 * budget]
        if flat.size and np.isfinite(flat).all():
            out.append([(float(x), float(y)) for x, y in flat.reshape(-1, 2)])
            budget -= flat.size // 2
    return out


# The sheet in the browser. The template never changes, so gradio leaves the canvas alone; the script
# draws a stroke as the pen moves, and when the pen comes up puts it in the value (which gradio sends
# with the event) and triggers `input`. A value the server sends (Clear, an upload, an example) is drawn
# again by `watch`.
SHEET_HTML = "<div class='sheet'><canvas></canvas></div>"
SHEET_JS = """
const canvas = () => element.querySelector('canvas');
const pictures = {};
let pen = null;
const draw = (ctx, s, width) => {
  ctx.lineWidth = width; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.strokeStyle = '#000';
  ctx.beginPath(); ctx.moveTo(s[0], s[1]);
  for (let i = 2; i < s.length; i += 2) ctx.lineTo(s[i], s[i + 1]);
  if (s.length === 2) ctx.lineTo(s[0] + 0.01, s[1]);
  ctx.stroke();
};
const redraw = () => {
  const v = props.value || {}, c = canvas(), ctx = c.getContext('2d');
  c.width = v.width || 280; c.height = v.height || 280;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height);
  const strokes = () => (v.strokes || []).forEach(s => draw(ctx, s, v.pen || 6));
  if (!v.picture) return strokes();
  let img = pictures[v.picture];
  if (!img) { img = pictures[v.picture] = new Image(); img.src = v.picture; }
  const paint = () => { ctx.drawImage(img, 0, 0, c.width, c.height); strokes(); };
  img.complete ? paint() : img.addEventListener('load', paint, {once: true});
};
const at = e => {
  const r = canvas().getBoundingClientRect(), c = canvas();
  return [Math.round((e.clientX - r.left) * c.width / r.width * 10) / 10,
          Math.round((e.clientY - r.top) * c.height / r.height * 10) / 10];
};
element.addEventListener('pointerdown', e => {
  if (e.target !== canvas() || e.button > 0) return;
  pen = at(e); canvas().setPointerCapture(e.pointerId); e.preventDefault();
  draw(canvas().getContext('2d'), pen, (props.value || {}).pen || 6);
});
element.addEventListener('pointermove', e => {
  if (!pen) return;
  for (const m of (e.getCoalescedEvents ? e.getCoalescedEvents() : [e])) {
    const p = at(m), ctx = canvas().getContext('2d');
    draw(ctx, [pen[pen.length - 2], pen[pen.length - 1], p[0], p[1]], (props.value || {}).pen || 6);
    pen.push(p[0], p[1]);
  }
});
const up = () => {
  if (!pen) return;
  const v = props.value || {}, stroke = pen; pen = null;
  props.value = {...v, strokes: [...(v.strokes || []), stroke]};
  trigger('input');
};
element.addEventListener('pointerup', up);
element.addEventListener('pointercancel', up);
watch('value', redraw);
redraw();
"""
# Clear blanks both sheets in the browser at once; the server's blank sheets follow.
CLEAR_JS = "() => document.querySelectorAll('.sheet canvas').forEach(c => c.getContext('2d').clearRect(0, 0, 1e5, 1e5))"
SHEET_CSS = """
.sheet { display: flex; justify-content: center; }
.sheet canvas { width: 100%; max-width: 280px; height: auto; border: 1px solid var(--border-color-primary, #ccc);
                border-radius: 6px; touch-action: none; cursor: crosshair; background: #fff; }
"""
