"""Security: nothing is unpickled; a request cannot make the app read or serve files outside its folders."""

import ast
from pathlib import Path

import httpx
import pytest
import torch
from conftest import serve

import app
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "shapesim").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")])
PICKLERS = {"pickle", "cPickle", "_pickle", "dill", "joblib", "cloudpickle", "shelve", "marshal"}


def calls(tree: ast.AST, name: str):
    """Calls of ``something.name(...)`` or ``name(...)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == name) or (isinstance(f, ast.Name) and f.id == name):
                yield node


def keyword(call: ast.Call, name: str):
    return next((k.value.value for k in call.keywords if k.arg == name and isinstance(k.value, ast.Constant)), None)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_is_ever_unpickled(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & PICKLERS, f"{path}:{node.lineno} imports a pickler"
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in PICKLERS, f"{path}:{node.lineno} imports a pickler"
    for call in calls(tree, "load"):
        owner = (
            call.func.value.id if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) else ""
        )
        if owner == "torch":
            assert keyword(call, "weights_only") is True, f"{path}:{call.lineno} torch.load without weights_only=True"
        if owner in ("np", "numpy"):
            assert keyword(call, "allow_pickle") is False, f"{path}:{call.lineno} np.load without allow_pickle=False"
    for name in ("allow_pickle", "weights_only"):
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and keyword(call, name) is (name == "allow_pickle"):
                raise AssertionError(f"{path}:{call.lineno} {name}={name == 'allow_pickle'}")


def test_the_scan_would_catch_a_pickle(tmp_path):
    """The scan above, on code that does what it forbids."""
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nx = torch.load('m.pt')\n")
    with pytest.raises(AssertionError, match="weights_only"):
        test_nothing_is_ever_unpickled(bad)
    bad.write_text("import numpy as np\nx = np.load('a.npz', allow_pickle=True)\n")
    with pytest.raises(AssertionError, match="allow_pickle"):
        test_nothing_is_ever_unpickled(bad)
    bad.write_text("from pickle import loads\n")
    with pytest.raises(AssertionError, match="pickler"):
        test_nothing_is_ever_unpickled(bad)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("w")
    AGFusionModel(embedding_dim=8).save_pretrained(folder)
    demo = app.build(Predictor.from_pretrained(str(folder), device="cpu"), None)
    yield serve(demo)
    demo.close()


SECRETS = ["/etc/passwd", str(ROOT / "app.py"), str(ROOT / "checkpoints" / "model.safetensors")]


def raw_call(url: str, api_name: str, data: list) -> str:
    """A request sent over plain HTTP (gradio's /call API), as a hostile script would: no client-side upload."""
    event = httpx.post(f"{url}gradio_api/call/{api_name}", json={"data": data}, timeout=30).json()["event_id"]
    with httpx.stream("GET", f"{url}gradio_api/call/{api_name}/{event}", timeout=60) as answer:
        return "".join(answer.iter_text())


@pytest.mark.parametrize("path", SECRETS)
def test_a_request_cannot_name_a_file_outside_the_upload_cache(url, path, tmp_path):
    """A crafted request that names a server file instead of uploading one is refused before any handler."""
    forged = {"path": path, "meta": {"_type": "gradio.FileData"}}
    answer = raw_call(url, "compare", [forged, forged, None, True])  # the model chosen (session state), turns
    assert "event: error" in answer and "not uploaded by a user" in answer, answer
    # the same request with a real upload is answered, so the refusal was about the path
    good = tmp_path / "square.png"
    from badfiles import drawing

    drawing(shape="square").save(good)
    uploaded = httpx.post(f"{url}gradio_api/upload", files={"files": good.open("rb")}).json()[0]
    real = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    answer = raw_call(url, "compare", [real, real, None, True])
    assert "event: complete" in answer, answer


@pytest.mark.parametrize("path", SECRETS + [str(ROOT / "README.md"), str(ROOT / "shapesim" / "model.py")])
def test_only_assets_are_served(url, path):
    assert httpx.get(f"{url}gradio_api/file={path}").status_code in (403, 404)


def test_assets_are_served(url):
    picture = next((ROOT / "assets").glob("*.png"))
    answer = httpx.get(f"{url}gradio_api/file={picture}")
    assert answer.status_code == 200 and answer.content == picture.read_bytes()
