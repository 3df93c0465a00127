"""Publishing to the Hugging Face Hub: a weights folder as a model repo.

python -m shapesim push --repo-id USER/NAME --weights checkpoints
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from huggingface_hub import HfApi, constants

from .card import write_model_card
from .weights import WeightsFolder

__all__ = ["push", "deploy_space", "PublishError", "SPACE_FILES"]


def push(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Publish a weights folder (weights, config, atlas, metrics and its model card) to a Hub model repo.

    Returns the URL of the commit.
    """
    weights = WeightsFolder(folder)
    if not weights.has_weights:
        raise FileNotFoundError(f"{weights.path} has no {WeightsFolder.WEIGHTS} to publish")
    write_model_card(weights.path)
    api = HfApi(token=token)
    with _hub(f"publish {weights.path} to {repo_id}"):
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(weights.path),
            repo_id=repo_id,
            repo_type="model",
            allow_patterns=list(WeightsFolder.PUBLISHED),
            commit_message="Upload shapesim weights",
        )
    return str(getattr(info, "commit_url", info))


class PublishError(ConnectionError):
    """The Hub did not take what was sent: no network, no login, no right to the repo."""


@contextlib.contextmanager
def _hub(what: str) -> Iterator[None]:
    """Whatever the Hub client raises (its errors differ between versions and transports), as one
    :class:`PublishError` that says what was being done and where."""
    try:
        yield
    except Exception as err:
        reason = (str(err).strip().splitlines() or [""])[0]
        raise PublishError(
            f"could not {what} on {constants.ENDPOINT} ({type(err).__name__}: {reason}); "
            "check the network and the login (huggingface-cli login, or HF_TOKEN)"
        ) from err


ROOT = Path(__file__).resolve().parent.parent
# What a Space needs to run the app: the app, the package, its requirements, the README (its front
# matter tells the Hub how to run it), the figures and examples, the bundled weights. Not the tests,
# the benchmarks, the design variants or a training run's resume state.
SPACE_FILES = [
    *("app.py", "requirements.txt", "README.md", "LICENSE", "docs/*.md", "shapesim/*.py", "assets/*.png"),
    *(f"checkpoints/{name}" for name in WeightsFolder.PUBLISHED),
]


def deploy_space(repo_id: str, root: str | Path = ROOT, private: bool = False, token: str | None = None) -> str:
    """Create (or update) a Gradio Space ``repo_id`` running this app with the bundled weights.

    Uploads :data:`SPACE_FILES` from ``root`` in one commit; ``huggingface_hub`` sends the
    binary files (pictures, weights, the map) to large-file storage, as the Hub requires.
    Returns the URL of the commit.
    """
    root = Path(root)
    for needed in ("app.py", "README.md", "requirements.txt", f"checkpoints/{WeightsFolder.WEIGHTS}"):
        if not (root / needed).is_file():
            raise FileNotFoundError(f"{root} has no {needed}: not a shapesim checkout to deploy")
    if "sdk: gradio" not in (root / "README.md").read_text():
        raise ValueError(f"{root / 'README.md'} has no Space front matter (sdk: gradio)")
    api = HfApi(token=token)
    with _hub(f"deploy the app to the Space {repo_id}"):
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        info = api.upload_folder(
            folder_path=str(root),
            repo_id=repo_id,
            repo_type="space",
            allow_patterns=SPACE_FILES,
            commit_message="Deploy shapesim",
        )
    return str(getattr(info, "commit_url", info))
