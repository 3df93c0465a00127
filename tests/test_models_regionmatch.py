"""Region matching: the Hungarian assignment it builds on."""

import itertools

import numpy as np
import torch

from shapesim.models import hungarian


def test_hungarian_is_a_permutation_and_the_best_one():
    rng = np.random.default_rng(0)
    sims = torch.as_tensor(rng.normal(size=(5, 5, 5)), dtype=torch.float32)
    match = hungarian(sims)
    for s, m in zip(sims, match, strict=True):
        assert sorted(m.tolist()) == list(range(5))
        best = max(itertools.permutations(range(5)), key=lambda p: sum(s[i, p[i]] for i in range(5)))
        assert m.tolist() == list(best)
    assert hungarian(torch.zeros(0, 4, 4)).shape == (0, 4)
