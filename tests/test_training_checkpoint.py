import json

import pytest
import torch

from shapesim.models import AGFusionModel
from shapesim.training import TrainConfig
from shapesim.training.checkpoint import RunFolder
from shapesim.training.schedule import param_groups


def test_state_round_trip_restores_model_optimizer_and_place(tmp_path):
    torch.manual_seed(0)
    model = AGFusionModel(embedding_dim=8)
    optimizer = torch.optim.AdamW(param_groups(model, 0.05))
    model(torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)).logit.sum().backward()
    optimizer.step()
    run = RunFolder(tmp_path)
    run.prepare()
    run.save_state(model, optimizer, 7, 0.75)
    again = AGFusionModel(embedding_dim=8)
    opt_again = torch.optim.AdamW(param_groups(again, 0.05))
    assert run.load_state(again, opt_again, torch.device("cpu")) == (7, 0.75)
    for (k, v), w in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(v, w), k
    assert opt_again.state_dict()["state"].keys() == optimizer.state_dict()["state"].keys()


def test_the_metrics_log_forgets_what_came_after_the_checkpoint(tmp_path):
    run = RunFolder(tmp_path)
    for step in (2, 4, 6):
        run.append_metrics({"step": step})
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 8, "cut off by a ki')  # a line the kill cut short
    run.forget_metrics_after(4)
    assert [r["step"] for r in run.metrics()] == [2, 4]
    run.clear_metrics()
    assert run.metrics() == []


def test_prepare_fails_early_and_cleans_half_written_files(tmp_path):
    (tmp_path / ".model.safetensors.tmp-123").write_text("half")
    RunFolder(tmp_path).prepare()
    assert not list(tmp_path.glob(".*tmp*"))
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ValueError, match="cannot write checkpoints to"):
        RunFolder(tmp_path / "file" / "run").prepare()


def test_a_saved_model_and_config_are_what_a_weights_folder_reads(tmp_path):
    run = RunFolder(tmp_path)
    run.save_model(AGFusionModel(embedding_dim=8))
    run.save_train_config(TrainConfig(image_size=48, holdout=("star",)))
    assert json.loads((tmp_path / "config.json").read_text())["embedding_dim"] == 8
    assert run.image_size == 48 and run.holdout == ("star",) and run.arch == "agfusion"
    assert run.load_train_config().image_size == 48
