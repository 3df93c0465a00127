"""Predictor: two user pictures in, an answer with heatmaps out.

from shapesim import Predictor
p = Predictor.from_pretrained()          # SHAPESIM_WEIGHTS, else the bundled checkpoint
c = p.compare("a.png", "b.png")          # Comparison(probability=0.99, same=True, ...)
c.overlay_a                              # picture a with the heatmap over it, ready to show
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .atlas import Atlas
from .heatmaps import decoded, overlay, placed_map
from .hub import WeightsSource, bundled, resolve
from .images import Framing, frame
from .models import TURN_NAMES, TURNS, FusionOutput, PairModel, all_turns, best_turn, for_inference, turn_back
from .models.orientation import inverse
from .runtime import select_device

__all__ = ["Comparison", "Predictor", "overlay"]  # overlay: shapesim.heatmaps', here too for older callers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Side:
    """One picture of a comparison: as decoded, where the model's square was cut from it, and the
    model's map over that square (None for designs without maps)."""

    picture: Image.Image
    framing: Framing
    gate: torch.Tensor | None


@dataclass
class Comparison:
    """The answer for one pair of pictures."""

    probability: float  # that both show the same shape, 0-1
    same: bool
    similarity: float | None  # cosine similarity of the embeddings, -1..1
    embedding_a: np.ndarray | None  # (D,) float32
    embedding_b: np.ndarray | None
    # None where the model's design has no such thing (shapesim.models: concat has none of them)
    sides: tuple[_Side, _Side] | None = field(default=None, repr=False)
    turn: int = 0  # how picture b shows picture a's shape: a transform of shapesim.models.orientation (0: as drawn)

    @property
    def turned(self) -> str | None:
        """How b shows a's shape when it is a turned or mirrored copy ("turned 90° clockwise"); None as drawn."""
        return TURN_NAMES[self.turn] if self.turn else None

    @cached_property
    def heatmap_a(self) -> np.ndarray | None:
        """Where the model looked in picture a: ``(H, W)`` float32 in [0, 1], the picture's size.
        Made on first use: a batch of comparisons need not pay for pictures nobody looks at."""
        return self._heatmap(0)

    @cached_property
    def heatmap_b(self) -> np.ndarray | None:
        """Where the model looked in picture b (see :attr:`heatmap_a`)."""
        return self._heatmap(1)

    @cached_property
    def overlay_a(self) -> np.ndarray:
        """Picture a as decoded with its heatmap blended over it (:func:`overlay`), ``(H, W, 3)`` uint8;
        the picture as it is when the design has no maps."""
        return self._overlay(0, self.heatmap_a)

    @cached_property
    def overlay_b(self) -> np.ndarray:
        """Picture b with its heatmap (see :attr:`overlay_a`)."""
        return self._overlay(1, self.heatmap_b)

    def as_dict(self) -> dict:
        return {
            "probability": self.probability,
            "same": self.same,
            "similarity": self.similarity,
            "turned": self.turned,
        }

    def close_up(self, i: int, size: int = 280, margin: float = 0.15) -> np.ndarray:
        """Picture ``i`` (0: a, 1: b) with its heatmap, cut to the square the model saw (and ``margin`` of it
        around) and brought to ``size`` pixels: a small drawing on a large upload is not a speck."""
        side = self.sides[i]
        shown = self.overlay_a if i == 0 else self.overlay_b
        f = side.framing
        pad = f.side * margin
        box = [round(max(0, f.left - pad)), round(max(0, f.top - pad)),
               round(min(f.width, f.left + f.side + pad)), round(min(f.height, f.top + f.side + pad))]  # fmt: skip
        crop = Image.fromarray(shown).crop(box)
        scale = size / max(crop.size)
        out = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.BILINEAR)
        return np.asarray(out)

    def _heatmap(self, i: int) -> np.ndarray | None:
        side = self.sides[i] if self.sides else None
        return None if side is None or side.gate is None else placed_map(side.gate, side.framing)

    def _overlay(self, i: int, heatmap: np.ndarray | None) -> np.ndarray:
        if not self.sides:
            raise ValueError("this comparison was made without its pictures")
        side = self.sides[i]
        return np.array(side.picture) if heatmap is None else overlay(side.picture, heatmap, side.framing)


def _key(x: torch.Tensor) -> bytes:
    """What decides the order a pair is answered in: the model's input itself."""
    return hashlib.blake2b(x.numpy().tobytes(), digest_size=8).digest()


# Pairs per forward pass. Past about 32 pictures a feature map outgrows glibc's 32 MB limit for
# reusing freed memory, and every pass pays page faults for fresh memory: chunks of 16 pairs
# answer 64 pairs ~1.5x faster than one pass here (`python -m benchmarks.inference`).
CHUNK = 16


def _cat_outputs(outputs: list[FusionOutput]) -> FusionOutput:
    """Chunks' outputs joined along the batch."""
    parts = {f.name: [getattr(o, f.name) for o in outputs] for f in fields(FusionOutput)}
    return FusionOutput(**{k: None if v[0] is None else torch.cat(v) for k, v in parts.items()})


class Predictor:
    """A trained model plus the preprocessing that matches its training."""

    def __init__(
        self,
        model: PairModel,
        source: WeightsSource,
        image_size: int = 64,
        device: torch.device | str | None = None,
        turns: bool = True,
    ) -> None:
        self.device = torch.device(device) if device else next(model.parameters()).device
        self.model = model.to(self.device).eval()
        # channels-last is oneDNN's and cuDNN's fastest layout; Apple's MPS is safer without it (as in training)
        self._layout = torch.contiguous_format if self.device.type == "mps" else torch.channels_last
        # what answers: a copy made for speed (see for_inference); self.model stays as loaded
        self.network = for_inference(self.model, self._layout)
        self.source = source
        self.image_size = image_size
        self.turns = turns  # a turned or mirrored copy counts as the same shape (a model trained upright searches them)

    @classmethod
    def from_pretrained(
        cls, source: str | Path | None = None, device: str | None = None, *, fallback: bool | None = None
    ) -> Predictor:
        """Load weights from a folder, a Hub repo id (``user/name[@revision]``), ``$SHAPESIM_WEIGHTS`` or the bundle.

        With ``fallback``, weights that cannot be had or loaded (an unreachable Hub, a corrupt file, a
        config for another model) give way to the bundled checkpoint, and :attr:`weights` says why, as
        an app that must start wants; without it they raise a ValueError that says why. By default
        only the default weights (``source`` None) fall back: weights asked for by name are never
        silently replaced.
        """
        fallback = source is None if fallback is None else fallback
        found = resolve(source, fallback=fallback)
        dev = select_device(device or "auto")
        try:
            return cls(found.folder.load_model(dev), found, image_size=found.folder.image_size, device=dev)
        except (ValueError, FileNotFoundError) as err:
            if not fallback or found.kind == "bundled":
                raise
            found = bundled(f"the configured weights could not be loaded: {err}")
            return cls(found.folder.load_model(dev), found, image_size=found.folder.image_size, device=dev)

    @property
    def weights(self) -> str:
        """Where the weights came from, in words."""
        return self.source.describe()

    @property
    def arch(self) -> str:
        return self.model.arch

    @property
    def embedding_dim(self) -> int | None:
        """The size of the model's embeddings; None when its design has none."""
        return self.model.embedding_dim if self.model.has_embeddings else None

    @cached_property
    def atlas(self) -> Atlas | None:
        """The embedding map that came with the weights, or None (the reason is logged). A map is made
        by one model: another model's embeddings mean nothing on it, so weights without their own get none."""
        if self.embedding_dim is None:
            return None
        try:
            atlas = self.source.folder.atlas()
        except (ValueError, FileNotFoundError) as err:
            log.warning("no embedding map: %s", err)
            return None
        if atlas.dim != self.embedding_dim:
            log.warning(
                "no embedding map: %s holds %d-D embeddings, the model makes %d-D ones",
                self.source.path,
                atlas.dim,
                self.embedding_dim,
            )
            return None
        return atlas

    def prepare(self, image: object) -> tuple[torch.Tensor, Framing, Image.Image]:
        """One picture → the model's input ``(3, S, S)``, where it was cut from, and the picture as decoded."""
        picture = decoded(image)
        x, framing = frame(picture, self.image_size)
        return x, framing, picture

    def searches(self, turns: bool | None = None) -> bool:
        """Whether a comparison searches the turned and mirrored copies of picture b: when turned copies count
        as the same shape (``turns``, by default :attr:`turns`) and the model tells them apart (it was trained
        upright). A model that never learned orientation calls a turned copy the same shape by itself."""
        return self.model.upright and (self.turns if turns is None else turns)

    @torch.inference_mode()
    def compare_batch(self, images_a: list, images_b: list, *, turns: bool | None = None) -> list[Comparison]:
        """Compare ``images_a[i]`` with ``images_b[i]`` for every i, in one forward pass.

        With ``turns`` (by default :attr:`turns`) and a model trained upright, each b is compared in its eight
        turned and mirrored copies too; the answer is b as drawn when that says "same", else the copy the model
        finds likeliest the same, and :attr:`Comparison.turn` says which. Without, a turned copy is another shape.
        """
        if len(images_a) != len(images_b):
            raise ValueError(f"need as many pictures on each side, got {len(images_a)} and {len(images_b)}")
        if not images_a:
            return []
        prepared_a = [self.prepare(x) for x in images_a]
        prepared_b = [self.prepare(x) for x in images_b]
        # One order for each pair whichever way it was asked, by what the model sees: swapping two pictures
        # gives the very same numbers (the design is symmetric, float sums are not quite).
        swap = [_key(x) > _key(y) for (x, _, _), (y, _, _) in zip(prepared_a, prepared_b, strict=True)]
        prepared_a, prepared_b = (
            [y if s else x for x, y, s in zip(prepared_a, prepared_b, swap, strict=True)],
            [x if s else y for x, y, s in zip(prepared_a, prepared_b, swap, strict=True)],
        )
        a = torch.stack([t for t, _, _ in prepared_a]).to(self.device)
        b = torch.stack([t for t, _, _ in prepared_b]).to(self.device)
        out, chosen = (
            self._search(a, b) if self.searches(turns) else (self._forward(a, b), torch.zeros(len(a), dtype=torch.long))
        )
        prob = torch.sigmoid(out.logit.float()).tolist()
        similarity = [None] * len(prob) if out.similarity is None else out.similarity.float().tolist()
        emb_a, emb_b = (None if e is None else e.float().cpu().numpy() for e in (out.embedding_a, out.embedding_b))
        gates_a, gates_b = (None if g is None else g.cpu() for g in (out.attention_a, out.attention_b))

        def side(prepared, gates, i: int, t: int = 0) -> _Side:
            _, framing, picture = prepared[i]
            return _Side(picture, framing, None if gates is None else turn_back(gates[i], t))

        answers = []
        for i, p in enumerate(prob):
            t = int(chosen[i])  # the first picture matched the second turned by t
            ea, eb = (None if e is None else e[i] for e in (emb_a, emb_b))
            sides = (side(prepared_a, gates_a, i), side(prepared_b, gates_b, i, t))
            if swap[i]:  # back to the order asked: then b, turned by t, shows a
                ea, eb, sides = eb, ea, sides[::-1]
            answers.append(Comparison(p, p >= 0.5, similarity[i], ea, eb, sides, t if swap[i] else inverse(t)))
        return answers

    def _forward(self, a: torch.Tensor, b: torch.Tensor) -> FusionOutput:
        """The network on pairs (a[i], b[i]), in chunks."""
        a, b = (x.contiguous(memory_format=self._layout) for x in (a, b))
        return _cat_outputs([self.network(a[i : i + CHUNK], b[i : i + CHUNK]) for i in range(0, len(a), CHUNK)])

    def _search(self, a: torch.Tensor, b: torch.Tensor) -> tuple[FusionOutput, torch.Tensor]:
        """Each a[i] against every turned and mirrored copy of b[i] (each a's features made once, where the design
        allows): the output for the copy chosen, and which copy — b as drawn when the model says "same" to it,
        else the likeliest."""
        copies = all_turns(b).flatten(0, 1)  # (B·TURNS, 3, S, S): b[0]'s copies, then b[1]'s, …
        parts, step = [], max(1, CHUNK // TURNS)
        for i in range(0, len(a), step):
            ai, bi = a[i : i + step], copies[i * TURNS : (i + step) * TURNS]
            if hasattr(self.network, "compare_features"):
                f = self.network.features(torch.cat([ai, bi]).contiguous(memory_format=self._layout))
                parts.append(self.network.compare_features(f[: len(ai)].repeat_interleave(TURNS, 0), f[len(ai) :]))
            else:
                parts.append(self._forward(ai.repeat_interleave(TURNS, 0), bi))
        out = _cat_outputs(parts)
        logit, chosen = best_turn(out.logit.float().view(len(a), TURNS))
        chosen = chosen.cpu()
        rows = torch.arange(len(a)) * TURNS + chosen
        pick = lambda x: None if x is None else x[rows.to(x.device)]  # noqa: E731
        picked = FusionOutput(*(pick(getattr(out, f.name)) for f in fields(FusionOutput)))
        return replace(picked, logit=logit), chosen

    @torch.inference_mode()
    def probabilities(self, images_a: list, images_b: list, *, turns: bool | None = None) -> np.ndarray:
        """``(len(images_a), len(images_b))``: the probability that each picture of a shows the same shape as
        each picture of b (``turns`` as :meth:`compare_batch` takes it). Each picture is framed and put
        through the stem once, however many pairs it is in (the one-shot test: 20 × 20 pairs of 40 pictures)."""
        if not hasattr(self.network, "compare_features"):
            grid = self.compare_batch(
                [x for x in images_a for _ in images_b], list(images_b) * len(images_a), turns=turns
            )
            return np.array([c.probability for c in grid]).reshape(len(images_a), len(images_b))
        search = self.searches(turns)
        a = torch.stack([self.prepare(x)[0] for x in images_a]).to(self.device)
        b = torch.stack([self.prepare(x)[0] for x in images_b]).to(self.device)
        b = all_turns(b).flatten(0, 1) if search else b
        f = torch.cat([self.network.features(x.contiguous(memory_format=self._layout)) for x in (a, b)])
        fa, fb = f[: len(a)], f[len(a) :]
        logits = []
        for i in range(len(fa)):
            rows = fa[i : i + 1].expand(len(fb), *fa.shape[1:])
            logits.append(torch.cat([
                self.network.compare_features(rows[k : k + 4 * CHUNK], fb[k : k + 4 * CHUNK]).logit.float()
                for k in range(0, len(fb), 4 * CHUNK)
            ]))  # fmt: skip
        logits = torch.stack(logits)  # (len a, len b × copies)
        if search:
            copies = logits.view(-1, TURNS)
            logits = best_turn(copies)[0].view(len(fa), -1)
        return torch.sigmoid(logits).cpu().numpy()

    def compare(self, image_a: object, image_b: object, *, turns: bool | None = None) -> Comparison:
        """Do the two pictures show the same shape? (``turns``: see :meth:`compare_batch`)"""
        return self.compare_batch([image_a], [image_b], turns=turns)[0]

    @torch.inference_mode()
    def embed(self, images: list | torch.Tensor, batch_size: int = 2 * CHUNK) -> np.ndarray:
        """Embeddings of single pictures ``(N, D)``; each picture's gate is guided by itself.

        ``images`` are user pictures (framed as in :meth:`compare`) or a tensor
        ``(N, 3, S, S)`` of model-ready inputs, such as the generator's.
        """
        if self.embedding_dim is None:
            raise ValueError(f"the {self.arch} design has no embeddings of single pictures")
        if not isinstance(images, torch.Tensor):
            images = torch.stack([self.prepare(x)[0] for x in images])
        chunks = []
        for i in range(0, len(images), batch_size):
            chunk = images[i : i + batch_size].to(self.device, memory_format=self._layout)
            chunks.append(self.network.embed(chunk).float().cpu())
        return torch.cat(chunks).numpy() if chunks else np.zeros((0, 0), np.float32)
