"""The app through gradio_client against a running server (what it shows is tested in test_answers.py)."""

import ssl

import numpy as np
import pytest
from conftest import serve
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw
from test_ui_answers import drawing

import app


@pytest.fixture(scope="module")
def atlas():
    from test_ui_answers import small_atlas

    return small_atlas()


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
    return handle_file(str(path))


def test_client_compares_two_pngs(client, tmp_path):
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    verdict, similarity, heat_a, heat_b = client.predict(a, b, api_name="/compare")
    assert verdict["label"] in ("same shape", "different shapes")
    assert {c["label"] for c in verdict["confidences"]} == {"same shape", "different shapes"}
    assert isinstance(similarity, float) and -1 <= similarity <= 1  # a number, for scripts
    for heat in (heat_a, heat_b):
        assert Image.open(heat).size == (280, 280)  # the square the model saw, close up
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

    with caplog.at_level("INFO", logger="shapesim.ui.answers"):
        with pytest.raises(AppError, match="Picture A is empty"):
            client.predict(None, _upload(tmp_path, "b.png", drawing("square")), api_name="/compare")
    assert "Traceback" not in capfd.readouterr().err  # a user's mistake is not a server error
    logged = [r.getMessage() for r in caplog.records if r.name == "shapesim.ui.answers"]
    assert logged[-1].startswith("refused: Picture A")
    # and the server keeps serving
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    assert client.predict(a, b, api_name="/compare")[0]["label"]


def test_client_random_pair_and_atlas(client):
    first = client.predict("sketch", api_name="/random_pair")  # the counter is session state
    again = client.predict("sketch", api_name="/random_pair")
    notes = [next(x for x in out if isinstance(x, str) and "preset `sketch`" in x) for out in (first, again)]
    assert notes[0] != notes[1]  # another pair each time
    verdict = next(x["value"] for x in first if isinstance(x, dict) and "confidences" in str(x.get("value")))
    assert verdict["label"] in ("same shape", "different shapes")  # answered in the same request
    data = client.predict(api_name="/atlas")
    assert set(data) >= {"x", "y", "class"} and len(data["x"]) == 90


def test_client_switches_the_model_for_its_session_only(client, tmp_path):
    a, b = _upload(tmp_path, "a.png", drawing("circle")), _upload(tmp_path, "b.png", drawing("square"))
    other = Client(client.src, verbose=False)
    answer = other.predict("regionmatch", api_name="/choose_model")  # the card (states stay inside)
    assert "Hungarian" in str(answer)
    _, theirs, heat_a, _ = other.predict(a, b, api_name="/compare")
    _, mine, _, _ = client.predict(a, b, api_name="/compare")  # another session: still the first model
    _, again, _, _ = other.predict(a, b, api_name="/compare")
    assert theirs == again != mine  # each session its own model's answer


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
