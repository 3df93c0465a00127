"""Publishing to the Hugging Face Hub: a weights folder as a model repo.

python -m shapesim push --repo-id USER/NAME --weights checkpoints
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi

from .card import write_model_card
from .weights import WeightsFolder

__all__ = ["push"]


def push(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Publish a weights folder (weights, config, atlas, metrics and its model card) to a Hub model repo.

    Returns the URL of the commit.
    """
    weights = WeightsFolder(folder)
    if not weights.has_weights:
        raise FileNotFoundError(f"{weights.path} has no {WeightsFolder.WEIGHTS} to publish")
    write_model_card(weights.path)
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    info = api.upload_folder(
        folder_path=str(weights.path),
        repo_id=repo_id,
        repo_type="model",
        allow_patterns=list(WeightsFolder.PUBLISHED),
        commit_message="Upload shapesim weights",
    )
    return str(getattr(info, "commit_url", info))
