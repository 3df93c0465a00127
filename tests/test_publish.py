"""Publishing a weights folder to the Hub, against the local Hub stub."""

import time

import pytest
import torch
from conftest import HUB_PORT
from hubstub import HubStub

from shapesim import hub
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor
from shapesim.publish import push


@pytest.fixture
def folder(tmp_path):
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=8).save_pretrained(tmp_path)
    (tmp_path / "last.safetensors").write_bytes(b"resume state: never published")
    return tmp_path


def test_push_publishes_weights_and_card_and_they_load_back(folder, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_TOKEN", "hf_test_token_not_real")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    repo = f"tester/published-{time.time_ns()}"
    with HubStub(HUB_PORT, {}) as stub:
        url = push(folder, repo)
        assert stub.commit in url
        files = stub.repos[repo]
        assert {"config.json", "model.safetensors", "README.md"} <= set(files)
        assert "last.safetensors" not in files
        assert files["model.safetensors"] == (folder / "model.safetensors").read_bytes()
        assert b"library_name: shapesim" in files["README.md"]
        src = hub.resolve(repo)
    assert src.kind == "hub"
    assert Predictor.from_pretrained(repo).source.kind == "hub"  # cached now, the stub is gone


def test_push_refuses_a_folder_without_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model.safetensors to publish"):
        push(tmp_path, "tester/nothing")


def test_a_space_gets_what_the_app_needs_binary_files_as_large_files(monkeypatch, tmp_path):
    from huggingface_hub import constants

    from shapesim.cli import main
    from shapesim.publish import ROOT

    monkeypatch.setenv("HF_TOKEN", "hf_test_token_not_real")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    repo = f"tester/space-{time.time_ns()}"
    with HubStub(HUB_PORT, {}) as stub:
        assert main(["space", "--repo-id", repo]) == 0
    assert stub.created[repo]["type"] == "space" and stub.created[repo]["sdk"] == "gradio"
    files, how = stub.repos[repo], stub.stored_as[repo]
    for needed in ("app.py", "requirements.txt", "README.md", "shapesim/predict.py", "shapesim/models/base.py",
                   "checkpoints/model.safetensors", "checkpoints/config.json", "assets/app.png"):  # fmt: skip
        assert needed in files, needed
    assert files["checkpoints/model.safetensors"] == (ROOT / "checkpoints/model.safetensors").read_bytes()
    assert not [f for f in files if f.startswith(("tests/", "benchmarks/", "checkpoints/variants/", ".ci/"))]
    assert how["checkpoints/model.safetensors"] == how["assets/app.png"] == "lfs"  # binary: large-file storage
    assert how["app.py"] == how["README.md"] == "regular"
    assert files["README.md"].startswith(b"---\ntitle: shapesim")


def test_deploying_something_that_is_not_a_checkout_says_so(tmp_path):
    from shapesim.publish import deploy_space

    with pytest.raises(FileNotFoundError, match="not a shapesim checkout"):
        deploy_space("tester/nothing", root=tmp_path)
