"""Where the weights come from: a local folder, a Hugging Face Hub repo, or the bundled checkpoint.

:func:`resolve` always returns a folder holding ``config.json`` and
``model.safetensors`` together with a record of where it came from and, when
the Hub could not be used, why. It never hangs (every request has a timeout)
and never raises for an unreachable Hub: it falls back to the bundled
checkpoint and says so.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BUNDLED", "WeightsSource", "resolve", "parse_repo_id", "push"]

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent.parent / "checkpoints"
ENV_VAR = "SHAPESIM_WEIGHTS"
FILES = [
    "config.json",
    "model.safetensors",
    "atlas.npz",
    "train_config.json",
    "eval.json",
    "metrics.jsonl",
    "README.md",
]
TIMEOUT_S = 10.0
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class WeightsSource:
    """A resolved weights folder and its provenance."""

    path: Path  # local folder with config.json and model.safetensors
    kind: str  # "folder", "hub" or "bundled"
    name: str  # the folder as given, or the repo id
    revision: str | None = None  # the Hub revision asked for (None: the default branch)
    commit: str | None = None  # the commit actually downloaded, when known
    fallback_reason: str | None = None  # why the Hub was not used, when it was asked for

    def describe(self) -> str:
        if self.kind == "hub":
            rev = f"@{self.revision}" if self.revision else ""
            at = f" (commit {self.commit[:10]})" if self.commit else ""
            return f"Hugging Face Hub repo {self.name}{rev}{at}"
        if self.kind == "folder":
            return f"local folder {self.name}"
        text = f"bundled checkpoint ({self.path})"
        return f"{text}; the Hub was not used: {self.fallback_reason}" if self.fallback_reason else text


def parse_repo_id(text: str) -> tuple[str, str | None]:
    """``"user/name@rev"`` → ``("user/name", "rev")``; raises ValueError for anything else."""
    repo, _, revision = text.partition("@")
    if not _REPO_ID.match(repo) or "--" in repo or ".." in repo:
        raise ValueError(
            f"{text!r} is neither an existing folder nor a Hub repo id like 'user/name' or 'user/name@revision'"
        )
    return repo, revision or None


def _bundled(reason: str | None = None) -> WeightsSource:
    if not (BUNDLED / "model.safetensors").is_file():
        raise FileNotFoundError(f"the bundled checkpoint is missing: {BUNDLED / 'model.safetensors'}")
    if reason:
        log.warning("using the bundled checkpoint: %s", reason)
    return WeightsSource(BUNDLED, "bundled", str(BUNDLED), fallback_reason=reason)


def resolve(source: str | os.PathLike | None = None, timeout: float = TIMEOUT_S) -> WeightsSource:
    """Find the weights named by ``source``.

    ``None`` means the ``SHAPESIM_WEIGHTS`` environment variable if set, else
    the bundled checkpoint. An existing folder is used as it is. Anything else
    must be a Hub repo id (``user/name`` or ``user/name@revision``): it is
    downloaded (or read from the cache when offline or unreachable), and when
    that fails the bundled checkpoint is used with the reason recorded.
    """
    if source is None:
        source = os.environ.get(ENV_VAR) or None
    if source is None:
        return _bundled()
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "model.safetensors").is_file():
            raise FileNotFoundError(f"{path} has no model.safetensors")
        return WeightsSource(path, "folder", str(source))
    repo_id, revision = parse_repo_id(str(source))
    return _from_hub(repo_id, revision, timeout)


def _from_hub(repo_id: str, revision: str | None, timeout: float) -> WeightsSource:
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    old = constants.HF_HUB_DOWNLOAD_TIMEOUT
    constants.HF_HUB_DOWNLOAD_TIMEOUT = int(max(1, timeout))
    try:
        try:
            folder = snapshot_download(repo_id, revision=revision, allow_patterns=FILES, etag_timeout=timeout)
        except (RepositoryNotFoundError, RevisionNotFoundError) as err:
            return _bundled(
                f"{repo_id}{'@' + revision if revision else ''} was not found on the Hub ({type(err).__name__})"
            )
        except Exception as err:  # unreachable, timed out, 5xx, offline: try the cache
            try:
                folder = snapshot_download(repo_id, revision=revision, allow_patterns=FILES, local_files_only=True)
                log.warning("the Hub could not be reached (%s); using the cached copy of %s", _reason(err), repo_id)
            except Exception:
                return _bundled(f"the Hub could not be reached for {repo_id} and nothing is cached ({_reason(err)})")
    finally:
        constants.HF_HUB_DOWNLOAD_TIMEOUT = old
    folder = Path(folder)
    if not (folder / "model.safetensors").is_file():
        return _bundled(f"{repo_id} has no model.safetensors")
    return WeightsSource(folder, "hub", repo_id, revision=revision, commit=folder.name)


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__


def push(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Publish a weights folder (weights, config, atlas, metrics and its model card) to a Hub model repo.

    Returns the URL of the commit.
    """
    from huggingface_hub import HfApi

    from .card import write_model_card

    folder = Path(folder)
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder} has no model.safetensors to publish")
    write_model_card(folder)
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    info = api.upload_folder(
        folder_path=str(folder),
        repo_id=repo_id,
        repo_type="model",
        allow_patterns=FILES,
        commit_message="Upload shapesim weights",
    )
    return str(getattr(info, "commit_url", info))
