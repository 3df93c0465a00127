"""A model's map over a user's picture: placed back where the model's square was cut from, and coloured over the
picture (viridis, the one table of the heatmaps' colours). Plain picture work, below the Predictor that uses it
and the app that shows it."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from .images import Framing, read_image

__all__ = ["VIRIDIS", "placed_map", "overlay", "square_box", "decoded"]


def placed_map(attention: torch.Tensor, framing: Framing) -> np.ndarray:
    """A gate map of the framed square, upsampled bilinearly over it, placed back on the original picture.

    Outside the square the map holds its least value. The upsampling is
    separable, ``rows @ map @ cols.T``, so no square-sized image is made.
    """
    gate = attention.float().reshape(attention.shape[-2:])
    least = float(gate.min())
    rows = _bilinear_weights(framing.top, framing.side, gate.shape[0], framing.height)
    cols = _bilinear_weights(framing.left, framing.side, gate.shape[1], framing.width)
    # In torch, not numpy: numpy's BLAS threads would fight torch's for the cores (3x slower answers here).
    out = torch.from_numpy(rows) @ (gate - least) @ torch.from_numpy(cols).T + least
    return out.clamp_(0, 1).numpy()


def _bilinear_weights(start: float, side: float, cells: int, length: int) -> np.ndarray:
    """``(length, cells)``: how much each of ``cells`` map cells, stretched over ``[start, start + side)``,
    counts at each pixel of a picture row or column (torch's bilinear with ``align_corners=False``);
    pixels outside the stretch get nothing."""
    pixel = np.arange(length)
    pos = np.clip((pixel + 0.5 - start) * (cells / side) - 0.5, 0, cells - 1)
    lo = pos.astype(np.int64)
    frac = (pos - lo).astype(np.float32)
    weights = np.zeros((length, cells), np.float32)
    weights[pixel, lo] = 1 - frac
    weights[pixel, np.minimum(lo + 1, cells - 1)] += frac
    weights[(pixel < start) | (pixel >= start + side)] = 0
    return weights


# matplotlib's viridis at nine stops, the one table of the heatmaps' colours (the pictures' and the page's colour
# bar); interpolating them is indistinguishable by eye and keeps matplotlib (a second of import) out of requests.
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#fde725")
_VIRIDIS = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], dtype=np.float32) / 255


def _viridis_table(levels: int = 256) -> np.ndarray:
    """``(levels, 3)`` colours interpolated between the stops, looked up per pixel instead of computed."""
    pos = np.linspace(0, len(_VIRIDIS) - 1, levels)
    lo = np.minimum(pos.astype(np.int64), len(_VIRIDIS) - 2)
    frac = (pos - lo)[:, None]
    return (_VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac).astype(np.float32)


_VIRIDIS_PALETTE = (_viridis_table() * 255).round().astype(np.uint8).tobytes()  # for PIL's "P" mode


def overlay(image: object, heatmap: np.ndarray, framing: Framing | None = None, alpha: float = 0.55) -> np.ndarray:
    """The picture with ``heatmap`` blended over it: ``(H, W, 3)`` uint8 RGB.

    The colours run from dark blue (the gate ignored this) through green to
    yellow (the gate looked here), matplotlib's *viridis*, scaled to the map's
    own range so that a weak but focused gate still shows. The picture goes
    grey underneath, so that the colours belong to the heatmap. With the
    ``framing`` the model saw the picture in, only that square is coloured (its
    edge drawn thin); outside it the picture stays as it is.
    """
    picture = decoded(image)
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.shape != (picture.height, picture.width):
        raise ValueError(f"the heatmap {heat.shape} is not the size of the picture {(picture.height, picture.width)}")
    inside = None
    if framing is not None:
        box = square_box(framing)
        inside = np.zeros(heat.shape, bool)
        inside[box[1] : box[3], box[0] : box[2]] = True
        if inside.all():
            inside = None
    values = heat if inside is None else heat[inside]
    lo, hi = float(values.min()), float(values.max())
    scale = 255 / (hi - lo) if hi - lo > 1e-6 else 0.0
    coloured = Image.fromarray(((heat - lo) * scale + 0.5).clip(0, 255).astype(np.uint8))
    coloured.putpalette(_VIRIDIS_PALETTE)  # each level its colour, in PIL's C loops
    grey = picture.convert("L").convert("RGB")
    blended = Image.blend(grey, coloured.convert("RGB"), alpha)
    if inside is None:
        return np.array(blended)  # a copy the caller may change
    out = Image.composite(blended, picture, Image.fromarray(inside.astype(np.uint8) * 255))
    ImageDraw.Draw(out).rectangle([box[0], box[1], box[2] - 1, box[3] - 1], outline=(255, 255, 255), width=1)
    return np.array(out)


def square_box(framing: Framing) -> tuple[int, int, int, int]:
    """The part of the picture the model's square covers: (left, top, right, bottom), pixels."""
    left, top = max(0, round(framing.left)), max(0, round(framing.top))
    right = min(framing.width, round(framing.left + framing.side))
    bottom = min(framing.height, round(framing.top + framing.side))
    return left, top, right, bottom


def decoded(image: object) -> Image.Image:
    """``image`` as an RGB PIL image, read (with :func:`read_image`) only if it is not one already."""
    return image if isinstance(image, Image.Image) and image.mode == "RGB" else read_image(image)
