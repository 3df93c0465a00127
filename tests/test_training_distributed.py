"""Two processes training together with gloo on this CPU, as torchrun would start them."""

import json
import os

import pytest
import torch
import torch.multiprocessing as mp
from conftest import free_port
from safetensors.torch import load_file


def _worker(rank: int, world: int, port: int, out: str, report: str, overrides: dict) -> None:
    os.environ.update(
        WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    from shapesim import data
    from shapesim.training import TrainConfig, train
    from shapesim.training.checkpoint import RunFolder

    drawn = []
    original = data.PairGenerator.__call__

    def record(self, start, size):
        drawn.append([int(start), int(size)])
        return original(self, start, size)

    data.PairGenerator.__call__ = record
    saves = []
    original_save = RunFolder.save_model
    RunFolder.save_model = lambda run, model: (saves.append(str(run.path)), original_save(run, model))[1]
    config = TrainConfig(
        preset="seed",
        holdout=(),
        image_size=32,
        steps=4,
        batch_size=4,
        warmup=1,
        eval_every=2,
        eval_pairs=8,
        embedding_dim=8,
        out=out,
        progress=False,
    )
    stop_at = overrides.pop("stop_at", None)
    config = TrainConfig(**{**config.__dict__, **overrides})

    def interrupt(step, model):
        if step == stop_at:
            raise KeyboardInterrupt

    try:
        result = train(config, callback=interrupt)
    except KeyboardInterrupt:  # as Ctrl-C would leave it: the checkpoint of the last validation
        torch.distributed.destroy_process_group()
        return
    weights = {k: v.detach().double().sum().item() for k, v in result.model.state_dict().items()}
    with open(f"{report}.{rank}.json", "w") as f:
        json.dump(
            {
                "drawn": drawn,
                "saves": saves,
                "weights": weights,
                "f1": result.history[-1]["val_f1"],
                "pairs": result.history[-1]["pairs"],
            },
            f,
        )
    torch.distributed.destroy_process_group()


@pytest.mark.timeout(300)
def test_two_ranks_share_gradients_see_different_pairs_and_write_one_checkpoint(tmp_path):
    out, report = tmp_path / "run", tmp_path / "report"
    mp.spawn(_worker, args=(2, free_port(), str(out), str(report), {}), nprocs=2, join=True)
    r0, r1 = (json.loads((tmp_path / f"report.{r}.json").read_text()) for r in (0, 1))
    # identical weights at the end: DDP averaged the gradients
    assert r0["weights"].keys() == r1["weights"].keys()
    for k in r0["weights"]:
        assert r0["weights"][k] == pytest.approx(r1["weights"][k], rel=1e-5, abs=1e-6), k
    # different, disjoint data
    starts0, starts1 = {s for s, _ in r0["drawn"]}, {s for s, _ in r1["drawn"]}
    assert not starts0 & starts1
    assert sorted(starts0 | starts1) == [i * 4 for i in range(8)]  # 4 steps x 2 ranks, no gaps
    # validation reduced across ranks: both saw the same numbers over all pairs
    assert r0["f1"] == r1["f1"] and r0["pairs"] == r1["pairs"] == 4 * 4 * 2
    # one writer
    assert r0["saves"] and not r1["saves"]
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [2, 4]
    assert set(load_file(str(out / "last.safetensors"))) >= {"model.classifier.weight"}


@pytest.mark.timeout(300)
def test_a_distributed_run_resumes(tmp_path):
    out, report = tmp_path / "run", tmp_path / "report"
    mp.spawn(_worker, args=(2, free_port(), str(out), str(report), {"stop_at": 3}), nprocs=2, join=True)
    mp.spawn(_worker, args=(2, free_port(), str(out), str(report), {"resume": True}), nprocs=2, join=True)
    r0, r1 = (json.loads((tmp_path / f"report.{r}.json").read_text()) for r in (0, 1))
    assert sorted(s for s, _ in r0["drawn"] + r1["drawn"]) == [i * 4 for i in range(4, 8)]  # steps 2 and 3 only
    assert [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()] == [2, 4]
    for k in r0["weights"]:
        assert r0["weights"][k] == pytest.approx(r1["weights"][k], rel=1e-5, abs=1e-6), k
