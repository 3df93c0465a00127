import numpy as np
import pytest

from shapesim.evaluate import binary_metrics, make_test_sets, roc_auc
from shapesim.shapes import CLASSES


def test_binary_metrics_on_a_known_case():
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    logits = np.array([2.0, 1.0, -1.0, -2.0, 0.5, -3.0, -0.1, 3.0])
    m = binary_metrics(labels, logits)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 3)
    assert m["precision"] == pytest.approx(0.75) and m["recall"] == pytest.approx(0.75)
    assert m["f1"] == pytest.approx(0.75) and m["accuracy"] == pytest.approx(0.75)


def test_roc_auc_matches_counting_pairs():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(rng.normal(size=200) + labels, 1)  # with ties
    pos, neg = scores[labels == 1], scores[labels == 0]
    brute = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))
    assert roc_auc(labels, scores) == pytest.approx(brute)
    assert roc_auc(np.ones(3), np.zeros(3)) != roc_auc(np.ones(3), np.zeros(3))  # nan with one class


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


def test_the_bundled_checkpoint_is_good_on_the_seed_preset():
    """The model the app ships: F1 >= 0.99 on a small fixed test set of the origin project's data."""
    from shapesim.evaluate import score
    from shapesim.hub import BUNDLED
    from shapesim.model import AGFusionModel

    model = AGFusionModel.from_pretrained(str(BUNDLED))
    (seed_set,) = make_test_sets(64, names=("seed",), n=200)
    metrics = score(model, seed_set)
    assert metrics["f1"] >= 0.99, metrics


def test_the_bundled_checkpoint_comes_with_its_card_metrics_and_atlas():
    from shapesim.hub import BUNDLED

    for name in (
        "config.json",
        "model.safetensors",
        "train_config.json",
        "metrics.jsonl",
        "eval.json",
        "README.md",
        "atlas.npz",
    ):
        assert (BUNDLED / name).is_file(), name
    card = (BUNDLED / "README.md").read_text()
    assert "python -m shapesim train" in card and "| `seed` |" in card
