"""Training: a config, a flat loop, validation, and checkpoints that survive a kill.

    python -m shapesim train --steps 3000 --out runs/mine

The output folder holds everything a run leaves behind:

    config.json, model.safetensors   the best model so far (AGFusionModel.from_pretrained reads it)
    train_config.json                this run's TrainConfig
    metrics.jsonl                    one line per validation
    last.safetensors                 the state to resume from (model, optimizer, step)

Every file is written to a temporary name and renamed, so a run killed at any
moment leaves the previous version of each file whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import Tensor
from tqdm import tqdm

from .data import PairGenerator, preset
from .evaluate import VALIDATION_SEED, PairSet, predict_batches, summarise
from .model import AGFusionModel

__all__ = ["TrainConfig", "train", "select_device", "atomic_write"]

STATE_NAME = "last.safetensors"


@dataclass
class TrainConfig:
    """Everything that decides a training run (saved next to its checkpoint)."""

    arch: str = "agfusion"  # the design: agfusion, crossattn, concat or regionmatch (shapesim.archs)
    preset: str = "mixed"  # generator preset to train on
    holdout: tuple[str, ...] = ("crescent", "arrow")  # classes never shown in training
    image_size: int = 64
    steps: int = 3000
    batch_size: int = 64  # pairs per step
    lr: float = 2e-3  # peak learning rate (AdamW)
    weight_decay: float = 0.05  # not applied to norms and biases
    clip: float = 1.0  # gradient norm clipping
    warmup: int = 100  # linear warm-up steps, then cosine decay to zero
    hard_negatives: float = 0.25  # share of negatives that differ only in class
    hard_positives: float = 0.25  # share of positives that differ in everything else
    batch_pairs: float = 1.0  # weight of the loss on every pair of pictures in a batch (agfusion; 0 = off)
    pretrain: str = "none"  # agfusion: none | contrastive | jigsaw, run for pretrain_steps before training
    pretrain_steps: int = 0  # steps of pre-training of the feature extractor (batches of batch_size pairs)
    freeze_backbone: bool = False  # agfusion: train only gate, projection and classifier on a fixed extractor
    embedding_dim: int = 128
    seed: int = 0
    device: str = "auto"  # auto = cuda, then mps, then cpu
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    channels_last: bool = True
    eval_every: int = 250  # steps between validations (and checkpoints)
    eval_pairs: int = 512  # fixed validation pairs
    target_f1: float = 0.0  # stop once validation F1 reaches this (0: run all steps)
    out: str = "runs/latest"
    resume: bool = False  # continue the run in `out` from its last checkpoint
    progress: bool = True  # show a progress bar

    def __post_init__(self) -> None:
        self.holdout = tuple(self.holdout)
        for name in ("image_size", "steps", "batch_size", "eval_every", "eval_pairs"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.lr <= 0 or self.weight_decay < 0 or self.clip <= 0 or self.warmup < 0:
            raise ValueError("lr and clip must be positive; weight_decay and warmup must not be negative")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be one of auto, fp32, bf16, fp16; got {self.precision!r}")
        self.spec()  # validates preset, holdout and shares
        from .archs import model_class

        model_class(self.arch)  # validates the design
        if self.pretrain not in PRETRAIN:
            raise ValueError(f"pretrain must be one of {', '.join(PRETRAIN)}; got {self.pretrain!r}")
        if (self.pretrain != "none" or self.freeze_backbone) and self.arch != "agfusion":
            raise ValueError("pretrain and freeze_backbone are options of the agfusion design")
        if self.pretrain == "jigsaw" and self.image_size % 2:
            raise ValueError(f"jigsaw cuts pictures into 2×2 tiles: image_size must be even, got {self.image_size}")
        if self.pretrain_steps < 0 or (self.pretrain != "none") != (self.pretrain_steps > 0):
            raise ValueError("pretrain_steps must be positive with a pretrain task, and 0 without")

    def spec(self):
        from dataclasses import replace

        base = preset(self.preset, holdout=self.holdout)
        return replace(base, hard_negatives=self.hard_negatives, hard_positives=self.hard_positives)

    def model_kwargs(self) -> dict:
        return {"embedding_dim": self.embedding_dim} if self.arch == "agfusion" else {}

    def build_model(self) -> torch.nn.Module:
        from .archs import model_class

        return model_class(self.arch)(**self.model_kwargs())

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        data = json.loads(Path(path).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


PRETRAIN = ("none", "contrastive", "jigsaw")


def contrastive_loss(embeddings: Tensor, classes: Tensor, temperature: float = 0.1) -> Tensor:
    """Supervised contrastive loss: each picture is pulled towards the others of its class, pushed from the rest."""
    e = F.normalize(embeddings.float(), dim=1)
    logits = e @ e.T / temperature
    eye = torch.eye(len(e), dtype=torch.bool, device=e.device)
    logits = logits.masked_fill(eye, float("-inf"))
    positive = (classes[:, None] == classes[None, :]) & ~eye
    log_prob = logits - logits.logsumexp(dim=1, keepdim=True)
    has = positive.any(dim=1)
    return -(log_prob.masked_fill(~positive, 0).sum(1)[has] / positive.sum(1)[has]).mean()


_PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))  # 24 orders of 2×2 tiles


def jigsaw(x: Tensor, order: Tensor) -> Tensor:
    """Pictures ``(B, C, H, W)`` with their 2×2 tiles put in ``_PERMUTATIONS[order]``."""
    b, c, h, w = x.shape
    tiles = x.view(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    tiles = tiles[torch.arange(b, device=x.device)[:, None], _PERMUTATIONS.to(x.device)[order]]
    return tiles.view(b, 2, 2, c, h // 2, w // 2).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


def pretrain_extractor(model: AGFusionModel, config: TrainConfig, device: torch.device, memory_format) -> None:
    """Train the feature extractor alone, before the classifier, on a task of its own.

    ``contrastive``: the embeddings of a batch's pictures with a supervised
    contrastive loss (backbone, gate and projection learn; the classifier does
    not). ``jigsaw``: self-supervised, no labels: each picture's 2×2 tiles are
    shuffled into one of 24 orders and a linear head on the pooled backbone
    features must say which (the head is thrown away afterwards).
    """
    gen = PairGenerator(config.spec(), config.image_size, seed=config.seed + 7919, device=device)
    head = torch.nn.Linear(256, len(_PERMUTATIONS)).to(device)
    params = [*model.parameters(), *head.parameters()] if config.pretrain == "jigsaw" else list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    shuffle = torch.Generator().manual_seed(config.seed)
    model.train()
    bar = tqdm(range(config.pretrain_steps), disable=not config.progress, desc=f"pretrain ({config.pretrain})")
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(
                step, min(config.warmup, config.pretrain_steps // 4), config.pretrain_steps
            )
        batch = gen(step * config.batch_size, config.batch_size)
        x = torch.cat([batch.a, batch.b]).contiguous(memory_format=memory_format)
        if config.pretrain == "contrastive":
            classes = torch.cat([batch.params_a.cls, batch.params_b.cls]).to(device)
            loss = contrastive_loss(model.embed(x), classes)
        else:
            order = torch.randint(len(_PERMUTATIONS), (len(x),), generator=shuffle).to(device)
            features = model.features(jigsaw(x, order).contiguous(memory_format=memory_format))
            loss = F.cross_entropy(head(features.mean(dim=(2, 3))), order)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.clip)
        optimizer.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")


def _freeze_backbone(model: AGFusionModel) -> None:
    """A fixed extractor: no gradients, and BatchNorm keeps the statistics it has."""
    model.backbone.requires_grad_(False)
    model.backbone.eval()


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse instead of handing it back to the system.

    Every training step allocates and frees the same large activations. glibc
    serves a block over 32 MB (at batch 64 a 256×16×16 feature map is 33.5 MB)
    with fresh pages from the kernel and returns them when freed, so every
    step page-faults its way through them again: a fifth of the step time
    here. With mmap off (M_MMAP_MAX = 0) and trimming off, blocks come from
    the heap and are reused. Process-wide and lasting; False where there is
    no glibc (macOS, Windows, musl), which changes nothing there.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's malloc.h


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``; None means plain fp32.

    ``auto`` uses bf16 on GPUs that have it (fp16 otherwise) and on CPUs with
    native bf16 kernels (oneDNN with AVX-512 BF16 or AMX). On other CPUs bf16
    convolutions fall back to slow reference code (measured here: 8× slower
    than fp32 on an AVX2 machine), so auto stays in fp32 there.
    """
    if precision == "fp32":
        return None
    if precision in ("bf16", "fp16"):
        return torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.bfloat16
    return None


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result onto ``path`` (same folder, so the rename is atomic)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def save_model(model: AGFusionModel, out: Path) -> None:
    """The loadable model: ``config.json`` and ``model.safetensors``, each replaced atomically."""
    config = model.config()  # the design and the init arguments PyTorchModelHubMixin recorded
    atomic_write(out / "config.json", lambda p: p.write_text(json.dumps(config, indent=2) + "\n"))
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    atomic_write(out / "model.safetensors", lambda p: save_file(state, str(p), metadata={"format": "pt"}))


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up to 1, then cosine decay to 0 at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def save_state(path: Path, model, optimizer, step: int, best_f1: float) -> None:
    """Model, optimizer and position of a run, as safetensors (no pickle)."""
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    for pid, state in opt["state"].items():
        for key, value in state.items():
            tensors[f"optim.{pid}.{key}"] = torch.as_tensor(value).detach().contiguous().cpu()
    meta = {"step": str(step), "best_f1": repr(best_f1), "param_groups": json.dumps(opt["param_groups"])}
    atomic_write(path, lambda p: save_file(tensors, str(p), metadata=meta))


def load_state(path: Path, model, optimizer, device: torch.device) -> tuple[int, float]:
    """Restore what :func:`save_state` wrote; returns (next step, best F1)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(path), device=str(device))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value.cpu() if name == "step" else value
    optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
    return int(meta["step"]), float(meta["best_f1"])


def all_pairs_loss(model: AGFusionModel, out, classes: Tensor) -> Tensor:
    """The same/different loss on every pair of the 2B pictures in a batch, not only the B drawn pairs.

    The classifier sees nothing but the cosine, so any two embeddings of the
    batch make a training pair for it; the generator knows every picture's
    class. That turns B labels per step into 2B(2B-1)/2, balanced here so
    that positives and negatives weigh the same.
    """
    e = F.normalize(torch.cat([out.embedding_a, out.embedding_b]).float(), dim=1)
    logits = model.classifier((e @ e.T).unsqueeze(-1).to(model.classifier.weight.dtype)).squeeze(-1).float()
    same = classes[:, None] == classes[None, :]
    off_diagonal = ~torch.eye(len(classes), dtype=torch.bool, device=classes.device)
    losses = F.binary_cross_entropy_with_logits(logits, same.float(), reduction="none")
    pos, neg = same & off_diagonal, ~same
    return 0.5 * (losses[pos].mean() + losses[neg].mean())


def _forget_metrics_after(path: Path, step: int) -> None:
    """Drop the records a killed run wrote after its last checkpoint: the resumed run writes them again."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            pass  # a line cut off by the kill
    atomic_write(path, lambda p: p.write_text("".join(line + "\n" for line in kept)))


def _check_writable(out: Path) -> None:
    """Fail now, not after an hour of training, if the output folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"cannot write checkpoints to {out}: {err.strerror or err}") from err


@dataclass(frozen=True)
class Distributed:
    """This process's place in a run: rank 0 of 1 unless started by torchrun."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_name: str) -> tuple[Distributed, torch.device]:
    """Join the process group torchrun describes (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR/PORT).

    NCCL on GPUs, gloo on CPUs. A plain ``python -m shapesim train`` is rank 0 of 1.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), select_device(device_name)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available() and device_name in ("auto", "cuda"):
        torch.cuda.set_device(local)
        device, backend = torch.device("cuda", local), "nccl"
    else:
        device, backend = select_device("cpu" if device_name == "auto" else device_name), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return Distributed(rank, world, local), device


def _gather(values: np.ndarray, where: Distributed) -> np.ndarray:
    """Every rank's ``values``, concatenated in rank order (the identity on one process)."""
    if where.world == 1:
        return values
    parts: list = [None] * where.world
    dist.all_gather_object(parts, values)
    return np.concatenate(parts)


@dataclass
class TrainResult:
    best_f1: float
    steps: int  # steps run (fewer than asked when target_f1 was reached)
    seconds: float  # training time, validation excluded
    pairs_per_s: float  # all processes together
    history: list[dict] = field(default_factory=list)
    model: AGFusionModel | None = None  # the model as it ended (not the best one)


def train(config: TrainConfig, callback: Callable[[int], None] | None = None) -> TrainResult:
    """Train an AGFusionModel as ``config`` says; returns the best validation F1 and timings.

    ``callback(step)`` runs after every finished step (and its checkpoint, if any);
    raising from it stops the run there, as a Ctrl-C would.
    """
    out = Path(config.out)
    where, device = setup_distributed(config.device)
    if where.main:
        _check_writable(out)
        for stale in out.glob(".*.tmp-*"):  # half-written files of a run killed while saving
            stale.unlink(missing_ok=True)
    amp_dtype = autocast_dtype(config.precision, device)
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(config.seed)

    core = config.build_model().to(device)  # the same initial weights on every rank
    memory_format = torch.channels_last if config.channels_last and device.type != "mps" else torch.contiguous_format
    core = core.to(memory_format=memory_format)
    pre_started = time.perf_counter()
    if config.pretrain != "none" and not config.resume:
        if where.world > 1:
            raise ValueError("pre-training runs in one process; start it without torchrun")
        pretrain_extractor(core, config, device, memory_format)
    pre_seconds = time.perf_counter() - pre_started
    if config.freeze_backbone:
        _freeze_backbone(core)
    optimizer = torch.optim.AdamW(_param_groups(core, config.weight_decay), lr=config.lr, betas=(0.9, 0.99))
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16 and device.type == "cuda")

    start_step, best_f1 = 0, -1.0
    if config.resume:
        if not (out / STATE_NAME).is_file():
            raise ValueError(f"nothing to resume: {out / STATE_NAME} does not exist")
        saved = TrainConfig.from_json(out / "train_config.json")
        config = TrainConfig(**{**asdict(saved), "resume": True, "progress": config.progress, "device": config.device})
        start_step, best_f1 = load_state(out / STATE_NAME, core, optimizer, device)
        if where.main:
            _forget_metrics_after(out / "metrics.jsonl", start_step)
    elif where.main:
        (out / "metrics.jsonl").unlink(missing_ok=True)
    if where.main:
        atomic_write(out / "train_config.json", lambda p: p.write_text(json.dumps(asdict(config), indent=2) + "\n"))
    # DistributedDataParallel averages the gradients of all ranks in backward.
    model = (
        torch.nn.parallel.DistributedDataParallel(core, device_ids=[device.index] if device.type == "cuda" else None)
        if where.world > 1
        else core
    )

    train_gen = PairGenerator(config.spec(), config.image_size, seed=config.seed, device=device)
    val_spec = preset(config.preset, holdout=config.holdout)
    validation = PairSet(
        "validation",
        PairGenerator(val_spec, config.image_size, seed=VALIDATION_SEED, device=device),
        torch.arange(config.eval_pairs).numpy(),
    )
    autocast = (lambda: torch.autocast(device.type, dtype=amp_dtype)) if amp_dtype else contextlib.nullcontext

    history: list[dict] = []
    bar = tqdm(
        range(start_step, config.steps),
        initial=start_step,
        total=config.steps,
        disable=not (config.progress and where.main),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
    # Training time excludes validation and checkpoints, so pairs/s and time-to-F1 measure learning alone.
    # Pre-training counts as training: its time and its pairs.
    pre_pairs = config.pretrain_steps * config.batch_size
    started, aside, seen, last_f1 = (
        time.perf_counter() - pre_seconds,
        0.0,
        0 if config.resume else pre_pairs,
        float("nan"),
    )
    last_step = start_step
    model.train()
    if config.freeze_backbone:
        core.backbone.eval()
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(step, config.warmup, config.steps)
        # The data position is the step; each rank draws its own block of pairs.
        batch = train_gen((step * where.world + where.rank) * config.batch_size, config.batch_size)
        a = batch.a.contiguous(memory_format=memory_format)
        b = batch.b.contiguous(memory_format=memory_format)
        with autocast():
            fused = model(a, b)
        loss = F.binary_cross_entropy_with_logits(fused.logit.float(), batch.label)
        if config.batch_pairs > 0 and config.arch == "agfusion":  # needs embeddings and a cosine classifier
            classes = torch.cat([batch.params_a.cls, batch.params_b.cls]).to(device)
            loss = loss + config.batch_pairs * all_pairs_loss(core, fused, classes)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        scaler.step(optimizer)
        scaler.update()
        seen += config.batch_size * where.world
        last_step = step + 1
        training_seconds = time.perf_counter() - started - aside
        rate = seen / training_seconds
        bar.set_postfix(loss=f"{loss.item():.4f}", f1=f"{last_f1:.4f}", pairs_s=f"{rate:.0f}")

        if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
            paused = time.perf_counter()
            _average_buffers(core, where)
            metrics = _validate(core, validation, where)
            if config.freeze_backbone:
                core.backbone.eval()  # validation put every module back in training mode
            last_f1 = metrics["f1"]
            record = {
                "step": step + 1,
                "pairs": pre_pairs + (step + 1) * config.batch_size * where.world,
                "loss": round(loss.item(), 6),
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(training_seconds, 2),
                "pairs_per_s": round(rate, 1),
                **{f"val_{k}": v for k, v in metrics.items()},
            }
            history.append(record)
            improved = metrics["f1"] >= best_f1  # on a tie the later, longer-trained model wins
            best_f1 = max(best_f1, metrics["f1"])
            if where.main:  # one writer; every rank holds the same weights
                with open(out / "metrics.jsonl", "a") as f:
                    f.write(json.dumps(record) + "\n")
                if improved:
                    save_model(core, out)
                save_state(out / STATE_NAME, core, optimizer, step + 1, best_f1)
            aside += time.perf_counter() - paused
            if config.target_f1 and metrics["f1"] >= config.target_f1:
                break
        if callback is not None:
            callback(step + 1)
    bar.close()
    seconds = time.perf_counter() - started - aside
    if where.world > 1:
        _average_buffers(core, where)
        dist.barrier()  # the checkpoint is on disk before any rank moves on
    return TrainResult(best_f1, last_step, seconds, seen / max(seconds, 1e-9), history, core)


def _average_buffers(model: AGFusionModel, where: Distributed) -> None:
    """Average BatchNorm running statistics over the ranks, so every rank validates and saves the same model.

    (DDP broadcasts rank 0's buffers before each forward, but the last forward
    leaves each rank one update apart; SyncBatchNorm would need GPUs.)
    """
    if where.world == 1:
        return
    for buf in model.buffers():
        if buf.is_floating_point():
            dist.all_reduce(buf, op=dist.ReduceOp.SUM)
            buf /= where.world


def _validate(model: AGFusionModel, validation: PairSet, where: Distributed) -> dict:
    """Validation metrics; with several ranks each scores a share of the pairs and all see the total."""
    share = PairSet(validation.name, validation.generator, validation.index[where.rank :: where.world])
    return summarise(*(_gather(part, where) for part in predict_batches(model, share.batches(256))))
