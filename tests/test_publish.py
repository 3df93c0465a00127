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
