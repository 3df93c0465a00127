import pytest

from shapesim.models import AGFusionModel
from shapesim.training.schedule import lr_factor, param_groups


def test_schedule_warms_up_then_decays_to_zero():
    f = [lr_factor(s, 10, 100) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[10:], f[11:], strict=False))
    assert lr_factor(100, 10, 100) == pytest.approx(0.0)


def test_no_weight_decay_on_norms_and_biases_and_nothing_frozen():
    model = AGFusionModel(embedding_dim=16)
    decay, no_decay = param_groups(model, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim > 1 for p in decay["params"])
    bn_weight = dict(model.named_parameters())["backbone.1.weight"]
    assert any(p is bn_weight for p in no_decay["params"])
    model.backbone.requires_grad_(False)
    frozen = {id(p) for p in model.backbone.parameters()}
    assert not frozen & {id(p) for g in param_groups(model, 0.05) for p in g["params"]}
