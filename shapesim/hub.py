"""Where the weights come from: a local folder, a Hugging Face Hub repo, or the bundled checkpoint.

:func:`resolve` always returns a folder holding ``config.json`` and
``model.safetensors`` together with a record of where it came from and, when
the Hub could not be used, why. It never hangs (every request has a timeout)
and never raises for an unreachable Hub: it falls back to the bundled
checkpoint and says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from .weights import WeightsFolder

__all__ = ["BUNDLED", "WeightsSource", "bundled", "resolve", "parse_repo_id"]

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent.parent / "checkpoints"
ENV_VAR = "SHAPESIM_WEIGHTS"
TIMEOUT_S = 8.0  # per request; the whole download gets twice that
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

    @property
    def folder(self) -> WeightsFolder:
        return WeightsFolder(self.path)

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


def bundled(reason: str | None = None) -> WeightsSource:
    """The checkpoint that ships with shapesim (``checkpoints/``); ``reason`` says why it is used instead of
    the weights asked for."""
    if not WeightsFolder(BUNDLED).has_weights:
        raise FileNotFoundError(f"the bundled checkpoint is missing: {BUNDLED / WeightsFolder.WEIGHTS}")
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
        return bundled()
    path = Path(source).expanduser()
    if path.is_dir():
        if not WeightsFolder(path).has_weights:
            raise FileNotFoundError(f"{path} has no {WeightsFolder.WEIGHTS}")
        return WeightsSource(path, "folder", str(source))
    repo_id, revision = parse_repo_id(str(source))
    return _from_hub(repo_id, revision, timeout)


def _download(repo_id: str, revision: str | None, timeout: float) -> Path:
    """Fetch the weights files of a repo into the Hub cache; returns the snapshot folder.

    One quick request first tells whether the Hub answers at all. If it does
    not (or ``HF_HUB_OFFLINE`` is set), every file comes from the cache or not
    at all, so a dead Hub costs one timeout rather than the client's retries.
    """
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import (
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    online = not constants.HF_HUB_OFFLINE
    if online:
        try:
            get_hf_file_metadata(hf_hub_url(repo_id, WeightsFolder.CONFIG, revision=revision), timeout=timeout)
        except (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError):
            raise
        except Exception as err:
            log.warning("the Hub does not answer for %s (%s); looking in the cache", repo_id, _reason(err))
            online = False
    old = constants.HF_HUB_DOWNLOAD_TIMEOUT
    constants.HF_HUB_DOWNLOAD_TIMEOUT = max(1, int(timeout))
    try:

        def fetch(name: str) -> Path:
            return Path(
                hf_hub_download(repo_id, name, revision=revision, etag_timeout=timeout, local_files_only=not online)
            )

        fetch(WeightsFolder.CONFIG)
        folder = fetch(WeightsFolder.WEIGHTS).parent
        for name in WeightsFolder.PUBLISHED:
            if name not in (WeightsFolder.CONFIG, WeightsFolder.WEIGHTS):
                with contextlib.suppress(RemoteEntryNotFoundError, FileNotFoundError):
                    fetch(name)
        return folder
    finally:
        constants.HF_HUB_DOWNLOAD_TIMEOUT = old


def _from_hub(repo_id: str, revision: str | None, timeout: float) -> WeightsSource:
    from huggingface_hub.errors import (
        LocalEntryNotFoundError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    name = f"{repo_id}@{revision}" if revision else repo_id
    # The client retries failed requests with back-off; a deadline on the whole
    # download keeps a sick Hub from holding up the caller (an app starting up).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapesim-hub")
    job = pool.submit(_download, repo_id, revision, timeout)
    pool.shutdown(wait=False)
    try:
        folder = job.result(timeout=timeout * 2)
    except FutureTimeout:
        return bundled(f"the Hub did not answer for {name} within {timeout * 2:.0f} s")
    except RevisionNotFoundError:
        return bundled(f"{name}: no such revision on the Hub")
    except RepositoryNotFoundError:
        return bundled(f"{name} was not found on the Hub (or it is private)")
    except LocalEntryNotFoundError as err:  # offline or unreachable, and not in the cache
        return bundled(f"the Hub could not be reached for {name} and nothing is cached ({_reason(err)})")
    except RemoteEntryNotFoundError:
        return bundled(f"{name} has no config.json and model.safetensors")
    except Exception as err:  # 5xx, a cut connection, a bad answer
        return bundled(f"the Hub could not be reached for {name} ({_reason(err)})")
    return WeightsSource(folder, "hub", repo_id, revision=revision, commit=folder.name)


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__
