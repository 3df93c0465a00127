"""Every odd file of badfiles.CASES, through the Predictor and through the running app.

A bad file gets a clear message that says what is wrong with it; a usable one
gets an answer; and the app answers the next good request normally.
"""

import re

import numpy as np
import pytest
from badfiles import CASES, drawing, write
from conftest import serve
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import app


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    good = folder / "good-square.png"
    drawing(shape="square").save(good)
    return folder, good


@pytest.mark.parametrize("name", list(CASES))
def test_predictor(predictor, files, name):
    folder, good = files
    path = write(folder, name)
    expected = CASES[name][1]
    if expected is None:
        result = predictor.compare(str(path), str(good))
        assert 0 <= result.probability <= 1
        assert result.heatmap_a.ndim == 2 and np.isfinite(result.heatmap_a).all()
    else:
        with pytest.raises(ValueError, match=expected) as err:
            predictor.compare(str(path), str(good))
        assert "Traceback" not in str(err.value)


@pytest.fixture(scope="module")
def client(predictor):
    demo = app.build(predictor, None)
    yield Client(serve(demo), verbose=False)
    demo.close()


def upload(path) -> dict:
    return handle_file(str(path))


@pytest.mark.parametrize("name", list(CASES))
def test_running_app(client, files, name):
    folder, good = files
    path = write(folder, name)
    expected = CASES[name][1]
    if expected is None:
        verdict, *_ = client.predict(upload(path), upload(good), api_name="/compare")
        assert verdict["label"] in ("same shape", "different shapes")
    else:
        with pytest.raises(AppError) as err:
            client.predict(upload(path), upload(good), api_name="/compare")
        message = str(err.value)
        assert re.search(expected, message), message
        assert "Traceback" not in message and "/tmp/" not in message  # no stack trace, no server paths
    # and the next good request is answered normally
    verdict, *_ = client.predict(upload(good), upload(good), api_name="/compare")
    assert verdict["label"] in ("same shape", "different shapes")
