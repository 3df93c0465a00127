import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from shapesim.images import MAX_PIXELS, ImageError, frame, load_image, read_image


def drawing(size=280, width=6, box=(60, 60, 200, 200)) -> Image.Image:
    img = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(img).ellipse(box, outline="black", width=width)
    return img


def as_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "CMYK", "I;16", "I", "F"])
def test_every_pil_mode_reads_as_rgb_floats(mode):
    src = drawing()
    img = src.convert(mode) if mode not in ("I;16", "I", "F") else src.convert("L").convert(mode)
    out = load_image(img)
    assert out.shape == (280, 280, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    ref = load_image(src)
    assert np.abs(out.mean(-1) - ref.mean(-1)).mean() < 0.02, mode


def test_sixteen_bit_png_keeps_its_range(tmp_path):
    arr = np.asarray(drawing().convert("L"), dtype=np.uint16) * 257
    path = tmp_path / "deep.png"
    Image.fromarray(arr).save(path)
    out = load_image(path)
    assert out.min() == 0 and out.max() == pytest.approx(1.0)


def test_transparent_parts_become_white_paper():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[8:24, 8:24] = [0, 0, 0, 255]  # an opaque black square, the rest transparent black
    out = load_image(rgba)
    assert out[0, 0].tolist() == [1, 1, 1] and out[16, 16].tolist() == [0, 0, 0]


@pytest.mark.parametrize("kind", ["path", "bytes", "pil", "numpy_uint8", "numpy_float", "numpy_grey", "tensor_chw"])
def test_every_input_kind_gives_the_same_pixels(kind, tmp_path):
    img = drawing()
    ref = load_image(img)
    if kind == "path":
        img.save(tmp_path / "a.png")
        src = tmp_path / "a.png"
    elif kind == "bytes":
        src = as_png(img)
    elif kind == "pil":
        src = img
    elif kind == "numpy_uint8":
        src = np.asarray(img)
    elif kind == "numpy_float":
        src = np.asarray(img).astype(np.float32) / 255
    elif kind == "numpy_grey":
        src = np.asarray(img.convert("L"))
    else:
        src = torch.from_numpy(np.array(img)).permute(2, 0, 1).float() / 255
    assert np.allclose(load_image(src), ref, atol=1e-6)


@pytest.mark.parametrize(
    "source, message",
    [
        (b"this is not a picture at all", "is not a picture"),
        (b"", "empty"),
        (np.zeros((0, 10, 3)), "with pixels"),
        (np.full((32, 32), np.nan, np.float32), "NaN"),
        (np.zeros((32, 32, 5)), "1, 3 or 4 channels"),
        (np.zeros((1, 1, 3), np.uint8), "too small"),
        (np.full((32, 32), -1.0), "must lie in"),
        (np.full((32, 32), 70000, np.int64), "out of range"),
        (None, "no picture"),
        (3.5, "cannot read a picture from a float"),
    ],
)
def test_bad_input_is_a_clear_value_error(source, message):
    with pytest.raises(ValueError, match=message):
        load_image(source)


def test_a_truncated_png_is_refused():
    data = as_png(drawing())
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


def test_a_huge_png_is_refused_before_decoding(tmp_path):
    # 20000×20000 one-bit PNG: a few KB on disk, 400 megapixels decoded.
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path, optimize=True)
    assert path.stat().st_size < 200_000
    with pytest.raises(ImageError, match="too large"):
        load_image(path)
    assert 20000 * 20000 > MAX_PIXELS


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty file"):
        load_image(tmp_path / "empty.png")


def test_a_blank_picture_has_nothing_drawn():
    with pytest.raises(ImageError, match="nothing is drawn"):
        frame(load_image(Image.new("RGB", (100, 100), "white")), 64)


def test_framing_centres_the_drawing_and_a_thin_stroke_survives():
    # A thin circle in a corner of a large canvas.
    img = Image.new("RGB", (1000, 1000), "white")
    ImageDraw.Draw(img).ellipse((50, 600, 350, 900), outline="black", width=3)
    x, info = frame(load_image(img), 64)
    assert x.shape == (3, 64, 64)
    ink = 1 - x.mean(0)
    ys, xs = torch.nonzero(ink > 0.05, as_tuple=True)
    assert abs(ys.float().mean() - 31.5) < 3 and abs(xs.float().mean() - 31.5) < 3  # centred
    assert 0.5 < (xs.max() - xs.min()).item() / 64 < 0.8  # fills about FILL of the frame
    assert ink.max() > 0.15  # the 3-px stroke left a visible trace at 64 px
    assert info.left < 50 and info.top < 600 and info.side > 300


@pytest.mark.parametrize("canvas, side", [(640, 208), (500, 151), (90, 30), (1000, 7)])
def test_framing_keeps_the_amount_of_ink(canvas, side):
    # Area averaging skips no pixel: the framed square's ink is the drawing's share of it.
    img = Image.new("RGB", (canvas, canvas), "white")
    left = canvas // 3
    ImageDraw.Draw(img).rectangle((left, left, left + side - 1, left + side - 1), fill="black")
    x, info = frame(read_image(img), 64)
    assert (1 - x.mean()).item() == pytest.approx(side**2 / info.side**2, abs=0.004)


def test_framing_reads_pil_uint8_and_float_pictures_alike():
    img = drawing()
    want, framing = frame(read_image(img), 64)
    for picture in (np.asarray(img), np.asarray(img).astype(np.float32) / 255, load_image(img)):
        got, again = frame(picture, 64)
        assert torch.allclose(got, want) and again == framing


def _flat(kind, fg, bg, size=280, box=(80, 60, 200, 180)):
    img = Image.new("RGB", (size, size), bg)
    (ImageDraw.Draw(img).ellipse if kind == "circle" else ImageDraw.Draw(img).rectangle)(box, fill=fg)
    return img


@pytest.mark.parametrize(
    "fg, bg",
    [((220, 30, 30), (150, 60, 150)), ((40, 160, 40), (128, 128, 128)), ((40, 60, 200), (120, 80, 40))],
    ids=["red-on-purple", "green-on-grey", "blue-on-brown"],
)
def test_a_shape_of_the_grounds_brightness_is_seen_by_its_colour(fg, bg):
    """Red on purple has almost the brightness of its ground; framing finds it by colour all the same."""
    img = _flat("circle", fg, bg)
    assert abs(np.dot(fg, (0.299, 0.587, 0.114)) - np.dot(bg, (0.299, 0.587, 0.114))) < 40
    x, info = frame(img, 64)
    assert info.left == pytest.approx((80 + 201 - info.side) / 2, abs=1) and info.side == pytest.approx(
        121 / 0.65, abs=4
    )


@pytest.mark.parametrize("level", [1, 3])
def test_a_shape_a_person_cannot_see_is_blank(level):
    """One grey level (or three) off its ground: nothing is drawn, as a person would say."""
    with pytest.raises(ImageError, match="nothing is drawn"):
        frame(_flat("square", (128 + level,) * 3, (128, 128, 128)), 64)
    with pytest.raises(ImageError, match="nothing is drawn"):
        frame(Image.new("RGB", (50, 70), (200, 30, 90)), 64)  # one colour


@pytest.mark.parametrize("canvas, across", [(32, 10), (32, 12), (64, 12), (64, 15)])
def test_small_pictures_keep_the_corners_of_a_square(canvas, across):
    """A 10-15 px square on a 32 or 64 px picture is framed at its own pixels, never enlarged and blurred
    round: the framed square fills its own bounding box (a circle would fill pi/4 of it) and its corner
    pixels are as dark as its middle."""
    left = (canvas - across) // 2
    img = _flat("square", (0, 0, 0), (255, 255, 255), canvas, (left, left + 1, left + across - 1, left + across))
    x, info = frame(img, 64)
    ink = 1 - x.mean(0).numpy()
    ys, xs = np.nonzero(ink > 0.5)
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    assert (ink > 0.5).sum() / box > 0.97
    assert xs.max() - xs.min() + 1 == across  # not enlarged
    corners = ink[ys.min(), xs.min()], ink[ys.min(), xs.max()], ink[ys.max(), xs.min()], ink[ys.max(), xs.max()]
    assert min(corners) > 0.99
    assert info.side == 64


# ----------------------------------------------------------------------------- photos of paper


def _ink_box(x: torch.Tensor) -> tuple[int, int, int, int]:
    """The box of what is darker than halfway from the paper (the median) to the darkest ink."""
    grey = x.mean(0)
    ys, xs = np.nonzero((grey < (grey.min() + grey.median()) / 2).numpy())
    return xs.min(), ys.min(), xs.max(), ys.max()


@pytest.mark.parametrize(
    "ink, paper", [("pen", "plain"), ("pencil", "lined"), ("marker", "squared"), ("blue ink", "plain")]
)
def test_a_photo_of_a_drawing_is_framed_as_the_drawing_is(ink, paper):
    """Light falling off, a dark corner, a shadow's edge, tilt, blur, noise and JPEG: the frame finds the ink,
    not the light, and the model sees white paper (the light taken out)."""
    from shapesim.doodles import doodle
    from shapesim.photos import photograph

    drawing = doodle("triangle", np.random.default_rng(3), width=8)
    photo = photograph(drawing, np.random.default_rng(5), size=(800, 600), ink=ink, paper=paper)
    x, framing = frame(photo, 64)
    clean, _ = frame(drawing, 64)
    x0, y0, x1, y1 = _ink_box(x)
    side = max(x1 - x0, y1 - y0)
    assert 0.5 * 64 < side < 0.8 * 64  # the drawing at the size framing gives it, not a speck on a page
    assert abs((x0 + x1) / 2 - 31.5) < 5 and abs((y0 + y1) / 2 - 31.5) < 5
    border = torch.cat([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], 1)
    assert float(border.mean()) > 0.85  # paper, whitened
    assert framing.side < 0.6 * max(photo.size)


def test_a_photo_of_blank_paper_has_nothing_drawn():
    from shapesim.photos import photograph

    blank = Image.new("RGB", (200, 200), "white")
    with pytest.raises(ImageError, match="nothing is drawn"):
        frame(photograph(blank, np.random.default_rng(0), size=(400, 300), paper="plain"), 64)


def test_flat_pictures_are_framed_as_before():
    """A flat ground (the app's sheet, a drawing program's file) takes the flat way: its border is its colour."""
    from shapesim.images import is_flat
    from shapesim.photos import photograph

    img = Image.new("RGB", (200, 150), (250, 240, 200))
    ImageDraw.Draw(img).ellipse((40, 30, 120, 110), outline=(200, 40, 40), width=6)
    assert is_flat(np.asarray(img), (250, 240, 200))
    photo = np.asarray(photograph(img, np.random.default_rng(1), size=(400, 300)))
    border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    assert not is_flat(photo, tuple(int(v) for v in np.median(border, 0)))


def test_a_phones_exif_orientation_is_applied():
    img = Image.new("RGB", (300, 200), "white")
    img.paste((0, 0, 0), (10, 10, 60, 30))
    exif = img.getexif()
    exif[0x0112] = 6  # the phone was held on its side: show it turned 90° clockwise
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", exif=exif.tobytes())
    got = read_image(buffer.getvalue())
    assert got.size == (200, 300)
    ys, xs = np.nonzero(np.asarray(got.convert("L")) < 128)
    assert xs.min() > 160 and ys.max() < 70  # the mark went from the top left to the top right
