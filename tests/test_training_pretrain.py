import pytest
import torch

from shapesim.training import TrainConfig, train
from shapesim.training.pretrain import jigsaw


def test_jigsaw_moves_whole_tiles_and_every_order_differs():
    x = torch.arange(64.0).view(1, 1, 8, 8)
    assert torch.equal(jigsaw(x, torch.tensor([0])), x)
    shuffled = [jigsaw(x, torch.tensor([k])) for k in range(24)]
    assert len({tuple(s.flatten().tolist()) for s in shuffled}) == 24
    tiles = lambda t: sorted(tuple(t[0, 0, i : i + 4, j : j + 4].flatten().tolist()) for i in (0, 4) for j in (0, 4))  # noqa: E731
    assert all(tiles(s) == tiles(x) for s in shuffled)


def small(tmp_path, **kw) -> TrainConfig:
    base = dict(preset="seed", holdout=(), image_size=32, steps=4, batch_size=8, eval_every=2, eval_pairs=16)
    return TrainConfig(**{**base, "warmup": 1, "out": str(tmp_path), "progress": False, **kw})


@pytest.mark.parametrize("task", ["contrastive", "jigsaw"])
def test_pretraining_changes_the_extractor_and_counts_its_pairs(task, tmp_path):
    config = small(tmp_path, pretrain=task, pretrain_steps=3, steps=2)
    result = train(config)
    torch.manual_seed(config.seed)
    fresh = config.build_model()
    assert not torch.equal(fresh.backbone[0].weight, result.model.backbone[0].weight)
    assert result.history[-1]["pairs"] == (3 + 2) * 8


def test_a_frozen_extractor_stays_as_it_was(tmp_path):
    config = small(tmp_path, freeze_backbone=True)
    result = train(config)
    torch.manual_seed(config.seed)
    fresh = config.build_model()
    trained = result.model.backbone.state_dict()
    for name, before in fresh.backbone.state_dict().items():
        if before.is_floating_point():
            torch.testing.assert_close(before, trained[name], msg=name)  # weights and BatchNorm statistics
    assert not torch.equal(fresh.gate.psi.weight, result.model.gate.psi.weight)  # the rest learned


def test_the_model_keeps_its_frozen_backbone_through_train_and_eval():
    from shapesim.models import AGFusionModel, ConcatModel

    model = AGFusionModel(embedding_dim=8).freeze_backbone()
    for mode in (True, False, True):
        model.train(mode)
        assert not model.backbone.training and model.gate.training == mode
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    model(torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)).logit.sum().backward()
    assert all(torch.equal(before[k], v) for k, v in model.backbone.state_dict().items())  # BatchNorm stats too
    assert all(p.grad is None for p in model.backbone.parameters())
    assert model.freeze_backbone(False).train().backbone.training
    with pytest.raises(ValueError, match="no extractor to freeze"):
        ConcatModel(hidden=8).freeze_backbone()
