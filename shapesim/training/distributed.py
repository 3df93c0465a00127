"""Training on several processes, GPUs or machines: the process group torchrun describes.

Each rank draws its own block of pairs, DDP averages the gradients, and the
helpers here average BatchNorm statistics and gather validation answers, so
that every rank validates and saves the same model. A plain
``python -m shapesim train`` is rank 0 of 1 and none of this costs anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from ..runtime import select_device

__all__ = ["Distributed", "setup_distributed"]


@dataclass(frozen=True)
class Distributed:
    """This process's place in a run: rank 0 of 1 unless started by torchrun."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """``model`` as the training step should call it: under DDP, which averages the gradients
        of all ranks in backward, when there are several."""
        if self.world == 1:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def gather(self, values: np.ndarray) -> np.ndarray:
        """Every rank's ``values``, concatenated in rank order (the identity on one process)."""
        if self.world == 1:
            return values
        parts: list = [None] * self.world
        dist.all_gather_object(parts, values)
        return np.concatenate(parts)

    def average_buffers(self, model: torch.nn.Module) -> None:
        """Average BatchNorm running statistics over the ranks, so every rank validates and saves the same model.

        (DDP broadcasts rank 0's buffers before each forward, but the last forward
        leaves each rank one update apart; SyncBatchNorm would need GPUs.)
        """
        if self.world == 1:
            return
        for buf in model.buffers():
            if buf.is_floating_point():
                dist.all_reduce(buf, op=dist.ReduceOp.SUM)
                buf /= self.world

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


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
