"""The atlas: a 2-D map of what the model has learned.

A fixed reference set (each named shape and every other family of shapes, in every
style, including those held out of training) is embedded once, projected to 2-D with UMAP, and saved as
``atlas.npz`` next to the weights. A new picture is placed on the map from its
nearest reference neighbours, which takes milliseconds and never imports umap
(importing it alone costs seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .images import frame
from .metrics import knn_accuracy
from .raster import render
from .sampling import sample_images
from .shapes import FAMILY_NAMES, NAMED, draw_identities
from .spec import STYLES, PairSpec

# The map's categories: each named shape, then every other family.
CATEGORIES: tuple[str, ...] = (*NAMED, *(f for f in FAMILY_NAMES if f != "named"))

__all__ = ["Atlas", "Placement", "build_atlas", "ATLAS_NAME"]

ATLAS_NAME = "atlas.npz"
ATLAS_SEED = 3_000_017
THUMB = 48  # side of the stored thumbnails


@dataclass(frozen=True)
class Placement:
    """Where a picture's embedding lands on the map, and what is near it."""

    x: float
    y: float
    nearest_class: str  # the commonest class among the nearest reference points
    neighbours: np.ndarray  # indices of the nearest reference points, nearest first
    similarities: np.ndarray  # their cosine similarities to the embedding


@dataclass
class Atlas:
    """Reference embeddings, their 2-D coordinates, and what each point shows."""

    embeddings: np.ndarray  # (N, D) float32, unit length
    coords: np.ndarray  # (N, 2) float32
    cls: np.ndarray  # (N,) int, index into class_names
    style: np.ndarray  # (N,) int, index into style_names
    thumbnails: np.ndarray  # (N, THUMB, THUMB, 3) uint8 RGB pictures, as the model saw them (older maps: grey)
    class_names: tuple[str, ...] = CATEGORIES
    style_names: tuple[str, ...] = STYLES
    holdout: tuple[str, ...] = ()
    k: int = 10

    def save(self, path: str | Path) -> None:
        with open(path, "wb") as f:  # a file object: numpy adds no ".npz" to a temporary name
            np.savez_compressed(
                f,
                embeddings=self.embeddings.astype(np.float32),
                coords=self.coords.astype(np.float32),
                cls=self.cls.astype(np.int16),
                style=self.style.astype(np.int16),
                thumbnails=self.thumbnails.astype(np.uint8),
                class_names=np.array(self.class_names),
                style_names=np.array(self.style_names),
                holdout=np.array(self.holdout, dtype="U32"),
            )

    @classmethod
    def load(cls, path: str | Path) -> Atlas:
        """Read an atlas (never unpickles: ``allow_pickle=False``)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"no atlas at {path}; make one with: python -m shapesim atlas --weights {path.parent}"
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                atlas = cls(
                    embeddings=z["embeddings"].astype(np.float32),
                    coords=z["coords"].astype(np.float32),
                    cls=z["cls"].astype(np.int64),
                    style=z["style"].astype(np.int64),
                    thumbnails=z["thumbnails"],
                    class_names=tuple(str(s) for s in z["class_names"]),
                    style_names=tuple(str(s) for s in z["style_names"]),
                    holdout=tuple(str(s) for s in z["holdout"]),
                )
        except (KeyError, ValueError, OSError) as err:
            raise ValueError(f"{path} is not a valid atlas ({err})") from err
        n = len(atlas.embeddings)
        if not (len(atlas.coords) == len(atlas.cls) == len(atlas.style) == len(atlas.thumbnails) == n):
            raise ValueError(f"{path} is not a valid atlas: its arrays have different lengths")
        return atlas

    def __len__(self) -> int:
        return len(self.embeddings)

    @property
    def dim(self) -> int:
        """The size of the embeddings the map was made from."""
        return int(self.embeddings.shape[1])

    def neighbours(self, embedding: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and cosine similarities of the ``k`` reference points nearest ``embedding``."""
        e = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if e.shape[0] != self.dim:
            raise ValueError(
                f"an embedding of size {e.shape[0]} cannot be placed on a map of {self.dim}-D "
                "embeddings: the map was made by another model"
            )
        e = e / max(float(np.linalg.norm(e)), 1e-12)
        sims = self.embeddings @ e
        k = min(k or self.k, len(sims))
        idx = np.argpartition(-sims, k - 1)[:k]
        idx = idx[np.argsort(-sims[idx])]
        return idx, sims[idx]

    def locate(self, embedding: np.ndarray) -> Placement:
        """Where a new picture goes on the map and what is near it, from one neighbour search: the
        neighbours' coordinates weighted by closeness (as UMAP's own transform begins), without UMAP."""
        idx, sims = self.neighbours(embedding)
        w = np.exp((sims - sims.max()) / 0.05)
        x, y = (self.coords[idx] * w[:, None]).sum(0) / w.sum()
        nearest = self.class_names[int(np.bincount(self.cls[idx]).argmax())]
        return Placement(float(x), float(y), nearest, idx, sims)

    def place(self, embedding: np.ndarray) -> tuple[float, float]:
        """The map coordinates of ``embedding`` (see :meth:`locate`)."""
        where = self.locate(embedding)
        return where.x, where.y

    def nearest_class(self, embedding: np.ndarray) -> str:
        """The commonest class among the nearest reference points."""
        return self.locate(embedding).nearest_class

    def held_out(self) -> np.ndarray:
        """``(N,)`` bool: the points of categories (or their families) training never showed."""
        held = [c in self.holdout or _family_of(c) in self.holdout for c in self.class_names]
        return np.array(held, bool)[self.cls]

    def labels(self) -> np.ndarray:
        """Each reference point's category, with " (held out)" for those training never showed."""
        names = np.array(self.class_names)[self.cls]
        return np.where(self.held_out(), np.char.add(names, " (held out)"), names)

    def table(self, marks: list[tuple[str, Placement]] | None = None):
        """The rows the map plots (a pandas DataFrame: x, y, class, style): every reference point,
        then each ``(label, placement)`` of ``marks``, such as a user's pictures."""
        import pandas as pd  # a second to import: only for those who draw the map

        frame = pd.DataFrame(
            {
                "x": self.coords[:, 0],
                "y": self.coords[:, 1],
                "class": self.labels(),
                "style": np.array(self.style_names)[self.style],
            }
        )
        if marks:
            extra = pd.DataFrame(
                {
                    "x": [p.x for _, p in marks],
                    "y": [p.y for _, p in marks],
                    "class": [label for label, _ in marks],
                    "style": [f"nearest: {p.nearest_class}" for _, p in marks],
                }
            )
            frame = pd.concat([frame, extra], ignore_index=True)
        return frame

    def similar(self, embedding: np.ndarray, k: int = 24) -> list[tuple[np.ndarray, str]]:
        """The ``k`` reference pictures nearest ``embedding``, as ``(RGB thumbnail, "class, style · cosine")``."""
        idx, sims = self.neighbours(embedding, k)
        return [(thumb, f"{caption} · {s:.2f}") for (thumb, caption), s in zip(self.pictures(idx), sims, strict=True)]

    def pictures(self, idx: np.ndarray) -> list[tuple[np.ndarray, str]]:
        """Reference pictures ``idx`` as ``(RGB thumbnail, "class, style")``."""
        return [
            (
                self.thumbnails[i] if self.thumbnails.ndim == 4 else np.repeat(self.thumbnails[i][:, :, None], 3, 2),
                f"{self.class_names[self.cls[i]]}, {self.style_names[self.style[i]]}",
            )
            for i in idx
        ]


def _family_of(category: str) -> str:
    return "named" if category in NAMED else category


def reference_pictures(n: int, image_size: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """The fixed reference set: categories (named shapes, other families) and styles taken in turn,
    identities and everything else at random."""
    index = np.arange(n)
    cls = index % len(CATEGORIES)
    style = (index // len(CATEGORIES)) % len(STYLES)
    categories = np.array(CATEGORIES)[cls]
    family = np.array([FAMILY_NAMES.index(_family_of(c)) for c in categories])
    _, shape = draw_identities(np.random.default_rng(ATLAS_SEED).random((n, 33)), family=family)
    named = np.isin(categories, NAMED)
    shape[named, 0] = [NAMED.index(c) for c in categories[named]]
    params = sample_images(PairSpec(styles=STYLES), ATLAS_SEED, index, family=family, shape=shape, style=style)
    return cls, style, render(params, image_size)


def build_atlas(
    embed: Callable[[torch.Tensor], np.ndarray],
    image_size: int,
    n: int = 2016,
    holdout: tuple[str, ...] = (),
    seed: int = 0,
) -> tuple[Atlas, dict]:
    """Embed the reference set with ``embed`` (such as ``Predictor.embed``: model-ready pictures
    ``(N, 3, S, S)`` → ``(N, D)``), fit UMAP, and measure how well the map separates classes."""
    cls, style, pictures = reference_pictures(n, image_size)
    arrays = pictures.permute(0, 2, 3, 1).numpy()
    framed = torch.stack([frame(a, image_size)[0] for a in arrays])  # as user pictures are
    emb = embed(framed)
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True).clip(1e-12)

    import umap  # seconds to import: only here, never in the app

    reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed, n_jobs=1)
    coords = reducer.fit_transform(emb).astype(np.float32)
    # in their own colours, not greyed (red on purple of one brightness would vanish), and sharp: 64 px → 48
    small = torch.nn.functional.interpolate(framed, size=(THUMB, THUMB), mode="area")
    thumbs = (small.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    atlas = Atlas(emb.astype(np.float32), coords, cls, style, thumbs, holdout=tuple(holdout))
    report = {
        "points": n,
        "knn_accuracy_2d": knn_accuracy(coords, cls),
        "knn_accuracy_embedding": knn_accuracy(emb, cls, cosine=True),
    }
    held = atlas.held_out()
    if held.any():
        report["knn_accuracy_2d_heldout"] = knn_accuracy(coords, cls, subset=held)
    return atlas, report
