"""The atlas: a 2-D map of what the model has learned.

A fixed reference set (every class in every style, including any classes held
out of training) is embedded once, projected to 2-D with UMAP, and saved as
``atlas.npz`` next to the weights. A new picture is placed on the map from its
nearest reference neighbours, which takes milliseconds and never imports umap
(importing it alone costs seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import STYLES, PairSpec, render, sample_images
from .shapes import CLASSES

__all__ = ["Atlas", "build_atlas", "knn_accuracy", "ATLAS_NAME"]

ATLAS_NAME = "atlas.npz"
ATLAS_SEED = 3_000_017
THUMB = 32  # side of the stored thumbnails


@dataclass
class Atlas:
    """Reference embeddings, their 2-D coordinates, and what each point shows."""

    embeddings: np.ndarray  # (N, D) float32, unit length
    coords: np.ndarray  # (N, 2) float32
    cls: np.ndarray  # (N,) int, index into class_names
    style: np.ndarray  # (N,) int, index into style_names
    thumbnails: np.ndarray  # (N, THUMB, THUMB) uint8 grey pictures
    class_names: tuple[str, ...] = CLASSES
    style_names: tuple[str, ...] = STYLES
    holdout: tuple[str, ...] = ()
    k: int = 10

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
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

    def neighbours(self, embedding: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and cosine similarities of the ``k`` reference points nearest ``embedding``."""
        e = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if e.shape[0] != self.embeddings.shape[1]:
            raise ValueError(
                f"an embedding of size {e.shape[0]} cannot be placed on a map of {self.embeddings.shape[1]}-D "
                "embeddings: the map was made by another model"
            )
        e = e / max(float(np.linalg.norm(e)), 1e-12)
        sims = self.embeddings @ e
        k = min(k or self.k, len(sims))
        idx = np.argpartition(-sims, k - 1)[:k]
        idx = idx[np.argsort(-sims[idx])]
        return idx, sims[idx]

    def place(self, embedding: np.ndarray) -> tuple[float, float]:
        """Where a new picture goes on the map: the neighbours' coordinates, weighted
        by closeness (as UMAP's own transform begins), without UMAP."""
        idx, sims = self.neighbours(embedding)
        w = np.exp((sims - sims.max()) / 0.05)
        x, y = (self.coords[idx] * w[:, None]).sum(0) / w.sum()
        return float(x), float(y)

    def nearest_class(self, embedding: np.ndarray) -> str:
        """The commonest class among the nearest reference points."""
        idx, _ = self.neighbours(embedding)
        return self.class_names[int(np.bincount(self.cls[idx]).argmax())]


def knn_accuracy(
    points: np.ndarray, labels: np.ndarray, k: int = 10, cosine: bool = False, subset: np.ndarray | None = None
) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of ``labels`` from ``points``
    (of the points in ``subset`` only, when given; their neighbours come from all points)."""
    x = points.astype(np.float64)
    rows = np.arange(len(x)) if subset is None else np.nonzero(subset)[0]
    if cosine:
        x = x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)
        dist = -(x[rows] @ x.T)
    else:
        sq = (x * x).sum(1)
        dist = sq[rows][:, None] + sq[None, :] - 2 * x[rows] @ x.T
    dist[np.arange(len(rows)), rows] = np.inf  # not its own neighbour
    nn = np.argpartition(dist, k, axis=1)[:, :k]
    pred = np.array([np.bincount(v, minlength=labels.max() + 1).argmax() for v in labels[nn]])
    return float((pred == labels[rows]).mean())


def reference_pictures(n: int, image_size: int) -> tuple[np.ndarray, np.ndarray, object]:
    """The fixed reference set: classes and styles taken in turn, everything else random."""
    index = np.arange(n)
    cls = index % len(CLASSES)
    style = (index // len(CLASSES)) % len(STYLES)
    params = sample_images(PairSpec(classes=CLASSES, styles=STYLES), ATLAS_SEED, index, cls=cls, style=style)
    return cls, style, render(params, image_size)


def build_atlas(predictor, n: int = 2016, holdout: tuple[str, ...] = (), seed: int = 0) -> tuple[Atlas, dict]:
    """Embed the reference set with ``predictor``, fit UMAP, and measure how well the map separates classes."""
    import torch

    from .images import frame

    cls, style, pictures = reference_pictures(n, predictor.image_size)
    arrays = pictures.permute(0, 2, 3, 1).numpy()
    framed = torch.stack([frame(a, predictor.image_size)[0] for a in arrays])  # as user pictures are
    emb = predictor.embed(framed)
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True).clip(1e-12)

    import umap  # slow to import: only here, never in the app

    reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=seed, n_jobs=1)
    coords = reducer.fit_transform(emb).astype(np.float32)
    grey = torch.nn.functional.interpolate(framed.mean(1, keepdim=True), size=(THUMB, THUMB), mode="area")
    thumbs = (grey[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    atlas = Atlas(emb.astype(np.float32), coords, cls, style, thumbs, holdout=tuple(holdout))
    report = {
        "points": n,
        "knn_accuracy_2d": knn_accuracy(coords, cls),
        "knn_accuracy_embedding": knn_accuracy(emb, cls, cosine=True),
    }
    held = np.isin(np.array(CLASSES)[cls], holdout)
    if held.any():
        report["knn_accuracy_2d_heldout"] = knn_accuracy(coords, cls, subset=held)
    return atlas, report
