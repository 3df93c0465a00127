"""How fast the app starts and answers, alone and under load, measured from outside as browsers would.

    python -m benchmarks.app [--json]

Starts `python app.py` (the bundled model) on a free port on 127.0.0.1,
measures the seconds until the first successful compare through
gradio_client, then the median and p95 round trip of --calls compares of two
280×280 drawings one after the other; then --clients clients at once, each
sending --per-client compares of its own pairs: errors, p50 / p95 latency and
compares per second. With Debian's chromium and playwright, also what a person
sees: in a real browser, the time from the end of a stroke on the sheet to the
verdict updated by itself (--strokes strokes; the page observes heatmap B change),
the same with gradio's ImageEditor wired as the app once was (side by side, one
run), and from a click on an example or on Random pair to its answer.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.common import markdown_table, parser, publish, setup

ROOT = Path(__file__).resolve().parent.parent


def upload(path: Path) -> dict:
    """A picture file for the app's /compare, as gradio_client sends it."""
    from gradio_client import handle_file

    return handle_file(str(path))


def hammer(url: str, jobs: list[list[tuple[Path, Path]]], timeout: float = 120) -> tuple[list[list], list[float]]:
    """One client per list of ``jobs``, all at once, each comparing its pairs in order.

    Returns every answer (or the exception it raised) in the jobs' layout, and
    the seconds each took. Bounded: each request waits at most ``timeout``.
    """
    from gradio_client import Client

    answers: list[list] = [[None] * len(pairs) for pairs in jobs]
    seconds: list[float] = []

    def client_loop(c: int) -> None:
        try:
            # One TLS context per client, made up front (see main): otherwise every request builds
            # one, which with 20 clients costs the machine more than the app does.
            client = Client(url, verbose=False, ssl_verify=ssl.create_default_context())
        except Exception as err:  # noqa: BLE001 - recorded as this client's answers
            answers[c] = [err] * len(jobs[c])
            return
        for r, (a, b) in enumerate(jobs[c]):
            started = time.perf_counter()
            try:
                answers[c][r] = client.submit(upload(a), upload(b), api_name="/compare").result(timeout=timeout)
            except Exception as err:  # noqa: BLE001
                answers[c][r] = err
            seconds.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client_loop, args=(c,), daemon=True) for c in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout * max(map(len, jobs)) + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return answers, seconds


def round_trips(client, folder: Path, calls: int) -> list[float]:
    """Seconds of each of ``calls`` compares of folder's a.png and b.png, one after the other."""
    client.predict(upload(folder / "a.png"), upload(folder / "b.png"), api_name="/compare")  # warm
    seconds = []
    for _ in range(calls):
        t = time.perf_counter()
        client.predict(upload(folder / "a.png"), upload(folder / "b.png"), api_name="/compare")
        seconds.append(time.perf_counter() - t)
    return seconds


def load_pairs(folder: Path, count: int, size: int = 160) -> list[tuple[Path, Path]]:
    """``count`` different generated pairs (preset `sketch`) as PNG files."""
    from PIL import Image

    from shapesim.data import PairGenerator

    batch = PairGenerator("sketch", image_size=size, seed=7)(0, count)
    to_png = lambda t, p: Image.fromarray((t.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(p)  # noqa: E731
    pairs = []
    for i in range(count):
        pair = (folder / f"load-{i}-a.png", folder / f"load-{i}-b.png")
        to_png(batch.a[i], pair[0])
        to_png(batch.b[i], pair[1])
        pairs.append(pair)
    return pairs


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
# An answer, as the page sees it: heatmap B's picture changes (each answer sends a new one). The time of
# each change is kept; the progress text and the panel's other updates are not answers.
_WATCH = """() => {
    window.__answered = [];
    let last = null;
    const root = document.querySelector('#heat_b');
    new MutationObserver(() => {
        const img = root.querySelector('img');
        const src = img && img.getAttribute('src');
        if (src && src !== last) { last = src; window.__answered.push(performance.now()); }
    }).observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def stroke(page, elem_id: str, points) -> float:
    """A stroke with the mouse on the canvas of ``elem_id``, ``points`` relative to its middle, as a person
    draws (no tool chosen first); returns the page's clock when the button came up."""
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx + points[0][0], cy + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(cx + x, cy + y, steps=2)
    page.mouse.up()
    return page.evaluate("performance.now()")


def _page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(url, wait_until="load")
    page.locator("#canvas_a canvas").first.wait_for(state="visible")
    page.wait_for_timeout(1500)
    return page


def _answered(page, since: float) -> float:
    """Seconds from the page's clock ``since`` to the first answer after it (heatmap B changed)."""
    page.wait_for_function("(t) => window.__answered.some(x => x > t)", arg=since, timeout=60_000)
    return (page.evaluate("(t) => window.__answered.find(x => x > t)", since) - since) / 1000


def in_browser(urls: dict[str, str], strokes: int, clicks: int) -> dict[str, list[float]] | None:
    """In Chromium, as a person sees it: seconds from the end of each stroke to the verdict updated by itself,
    on each page of ``urls`` (the app; gradio's ImageEditor wired the same way, for comparison), and from
    a click on an example or on Random pair to its answer. None without a browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    seconds: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        for name, url in urls.items():
            page = _page(browser, url)
            if name == "editor":  # gradio's editor draws only once its brush is chosen
                for side in ("a", "b"):
                    page.locator(f"#canvas_{side} button[aria-label='Brush']").first.click()
            circle = [(60 * np.cos(t), 55 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
            stroke(page, "canvas_a", circle)
            stroke(page, "canvas_b", [(-60, -55), (60, -55), (60, 55), (-60, 55), (-60, -55)])
            page.wait_for_function("() => /shape/.test(document.querySelector('#verdict').innerText)", timeout=60_000)
            page.wait_for_timeout(1000)
            page.evaluate(_WATCH)
            seconds[name] = []
            for k in range(strokes):
                y = -50 + 100 * k / max(strokes - 1, 1)
                seconds[name].append(_answered(page, stroke(page, "canvas_b", [(-40, y), (40, y + 5)])))
                page.wait_for_timeout(300)  # the panel settles before the next stroke
            if name == "app":
                for what, click in (("example", "#examples tbody tr"), ("random", "#random")):
                    seconds[what] = []
                    for k in range(clicks):
                        row = page.locator(click).nth(k % max(1, page.locator(click).count()))
                        clicked = page.evaluate("performance.now()")
                        row.click()
                        seconds[what].append(_answered(page, clicked))
                        page.wait_for_timeout(300)
            page.close()
        browser.close()
    return seconds


def editor_app(predictor):
    """gradio's ImageEditor in both boxes, answering after every change of a picture as the app once did:
    the drawing path the app's own sheet replaced, kept to time side by side."""
    import gradio as gr

    from shapesim.ui import answers

    def picture(value):
        return None if value is None else value.get("composite")

    def answer(a, b):
        got = answers.answer(predictor, None, picture(a), picture(b))
        return got.verdict, got.heat_a, got.heat_b

    with gr.Blocks() as demo:
        brush = gr.Brush(default_size=6, colors=["#000000"], color_mode="fixed")
        kw = {"type": "numpy", "image_mode": "RGB", "canvas_size": (280, 280), "brush": brush, "layers": False}
        a, b = gr.ImageEditor(elem_id="canvas_a", **kw), gr.ImageEditor(elem_id="canvas_b", **kw)
        verdict = gr.Label(elem_id="verdict")
        heat_a, heat_b = gr.Image(elem_id="heat_a"), gr.Image(elem_id="heat_b")
        for editor in (a, b):
            editor.input(answer, [a, b], [verdict, heat_a, heat_b], trigger_mode="always_last", show_progress="hidden")
    return demo


def free_port() -> int:
    """A port nothing listens on now (the system's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--calls", type=int, default=30)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--clients", type=int, default=20, help="clients at once in the load test")
    p.add_argument("--per-client", type=int, default=10, help="compares each client sends")
    p.add_argument("--strokes", type=int, default=15, help="strokes timed in a browser, end to updated verdict")
    p.add_argument("--clicks", type=int, default=8, help="clicks on examples and on Random pair timed in a browser")
    args = p.parse_args()
    setup(args)
    from gradio_client import Client

    from shapesim.doodles import doodle

    tmp = Path(tempfile.mkdtemp(prefix="shapesim-bench-"))
    rng = np.random.default_rng(0)
    doodle("circle", rng).save(tmp / "a.png")
    doodle("square", rng).save(tmp / "b.png")

    port, editor_port = free_port(), free_port()
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
                client.predict(upload(tmp / "a.png"), upload(tmp / "b.png"), api_name="/compare")
                ready = time.perf_counter() - started
                break
            except Exception:
                time.sleep(0.1)
        if ready is None:
            raise SystemExit(f"the app did not answer within {args.timeout:.0f} s")
        # gradio_client opens a new httpx client, with a new TLS context, for every HTTP request
        # (54 ms each here, six requests per compare), even for a plain-HTTP URL that never uses TLS.
        # httpx takes a ready SSLContext as `verify`: made once, certificates still checked.
        shared = Client(f"http://127.0.0.1:{port}/", verbose=False, ssl_verify=ssl.create_default_context())
        trips, trips_shared = round_trips(client, tmp, args.calls), round_trips(shared, tmp, args.calls)
        import app as served  # the editor page, in this process, for comparison
        from shapesim.predict import Predictor

        editor = editor_app(Predictor.from_pretrained())
        served.launch(editor, server_name="127.0.0.1", server_port=editor_port, prevent_thread_lock=True, quiet=True)
        urls = {"app": f"http://127.0.0.1:{port}/", "editor": f"http://127.0.0.1:{editor_port}/"}
        live = in_browser(urls, args.strokes, args.clicks)
        editor.close()
        pairs = load_pairs(tmp, args.clients * args.per_client)
        jobs = [pairs[c * args.per_client : (c + 1) * args.per_client] for c in range(args.clients)]
        t = time.perf_counter()
        answers, seconds = hammer(f"http://127.0.0.1:{port}/", jobs, args.timeout)
        load_wall = time.perf_counter() - t
    finally:
        server.terminate()
        server.wait(timeout=30)
    p50, p95 = np.percentile(np.array(trips) * 1000, [50, 95])
    r50, r95 = np.percentile(np.array(trips_shared) * 1000, [50, 95])
    figures = {
        "ready_s": round(ready, 2),
        "round_trip_p50_ms": round(float(p50), 1),
        "round_trip_p95_ms": round(float(p95), 1),
        "round_trip_shared_tls_p50_ms": round(float(r50), 1),
        "round_trip_shared_tls_p95_ms": round(float(r95), 1),
    }
    for what, times in (live or {}).items():
        ms = np.array(times) * 1000
        figures[f"{what}_to_answer_ms"] = [round(float(v), 1) for v in np.percentile(ms, [50, 95])]
    failed = sum(not isinstance(a, tuple) for row in answers for a in row)
    load_ms = np.array(seconds) * 1000
    figures.update(
        {
            "load_clients": args.clients,
            "load_requests": args.clients * args.per_client,
            "load_failed": failed,
            "load_p50_ms": round(float(np.median(load_ms)), 1),
            "load_p95_ms": round(float(np.percentile(load_ms, 95)), 1),
            "load_compares_per_s": round(len(seconds) / load_wall, 1),
        }
    )
    rows = [
        ["`python app.py` to the first answer", f"{figures['ready_s']:.1f} s"],
        [
            "compare round trip through gradio_client, p50 / p95",
            f"{p50:.0f} ms / {p95:.0f} ms",
        ],
        [
            "the same with one TLS context made up front: "
            "`Client(url, ssl_verify=ssl.create_default_context())` (certificates still checked)",
            f"{r50:.0f} ms / {r95:.0f} ms",
        ],
        *(
            [f"in Chromium: {what}, p50 / p95", "{:.0f} ms / {:.0f} ms".format(*figures[key])]
            if key in figures
            else [f"in Chromium: {what}", "(no browser here)"]
            for key, what in (
                ("app_to_answer_ms", f"end of a stroke to the verdict updated by itself ({args.strokes} strokes)"),
                ("editor_to_answer_ms", "the same with gradio's ImageEditor in place of the app's sheet"),
                ("example_to_answer_ms", f"a click on an example to its answer ({args.clicks} clicks)"),
                ("random_to_answer_ms", f"a click on Random pair to its answer ({args.clicks} clicks)"),
            )
        ),
        [
            f"{args.clients} clients at once, {args.per_client} compares each: failed, p50 / p95, throughput",
            f"{failed} of {figures['load_requests']}, {figures['load_p50_ms']:.0f} ms / "
            f"{figures['load_p95_ms']:.0f} ms, {figures['load_compares_per_s']:.1f} compares/s",
        ],
    ]
    publish("app", figures, markdown_table(["what", "measured"], rows), args)


if __name__ == "__main__":
    main()
