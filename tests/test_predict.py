import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fakes import letter_f, overlap_predictor
from PIL import Image, ImageDraw

from shapesim.heatmaps import overlay, placed_map
from shapesim.images import Framing
from shapesim.models import AGFusionModel
from shapesim.predict import CHUNK, Comparison, Predictor


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predictor")
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=16).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def predictor(weights):
    return Predictor.from_pretrained(str(weights), device="cpu")


def circle(size=(300, 200), box=(40, 30, 180, 170), width=5):
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).ellipse(box, outline="black", width=width)
    return img


def square(size=(256, 256)):
    img = Image.new("RGBA", size, (0, 0, 0, 0))  # transparent: composited on white
    ImageDraw.Draw(img).rectangle((60, 60, 190, 190), outline=(200, 0, 0, 255), width=8)
    return img


def test_compare_returns_the_answer_and_heatmaps_of_each_pictures_size(predictor):
    c = predictor.compare(circle(), square())
    assert isinstance(c, Comparison)
    assert 0 <= c.probability <= 1 and c.same == (c.probability >= 0.5)
    assert -1 <= c.similarity <= 1
    assert c.heatmap_a.shape == (200, 300) and c.heatmap_b.shape == (256, 256)
    for h in (c.heatmap_a, c.heatmap_b):
        assert h.dtype == np.float32 and 0 <= h.min() and h.max() <= 1 and h.max() > 0
    assert c.embedding_a.shape == (16,)


def test_compare_is_symmetric_and_equals_compare_batch(predictor):
    a, b, c2 = circle(), square(), circle(box=(100, 20, 200, 120), width=2)
    one = predictor.compare(a, b)
    swapped = predictor.compare(b, a)
    assert one.probability == pytest.approx(swapped.probability, abs=1e-5)
    batch = predictor.compare_batch([a, c2], [b, a])
    assert batch[0].probability == pytest.approx(one.probability, abs=1e-5)
    assert np.allclose(batch[0].heatmap_a, one.heatmap_a, atol=1e-5)
    assert predictor.compare_batch([], []) == []
    with pytest.raises(ValueError, match="as many pictures on each side"):
        predictor.compare_batch([a], [])


def test_a_blank_picture_is_a_clear_error(predictor):
    with pytest.raises(ValueError, match="nothing is drawn"):
        predictor.compare(Image.new("RGB", (280, 280), "white"), circle())


def test_inputs_of_every_kind(predictor, tmp_path):
    path = tmp_path / "c.png"
    circle().save(path)
    ref = predictor.compare(circle(), square()).probability
    for a in (str(path), path, np.asarray(circle()), path.read_bytes()):
        assert predictor.compare(a, square()).probability == pytest.approx(ref, abs=1e-5)


def test_overlay_is_an_rgb_picture_of_the_same_size(predictor):
    img = circle()
    c = predictor.compare(img, square())
    out = overlay(img, c.heatmap_a)
    assert out.shape == (200, 300, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="not the size of the picture"):
        overlay(img, c.heatmap_b)


def test_overlay_colours_run_from_viridis_blue_to_yellow_over_the_grey_picture():
    white = Image.new("RGB", (40, 30), "white")
    heat = np.tile(np.linspace(0.2, 0.7, 40, dtype=np.float32), (30, 1))  # scaled to its own range
    out = overlay(white, heat, alpha=0.5).astype(int)
    assert np.abs(out[0, 0] - (np.array([68, 1, 84]) + 255) / 2).max() <= 2  # least: viridis dark blue
    assert np.abs(out[0, -1] - (np.array([253, 231, 37]) + 255) / 2).max() <= 2  # most: viridis yellow
    flat = overlay(white, np.full((30, 40), 0.5, np.float32), alpha=0.5)
    assert (flat == flat[0, 0]).all()  # no range: one colour, no division by zero


def test_embed_gives_one_row_per_picture(predictor):
    e = predictor.embed([circle(), square(), circle()])
    assert e.shape == (3, 16)
    assert np.allclose(e[0], e[2], atol=1e-5)


def test_the_predictor_says_where_its_weights_came_from(predictor, weights):
    assert predictor.source.kind == "folder"
    assert str(weights) in predictor.weights


def test_cli_predict_json(weights, tmp_path):
    circle().save(tmp_path / "a.png")
    square().save(tmp_path / "b.png")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "shapesim",
            "predict",
            str(tmp_path / "a.png"),
            str(tmp_path / "b.png"),
            "--weights",
            str(weights),
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert set(out) == {"probability", "same", "similarity", "turned", "weights"}
    assert 0 <= out["probability"] <= 1 and isinstance(out["same"], bool) and "local folder" in out["weights"]
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "shapesim",
            "predict",
            str(tmp_path / "a.png"),
            str(tmp_path / "nope.png"),
            "--weights",
            str(weights),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_the_bundled_model_on_mouse_drawn_shapes():
    """What a visitor does first: a wobbly circle vs a wobbly square is "different"; two circles of
    another size and colour are "same"; and most doodle pairs (not from the training generator) are right."""
    from shapesim.doodles import doodle, doodle_pairs

    predictor = Predictor.from_pretrained(device="cpu")  # the bundled checkpoint
    rng = np.random.default_rng(5)
    circle_a, square_b = doodle("circle", rng), doodle("square", rng)
    assert not predictor.compare(circle_a, square_b).same
    small_red = Image.new("RGB", (400, 300), (250, 245, 235))
    ImageDraw.Draw(small_red).ellipse((250, 40, 330, 115), outline=(200, 30, 30), width=4)
    assert predictor.compare(circle_a, small_red).same
    a, b, labels, _ = doodle_pairs(40, seed=11, named=("circle", "square", "triangle", "star", "heart"))
    right = [c.same == bool(y) for c, y in zip(predictor.compare_batch(a, b), labels, strict=True)]
    assert np.mean(right) >= 0.9


def test_a_batch_longer_than_a_chunk_answers_each_pair_as_alone(predictor):
    pairs = [(circle(box=(20 + 5 * i, 30, 160 + 3 * i, 170)), square()) for i in range(CHUNK + 3)]
    batch = predictor.compare_batch([a for a, _ in pairs], [b for _, b in pairs])
    assert len(batch) == CHUNK + 3
    for (a, b), got in zip(pairs, batch, strict=True):
        alone = predictor.compare(a, b)
        assert got.probability == pytest.approx(alone.probability, abs=1e-5)
        assert np.allclose(got.embedding_a, alone.embedding_a, atol=1e-5)
        assert np.allclose(got.heatmap_b, alone.heatmap_b, atol=1e-5)


@pytest.mark.parametrize(
    "framing",
    [Framing(40, 30, 120, 200, 300), Framing(-20, 30, 300, 280, 280), Framing(-5, -7, 40, 30, 20)],
)
def test_a_heatmap_is_the_gate_stretched_bilinearly_over_the_framed_square(framing):
    gate = torch.rand(1, 16, 16, generator=torch.Generator().manual_seed(0))
    heat = placed_map(gate, framing)
    assert heat.shape == (framing.height, framing.width) and heat.dtype == np.float32
    side, x0, y0 = int(framing.side), int(framing.left), int(framing.top)
    stretched = F.interpolate(gate[None], size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()
    ys, xs = np.mgrid[0 : framing.height, 0 : framing.width]
    inside = (ys >= y0) & (ys < y0 + side) & (xs >= x0) & (xs < x0 + side)
    assert np.allclose(heat[inside], stretched[ys[inside] - y0, xs[inside] - x0], atol=1e-5)
    assert np.allclose(heat[~inside], gate.min().item())  # outside the square: the least attention


def test_heatmaps_are_made_when_first_read(predictor):
    c = predictor.compare(circle(), square())
    assert "heatmap_a" not in vars(c)  # not made yet
    first = c.heatmap_a
    assert c.heatmap_a is first  # made once


def test_a_comparison_draws_its_own_overlays_from_the_pictures_it_read(predictor):
    img = circle()
    c = predictor.compare(img, square())
    framing = predictor.prepare(img)[1]
    assert np.array_equal(c.overlay_a, overlay(img, c.heatmap_a, framing))
    assert c.overlay_b.shape == (256, 256, 3) and c.overlay_b.dtype == np.uint8
    assert c.overlay_a is c.overlay_a  # made once


def test_a_design_without_maps_shows_the_pictures_as_they_are(tmp_path):
    from shapesim.models import ConcatModel

    torch.manual_seed(0)
    ConcatModel(hidden=8).save_pretrained(tmp_path)
    c = Predictor.from_pretrained(str(tmp_path), device="cpu").compare(circle(), square())
    assert c.heatmap_a is None and c.similarity is None and c.embedding_a is None
    assert np.array_equal(c.overlay_a, np.asarray(circle()))
    assert (c.overlay_b[0, 0] == 255).all()  # the transparent corner as white paper


def test_weights_that_cannot_be_loaded_fall_back_to_the_bundle_when_asked(weights, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((weights / "config.json").read_text())
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        Predictor.from_pretrained(str(broken), device="cpu")
    p = Predictor.from_pretrained(str(broken), device="cpu", fallback=True)
    assert p.source.kind == "bundled" and "could not be loaded" in p.weights


def test_swapping_two_pictures_gives_the_very_same_numbers(predictor):
    a, b = circle(), square()
    ab, ba = predictor.compare(a, b), predictor.compare(b, a)
    assert (ab.probability, ab.similarity) == (ba.probability, ba.similarity)
    assert np.array_equal(ab.heatmap_a, ba.heatmap_b) and np.array_equal(ab.embedding_a, ba.embedding_b)
    batch = predictor.compare_batch([a, b, a], [b, a, a])
    assert batch[0].probability == batch[1].probability == ab.probability


def test_a_close_up_shows_the_square_the_model_saw(predictor):
    from PIL import Image

    wide = Image.new("RGB", (640, 480), "white")
    wide.paste(Image.new("RGB", (40, 40), "black"), (500, 60))  # a small square far off the middle
    close = predictor.compare(wide, square()).close_up(0).mean(axis=2)
    assert close.shape == (280, 280)
    middle, corner = close[100:180, 100:180].mean(), close[:30, :30].mean()
    assert middle < corner - 40  # the square fills the middle of the close-up, not a speck in a wide picture


def test_the_predictor_brings_its_own_map_only_when_it_fits(predictor, weights):
    assert predictor.atlas is None  # these weights came without one
    bundled = Predictor.from_pretrained(device="cpu")
    assert bundled.atlas is not None and bundled.atlas.dim == bundled.embedding_dim


def flat(kind: str, fg, bg, size=(200, 160)) -> Image.Image:
    img = Image.new("RGB", size, bg)
    box = (50, 30, 150, 130)
    (ImageDraw.Draw(img).ellipse if kind == "circle" else ImageDraw.Draw(img).rectangle)(box, fill=fg)
    return img


RED_ON_PURPLE = ((220, 30, 30), (150, 60, 150))  # nearly the same brightness: only the hue tells them apart
GREEN_ON_GREY = ((40, 160, 40), (128, 128, 128))


def test_shapes_of_their_grounds_brightness_are_answered_not_refused(predictor, tmp_path):
    c = predictor.compare(flat("circle", *RED_ON_PURPLE), flat("square", *GREEN_ON_GREY))
    assert 0 <= c.probability <= 1 and c.heatmap_a.shape == (160, 200)
    flat("circle", *RED_ON_PURPLE).save(tmp_path / "a.png")
    flat("circle", *GREEN_ON_GREY).save(tmp_path / "b.png")
    run = subprocess.run(
        [sys.executable, "-m", "shapesim", "predict", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--json"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert 0 <= json.loads(run.stdout)["probability"] <= 1


@pytest.mark.parametrize("picture", [flat("circle", (129, 129, 129), (128, 128, 128)), flat("square", "teal", "teal")])
def test_a_shape_nobody_could_see_is_refused_as_blank(predictor, picture):
    with pytest.raises(ValueError, match="nothing is drawn"):
        predictor.compare(picture, circle())


def test_an_overlay_colours_only_the_square_the_model_saw():
    """No dark band: outside the framed square the picture is as it was; the square's edge is drawn."""
    img = circle(size=(400, 200), box=(20, 20, 120, 120))  # a small circle far to the left of a wide picture
    framing = Framing(left=0, top=0, side=150, height=200, width=400)
    heat = np.random.default_rng(0).random((200, 400)).astype(np.float32)
    out = overlay(img, heat, framing)
    picture = np.asarray(img)
    assert np.array_equal(out[:, 160:], picture[:, 160:])  # right of the square: untouched
    assert not np.array_equal(out[10:140, 10:140], picture[10:140, 10:140])  # inside: coloured
    assert (out[60, 149] == 255).all()  # the square's edge


def test_the_bundled_model_answers_every_example_of_the_app_as_a_person_would():
    from pathlib import Path

    from shapesim.doodles import EXAMPLE_ANSWERS

    folder = Path(__file__).resolve().parent.parent / "assets" / "examples"
    assert sorted(EXAMPLE_ANSWERS) == sorted(p.name[:-6] for p in folder.glob("*_a.png"))
    bundled = Predictor.from_pretrained(device="cpu")
    wrong = {
        name: round(c.probability, 3)
        for name, same in EXAMPLE_ANSWERS.items()
        if (c := bundled.compare(folder / f"{name}_a.png", folder / f"{name}_b.png")).same != same
    }
    assert wrong == {}


@pytest.fixture(scope="module")
def upright():
    return overlap_predictor()


@pytest.mark.parametrize(
    "made, said",
    [
        (lambda f: f.transpose(Image.FLIP_LEFT_RIGHT), "mirrored left to right"),
        (lambda f: f.rotate(-90), "turned 90° clockwise"),
        (lambda f: f.rotate(180), "turned 180°"),
        (lambda f: f.transpose(Image.TRANSPOSE), "mirrored across the \\ diagonal"),
    ],
)
def test_a_turned_copy_is_the_same_shape_turned_and_says_how(upright, made, said):
    f = letter_f()
    copy = made(f)
    c = upright.compare(f, copy)
    assert c.same and c.turned == said and c.as_dict()["turned"] == said
    assert not upright.compare(f, copy, turns=False).same  # strict: an F turned is not an F
    back = upright.compare(copy, f)  # the other way round: the same numbers, the opposite turn
    assert back.probability == c.probability and back.same
    assert upright.compare(f, f).turned is None and upright.compare(f, f).same


def test_the_turned_pictures_heatmap_is_shown_the_way_it_is_drawn(upright):
    f = letter_f()
    copy = f.rotate(-90)
    c = upright.compare(f, copy)
    ink = np.asarray(copy.convert("L")) < 128
    heat = c.heatmap_b
    assert heat[ink].mean() > heat[~ink].mean() + 0.1  # the map lies on the copy's own ink


def test_a_model_that_never_learned_orientation_is_not_searched(predictor):
    f = letter_f()
    assert not predictor.searches() and predictor.compare(f, f.transpose(Image.FLIP_LEFT_RIGHT)).turned is None


def test_probabilities_of_every_pair_equal_each_compare(predictor, upright):
    pictures = [circle(), square(), letter_f()]
    for p in (predictor, upright):
        grid = p.probabilities(pictures, pictures[::-1], turns=False)
        assert grid.shape == (3, 3)
        for i in range(3):
            for j in range(3):
                got = p.compare(pictures[i], pictures[::-1][j], turns=False).probability
                assert grid[i, j] == pytest.approx(got, abs=1e-4)
