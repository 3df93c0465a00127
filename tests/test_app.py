"""The app: handlers as plain functions, then through gradio_client against a running server."""

import ssl

import gradio as gr
import numpy as np
import pytest
from conftest import serve
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw

import app
from shapesim.atlas import Atlas
from shapesim.hub import WeightsSource
from shapesim.predict import Predictor, Predictors


@pytest.fixture(scope="module")
def atlas():
    rng = np.random.default_rng(0)
    n = 90
    emb = rng.normal(size=(n, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return Atlas(
        emb,
        rng.normal(size=(n, 2)).astype(np.float32),
        np.arange(n) % 9,
        np.arange(n) % 3,
        rng.integers(0, 255, (n, 32, 32)).astype(np.uint8),
        holdout=("arrow",),
    )


def drawing(kind: str, size=280) -> np.ndarray:
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    if kind == "circle":
        d.ellipse((70, 70, 210, 210), outline="black", width=6)
    else:
        d.rectangle((70, 70, 210, 210), outline="black", width=6)
    return np.asarray(img)


def editor(picture) -> dict:
    return {"background": picture, "layers": [], "composite": picture}


# ----------------------------------------------------------------------------- plain functions


def test_editor_picture_reads_composite_then_background():
    a, b = drawing("circle"), drawing("square")
    assert app.editor_picture({"background": a, "layers": [], "composite": b}) is b
    assert app.editor_picture({"background": a, "layers": [], "composite": None}) is a
    assert app.editor_picture({"background": None, "layers": [], "composite": None}) is None
    assert app.editor_picture(None) is None


def test_compare_gives_verdict_similarity_heatmaps_and_map_points(predictor, atlas):
    verdict, similarity, ha, hb, placed = app.compare(
        predictor, atlas, editor(drawing("circle")), editor(drawing("square"))
    )
    assert set(verdict) == {"same shape", "different shapes"}
    assert sum(verdict.values()) == pytest.approx(1.0)
    assert "Cosine similarity" in similarity
    assert ha.shape == hb.shape == (280, 280, 3) and ha.dtype == np.uint8
    assert [label for label, _ in placed] == ["your picture A", "your picture B"]
    assert app.editor_picture(None) is None


@pytest.mark.parametrize(
    "a, b, message",
    [
        (None, "square", "Picture A is empty"),
        ("circle", {"background": None, "layers": [], "composite": None}, "Picture B is empty"),  # untouched canvas
        ("blank", "square", "nothing is drawn"),  # a cleared canvas: white, touched
        ("tiny", "square", "too small"),
    ],
)
def test_bad_input_is_a_friendly_error(predictor, atlas, a, b, message):
    pictures = {
        "circle": editor(drawing("circle")),
        "square": editor(drawing("square")),
        "blank": editor(np.full((280, 280, 3), 255, np.uint8)),
        "tiny": editor(np.zeros((2, 2, 3), np.uint8)),
    }
    with pytest.raises(gr.Error, match=message):
        app.compare(
            predictor,
            atlas,
            pictures.get(a, a) if isinstance(a, str) else a,
            pictures.get(b, b) if isinstance(b, str) else b,
        )


def test_shown_puts_a_mistake_in_the_verdicts_place_and_clears_the_rest(predictor, atlas, caplog):
    verdict, message, similarity, ha, hb, placed = app.shown(predictor, atlas, None, editor(drawing("square")))
    assert verdict["visible"] is False and message["visible"] is True and "Picture A is empty" in message["value"]
    assert (similarity, ha, hb, placed) == ("", None, None, [])
    assert "Traceback" not in caplog.text  # a user's mistake is one line in the log
    verdict, message, *_ = app.shown(predictor, atlas, editor(drawing("circle")), editor(drawing("square")))
    assert verdict["visible"] is True and set(verdict["value"]) == {"same shape", "different shapes"}
    assert message["visible"] is False


def test_an_upload_is_read_by_shapesims_reader(tmp_path):
    Image.new("RGB", (400, 300), "navy").save(tmp_path / "wide.png")
    value, problem = app.uploaded(str(tmp_path / "wide.png"), "A")
    assert problem is None and value["composite"].shape == (300, 400, 3)  # at its own size, no letterbox
    (tmp_path / "notes.png").write_text("eggs, milk")
    value, problem = app.uploaded(str(tmp_path / "notes.png"), "B")
    assert value is None and problem.startswith("Picture B cannot be used") and "not a picture" in problem


def test_a_blank_sheet_is_where_drawing_starts():
    value = app.editor_value()
    assert value["background"].shape == (app.CANVAS, app.CANVAS, 3) and (value["background"] == 255).all()
    assert app.cleared()[0]["background"] is value["background"]


def test_find_similar_gives_the_nearest_reference_pictures(predictor, atlas):
    found = app.similar(predictor, atlas, editor(drawing("circle")), k=5)
    assert len(found) == 5 and found[0][0].shape == (32, 32, 3)
    sims = [float(caption.rsplit("·", 1)[1]) for _, caption in found]
    assert sims == sorted(sims, reverse=True)
    assert app.similar(predictor, None, editor(drawing("circle"))) == []
    assert app.similar(predictor, atlas, editor(np.full((280, 280, 3), 255, np.uint8))) == []  # nothing drawn


def test_random_pair_fills_both_editors_and_counts_on():
    a, b, note, counter = app.random_pair("shapes", 3)
    assert a["composite"].shape == (app.CANVAS, app.CANVAS, 3) and a["composite"].dtype == np.uint8
    assert counter == 4 and "preset `shapes`" in note
    again, _, _, _ = app.random_pair("shapes", 3)
    assert np.array_equal(again["composite"], a["composite"])


def test_model_card_says_where_the_weights_came_from(predictor):
    text = app.weights_summary(predictor)
    assert "local folder" in text and "attention gate" in text
    fallback = Predictor(
        predictor.model, WeightsSource(predictor.source.path, "bundled", "x", fallback_reason="Hub down")
    )
    assert "Hub down" in app.weights_summary(fallback)


def test_compare_with_a_design_without_maps_or_similarity(predictor, variants, atlas):
    concat = Predictors(predictor, variants).get("concat: concat")
    verdict, similarity, ha, hb, placed = app.compare(
        concat, atlas, editor(drawing("circle")), editor(drawing("square"))
    )
    assert sum(verdict.values()) == pytest.approx(1.0)
    assert "no similarity" in similarity and "no map" in similarity
    assert np.array_equal(ha, drawing("circle"))  # the picture as it is
    assert placed == []  # no embeddings: nothing to place on the map
    assert "`concat`" in app.weights_summary(concat) and "one CNN" in app.weights_summary(concat)


def test_examples_exist_and_come_in_pairs():
    ex = app.examples()
    assert len(ex) >= 8
    for a, b in ex:
        assert Image.open(a).size == Image.open(b).size


# ----------------------------------------------------------------------------- through a running server


@pytest.fixture(scope="module")
def client(predictor, atlas, variants):
    demo = app.build(predictor, atlas, variants)
    yield Client(serve(demo), verbose=False)
    demo.close()


def _upload(tmp_path, name, picture) -> dict:
    path = tmp_path / name
    Image.fromarray(picture).save(path)
    return {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path))}


def test_client_compares_two_pngs(client, tmp_path):
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    verdict, similarity, heat_a, heat_b = client.predict(a, b, api_name="/compare")
    assert verdict["label"] in ("same shape", "different shapes")
    assert {c["label"] for c in verdict["confidences"]} == {"same shape", "different shapes"}
    assert "Cosine similarity" in similarity
    for heat in (heat_a, heat_b):
        assert Image.open(heat).size == (280, 280)
    shown = client.predict(api_name="/map")  # the Map tab, in the same session: the pictures placed
    assert "your picture A" in str(shown) and "your picture B" in str(shown)


def test_a_client_with_one_tls_context_as_the_readme_shows(client, tmp_path):
    # httpx takes a ready SSLContext for `verify`; the README recommends it for scripts.
    shared = Client(client.src, verbose=False, ssl_verify=ssl.create_default_context())
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("circle"))
    verdict, _, heat_a, _ = shared.predict(a, b, api_name="/compare")
    assert verdict["label"] in ("same shape", "different shapes") and Image.open(heat_a).size == (280, 280)


def test_client_gets_a_friendly_error_for_an_empty_editor(client, tmp_path, capfd, caplog):
    from gradio_client.exceptions import AppError

    empty = {"background": None, "layers": [], "composite": None}
    with caplog.at_level("INFO", logger="shapesim.app"):
        with pytest.raises(AppError, match="Picture A is empty"):
            client.predict(empty, _upload(tmp_path, "b.png", drawing("square")), api_name="/compare")
    assert "Traceback" not in capfd.readouterr().err  # a user's mistake is not a server error
    assert [r.getMessage() for r in caplog.records if r.name == "shapesim.app"][-1].startswith("refused: Picture A")
    # and the server keeps serving
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    assert client.predict(a, b, api_name="/compare")[0]["label"]


def test_client_random_pair_and_atlas(client):
    a, b, note = client.predict("sketch", api_name="/random_pair")  # the counter is session state
    assert "preset `sketch`" in note
    assert Image.open(a["composite"]).size == (app.CANVAS, app.CANVAS)
    a2, _, _ = client.predict("sketch", api_name="/random_pair")
    assert not np.array_equal(np.asarray(Image.open(a["composite"])), np.asarray(Image.open(a2["composite"])))
    data = client.predict(api_name="/atlas")
    assert set(data) >= {"x", "y", "class"} and len(data["x"]) == 90


def test_client_switches_the_model_for_its_session_only(client, tmp_path):
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    other = Client(client.src, verbose=False)
    answer = other.predict("regionmatch: regionmatch", api_name="/choose_model")  # the card (states stay inside)
    assert "Hungarian" in str(answer)
    _, similarity, heat_a, _ = other.predict(a, b, api_name="/compare")
    assert "region matching" in similarity
    _, similarity, _, _ = client.predict(a, b, api_name="/compare")  # another session: still the first model
    assert "attention gate" in similarity


def test_client_finds_pictures_like_picture_a(client, tmp_path):
    found = client.predict(_upload(tmp_path, "a.png", drawing("circle")), api_name="/similar")
    assert len(found) == 24 and all("·" in item["caption"] for item in found)


def test_client_answers_red_on_purple(client, tmp_path):
    """A red circle on purple is nearly as bright as its ground: answered by its colour, not refused."""
    pictures = []
    for name, fg, bg in (("a.png", (220, 30, 30), (150, 60, 150)), ("b.png", (40, 160, 40), (128, 128, 128))):
        img = Image.new("RGB", (240, 180), bg)
        ImageDraw.Draw(img).ellipse((60, 30, 180, 150), fill=fg)
        pictures.append(_upload(tmp_path, name, np.asarray(img)))
    verdict, *_ = client.predict(*pictures, api_name="/compare")
    assert verdict["label"] in ("same shape", "different shapes")
