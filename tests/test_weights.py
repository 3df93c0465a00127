import json

import numpy as np
import pytest
import torch

from shapesim.atlas import Atlas
from shapesim.models import AGFusionModel
from shapesim.weights import WeightsFolder


def test_an_empty_folder_says_what_it_lacks(tmp_path):
    folder = WeightsFolder(tmp_path)
    assert not folder.has_weights and folder.train_config == {} and folder.metrics() == []
    assert folder.image_size == 64 and folder.holdout == () and folder.eval_results() is None
    with pytest.raises(FileNotFoundError, match="python -m shapesim atlas"):
        folder.atlas()


def test_a_full_folder_answers_from_its_files(tmp_path):
    torch.manual_seed(0)
    AGFusionModel(embedding_dim=8).save_pretrained(tmp_path)
    (tmp_path / "train_config.json").write_text(json.dumps({"image_size": 48, "holdout": ["star"]}))
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n\n{"step": 2}\n')
    folder = WeightsFolder(tmp_path)
    folder.save_eval_results({"seed": {"f1": 1.0}})
    atlas = Atlas(np.eye(3, 8, dtype=np.float32), np.zeros((3, 2), np.float32), np.arange(3), np.zeros(3, int),
                  np.zeros((3, 32, 32), np.uint8))  # fmt: skip
    folder.save_atlas(atlas, {"points": 3})
    assert folder.has_weights and folder.arch == "agfusion" and folder.config()["embedding_dim"] == 8
    assert folder.image_size == 48 and folder.holdout == ("star",)
    assert [r["step"] for r in folder.metrics()] == [1, 2]
    assert folder.eval_results() == {"seed": {"f1": 1.0}}
    assert len(folder.atlas()) == 3 and json.loads((folder / folder.ATLAS_REPORT).read_text()) == {"points": 3}
    assert folder.load_model().embedding_dim == 8
    assert not list(tmp_path.glob(".*tmp*"))  # written through temporary names, none left
