"""The seed's proposed improvements to the extractor: pre-training it on a task of its own (freezing it is
the model's own: :meth:`shapesim.models.PairModel.freeze_backbone`)."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm import tqdm

from ..data import PairGenerator
from ..models import PairModel
from .config import TrainConfig
from .losses import contrastive_loss
from .schedule import lr_factor

__all__ = ["jigsaw", "pretrain_extractor"]

_PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))  # 24 orders of 2×2 tiles


def jigsaw(x: Tensor, order: Tensor) -> Tensor:
    """Pictures ``(B, C, H, W)`` with their 2×2 tiles put in ``_PERMUTATIONS[order]``."""
    b, c, h, w = x.shape
    tiles = x.view(b, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, c, h // 2, w // 2)
    tiles = tiles[torch.arange(b, device=x.device)[:, None], _PERMUTATIONS.to(x.device)[order]]
    return tiles.view(b, 2, 2, c, h // 2, w // 2).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


def pretrain_extractor(model: PairModel, config: TrainConfig, device: torch.device, memory_format) -> None:
    """Train the feature extractor alone, before the classifier, on a task of its own.

    ``contrastive``: the embeddings of a batch's pictures with a supervised
    contrastive loss, pictures of one identity pulled together (backbone, gate
    and projection learn; the classifier does not). ``jigsaw``: self-supervised, no labels: each picture's 2×2 tiles are
    shuffled into one of 24 orders and a linear head on the pooled backbone
    features must say which (the head is thrown away afterwards).
    """
    gen = PairGenerator(config.spec(), config.image_size, seed=config.seed + 7919, device=device)
    head = torch.nn.Linear(model.feature_channels, len(_PERMUTATIONS)).to(device)
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
            loss = contrastive_loss(model.embed(x), batch.identities().to(device))
        else:
            order = torch.randint(len(_PERMUTATIONS), (len(x),), generator=shuffle).to(device)
            features = model.features(jigsaw(x, order).contiguous(memory_format=memory_format))
            loss = F.cross_entropy(head(features.mean(dim=(2, 3))), order)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.clip)
        optimizer.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
