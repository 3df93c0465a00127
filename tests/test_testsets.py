import numpy as np
import torch

from shapesim.models import AGFusionModel
from shapesim.shapes import FAMILY_NAMES, NAMED
from shapesim.testsets import make_test_sets, score

HELD = ("composite", "glyph", "letter", "heart")


def _shown(test_set):
    pa, pb, label, _ = test_set.generator.params(test_set.index)
    family = np.concatenate([pa.family.numpy(), pb.family.numpy()])
    shape = np.concatenate([pa.shape.numpy(), pb.shape.numpy()])
    named = {NAMED[int(i)] for i in shape[family == FAMILY_NAMES.index("named"), 0]}
    return {FAMILY_NAMES[i] for i in family}, named, label


def test_test_sets_are_fixed_and_respect_the_holdout():
    sets = {s.name: s for s in make_test_sets(32, holdout=HELD, n=200)}
    assert list(sets) == ["seed", "named", "trained", "heldout"]
    again = {s.name: s for s in make_test_sets(32, holdout=HELD, n=200)}
    for name in sets:
        assert (sets[name].index == again[name].index).all()
        assert sets[name].generator.seed == again[name].generator.seed
    families, named, _ = _shown(sets["trained"])
    assert families == {"named", "polygon", "irregular", "star-polygon", "blob", "stroke"} and "heart" not in named
    families, named, label = _shown(sets["heldout"])
    assert families <= {"composite", "glyph", "letter", "named"} and named <= {"heart"}  # only what training never saw
    assert label.sum() == 100
    assert _shown(sets["named"])[0] == {"named"} and _shown(sets["seed"])[1] == {"circle", "square"}
    assert [s.name for s in make_test_sets(32, holdout=(), n=10)] == ["seed", "named", "trained"]


def test_score_counts_every_pair_and_leaves_the_model_as_it_was():
    torch.manual_seed(0)
    model = AGFusionModel(embedding_dim=8).train()
    (seed_set,) = make_test_sets(32, names=("seed",), n=40)
    metrics = score(model, seed_set, batch_size=16)
    assert metrics["pairs"] == 40 and 0 <= metrics["f1"] <= 1
    assert model.training  # scored in eval mode, handed back in training mode


def test_a_test_sets_pairs_depend_only_on_its_name():
    """Asked alone or with others, a set draws the same pairs: figures of any subset compare with eval.json's."""
    everything = {s.name: s.generator.batch(s.index) for s in make_test_sets(32, holdout=HELD, n=12)}
    for name in everything:
        (alone,) = make_test_sets(32, holdout=HELD, n=12, names=(name,))
        batch = alone.generator.batch(alone.index)
        assert torch.equal(batch.a, everything[name].a) and torch.equal(batch.label, everything[name].label), name


def test_an_upright_models_answer_searches_the_turned_copies_as_the_predictor_does():
    """A model trained upright is scored as the app answers by default: b's best turned or mirrored copy."""
    import torch
    from fakes import Overlap

    from shapesim.models import turn
    from shapesim.testsets import pair_logits

    a = torch.zeros(3, 3, 32, 32)
    a[:, :, 4:28, 4:10] = 1  # an L: a long bar and a short foot
    a[:, :, 22:28, 4:18] = 1
    b = torch.stack([a[0], turn(a[1], 1), turn(a[2], 4)])  # as drawn, turned, mirrored
    model = Overlap()
    searched = pair_logits(model, a, b)
    strict = pair_logits(model, a, b, turns=False)
    assert (searched > 0).all() and strict[0] > 0 and (strict[1:] < 0).all()
