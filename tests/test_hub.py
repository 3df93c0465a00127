import contextlib
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


def unavailable(reason: str) -> bool:
    return "could not be reached" in reason or "did not answer" in reason


@pytest.mark.parametrize(
    "mode, repos, timeout, reason",
    [
        ("ok", {"someone/else"}, 8, "was not found on the Hub"),
        ("500", set(), 2, "could not be reached"),
        ("hang", set(), 1, "could not be reached|did not answer"),
        ("drop", {"REPO"}, 2, "could not be reached|did not answer"),
        (None, set(), 1, "could not be reached .* nothing is cached"),
        ("ok", {"REPO:no-weights"}, 8, "has no config.json and model.safetensors"),
    ],
    ids=["missing-repo", "server-error", "hanging", "cut-half-way", "no-server", "no-weights-in-repo"],
)
def test_weights_asked_for_by_name_are_had_or_refused_with_the_reason(weights, bundled, mode, repos, timeout, reason):
    """Never silently replaced: without ``fallback`` the reason is an error; with it, the bundle says it."""
    repo = unique(str(mode))
    files = {
        repo if r.startswith("REPO") else r: ({"README.md": b"---\n---\n"} if r.endswith("no-weights") else weights)
        for r in repos
    }
    for fallback in (False, True):
        started = time.monotonic()
        with HubStub(HUB_PORT, files, mode=mode) if mode else contextlib.nullcontext():
            if fallback:
                src = hub.resolve(repo, timeout=timeout, fallback=True)
            else:
                with pytest.raises(hub.WeightsUnavailable, match=reason) as refused:
                    hub.resolve(repo, timeout=timeout)
        assert time.monotonic() - started < 4 * timeout + 2  # the client's own retries would take 20 s and more
    assert src.kind == "bundled" and src.path == bundled
    assert src.fallback_reason == str(refused.value)
    assert "the Hub was not used" in src.describe()


def test_offline_mode_uses_the_cache_and_only_the_cache(weights, monkeypatch):
    repo = unique("offline-cache")
    with HubStub(HUB_PORT, {repo: weights}):
        hub.resolve(repo)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with HubStub(HUB_PORT, {repo: weights}) as stub:
        assert hub.resolve(repo).kind == "hub"
        with pytest.raises(hub.WeightsUnavailable, match="nothing is cached"):
            hub.resolve(unique("never-seen"))
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
    # the default weights (the variable's) fall back when the Hub cannot give them, and say why
    monkeypatch.setenv("SHAPESIM_WEIGHTS", unique("configured"))
    src = hub.resolve(timeout=1)
    assert src.kind == "bundled" and "nothing is cached" in src.fallback_reason
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="has no model.safetensors"):
        hub.resolve(empty)


@pytest.mark.parametrize("text", ["not a repo", "a/b/c", "user/", "../etc/passwd", "user/na me"])
def test_names_that_are_neither_folder_nor_repo_id(text):
    with pytest.raises(ValueError, match="neither an existing folder nor a Hub repo id"):
        hub.resolve(text)


def test_a_file_is_not_a_weights_folder(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ValueError, match="is a file; weights are a folder"):
        hub.resolve(tmp_path / "model.safetensors")
