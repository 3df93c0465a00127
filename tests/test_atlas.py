import dataclasses

import numpy as np
import pytest
import torch

from shapesim.atlas import CATEGORIES, Atlas, build_atlas
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor


def toy_atlas(n=60, d=8, seed=0) -> Atlas:
    rng = np.random.default_rng(seed)
    cls = np.arange(n) % 3
    centres = rng.normal(size=(3, d)) * 3
    emb = centres[cls] + rng.normal(size=(n, d)) * 0.3
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    coords = np.stack([cls * 10.0, np.zeros(n)], 1) + rng.normal(size=(n, 2))
    thumbs = rng.integers(0, 255, (n, 32, 32)).astype(np.uint8)
    return Atlas(emb.astype(np.float32), coords.astype(np.float32), cls, np.zeros(n, int), thumbs, holdout=("star",))


def test_save_and_load_round_trip_without_pickle(tmp_path):
    atlas = toy_atlas()
    atlas.save(tmp_path / "atlas.npz")
    loaded = Atlas.load(tmp_path / "atlas.npz")
    assert np.array_equal(loaded.coords, atlas.coords) and np.array_equal(loaded.cls, atlas.cls)
    assert loaded.class_names == atlas.class_names and loaded.holdout == ("star",)
    with np.load(tmp_path / "atlas.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_a_pickled_or_broken_atlas_is_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", embeddings=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a valid atlas"):
        Atlas.load(tmp_path / "evil.npz")
    with pytest.raises(FileNotFoundError, match="python -m shapesim atlas"):
        Atlas.load(tmp_path / "missing.npz")


def test_locate_puts_a_reference_point_next_to_its_own_coordinates():
    atlas = toy_atlas()
    spread = np.ptp(atlas.coords[:, 0])
    for i in (0, 17, 42):
        where = atlas.locate(atlas.embeddings[i])
        assert np.hypot(where.x - atlas.coords[i, 0], where.y - atlas.coords[i, 1]) < 0.2 * spread
        assert where.nearest_class == atlas.class_names[atlas.cls[i]] == atlas.nearest_class(atlas.embeddings[i])
        assert where.neighbours[0] == i and where.similarities[0] == pytest.approx(1.0)
        assert (where.x, where.y) == atlas.place(atlas.embeddings[i])
    with pytest.raises(ValueError, match="made by another model"):
        atlas.locate(np.ones(5))


def test_the_map_table_holds_every_point_and_the_marks():
    atlas = dataclasses.replace(toy_atlas(), holdout=("triangle",))
    frame = atlas.table([("your picture A", atlas.locate(atlas.embeddings[3]))])
    assert len(frame) == len(atlas) + 1 and list(frame.columns) == ["x", "y", "class", "style"]
    assert {"circle", "square", "triangle (held out)"} < set(frame["class"])
    assert frame["class"].iloc[-1] == "your picture A"
    assert frame["style"].iloc[-1].startswith("nearest: ")


def test_pictures_of_the_map_by_index_with_what_they_show():
    atlas = toy_atlas()
    shown = atlas.pictures([0, 3])
    assert len(shown) == 2 and shown[0][0].shape == (32, 32, 3) and shown[0][1] == "circle, fill"


def test_build_atlas_end_to_end(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "w"
    AGFusionModel(embedding_dim=8).save_pretrained(folder)
    predictor = Predictor.from_pretrained(str(folder), device="cpu")
    n = 3 * len(CATEGORIES)
    atlas, report = build_atlas(predictor.embed, predictor.image_size, n=n, holdout=("heart", "glyph"))
    assert atlas.coords.shape == (n, 2) and atlas.embeddings.shape == (n, 8)
    assert set(atlas.cls.tolist()) == set(range(len(CATEGORIES))) and set(atlas.style.tolist()) == {0, 1, 2}
    assert atlas.class_names == CATEGORIES and "polygon" in CATEGORIES and "circle" in CATEGORIES
    held = set(np.array(CATEGORIES)[atlas.cls[atlas.held_out()]])
    assert held == {"heart", "glyph"}
    assert 0 <= report["knn_accuracy_2d"] <= 1 and "knn_accuracy_2d_heldout" in report
    atlas.save(tmp_path / "a.npz")
    thumbs = Atlas.load(tmp_path / "a.npz").thumbnails
    assert thumbs.shape == (n, 48, 48, 3) and thumbs.dtype == np.uint8  # in the pictures' own colours
    assert atlas.pictures([0])[0][0].shape == (48, 48, 3)
