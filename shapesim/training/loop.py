"""The training loop: resume or start, then step, validate and save, until done.

    python -m shapesim train --steps 3000 --out runs/mine

The output folder (:class:`~shapesim.training.checkpoint.RunFolder`) holds the best
model so far, the resume state, the run's config and one line of metrics per
validation; a run killed at any moment leaves each file's previous version whole.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data import PairBatch, PairGenerator
from ..metrics import summarise
from ..models import PairModel
from ..people import DrawingBank, PeoplePairs
from ..photos import paper_look
from ..runtime import autocast_dtype, keep_freed_memory
from ..spec import preset
from ..testsets import VALIDATION_SEED, PairSet, predict_batches
from ..weights import WeightsFolder
from .checkpoint import RunFolder
from .config import TrainConfig
from .distributed import Distributed, setup_distributed
from .losses import all_pairs_loss, every_pair_loss, one_shot_loss
from .pretrain import pretrain_extractor
from .schedule import lr_factor, param_groups

__all__ = ["train", "TrainResult"]


@dataclass
class TrainResult:
    best_score: float  # the best validation score: F1 (with people's pairs, the mean of theirs and the generator's)
    steps: int  # steps run (fewer than asked when target_f1 was reached)
    seconds: float  # training time, validation excluded
    pairs_per_s: float  # all processes together
    history: list[dict] = field(default_factory=list)
    model: PairModel | None = None  # the model as it ended (not the best one)


@dataclass
class Tally:
    """A run's bookkeeping: pairs seen, time spent learning (validation and checkpoints set aside),
    the best and the last validation F1, and the validation records."""

    started: float
    seen: int
    steps: int
    best_score: float
    aside: float = 0.0
    seconds: float = 0.0  # learning time up to the end of the last step
    last_f1: float = math.nan
    history: list[dict] = field(default_factory=list)

    def elapsed(self) -> float:
        """Learning time until now."""
        return time.perf_counter() - self.started - self.aside

    def count(self, step: int, pairs: int) -> None:
        """A step ended: it was step number ``step`` and saw ``pairs`` pairs (all ranks)."""
        self.steps, self.seen, self.seconds = step, self.seen + pairs, self.elapsed()

    @property
    def rate(self) -> float:
        """Pairs per second of learning, up to the last step."""
        return self.seen / max(self.seconds, 1e-9)

    @contextlib.contextmanager
    def set_aside(self) -> Iterator[None]:
        """Time spent inside is not learning time."""
        paused = time.perf_counter()
        try:
            yield
        finally:
            self.aside += time.perf_counter() - paused


@dataclass
class Mixed:
    """A step's pairs from several sources as one batch (the generator's, then people's)."""

    a: torch.Tensor
    b: torch.Tensor
    label: torch.Tensor
    ids: torch.Tensor  # (2B,) identities of pictures a then b

    @classmethod
    def of(cls, *parts) -> Mixed:
        ids = [p.identities() for p in parts]
        halves = [i[: len(p.a)] for i, p in zip(ids, parts, strict=True)] + [
            i[len(p.a) :] for i, p in zip(ids, parts, strict=True)
        ]
        return cls(*(torch.cat([getattr(p, k) for p in parts]) for k in ("a", "b", "label")), torch.cat(halves))

    def identities(self) -> torch.Tensor:
        return self.ids


@dataclass
class Group:
    """A step's pictures for :class:`EveryPair`: each identity's first picture, then each one's second."""

    pictures: torch.Tensor  # (2n, 3, S, S)
    identities: torch.Tensor  # (2n,) equal numbers, the same shape
    rivals: torch.Tensor | None = None  # (2n,) the identity a picture's shape is a near miss of (-1: none)

    @classmethod
    def of(cls, *parts: tuple[torch.Tensor, ...]) -> Group:
        """One group of several sources' ``(pictures, identities[, rivals])``, firsts then seconds."""
        parts = tuple((*p[:2], p[2] if len(p) > 2 else torch.full_like(p[1], -1)) for p in parts)
        firsts = [[x[: len(x) // 2] for x in part] for part in parts]
        seconds = [[x[len(x) // 2 :] for x in part] for part in parts]
        return cls(*(torch.cat([f[k] for f in firsts] + [s[k] for s in seconds]) for k in range(3)))

    @property
    def pairs(self) -> int:
        """Labelled pairs: every two pictures."""
        n = len(self.identities)
        return n * (n - 1) // 2


class EveryPair(torch.nn.Module):
    """The model as the every-pair step calls it (under DDP when there are several ranks): the stem once per
    picture, then every pair of the batch through the gate, as a pair is compared."""

    def __init__(self, model: PairModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.every_pair(self.model.features(x))


@dataclass
class Trainer:
    """What one step needs, built once: the model (and its DDP wrapper), optimiser, data, precision."""

    config: TrainConfig
    ranks: Distributed
    device: torch.device
    model: PairModel  # the model being trained
    wrapped: torch.nn.Module  # what a step calls: the model, under DDP with several ranks, compiled if asked
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    data: tuple[PairGenerator, ...]  # step s trains on data[s % len(data)]
    validation: PairSet
    memory_format: torch.memory_format
    amp_dtype: torch.dtype | None
    people: PeoplePairs | None = None  # people's drawings, a share of every batch
    people_validation: PairSet | None = None  # pairs of people's drawings of characters training never sees

    def batch(self, step: int) -> PairBatch | Mixed | Group:
        """The step's pairs: each rank draws its own block, so the data position is the step (and with
        mixed presets, the step also says whose turn it is); ``people`` of them are people's drawings. With
        ``every_pair``, identities drawn twice instead (:class:`Group`)."""
        c, w = self.config, self.ranks
        block, people = step * w.world + w.rank, round(c.batch_size * c.people)
        data = self.data[step % len(self.data)]
        if c.every_pair:
            mine = [self.people.group(block, people)] if people else []
            shapes = c.batch_size - people
            group = Group.of(*mine, *([data.group(block, shapes, upright=c.upright)] if shapes else []))
            looked = paper_look(group.pictures, c.paper, seed=c.seed * 1_000_003 + block)
            return Group(looked, group.identities, group.rivals)
        start = block * c.batch_size
        pairs = data(start, c.batch_size - people)
        pairs = Mixed.of(pairs, self.people(start, people)) if people else pairs
        if c.paper:
            looked = paper_look(torch.cat([pairs.a, pairs.b]), c.paper, seed=c.seed * 1_000_003 + block)
            pairs.a, pairs.b = looked[: len(pairs.a)], looked[len(pairs.a) :]
        return pairs

    def step(self, step: int, batch: PairBatch | Mixed | Group | None = None) -> float:
        """One optimiser step on the step's batch (made now unless it was made ahead); returns the loss."""
        c = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = c.lr * lr_factor(step, c.warmup, c.steps)
        batch = self.batch(step) if batch is None else batch
        autocast = (
            torch.autocast(self.device.type, dtype=self.amp_dtype) if self.amp_dtype else contextlib.nullcontext()
        )
        if isinstance(batch, Group):
            with autocast:
                logits, _ = self.wrapped(batch.pictures.contiguous(memory_format=self.memory_format))
            ids = batch.identities.to(self.device)
            rivals = None if batch.rivals is None else batch.rivals.to(self.device)
            loss = every_pair_loss(logits, ids, rivals, c.hard_pairs) + c.one_shot * one_shot_loss(logits, ids)
            return self._descend(loss)
        a = batch.a.contiguous(memory_format=self.memory_format)
        b = batch.b.contiguous(memory_format=self.memory_format)
        with autocast:
            fused = self.wrapped(a, b)
        loss = F.binary_cross_entropy_with_logits(fused.logit.float(), batch.label)
        if c.batch_pairs > 0 and self.model.cosine_classifier:
            loss = loss + c.batch_pairs * all_pairs_loss(self.model, fused, batch.identities().to(self.device))
        return self._descend(loss)

    def _descend(self, loss: torch.Tensor) -> float:
        """Backward, clip, step; returns the loss."""
        c = self.config
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.wrapped.parameters(), c.clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.item()

    def validate(self) -> dict:
        """Validation metrics on the fixed pairs; with several ranks each scores a share and all see the total."""
        self.ranks.average_buffers(self.model)
        w = self.ranks
        metrics = {}
        for prefix, v in (("", self.validation), ("people_", self.people_validation)):
            if v is not None:
                share = PairSet(v.name, v.generator, v.index[w.rank :: w.world])
                # the generator's pairs as the app answers them; people's characters upright (b is not d)
                parts = predict_batches(self.model, share.batches(256), turns=not prefix)
                got = summarise(*(w.gather(part) for part in parts))
                metrics.update({prefix + k: x for k, x in got.items()})
        # what a better model is: the generator's F1, and people's too when the run learns from them
        metrics["score"] = (metrics["f1"] + metrics["people_f1"]) / 2 if "people_f1" in metrics else metrics["f1"]
        return metrics


def train(config: TrainConfig, callback: Callable[[int, PairModel], None] | None = None) -> TrainResult:
    """Train a model as ``config`` says; returns the best validation F1 and timings.

    ``callback(step, model)`` runs after every finished step (and its checkpoint, if any), with the model
    as it is then (score it, but hand it back in training mode); raising from it stops the run there,
    as a Ctrl-C would.
    """
    ranks, device = setup_distributed(config.device)
    run = RunFolder(config.out)
    if ranks.main:
        run.prepare()
    if config.resume:
        config = resumed_config(config)
    trainer, pre_seconds, (start, best_score, so_far) = _set_up(config, ranks, device, run)
    pre_pairs = config.pretrain_steps * config.batch_size  # pre-training counts as training: its pairs and time
    # a resumed run's clock and pair count go on from its checkpoint's record
    began = time.perf_counter() - pre_seconds - so_far.get("seconds", 0.0)
    tally = Tally(began, so_far.get("pairs", pre_pairs), start, best_score)
    bar = tqdm(
        range(start, config.steps),
        initial=start,
        total=config.steps,
        disable=not (config.progress and ranks.main),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
    trainer.wrapped.train()
    ahead = config.prefetch if config.prefetch >= 0 else (0 if device.type == "cpu" else 2)
    batches = made_ahead(trainer.batch, range(start, config.steps), ahead)
    for step in bar:
        loss = trainer.step(step, next(batches))
        tally.count(step + 1, config.pairs_per_step * ranks.world)
        bar.set_postfix(loss=f"{loss:.4f}", f1=f"{tally.last_f1:.4f}", pairs_s=f"{tally.rate:.0f}")
        if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
            with tally.set_aside():
                f1 = _validate_and_save(trainer, run, tally, step + 1, loss, pre_pairs)
            if config.target_f1 and f1 >= config.target_f1:
                break
        if callback is not None:
            callback(step + 1, trainer.model)
    bar.close()
    seconds = tally.elapsed()
    ranks.average_buffers(trainer.model)
    ranks.barrier()  # the checkpoint is on disk before any rank moves on
    rate = tally.seen / max(seconds, 1e-9)
    return TrainResult(tally.best_score, tally.steps, seconds, rate, tally.history, trainer.model)


def made_ahead(make: Callable[[int], object], steps: range, depth: int) -> Iterator:
    """``make(step)`` for each step in order; with ``depth``, made that many steps ahead in a background
    thread (the next batches are drawn while the current one trains: an accelerator need not wait for
    the CPU's part of the data). The thread stops with the run (it is a daemon, and fills a bounded queue)."""
    if depth <= 0:
        return (make(step) for step in steps)
    made: queue.Queue = queue.Queue(maxsize=depth)

    def work() -> None:
        try:
            for step in steps:
                made.put((make(step), None))
        except BaseException as err:  # handed to the training loop, which raises it
            made.put((None, err))

    threading.Thread(target=work, name="shapesim-batches", daemon=True).start()

    def taken() -> Iterator:
        for _ in steps:
            batch, err = made.get()
            if err is not None:
                raise err
            yield batch

    return taken()


def resumed_config(asked: TrainConfig) -> TrainConfig:
    """A resumed run's config: the one it was started with, and this call's device and progress bar."""
    run = RunFolder(asked.out)
    if not run.can_resume:
        raise ValueError(f"nothing to resume: {run / run.STATE} does not exist")
    saved = run.load_train_config()
    return TrainConfig(**{**asdict(saved), "resume": True, "progress": asked.progress, "device": asked.device})


def _set_up(
    config: TrainConfig, ranks: Distributed, device: torch.device, run: RunFolder
) -> tuple[Trainer, float, tuple[int, float, dict]]:
    """The model (pre-trained, frozen or resumed as asked), optimiser, data and precision; the
    seconds pre-training took; and (first step, best F1 so far, the resumed checkpoint's metrics record)."""
    amp_dtype = autocast_dtype(config.precision, device)
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(config.seed)
    model = config.build_model().to(device)  # the same initial weights on every rank
    memory_format = torch.channels_last if config.channels_last and device.type != "mps" else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    if config.init and not config.resume:
        _start_from(model, config.init)
    started = time.perf_counter()
    if config.pretrain != "none" and not config.resume:
        if ranks.world > 1:
            raise ValueError("pre-training runs in one process; start it without torchrun")
        pretrain_extractor(model, config, device, memory_format)
    pre_seconds = time.perf_counter() - started
    if config.freeze_backbone:
        model.freeze_backbone()  # the model keeps it fixed through every train() and eval()
    optimizer = torch.optim.AdamW(param_groups(model, config.weight_decay), lr=config.lr, betas=(0.9, 0.99))
    start = _resume_or_start(config, ranks, run, model, optimizer, device)
    seen_classes = preset(config.preset, holdout=config.holdout)  # without this run's hard-pair shares
    validation = PairGenerator(seen_classes, config.image_size, seed=VALIDATION_SEED, device=device)
    people = people_validation = None
    if config.people:
        learn, held = DrawingBank.load(config.omniglot).split()  # a tenth of the characters only for validation
        kin, turn = config.same_alphabet, config.people_turn
        people = PeoplePairs(learn, config.image_size, seed=config.seed, device=device, same_alphabet=kin, turn=turn)
        held_pairs = PeoplePairs(held, config.image_size, seed=VALIDATION_SEED, device=device)
        people_validation = PairSet("people", held_pairs, np.arange(config.eval_pairs))
    wrapped = ranks.wrap(EveryPair(model) if config.every_pair else model, device)
    trainer = Trainer(
        config=config,
        ranks=ranks,
        device=device,
        model=model,
        wrapped=torch.compile(wrapped) if config.compile else wrapped,
        optimizer=optimizer,
        scaler=torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16 and device.type == "cuda"),
        data=tuple(PairGenerator(spec, config.image_size, seed=config.seed, device=device) for spec in config.specs()),
        validation=PairSet("validation", validation, np.arange(config.eval_pairs)),
        memory_format=memory_format,
        amp_dtype=amp_dtype,
        people=people,
        people_validation=people_validation,
    )
    return trainer, pre_seconds, start


def _start_from(model: PairModel, folder: str) -> None:
    """Fine-tuning: the run's model takes the weights of the model in ``folder`` (same design). A model of
    the same design but another depth lends what fits it (the stem's stages and the classifier; the gate
    and projection, of other widths, start anew), and says so."""
    weights = WeightsFolder(folder)
    if not (weights / weights.CONFIG).is_file():
        raise ValueError(f"init: no model in {folder} (it has no {weights.CONFIG})")
    source = weights.load_model()
    if type(source) is not type(model):
        raise ValueError(f"init: {folder} holds a {source.arch} model; this run trains {model.arch}")
    theirs, mine = source.state_dict(), model.state_dict()
    if getattr(source, "depth", None) != getattr(model, "depth", None) and hasattr(model, "depth"):
        fits = {k: v for k, v in theirs.items() if k in mine and mine[k].shape == v.shape}
        model.load_state_dict(fits, strict=False)
        print(f"init: {len(fits)} of the model's {len(mine)} tensors from {folder} (another depth); the rest anew")
        return
    try:
        model.load_state_dict(theirs)
    except RuntimeError as e:
        raise ValueError(f"init: the model in {folder} has other sizes than this run's ({e})") from None


def _resume_or_start(
    config: TrainConfig, ranks: Distributed, run: RunFolder, model: PairModel, optimizer, device: torch.device
) -> tuple[int, float, dict]:
    """(first step, best F1 so far, the metrics record of the step resumed from — {} on a fresh start or
    another rank than the first): from the resume state, or a fresh start; and the run's config on disk."""
    start, best_score, so_far = 0, -1.0, {}
    if config.resume:
        start, best_score = run.load_state(model, optimizer, device)
        if ranks.main:
            so_far = run.forget_metrics_after(start)
    elif ranks.main:
        run.clear_metrics()
    if ranks.main:
        run.save_train_config(config)
    return start, best_score, so_far


def _validate_and_save(trainer: Trainer, run: RunFolder, tally: Tally, step: int, loss: float, pre_pairs: int) -> float:
    """Score the fixed validation pairs, log them, keep the model if it is the best so far and the
    resume state always; returns the validation F1."""
    c, ranks = trainer.config, trainer.ranks
    metrics = trainer.validate()
    tally.last_f1 = metrics["f1"]
    record = {
        "step": step,
        "pairs": pre_pairs + step * c.pairs_per_step * ranks.world,
        "pictures": step * 2 * c.batch_size * ranks.world,
        "loss": round(loss, 6),
        "lr": trainer.optimizer.param_groups[0]["lr"],
        "seconds": round(tally.seconds, 2),
        "pairs_per_s": round(tally.rate, 1),
        **{f"val_{k}": v for k, v in metrics.items()},
    }
    tally.history.append(record)
    improved = metrics["score"] >= tally.best_score  # on a tie the later, longer-trained model wins
    tally.best_score = max(tally.best_score, metrics["score"])
    if ranks.main:  # one writer; every rank holds the same weights
        run.append_metrics(record)
        if improved:
            run.save_model(trainer.model)
        run.save_state(trainer.model, trainer.optimizer, step, tally.best_score)
    return metrics["f1"]
