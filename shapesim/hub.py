"""Where the weights come from: a local folder, a Hugging Face Hub repo, or the bundled checkpoint.

:func:`resolve` always returns a folder holding ``config.json`` and
``model.safetensors`` together with a record of where it came from and, when
the Hub could not be used, why. It never hangs (every request has a timeout).
Weights named by the caller are had or refused with the reason; the default
weights fall back to the bundled checkpoint when the Hub cannot give them, and say so.
"""

from __future__ import annotations

import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from .weights import WeightsFolder

__all__ = ["BUNDLED", "WeightsSource", "WeightsUnavailable", "bundled", "resolve", "parse_repo_id"]

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# checkpoints/ of a checkout (an editable install too); an installed wheel holds it as shapesim/bundled
BUNDLED = next((p for p in (_HERE.parent / "checkpoints", _HERE / "bundled") if p.is_dir()), _HERE / "bundled")
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

    def describe(self, paths: bool = True) -> str:
        """Where the weights came from, in words; ``paths=False`` names no folder of this machine (for a
        page that strangers read), only the folder's own name."""
        if self.kind == "hub":
            rev = f"@{self.revision}" if self.revision else ""
            at = f" (commit {self.commit[:10]})" if self.commit else ""
            return f"Hugging Face Hub repo {self.name}{rev}{at}"
        if self.kind == "folder":
            return f"local folder {self.name if paths else Path(self.name).name}"
        text = f"bundled checkpoint ({self.path})" if paths else "bundled checkpoint"
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


class WeightsUnavailable(ValueError):
    """Weights that were asked for by name could not be had (the Hub's answer, or none, says why)."""


def resolve(
    source: str | os.PathLike | None = None, timeout: float = TIMEOUT_S, *, fallback: bool | None = None
) -> WeightsSource:
    """Find the weights named by ``source``.

    ``None`` means the ``SHAPESIM_WEIGHTS`` environment variable if set, else
    the bundled checkpoint. An existing folder is used as it is. Anything else
    must be a Hub repo id (``user/name`` or ``user/name@revision``): it is
    downloaded (or read from the cache when offline or unreachable). When that
    fails, ``fallback`` decides: the bundled checkpoint with the reason recorded,
    or :class:`WeightsUnavailable` with the reason. By default only the default
    weights fall back (``source`` None: an app must start); weights asked for by
    name are had or refused, never silently replaced.
    """
    fallback = source is None if fallback is None else fallback
    if source is None:
        source = os.environ.get(ENV_VAR) or None
    if source is None:
        return bundled()
    path = Path(source).expanduser()
    if path.is_dir():
        if not WeightsFolder(path).has_weights:
            raise FileNotFoundError(f"{path} has no {WeightsFolder.WEIGHTS}")
        return WeightsSource(path, "folder", str(source))
    if path.exists():
        raise ValueError(f"{path} is a file; weights are a folder (config.json, model.safetensors) or a Hub repo id")
    repo_id, revision = parse_repo_id(str(source))
    try:
        return _from_hub(repo_id, revision, timeout)
    except WeightsUnavailable as why:
        why = f"{source} is not a folder here, and as a Hub repo: {why}"
        if not fallback:
            raise WeightsUnavailable(why) from None
        return bundled(why)


def _download(repo_id: str, revision: str | None, timeout: float) -> Path:
    """The published files of a repo (:attr:`WeightsFolder.PUBLISHED`), fetched into the Hub cache or
    found there when the Hub cannot be reached (or ``HF_HUB_OFFLINE`` is set); the snapshot folder."""
    from huggingface_hub import snapshot_download

    folder = Path(
        snapshot_download(
            repo_id, revision=revision, allow_patterns=list(WeightsFolder.PUBLISHED), etag_timeout=timeout
        )
    )
    if not WeightsFolder(folder).has_weights or not (folder / WeightsFolder.CONFIG).is_file():
        raise FileNotFoundError(f"{WeightsFolder.CONFIG} and {WeightsFolder.WEIGHTS}")
    return folder


def _from_hub(repo_id: str, revision: str | None, timeout: float) -> WeightsSource:
    """The repo's snapshot, or :class:`WeightsUnavailable` saying why not."""
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    name = f"{repo_id}@{revision}" if revision else repo_id
    # The client retries failed requests with back-off; a deadline on the whole
    # download keeps a sick Hub from holding up the caller (an app starting up).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapesim-hub")
    job = pool.submit(_download, repo_id, revision, timeout)
    pool.shutdown(wait=False)
    try:
        folder = job.result(timeout=timeout * 2)
    except FutureTimeout:
        why = f"the Hub did not answer for {name} within {timeout * 2:.0f} s"
    except RevisionNotFoundError:
        why = f"{name}: no such revision on the Hub"
    except RepositoryNotFoundError:
        why = f"{name} was not found on the Hub (or it is private)"
    except LocalEntryNotFoundError as err:  # offline or unreachable, and not in the cache
        why = f"the Hub could not be reached for {name} and nothing is cached ({_reason(err.__cause__ or err)})"
    except FileNotFoundError:
        why = f"{name} has no {WeightsFolder.CONFIG} and {WeightsFolder.WEIGHTS}"
    except Exception as err:  # 5xx, a cut connection, a bad answer
        why = f"the Hub could not be reached for {name} ({_reason(err)})"
    else:
        return WeightsSource(folder, "hub", repo_id, revision=revision, commit=folder.name)
    raise WeightsUnavailable(why)


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__
