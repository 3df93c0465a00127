import numpy as np
import torch

from shapesim.models import AGFusionModel
from shapesim.shapes import CLASSES
from shapesim.testsets import make_test_sets, score


def test_test_sets_are_fixed_and_respect_the_holdout():
    sets = {s.name: s for s in make_test_sets(32, holdout=("star", "heart"), n=100)}
    assert list(sets) == ["seed", "shapes", "sketch", "heldout"]
    again = {s.name: s for s in make_test_sets(32, holdout=("star", "heart"), n=100)}
    for name in sets:
        assert (sets[name].index == again[name].index).all()
    pa, pb, label, _ = sets["shapes"].generator.params(sets["shapes"].index)
    seen = {CLASSES[i] for i in np.concatenate([pa.cls.numpy(), pb.cls.numpy()])}
    assert "star" not in seen and "heart" not in seen
    pa, pb, label, _ = sets["heldout"].generator.params(sets["heldout"].index)
    held = np.isin(pa.cls.numpy(), [CLASSES.index("star"), CLASSES.index("heart")]) | np.isin(
        pb.cls.numpy(), [CLASSES.index("star"), CLASSES.index("heart")]
    )
    assert held.all() and label.sum() == 50
    assert [s.name for s in make_test_sets(32, holdout=(), n=10)] == ["seed", "shapes", "sketch"]


def test_score_counts_every_pair_and_leaves_the_model_as_it_was():
    torch.manual_seed(0)
    model = AGFusionModel(embedding_dim=8).train()
    (seed_set,) = make_test_sets(32, names=("seed",), n=40)
    metrics = score(model, seed_set, batch_size=16)
    assert metrics["pairs"] == 40 and 0 <= metrics["f1"] <= 1
    assert model.training  # scored in eval mode, handed back in training mode
