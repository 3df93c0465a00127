"""Files people upload, odd ones first: each with what shapesim must answer.

``CASES[name] = (make, expected)``: ``make()`` returns the file's bytes;
``expected`` is a regular expression the error message must match, or None
when the file is a usable picture and must give an answer.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def drawing(mode: str = "RGB", size: int = 200, shape: str = "circle") -> Image.Image:
    """A black outline (circle or square) on white, in PIL ``mode``."""
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    box = (size * 0.25, size * 0.25, size * 0.75, size * 0.75)
    (d.ellipse if shape == "circle" else d.rectangle)(box, outline="black", width=max(2, size // 40))
    if mode == "I;16":
        return img.convert("L").point(lambda v: v).convert("I").point(lambda v: v * 257).convert("I;16")
    return img.convert(mode)


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def _animated_gif() -> bytes:
    frames = [drawing("P"), drawing("P", shape="square"), Image.new("P", (200, 200), 255)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _huge_png() -> bytes:
    """A 20000×20000 one-bit PNG: a few KB on disk, 400 megapixels (1.2 GB as RGB) once decoded."""
    return encode(Image.new("1", (20_000, 20_000), 1), "PNG", optimize=True)


SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
<circle cx="100" cy="100" r="50" fill="none" stroke="black" stroke-width="5"/></svg>"""

CASES: dict[str, tuple] = {
    "not-an-image.png": (lambda: b"<html><body>hello</body></html>" * 20, r"is not a picture"),
    "truncated.png": (lambda: encode(drawing(), "PNG")[:400], r"truncated or corrupt|is not a picture"),
    "truncated.jpg": (lambda: encode(drawing(), "JPEG")[:600], r"truncated or corrupt"),
    "huge-20000x20000.png": (_huge_png, r"too large"),
    "animated.gif": (_animated_gif, None),  # its first frame
    "16-bit.png": (lambda: encode(drawing("I;16"), "PNG"), None),
    "cmyk.jpg": (lambda: encode(drawing("CMYK"), "JPEG"), None),
    "one-pixel.png": (lambda: encode(Image.new("RGB", (1, 1), "black"), "PNG"), r"too small"),
    "transparent.png": (lambda: encode(Image.new("RGBA", (200, 200), (0, 0, 0, 0)), "PNG"), r"nothing is drawn"),
    "white.png": (lambda: encode(Image.new("RGB", (280, 280), "white"), "PNG"), r"nothing is drawn"),
    "circle.svg": (lambda: SVG, r"is not a picture"),
    "empty.png": (lambda: b"", r"empty"),
}


def write(folder, name: str):
    """Write case ``name`` into ``folder``; returns its path."""
    path = folder / name
    path.write_bytes(CASES[name][0]())
    return path
