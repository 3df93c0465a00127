"""Drawings on paper, photographed by code: what a user uploads when they draw on paper and take a picture.

:func:`photograph` puts a clean drawing (dark ink on white) on a sheet of paper — plain, lined or
squared — in pen, pencil, marker or blue ink, and photographs it as a phone does: light falling off
across the page, a darker corner, the soft edge of a shadow, a small tilt, blur, sensor noise, JPEG,
1600×1200. :func:`photo_pairs` turns pairs of drawings into pairs of photographs of them: the test of
whether a photo is answered as the drawing is.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter
from torch import Tensor

__all__ = ["INKS", "PAPERS", "photograph", "photo_pairs", "paper_look"]

INKS = ("pen", "pencil", "marker", "blue ink")
PAPERS = ("plain", "lined", "squared")


def photograph(
    drawing: Image.Image | np.ndarray,
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = (1600, 1200),
    ink: str | None = None,
    paper: str | None = None,
    quality: int | None = None,
) -> Image.Image:
    """A phone's JPEG photo of ``drawing`` (dark ink on a light ground, any size) drawn on paper, decoded: an RGB
    picture of ``size`` (landscape; portrait a third of the time). ``ink`` and ``paper`` (random when None)
    are one of :data:`INKS` and :data:`PAPERS`."""
    ink = ink or INKS[rng.integers(len(INKS))]
    paper = paper or PAPERS[rng.integers(len(PAPERS))]
    w, h = size if rng.random() > 1 / 3 else size[::-1]
    darkness = 1 - np.asarray(Image.fromarray(np.asarray(drawing)).convert("L"), np.float32) / 255
    # the drawing on the page: a third to two thirds of its shorter side, anywhere that keeps it whole
    side = int(min(w, h) * rng.uniform(0.35, 0.65))
    scale = side / max(darkness.shape)
    shape = (max(1, round(darkness.shape[1] * scale)), max(1, round(darkness.shape[0] * scale)))
    mark = np.asarray(Image.fromarray((darkness * 255).astype(np.uint8)).resize(shape, Image.LANCZOS), np.float32) / 255
    if ink == "marker":  # a felt tip: broader strokes
        mark = (
            np.asarray(Image.fromarray((mark * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(5)), np.float32)
            / 255
        )
    left, top = rng.integers(0, w - shape[0] + 1), rng.integers(0, h - shape[1] + 1)
    cover = np.zeros((h, w), np.float32)
    cover[top : top + shape[1], left : left + shape[0]] = mark
    colour, strength = {
        "pen": ((25, 25, 30), rng.uniform(0.85, 0.97)),
        "pencil": ((70, 70, 75), rng.uniform(0.35, 0.6)),
        "marker": ((rng.integers(10, 60), rng.integers(10, 60), rng.integers(10, 90)), 0.95),
        "blue ink": ((25, 45, 150), rng.uniform(0.8, 0.95)),
    }[ink]
    if ink == "pencil":  # graphite leaves grain
        cover *= rng.uniform(0.6, 1.0, cover.shape).astype(np.float32)
    page = _paper(paper, w, h, rng)
    alpha = (np.clip(cover, 0, 1) * strength)[..., None]
    page = page * (1 - alpha) + np.array(colour, np.float32) * alpha
    page *= _light(w, h, rng)[..., None]
    photo = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    photo = photo.rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, fillcolor=tuple(int(v) for v in page[0, 0]))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    noisy = np.asarray(photo, np.float32) + rng.normal(0, rng.uniform(2, 6), (h, w, 3)).astype(np.float32)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=quality or int(rng.integers(70, 93))
    )
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _paper(kind: str, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """An off-white sheet, ruled or squared in light blue or grey when asked: ``(h, w, 3)`` float32."""
    tint = np.array([rng.uniform(232, 252), rng.uniform(228, 250), rng.uniform(215, 245)], np.float32)
    sheet = Image.new("RGB", (w, h), tuple(int(v) for v in tint))
    if kind != "plain":
        draw = ImageDraw.Draw(sheet)
        line = (int(tint[0] * 0.75), int(tint[1] * 0.82), int(tint[2] * 0.92))
        step = int(min(w, h) * rng.uniform(0.035, 0.06))
        for y in range(int(rng.integers(step)), h, step):
            draw.line([(0, y), (w, y)], fill=line, width=2)
        if kind == "squared":
            for x in range(int(rng.integers(step)), w, step):
                draw.line([(x, 0), (x, h)], fill=line, width=2)
    return np.asarray(sheet, np.float32)


def _light(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """How much light falls on each point of the page: a slope across it, a darker corner, and a shadow with
    a soft edge, ``(h, w)`` in (0, 1]."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = x / w - 0.5, y / h - 0.5
    slope = rng.uniform(-0.25, 0.25, 2)
    light = rng.uniform(0.8, 1.0) * (1 + slope[0] * x + slope[1] * y)
    cx, cy = rng.choice([-0.5, 0.5], 2)
    light *= 1 - rng.uniform(0.1, 0.35) * np.clip(1 - np.hypot(x - cx, y - cy) / 0.7, 0, 1) ** 2
    angle = rng.uniform(0, 2 * math.pi)
    along = x * math.cos(angle) + y * math.sin(angle) - rng.uniform(0.15, 0.45)
    edge = rng.uniform(0.01, 0.06)
    light *= 1 - rng.uniform(0.2, 0.45) * 0.5 * (1 + np.tanh(along / edge / 2))  # a logistic step
    return np.clip(light, 0.05, 1)


def photo_pairs(
    a: list, b: list, labels: np.ndarray, seed: int = 0
) -> tuple[list[Image.Image], list[Image.Image], np.ndarray]:
    """Pairs of drawings as pairs of photographs of them, each photographed on its own."""
    rng = np.random.default_rng([seed, 0x9407])
    return [photograph(x, rng) for x in a], [photograph(x, rng) for x in b], np.asarray(labels)


def paper_look(pictures: Tensor, share: float, seed: int) -> Tensor:
    """A share of a training batch ``(B, 3, S, S)`` made to look like what framing leaves of a photo of paper
    (:func:`shapesim.images.frame` takes the light out, not all of it): the paper a little uneven and grey,
    faint ruled or squared lines under the ink, the ink's strength uneven, a little blur and sensor noise.
    The others stay as they are; ``seed`` decides which and how (a step's number: the same step, the same looks)."""
    n, _, s, _ = pictures.shape
    g = torch.Generator().manual_seed(seed)
    chosen = torch.rand(n, generator=g) < share
    if not chosen.any():
        return pictures
    x = pictures[chosen]
    m = len(x)
    r = lambda *shape: torch.rand(*shape, generator=g).to(x.device)  # noqa: E731
    ys, xs = torch.meshgrid(
        torch.linspace(-0.5, 0.5, s, device=x.device), torch.linspace(-0.5, 0.5, s, device=x.device), indexing="ij"
    )
    paper = x[:, :, :1, :1]  # the ground's colour (a corner)
    ink = (x - paper).abs().amax(1, keepdim=True) / (x - paper).abs().amax((1, 2, 3), keepdim=True).clamp(min=1e-3)
    # faint lines on the paper, under the ink: ruled for half, squared for a quarter, none for the rest
    step = (0.08 + 0.1 * r(m, 1, 1, 1)) * s
    phase = r(m, 1, 1, 1) * step
    rows = ((ys[None, None] * s + s / 2 + phase) % step < 1.0).float()
    cols = ((xs[None, None] * s + s / 2 + phase) % step < 1.0).float()
    kind = r(m, 1, 1, 1)
    lines = torch.where(kind < 0.5, rows, torch.where(kind < 0.75, torch.maximum(rows, cols), torch.zeros_like(rows)))
    line_colour = paper * torch.tensor([0.8, 0.86, 0.95], device=x.device).view(1, 3, 1, 1)
    x = torch.lerp(x, line_colour.expand_as(x), lines * (0.15 + 0.2 * r(m, 1, 1, 1)) * (1 - ink))
    # uneven ink: strength 0.6-1 over the picture, as a pencil's grain or a pen running dry
    grain = 1 - 0.4 * r(m, 1, 1, 1) * torch.rand(m, 1, s, s, generator=g).to(x.device)
    x = torch.lerp(paper.expand_as(x), x, grain.clamp(0, 1) * ink + (1 - ink))
    # the light framing could not take out: a slope of up to a tenth across the picture, greyer paper
    slope = (r(m, 2, 1, 1) * 2 - 1) * 0.1
    x = x * (1 - 0.08 * r(m, 1, 1, 1) + slope[:, :1] * xs + slope[:, 1:] * ys)
    x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1) * 0.5 + x * 0.5  # a little blur
    x = x + torch.randn(x.shape, generator=g).to(x.device) * (0.005 + 0.02 * r(m, 1, 1, 1))
    out = pictures.clone()
    out[chosen] = x.clamp(0, 1)
    return out
