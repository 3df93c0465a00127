import numpy as np

from shapesim.atlas import Atlas
from shapesim.data import PairGenerator
from shapesim.plots import atlas_map, confusion_matrices, pair_grid, training_curves


def test_every_figure_draws(tmp_path):
    batch = PairGenerator("shapes", 24, seed=0)(0, 5)
    figures = {
        "pairs": pair_grid(batch, columns=2, title="t"),
        "curves": training_curves(
            [{"pairs": p, "loss": 1 / p, "val_f1": 0.5 + p / 100, "val_roc_auc": 0.6} for p in (1, 2, 3)]
        ),
        "confusion": confusion_matrices({"seed": {"tn": 3, "fp": 1, "fn": 0, "tp": 4, "f1": 0.9}}),
    }
    rng = np.random.default_rng(0)
    emb, coords = rng.normal(size=(18, 4)).astype(np.float32), rng.normal(size=(18, 2)).astype(np.float32)
    atlas = Atlas(
        emb, coords, np.arange(18) % 9, np.zeros(18, int), np.zeros((18, 32, 32), np.uint8), holdout=("arrow",)
    )
    figures["map"] = atlas_map(atlas, placed=[(0.0, 0.0, "you")])
    for name, fig in figures.items():
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        assert path.stat().st_size > 2000, name
    assert len(figures["pairs"].axes) == 6  # 5 pairs on a 2-column grid
    labels = [t.get_text() for t in figures["map"].axes[0].get_legend().get_texts()]
    assert "arrow (held out)" in labels and "circle" in labels


def test_every_category_of_the_map_has_its_own_colour():
    """Nine named shapes and eight families: seventeen categories, seventeen colours (not tab10's ten)."""
    from matplotlib.colors import to_hex

    n = 17
    rng = np.random.default_rng(0)
    emb, coords = rng.normal(size=(2 * n, 4)).astype(np.float32), rng.normal(size=(2 * n, 2)).astype(np.float32)
    atlas = Atlas(emb, coords, np.arange(2 * n) % n, np.zeros(2 * n, int), np.zeros((2 * n, 32, 32), np.uint8))
    assert len(atlas.class_names) >= n
    ax = atlas_map(atlas).axes[0]
    colours = {to_hex(c.get_edgecolor()[0]) for c in ax.collections}
    assert len(colours) == len(ax.collections) == n


def test_training_curves_show_peoples_pairs_and_the_one_shot_error():
    from shapesim.plots import training_curves

    records = [{"pairs": 64 * s, "loss": 1 / s, "val_f1": 0.8, "val_roc_auc": 0.9, "val_people_f1": 0.6 + s / 20}
               for s in (1, 2, 3)]  # fmt: skip
    fig = training_curves(records, one_shot=[{"pairs": 128, "error": 0.5}, {"pairs": 192, "error": 0.4}])
    left, middle, right = fig.axes
    assert [line.get_label() for line in middle.lines][-1] == "F1, people's drawings"
    assert "one-shot" in right.get_title() and list(right.lines[0].get_ydata()) == [0.5, 0.4]
    assert len(training_curves(records[:1]).axes) == 2
