"""How fast the app starts and answers, measured from outside as a user's browser would.

    python benchmarks/app.py [--json]

Starts `python app.py` on a free port on 127.0.0.1, measures the seconds until
the first successful compare through gradio_client, then the median and p95
round trip of --calls compares of two 280×280 drawings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import markdown_table, parser, publish, setup  # noqa: E402


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--calls", type=int, default=30)
    p.add_argument("--timeout", type=float, default=120)
    args = p.parse_args()
    setup(args)
    from gradio_client import Client, handle_file

    from shapesim.doodles import doodle

    tmp = Path(tempfile.mkdtemp(prefix="shapesim-bench-"))
    rng = np.random.default_rng(0)
    doodle("circle", rng).save(tmp / "a.png")
    doodle("square", rng).save(tmp / "b.png")
    editor = lambda p: {"background": handle_file(str(p)), "layers": [], "composite": handle_file(str(p))}  # noqa: E731

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        client, ready = None, None
        while time.perf_counter() - started < args.timeout:
            try:
                client = client or Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(editor(tmp / "a.png"), editor(tmp / "b.png"), api_name="/compare")
                ready = time.perf_counter() - started
                break
            except Exception:
                time.sleep(0.1)
        if ready is None:
            raise SystemExit(f"the app did not answer within {args.timeout:.0f} s")
        trips = []
        for _ in range(args.calls):
            t = time.perf_counter()
            client.predict(editor(tmp / "a.png"), editor(tmp / "b.png"), api_name="/compare")
            trips.append(time.perf_counter() - t)
    finally:
        server.terminate()
        server.wait(timeout=30)
    trips_ms = np.array(trips) * 1000
    figures = {
        "ready_s": round(ready, 2),
        "round_trip_p50_ms": round(float(np.median(trips_ms)), 1),
        "round_trip_p95_ms": round(float(np.percentile(trips_ms, 95)), 1),
    }
    rows = [
        ["`python app.py` to the first answer", f"{figures['ready_s']:.1f} s"],
        [
            "compare round trip through gradio_client, p50 / p95",
            f"{figures['round_trip_p50_ms']:.0f} ms / {figures['round_trip_p95_ms']:.0f} ms",
        ],
    ]
    publish("app", figures, markdown_table(["what", "measured"], rows), args)


if __name__ == "__main__":
    main()
