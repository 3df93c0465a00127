"""The app's drawing sheet: a canvas of the app's own in the browser, which sends the strokes' points
when the pen comes up; the picture is drawn again here.

gradio's ImageEditor turns its layers into pictures and uploads them after every move of the pen
(a third of a second each, and strokes lost or the editor hung after Clear); a stroke is a few
hundred numbers. A sheet's value is plain JSON::

    {"width": 280, "height": 280,          # the sheet's size, pixels (an upload: shown at most 560 px)
     "picture": "data:image/png;base64,…",  # an uploaded picture shown under the strokes, or ""
     "strokes": [[x0, y0, x1, y1, …], …],   # in the sheet's pixels, in the order drawn
     "pen": 6,                              # the pen's width, pixels
     "given": "data:image/…;base64,…"}      # a picture pasted (Ctrl+V) or dropped on the sheet, on its
                                            # way to the server (or "given_error": what was wrong)

An uploaded picture itself stays on the server (the app keeps it in the session's state) and the
strokes are drawn over it at its own size (:func:`picture`). A pasted or dropped picture is sent once
(the sheet's ``submit`` event) and read by :func:`given` as an upload is.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "SIDE",
    "PEN",
    "MAX_GIVEN",
    "blank",
    "showing",
    "picture",
    "is_drawn",
    "given",
    "SHEET_HTML",
    "SHEET_JS",
    "SHEET_CSS",
    "CLEAR_JS",
]

SIDE = 280  # a blank sheet's side, pixels: small canvases draw smoothly
PEN = 6  # the pen's width on a blank sheet, pixels
SHOWN = 560  # an uploaded picture is shown at most this large (the server keeps it whole)
MAX_GIVEN = 10_000_000  # bytes of a pasted or dropped picture, as the app's upload limit (app.MAX_UPLOAD)


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


def given(value: dict | None) -> bytes:
    """The picture pasted or dropped on a sheet, as the file's bytes; a ValueError that says what is wrong
    with it (nothing given, not a picture, too large)."""
    value = value or {}
    if value.get("given_error"):
        raise ValueError(str(value["given_error"])[:200])
    url = value.get("given") or ""
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise ValueError("nothing was pasted or dropped: paste (Ctrl+V) or drop a picture on the sheet")
    head, data = url.split(",", 1)
    if len(data) * 3 // 4 > MAX_GIVEN:
        raise ValueError(f"it is too large: {len(data) * 3 / 4 / 1e6:.0f} MB; the limit is {MAX_GIVEN // 1_000_000} MB")
    if not head.startswith("data:image/"):
        raise ValueError(f"it is not a picture ({head[5:].split(';')[0] or 'unknown kind'})")
    try:
        return base64.b64decode(data, validate=True)
    except ValueError as err:
        raise ValueError("it arrived damaged and cannot be read") from err


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
// A picture pasted (Ctrl+V with the pointer over the sheet, or the sheet focused) or dropped on it goes to the
// server once, as an upload does; what is wrong with it (text, too large) goes instead, to be said in words.
const MAX = __MAX_GIVEN__;
const refuse = why => { props.value = {...(props.value || {}), given: '', given_error: why}; trigger('submit'); };
const give = (file, how) => {
  const v = props.value || {};
  if (!file) return refuse(how === 'paste' ? 'the clipboard holds no picture (copy a picture, then paste)'
                                           : 'what was dropped is not a file (drop a picture file)');
  const mb = Math.round(file.size / 1e6);
  if (file.size > MAX) return refuse(`it is too large: ${mb} MB; the limit is ${MAX / 1e6} MB`);
  const reader = new FileReader();
  reader.onload = () => { props.value = {...v, given: reader.result, given_error: ''}; trigger('submit'); };
  reader.readAsDataURL(file);
};
const fileOf = items => { for (const it of items || []) if (it.kind === 'file') return it.getAsFile(); return null; };
element.tabIndex = 0;
element.addEventListener('pointerenter', () => { window.__shapesimSheet = element; });
element.addEventListener('paste', e => {
  e.preventDefault(); e.stopPropagation(); give(fileOf(e.clipboardData && e.clipboardData.items), 'paste');
});
if (!window.__shapesimPaste) {  // one listener for the page: a paste goes to the sheet under the pointer
  window.__shapesimPaste = true;
  document.addEventListener('paste', e => {
    const sheet = window.__shapesimSheet;
    if (!sheet || !sheet.matches(':hover') || e.defaultPrevented) return;
    sheet.dispatchEvent(new ClipboardEvent('paste', {clipboardData: e.clipboardData, bubbles: false}));
    e.preventDefault();
  });
}
element.addEventListener('dragover', e => { e.preventDefault(); element.classList.add('dropping'); });
element.addEventListener('dragleave', () => element.classList.remove('dropping'));
element.addEventListener('drop', e => {
  e.preventDefault(); element.classList.remove('dropping');
  const files = e.dataTransfer && e.dataTransfer.files;
  give(files && files.length ? files[0] : null, 'drop');
});
watch('value', redraw);
redraw();
""".replace("__MAX_GIVEN__", str(MAX_GIVEN))
# Clear blanks both sheets in the browser at once; the server's blank sheets follow.
CLEAR_JS = "() => document.querySelectorAll('.sheet canvas').forEach(c => c.getContext('2d').clearRect(0, 0, 1e5, 1e5))"
SHEET_CSS = """
.sheet { display: flex; justify-content: center; }
.sheet canvas { width: 100%; max-width: 280px; height: auto; border: 1px solid var(--border-color-primary, #ccc);
                border-radius: 6px; touch-action: none; cursor: crosshair; background: #fff; }
.dropping .sheet canvas { outline: 3px dashed var(--color-accent, #f97316); outline-offset: 2px; }
"""
