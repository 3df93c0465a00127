import time

import pytest
import torch
from conftest import HUB_PORT
from hubstub import HubStub

from shapesim import hub
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A small model's files, as a repo would hold them."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=8).save_pretrained(folder)
    return {name: (folder / name).read_bytes() for name in ("config.json", "model.safetensors")}


@pytest.fixture(autouse=True)
def bundled(tmp_path, monkeypatch, weights):
    """A stand-in for checkpoints/, so the fallback is tested without the real bundle."""
    for name, data in weights.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(hub, "BUNDLED", tmp_path)
    return tmp_path


def unique(name: str) -> str:
    return f"tester/{name}-{time.time_ns()}"  # a fresh repo id: nothing cached from other tests


def test_download_then_cached_when_the_hub_is_gone(weights):
    repo = unique("shapes")
    with HubStub(HUB_PORT, {repo: weights}) as stub:
        first = hub.resolve(repo)
    assert first.kind == "hub" and first.name == repo and first.commit == stub.commit
    assert (first.path / "model.safetensors").read_bytes() == weights["model.safetensors"]
    assert any("model.safetensors" in r for r in stub.requests)
    second = hub.resolve(repo)  # the server is stopped now
    assert second.kind == "hub" and second.path == first.path
    assert "Hugging Face Hub repo" in second.describe()


def test_a_revision_can_be_named(weights):
    repo = unique("rev")
    with HubStub(HUB_PORT, {repo: weights}) as stub:
        src = hub.resolve(f"{repo}@{stub.commit}")
    assert src.kind == "hub" and src.revision == stub.commit


def test_a_missing_repo_falls_back_with_the_reason(weights, bundled):
    with HubStub(HUB_PORT, {"someone/else": weights}):
        src = hub.resolve(unique("missing"))
    assert src.kind == "bundled" and src.path == bundled
    assert "was not found on the Hub" in src.fallback_reason
    assert "the Hub was not used" in src.describe()


def unavailable(reason: str) -> bool:
    return "could not be reached" in reason or "did not answer" in reason


def test_a_server_error_falls_back(weights):
    started = time.monotonic()
    with HubStub(HUB_PORT, {}, mode="500"):
        src = hub.resolve(unique("broken"), timeout=2)
    assert src.kind == "bundled" and unavailable(src.fallback_reason)
    assert time.monotonic() - started < 10  # the client's own retries would take 20 s and more


def test_a_hanging_hub_falls_back_in_bounded_time(weights):
    started = time.monotonic()
    with HubStub(HUB_PORT, {}, mode="hang"):
        src = hub.resolve(unique("slow"), timeout=1)
    assert src.kind == "bundled" and unavailable(src.fallback_reason)
    assert time.monotonic() - started < 10


def test_a_download_cut_off_half_way_is_not_used(weights):
    repo = unique("cut")
    with HubStub(HUB_PORT, {repo: weights}, mode="drop"):
        src = hub.resolve(repo, timeout=2)
    assert src.kind == "bundled" and unavailable(src.fallback_reason)


def test_no_server_at_all_falls_back():
    src = hub.resolve(unique("offline"), timeout=1)
    assert src.kind == "bundled" and "nothing is cached" in src.fallback_reason


def test_offline_mode_uses_the_cache_and_only_the_cache(weights, monkeypatch):
    repo = unique("offline-cache")
    with HubStub(HUB_PORT, {repo: weights}):
        hub.resolve(repo)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with HubStub(HUB_PORT, {repo: weights}) as stub:
        assert hub.resolve(repo).kind == "hub"
        assert hub.resolve(unique("never-seen")).kind == "bundled"
    assert not [r for r in stub.requests if "offline-cache" in r or "never-seen" in r]  # offline: no request


def test_a_corrupt_model_from_the_hub_is_refused_with_the_file_named(weights):
    repo = unique("corrupt")
    bad = {**weights, "model.safetensors": b"\x00" * 64 + b"definitely not safetensors"}
    with HubStub(HUB_PORT, {repo: bad}):
        with pytest.raises(ValueError, match="model.safetensors is not a readable safetensors file"):
            Predictor.from_pretrained(repo)


def test_the_environment_variable_and_folders(weights, tmp_path, monkeypatch, bundled):
    assert hub.resolve().kind == "bundled"
    monkeypatch.setenv("SHAPESIM_WEIGHTS", str(bundled))
    src = hub.resolve()
    assert src.kind == "folder" and src.path == bundled
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="has no model.safetensors"):
        hub.resolve(empty)


@pytest.mark.parametrize("text", ["not a repo", "a/b/c", "user/", "../etc/passwd", "user/na me"])
def test_names_that_are_neither_folder_nor_repo_id(text):
    with pytest.raises(ValueError, match="neither an existing folder nor a Hub repo id"):
        hub.resolve(text)
