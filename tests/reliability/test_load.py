"""Load: 20 clients at once, 10 compares each, against the app on 127.0.0.1.

No error, no lost request, and every answer is the one for its own pictures
(a cross-talk between concurrent requests would hand a client another pair's
probability). Latency is printed, not asserted: speed lives in benchmarks/app.py (python -m benchmarks.app).
"""

import numpy as np
import pytest
import torch
from conftest import serve

import app
from benchmarks.app import hammer, load_pairs
from shapesim.models import AGFusionModel
from shapesim.predict import Predictor

CLIENTS, PER_CLIENT = 20, 10


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    torch.manual_seed(1)
    folder = tmp_path_factory.mktemp("w")
    AGFusionModel(embedding_dim=8, logit_scale=3.0).save_pretrained(folder)  # soft answers: each pair its own
    return Predictor.from_pretrained(str(folder), device="cpu")


def test_twenty_clients_at_once_each_get_their_own_answers(predictor, tmp_path):
    pairs = load_pairs(tmp_path, CLIENTS * PER_CLIENT, size=96)
    expected = [predictor.compare(str(a), str(b)).probability for a, b in pairs]
    assert len({round(p, 6) for p in expected}) > 0.9 * len(pairs)  # answers tell the pairs apart
    jobs = [pairs[c * PER_CLIENT : (c + 1) * PER_CLIENT] for c in range(CLIENTS)]

    demo = app.build(predictor, None)
    try:
        answers, seconds = hammer(serve(demo), jobs, timeout=120)
    finally:
        demo.close()

    errors = [a for row in answers for a in row if not isinstance(a, tuple)]
    assert not errors, errors[:3]  # nothing failed, nothing lost (a lost request stays None)
    for c, row in enumerate(answers):
        for r, (verdict, *_rest) in enumerate(row):
            same = next(x["confidence"] for x in verdict["confidences"] if x["label"] == "same shape")
            assert same == pytest.approx(expected[c * PER_CLIENT + r], abs=1e-7), (c, r)
    ms = np.array(seconds) * 1000
    print(
        f"\n{len(ms)} compares from {CLIENTS} clients: p50 {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms"
    )
