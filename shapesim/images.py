"""Turning whatever a user has into the model's input, safely.

A picture may arrive as a path, bytes, a PIL image or a numpy array; in RGB,
RGBA, greyscale, palette, CMYK or 16-bit; of any size; a phone's photo turned as
its EXIF orientation says. :func:`read_image`
turns it into an 8-bit RGB PIL image (transparency composited on white),
:func:`load_image` into a float array in [0, 1]; both raise :class:`ImageError`
(a ``ValueError``) with a message a person can act on. :func:`frame` then crops
a square around what is drawn and shrinks it by area averaging, so a thin
stroke on a large canvas survives the resize, and never enlarges a small one. Eight bits
per channel are plenty to tell shapes apart, and a quarter of the memory of floats to read
and copy on every request.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

__all__ = [
    "ImageError",
    "MAX_PIXELS",
    "BLANK",
    "read_image",
    "load_image",
    "frame",
    "Framing",
    "FILL",
    "is_flat",
    "paper_field",
    "photo_ink",
]

MAX_PIXELS = 40_000_000  # refuse to decode more than this: a 20000×20000 PNG is a few KB on disk
MAX_SIDE = 1024  # larger pictures are box-reduced while decoding; enough for any 64-px model input
MIN_SIDE = 8
FILL = 0.65  # the drawing's longest side as a share of the framed square (framed training pictures too)
BLANK = 0.04  # RGB distance (0-1 a channel) from the background below which nothing counts as drawn
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageError(ValueError):
    """A picture that cannot be used, with the reason in words."""


def load_image(source: object) -> np.ndarray:
    """Any picture → ``(H, W, 3)`` float32 RGB in [0, 1]."""
    return np.asarray(read_image(source), dtype=np.float32) / 255


def read_image(source: object) -> Image.Image:
    """Any picture → an RGB PIL image, 8 bits per channel."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            raise ImageError(f"{path} is a folder, not a picture")
        if not path.is_file():
            raise ImageError(f"no such file: {path}")
        if path.stat().st_size == 0:
            raise ImageError(f"{path.name} is an empty file")
        with open(path, "rb") as f:
            return _from_pil_source(f, path.name)
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageError("the upload is empty")
        return _from_pil_source(io.BytesIO(source), "the upload")
    if isinstance(source, Image.Image):
        return _from_pil(source, "the picture")
    if isinstance(source, torch.Tensor):
        source = source.detach().cpu().numpy()
    if isinstance(source, np.ndarray):
        return Image.fromarray(_from_array(source))
    if source is None:
        raise ImageError("no picture was given")
    raise ImageError(f"cannot read a picture from a {type(source).__name__}")


def _from_pil_source(fp, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(fp)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        found = re.search(r"\((\d+) pixels\)", str(err))
        size = f"{int(found[1]) / 1e6:.0f} megapixels" if found else "too many pixels"
        raise ImageError(f"{name} is too large: {size}; the limit is {MAX_PIXELS // 1_000_000} megapixels") from err
    except UnidentifiedImageError as err:
        raise ImageError(f"{name} is not a picture (PNG, JPEG, GIF, WebP, BMP …)") from err
    except Exception as err:  # a header PIL knows, cut short or broken: its decoders raise many kinds
        raise _corrupt(name, err) from err
    with img:
        try:
            return _from_pil(img, name)
        except ImageError:
            raise
        except Exception as err:  # PIL's decoders on a damaged file: KeyError, struct.error, …
            raise _corrupt(name, err) from err


def _corrupt(name: str, err: Exception) -> ImageError:
    return ImageError(f"{name} is truncated or corrupt and cannot be decoded ({type(err).__name__}: {err})")


def _from_pil(img: Image.Image, name: str) -> Image.Image:
    w, h = img.size
    _check_size(w, h, name)
    try:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # an animation: its first frame
        if max(w, h) > MAX_SIDE and img.mode in ("RGB", "RGBA", "L", "LA"):
            img.draft(img.mode, (MAX_SIDE, MAX_SIDE))  # JPEG decodes at a smaller scale directly
        img.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise _corrupt(name, err) from err
    if img.getexif().get(0x0112, 1) != 1:  # a phone's photo stands as its EXIF orientation says
        img = ImageOps.exif_transpose(img)
    factor = max(img.size) // MAX_SIDE
    if factor >= 2:
        img = img.reduce(factor) if img.mode not in ("P", "1") else img.convert("RGBA").reduce(factor)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0  # 16-bit data, or 8-bit values in a 16-bit container
        return Image.fromarray(_from_array(np.clip(arr / top, 0, 1).astype(np.float32)))
    if img.mode in ("RGBA", "LA", "PA", "La") or (img.mode == "P" and "transparency" in img.info):
        return Image.fromarray(_from_array(np.asarray(img.convert("RGBA"))))
    return img.convert("RGB")  # a copy: the file's own image is closed after this


def _check_size(w: int, h: int, name: str = "the picture") -> None:
    if w * h > MAX_PIXELS:
        raise ImageError(f"{name} is too large: {w}×{h} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels")
    if min(h, w) < MIN_SIDE:
        raise ImageError(f"{name} is too small to show a shape: {w}×{h} pixels (at least {MIN_SIDE}×{MIN_SIDE})")


def _from_array(arr: np.ndarray) -> np.ndarray:
    """A validated array → ``(H, W, 3)`` uint8."""
    if arr.size == 0 or arr.ndim not in (2, 3):
        raise ImageError(f"a picture must be a (H, W) or (H, W, C) array with pixels, got shape {arr.shape}")
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3, 4):
        arr = np.moveaxis(arr, 0, -1)  # channels first
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4):
        raise ImageError(f"a picture needs 1, 3 or 4 channels, got shape {arr.shape}")
    _check_size(arr.shape[1], arr.shape[0])
    if arr.dtype == np.uint8:  # the common case (every 8-bit file, gradio's canvas): no floats needed
        x = arr if arr.ndim == 3 else arr[:, :, None]
        if x.shape[-1] == 1:
            return np.ascontiguousarray(np.repeat(x, 3, axis=-1))
        if x.shape[-1] == 4 and x[..., 3].min() == 255:  # opaque, as a canvas with a white background is
            return np.ascontiguousarray(x[..., :3])
        if x.shape[-1] == 4:  # on white paper, in integers: (c·α + 255·(255 − α)) / 255, rounded
            alpha = x[..., 3:4].astype(np.uint16)
            return ((x[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        return np.ascontiguousarray(x)
    x = _to_unit_float(arr)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    elif x.shape[-1] == 4:
        alpha = x[..., 3:4]
        x = x[..., :3] * alpha + (1 - alpha)  # on white paper
    return _quantise(x)


def _quantise(x: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] → uint8."""
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _to_unit_float(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == bool:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0:
            raise ImageError("pixel values must not be negative")
        top = 255 if arr.dtype == np.uint8 or arr.max() <= 255 else 65535 if arr.max() <= 65535 else None
        if top is None:
            raise ImageError(f"pixel values up to {arr.max()} are out of range for a picture (8 or 16 bits)")
        return arr.astype(np.float32) / top
    if np.issubdtype(arr.dtype, np.floating):
        with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf, refused below
            x = arr.astype(np.float32)
        if not np.isfinite(x).all():
            raise ImageError("the picture has NaN or infinite pixel values")
        if x.min() < 0 or x.max() > 255:
            raise ImageError(f"float pixel values must lie in [0, 1] (or [0, 255]), got {x.min():.3g} to {x.max():.3g}")
        return x / 255.0 if x.max() > 1.0 else x
    raise ImageError(f"cannot read pixels of type {arr.dtype}")


@dataclass
class Framing:
    """Where the model's square input lies in the original picture (pixels, may reach outside it)."""

    left: float
    top: float
    side: float
    height: int
    width: int


def frame(picture: object, size: int) -> tuple[torch.Tensor, Framing]:
    """Crop a square around what is drawn and bring it to ``(3, size, size)`` floats in [0, 1].

    ``picture`` is :func:`read_image`'s RGB image, or anything it reads (an
    array of floats in [0, 1], for one). On a flat ground (:func:`is_flat`: a
    drawing program's, a screenshot's, the app's sheet) what is drawn is what
    differs in colour from the background (the median colour of the picture's
    border), by hue as much as by brightness: a red shape on a purple ground of
    the same brightness counts. In a photo of paper, whose ground changes with
    the light, what is drawn is what is darker than its own paper
    (:func:`photo_ink`), and the light is taken out of the picture the model sees
    (each pixel over its paper's colour: white paper, the ink as drawn).

    The square is centred on the drawing's bounding box and sized so that
    the drawing fills ``FILL`` of it, as shapes do in training, but never smaller
    than ``size``: a picture is shrunk, never enlarged, so a small drawing keeps
    its own pixels (a 12-pixel square keeps its corners; an enlarged one would
    blur them round). Where the square reaches past the picture it is padded
    with the background colour. Shrinking is by area averaging, no pixel skipped:
    whole k×k blocks first, then a box filter the rest of the way, both in PIL.
    A picture in one colour (or with nothing further from its background than
    ``BLANK`` in RGB distance) is an ImageError.
    """
    if not (isinstance(picture, Image.Image) and picture.mode == "RGB"):
        picture = read_image(picture)
    w, h = picture.size
    rgb = np.asarray(picture)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = tuple(int(v) for v in np.round(np.median(border, axis=0)))
    if is_flat(rgb, background):
        box = _flat_ink_box(rgb, background)
    else:
        box, picture, background = _photo_ink_box(picture)
    left, top, right, bottom = box
    n = max(math.ceil(max(bottom - top, right - left) / FILL), size)
    k = max(1, n // size)
    n = math.ceil(n / k) * k  # a few pixels more, so that the square splits into whole k×k blocks
    x0, y0 = math.floor((left + right - n) / 2), math.floor((top + bottom - n) / 2)

    square = Image.new("RGB", (n, n), background)
    square.paste(picture, (-x0, -y0))
    if k > 1:
        square = square.reduce(k)
    if square.size != (size, size):
        square = square.resize((size, size), Image.BOX)
    x = torch.from_numpy(np.array(square)).permute(2, 0, 1).float().div_(255)
    return x, Framing(left=float(x0), top=float(y0), side=float(n), height=h, width=w)


def _flat_ink_box(rgb: np.ndarray, background: tuple[int, int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of what differs from a flat ground by at least 0.3 of the strongest ink."""
    diff = rgb.astype(np.int16) - np.array(background, np.int16)
    ink = np.einsum("hwc,hwc->hw", diff, diff, dtype=np.int32)  # squared RGB distance from the background
    peak = int(ink.max())
    if peak < (BLANK * 255) ** 2:
        raise ImageError("nothing is drawn: the picture is blank")
    return _box(ink > 0.09 * peak)  # (0.3 of the strongest ink's distance)^2


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    h, w = mask.shape
    rows, cols = mask.any(axis=1), mask.any(axis=0)
    return int(cols.argmax()), int(rows.argmax()), w - int(cols[::-1].argmax()), h - int(rows[::-1].argmax())


def _photo_ink_box(picture: Image.Image) -> tuple[tuple[int, int, int, int], Image.Image, tuple[int, int, int]]:
    """A photo's drawing: its box in the picture's pixels, the picture with the light taken out (white paper; away
    from the ink, the paper's lines and grain whitened too), and white, the paper's colour there. Read at ``_WORK``
    pixels at most, the light undone at full size."""
    w, h = picture.size
    f = max(1, math.ceil(max(w, h) / _WORK))
    small = np.asarray(picture.reduce(f) if f > 1 else picture)
    ink = photo_ink(small)
    if not ink.any():
        raise ImageError("nothing is drawn: the picture shows paper but no drawing on it")
    left, top, right, bottom = _box(ink)
    box = (left * f, top * f, min(w, right * f), min(h, bottom * f))
    field = paper_field(small)
    light = torch.nn.functional.interpolate(
        torch.from_numpy(field).permute(2, 0, 1)[None], size=(h, w), mode="bilinear", align_corners=False
    )[0].permute(1, 2, 0)
    from scipy import ndimage

    near = ndimage.binary_dilation(ink, iterations=3).astype(np.float32)  # the ink and a margin round it
    keep = torch.nn.functional.interpolate(torch.from_numpy(near)[None, None], size=(h, w), mode="bilinear")[0, 0]
    flat = (torch.from_numpy(np.array(picture)).float().div_(255) / light).clamp_(0, 1)
    flat = (1 - (1 - flat) * keep[:, :, None]).mul_(255).round_()
    return box, Image.fromarray(flat.to(torch.uint8).numpy()), (255, 255, 255)


# ----------------------------------------------------------------------------- photos of paper

FLAT = 3.0  # a ground is flat when half its border is within this of its colour (RGB distance, 0-255 a channel)
_WORK = 512  # a photo is read for its ink at this longest side


def is_flat(rgb: np.ndarray, background: tuple[int, int, int]) -> bool:
    """Whether a picture has a ground of one colour, as a drawing program, a screenshot or the app's sheet saves
    it: half its border within ``FLAT`` of the border's median colour. A photograph's light changes along its
    border (a phone's at least 7 levels off at the median, in the project's photographed set)."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32) - np.array(background)
    return float(np.median(np.sqrt((border * border).sum(-1)))) <= FLAT


def paper_field(rgb: np.ndarray) -> np.ndarray:
    """The paper's own colour at each pixel of a photo, ``(h, w, 3)`` float32 in (0, 1]: the light on the page
    with the (thinner) ink taken out, as document scanners estimate it — a morphological closing over a
    window wider than a stroke, which keeps the light's slopes and a shadow's edge but not a pen's line."""
    from scipy import ndimage

    x = rgb.astype(np.float32) / 255
    k = max(7, round(0.06 * min(x.shape[:2])) | 1)
    field = ndimage.grey_closing(x, size=(k, k, 1))
    return np.maximum(ndimage.gaussian_filter(field, (1.5, 1.5, 0)), 1 / 255)


def photo_ink(rgb: np.ndarray) -> np.ndarray:
    """Where the ink is in a photo of a drawing on paper, ``(h, w)`` bool: each pixel against the paper's own
    colour there (:func:`paper_field`), an adaptive (Sauvola) threshold on what is darker than its paper, specks
    and ruled lines dropped."""
    from skimage.filters import threshold_sauvola
    from skimage.measure import label, regionprops

    ratio = np.clip(rgb.astype(np.float32) / 255 / paper_field(rgb), 0, 1).min(axis=2)  # 1: paper; ink darker
    darkness = 1 - ratio
    noise = 1.4826 * float(np.median(np.abs(darkness - np.median(darkness))))
    window = max(15, round(0.08 * min(ratio.shape)) | 1)
    ink = (ratio < threshold_sauvola(ratio, window_size=window, k=0.15)) & (darkness > max(0.1, 6 * noise))
    labels = label(ink, connectivity=2)
    parts = regionprops(labels)
    if not parts:
        return ink
    h, w = ink.shape
    biggest = max(p.area for p in parts)
    keep = np.zeros(labels.max() + 1, bool)
    for p in parts:
        y0, x0, y1, x1 = p.bbox
        edge = 0.1 if min(x0, y0) == 0 or x1 == w or y1 == h else 0.5  # along the picture's edge: the page's edge
        long = max(x1 - x0, y1 - y0)
        ruled = (x1 - x0 > edge * w and p.area < 8 * (x1 - x0)) or (y1 - y0 > edge * h and p.area < 8 * (y1 - y0))
        hairline = long > 0.15 * min(h, w) and p.area < 2 * long  # a shadow's edge, a fold: thinner than a pen
        keep[p.label] = p.area >= max(0.05 * biggest, 0.0002 * h * w) and not ruled and not hairline
    return keep[labels]
