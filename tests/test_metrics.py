import numpy as np
import pytest

from shapesim.metrics import binary_metrics, knn_accuracy, results_table, summarise


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
    assert binary_metrics(labels, scores)["roc_auc"] == pytest.approx(brute)
    assert np.isnan(binary_metrics(np.ones(3), np.zeros(3))["roc_auc"])  # one class: no ROC curve


def test_nothing_predicted_positive_is_zero_not_an_error():
    m = binary_metrics(np.array([1, 0, 1]), np.array([-1.0, -2.0, -3.0]))
    assert m["precision"] == 0 and m["recall"] == 0 and m["f1"] == 0 and m["tn"] == 1


def test_summarise_counts_pairs_and_hard_pairs():
    m = summarise(np.array([1.0, -1.0, 1.0, 1.0]), np.array([1, 0, 0, 1]), np.array([0, 1, 1, 0]))
    assert m["pairs"] == 4 and m["hard_accuracy"] == pytest.approx(0.5)
    assert np.isnan(summarise(np.array([1.0]), np.array([1]), np.array([0]))["hard_accuracy"])


def test_knn_accuracy():
    pts = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], float)
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert knn_accuracy(pts, labels, k=2) == 1.0
    assert knn_accuracy(pts, np.array([0, 1, 0, 1, 0, 1]), k=2) < 0.5
    assert knn_accuracy(pts, labels, k=2, subset=labels == 1) == 1.0
    assert knn_accuracy(pts + 1, labels, k=2, cosine=True) <= 1.0


def test_results_table_names_the_held_out_classes():
    m = {"pairs": 10, "accuracy": 1, "precision": 1, "recall": 1, "f1": 1, "roc_auc": 1, "hard_accuracy": float("nan")}
    table = results_table({"seed": m, "heldout": m}, ("arrow",))
    assert "| `heldout` (arrow) | 10 |" in table and "| `seed` | 10 |" in table and "–" in table
    assert table.splitlines()[0].endswith("| refused |") and table.count("|") == 4 * 10  # 4 rows of 10 bars
