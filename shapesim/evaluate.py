"""Scoring a weights folder: the generator's test sets, and pictures made without it through the
whole user path (a picture file's pixels, framing, the model).

    python -m shapesim evaluate --weights checkpoints [--save]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .doodles import doodle_pairs, plain_pairs
from .hub import WeightsSource
from .images import ImageError
from .metrics import binary_metrics
from .omniglot import one_shot_runs, other_character, same_different_pairs
from .photos import photo_pairs
from .predict import Predictor
from .runtime import atomic_write
from .shapes import FAMILY_NAMES, NAMED
from .testsets import SET_NAMES, make_test_sets, score
from .training import TrainConfig
from .weights import WeightsFolder

__all__ = ["evaluate_folder", "score_pictures", "one_shot", "one_shot_curve", "mhd_one_shot", "ALL_SETS", "ABOUT"]

ALL_SETS = (*SET_NAMES, "doodles", "doodles-heldout", "plain-64", "plain-128", "photos", "photo-own")
ABOUT = {
    "seed": "the origin project's data from the generator: a filled circle or square, any colours",
    "named": "the nine named shapes, filled, outlined and sketched",
    "trained": "new shapes of the families training saw",
    "heldout": "shapes of the families held out of training, only",
    "doodles": "mouse-drawn named shapes (PIL strokes on a 280-px canvas, not the generator)",
    "doodles-heldout": "mouse-drawn shapes of the held-out families",
    "plain-64": "a filled circle or square 12-20 px across on 64 px, hard-edged, independent uniform "
    "colours, drawn by PIL",
    "plain-128": "the same on 128 px (24-40 px across)",
    "photos": "the doodles' first pairs drawn on paper (pen, pencil, marker, blue ink; plain, lined, squared) and "
    "photographed as a phone does (light, shadow, tilt, blur, noise, JPEG, 1600×1200); ``clean_accuracy``: the "
    "same pairs as drawn",
    "photo-own": "a photo of a doodle against the doodle itself, as drawn (every pair the same shape)",
    "omniglot": "people's drawings of Omniglot's one-shot runs (evaluation alphabets training never sees): a "
    "test drawing with its own character's drawing by another person, or with another character of its alphabet",
}


def evaluate_folder(
    folder: str | Path,
    pairs: int = 2000,
    device: str = "auto",
    image_size: int | None = None,
    names: tuple[str, ...] = ALL_SETS,
    omniglot: str | Path | None = None,
) -> dict[str, dict]:
    """Score the model in ``folder`` on the fixed test sets; returns {set name: metrics}.

    Pictures not made by the generator (doodles, plain pictures) are scored through
    :meth:`Predictor.compare_batch`, as a user's files are; refusals would count as wrong answers
    (there are none: every such picture shows a shape), and at most 400 doodle pairs are drawn. With an
    ``omniglot`` folder, people's drawings of the one-shot runs too (``omniglot``, 800 pairs), and the
    model's 20-way one-shot error on the runs (``results["omniglot"]["one_shot_error"]``).
    """
    predictor = Predictor.from_pretrained(str(folder), device=device)
    weights = predictor.source.folder
    size = image_size or weights.image_size
    predictor.image_size = size
    holdout = weights.holdout
    results = {}
    for test_set in make_test_sets(size, holdout, n=pairs, device=predictor.device, names=names):
        results[test_set.name] = score(predictor.model, test_set)
    n_doodles = min(pairs, 400)
    held_families = tuple(f for f in FAMILY_NAMES if f in holdout)
    kept = tuple(n for n in NAMED if n not in holdout)
    for name in names:
        if name == "doodles":
            results[name] = score_pictures(predictor, *doodle_pairs(n_doodles, seed=0, named=kept)[:3])
        elif name == "doodles-heldout" and held_families:
            results[name] = score_pictures(predictor, *doodle_pairs(n_doodles, seed=1, families=held_families)[:3])
        elif name.startswith("plain-"):
            results[name] = score_pictures(predictor, *plain_pairs(pairs, seed=2, size=int(name[6:])))
    if {"photos", "photo-own"} & set(names):
        results |= {k: v for k, v in photo_sets(predictor, min(pairs, 200), kept).items() if k in names}
    if omniglot is not None:
        runs = one_shot_runs(omniglot)
        results["omniglot"] = {  # upright: a turned character is another one (the benchmark's rule)
            **score_pictures(predictor, *same_different_pairs(runs), turns=False),
            "one_shot_error": one_shot(predictor, runs)["error"],
        }
    return results


def photo_sets(predictor: Predictor, n: int, named: tuple[str, ...] = NAMED, seed: int = 0) -> dict[str, dict]:
    """The doodles' first ``n`` pairs photographed on paper (``photos``, with the same pairs as drawn beside:
    ``clean_accuracy``), and each first photo against its own drawing (``photo-own``: all the same shape)."""
    a, b, labels = doodle_pairs(n, seed=0, named=named)[:3]
    photo_a, photo_b, _ = photo_pairs(a, b, labels, seed=seed)
    photos = score_pictures(predictor, photo_a, photo_b, labels)
    photos["clean_accuracy"] = score_pictures(predictor, a, b, labels)["accuracy"]
    own = score_pictures(predictor, photo_a, a, np.ones(n, np.int64))
    return {"photos": photos, "photo-own": own}


def score_pictures(
    predictor: Predictor, a: list, b: list, labels: np.ndarray, *, turns: bool | None = None
) -> dict[str, float]:
    """Metrics of the predictor's answers on pairs of pictures (anything :meth:`Predictor.compare` takes;
    ``turns`` as it takes it). A pair it refuses (a picture it finds blank) counts as a wrong answer, and as
    ``refused``."""
    logits, refused = [], 0
    for i in range(0, len(a), 64):
        try:
            answers = [c.probability for c in predictor.compare_batch(a[i : i + 64], b[i : i + 64], turns=turns)]
        except ImageError:  # one picture of the batch refused: each pair on its own
            answers = []
            for x, y, label in zip(a[i : i + 64], b[i : i + 64], labels[i : i + 64], strict=True):
                try:
                    answers.append(predictor.compare(x, y, turns=turns).probability)
                except ImageError:
                    answers.append(0.0 if label else 1.0)  # the wrong answer
                    refused += 1
        for p in answers:
            p = min(max(p, 1e-7), 1 - 1e-7)
            logits.append(np.log(p / (1 - p)))
    metrics = binary_metrics(labels, np.array(logits))
    metrics["pairs"] = len(labels)
    metrics["refused"] = refused
    metrics["hard_accuracy"] = float("nan")
    return metrics


def one_shot(predictor: Predictor, runs: list) -> dict[str, float]:
    """Omniglot's 20-way one-shot runs through the predictor: each test drawing is given the character of
    the training drawing it is likeliest the same shape as; ``error`` is the share given the wrong one.
    Also the same/different answers at the predictor's threshold on pairs from the runs: each test drawing
    with its own character's training drawing (``same_accuracy``), and with another character of its run
    (``different_accuracy``), and both together (``accuracy``, balanced). Upright, as the benchmark has it: a
    turned or mirrored character is another character."""
    wrong, same, different = [], [], []
    for run in runs:
        prob = predictor.probabilities(run.test, run.training, turns=False)
        wrong += list(prob.argmax(1) != run.answer)
        other = np.array([other_character(run, i) for i in range(len(run.test))])
        same += list(prob[np.arange(len(run.test)), run.answer] >= 0.5)
        different += list(prob[np.arange(len(run.test)), other] < 0.5)
    return {
        "error": float(np.mean(wrong)),
        "accuracy": float(np.mean(same + different)),
        "same_accuracy": float(np.mean(same)),
        "different_accuracy": float(np.mean(different)),
        "tests": len(wrong),
    }


def one_shot_curve(config: TrainConfig, every: int) -> Callable:
    """A callback for :func:`~shapesim.training.train` that scores Omniglot's one-shot runs every ``every`` steps
    (and at the last) into the run's ``oneshot.jsonl``: a curve to read, never used to choose the model (the runs
    are the test). A resumed run's curve goes on from its file."""
    if not config.omniglot:
        raise ValueError("the one-shot curve scores Omniglot's one-shot runs: give --omniglot DIR")
    runs, run = one_shot_runs(config.omniglot), WeightsFolder(config.out)
    out = run / run.ONE_SHOT
    records = run.one_shot() if config.resume else []

    def score(step: int, model) -> None:
        if step % every and step != config.steps:
            return
        got = one_shot(Predictor(model, WeightsSource(out.parent, "folder", config.out), config.image_size), runs)
        records.append({"step": step, "pairs": step * config.pairs_per_step, **got})
        atomic_write(out, lambda p: p.write_text("".join(json.dumps(r) + "\n" for r in records)))
        model.train()

    return score


def mhd_one_shot(runs: list) -> float:
    """The runs' error of the Modified Hausdorff Distance baseline (Dubuisson & Jain 1994), as Lake et al.
    computed it: each drawing's ink pixels, centred on their mean; the training drawing at the smallest
    MHD is the answer."""
    from scipy.spatial import cKDTree

    def ink(picture: np.ndarray) -> np.ndarray:
        ys, xs = np.nonzero(np.asarray(picture)[..., 0] < 128)
        points = np.stack([xs, ys], 1).astype(np.float64)
        return points - points.mean(0)

    def mhd(a: np.ndarray, b: np.ndarray) -> float:
        return max(cKDTree(b).query(a)[0].mean(), cKDTree(a).query(b)[0].mean())

    wrong = []
    for run in runs:
        training = [ink(p) for p in run.training]
        for i, test in enumerate(run.test):
            wrong.append(int(np.argmin([mhd(ink(test), t) for t in training])) != run.answer[i])
    return float(np.mean(wrong))
