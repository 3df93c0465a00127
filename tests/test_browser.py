"""The app in a real browser: draw with the mouse, upload files, read the verdict.

Needs Debian's chromium and the playwright package. Without them the test is
skipped, unless SHAPESIM_REQUIRE_BROWSER=1 (CI sets it) turns that into a failure.
Set SHAPESIM_SCREENSHOT=path to keep a screenshot of the app in use.
"""

import math
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _need_browser():
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    if missing:
        reason = f"no browser test without {' and '.join(missing)}"
        if os.environ.get("SHAPESIM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (SHAPESIM_REQUIRE_BROWSER=1)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def url():
    _need_browser()
    import app

    demo = app.build()  # the bundled model: the screenshot shows real answers
    yield serve(demo)
    demo.close()


@pytest.fixture(scope="module")
def page(url):
    from playwright.sync_api import sync_playwright

    home = tempfile.mkdtemp(prefix="shapesim-browser-")
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = home
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.set_default_timeout(60_000)
        page.goto(url, wait_until="load")
        page.locator("#canvas_a canvas").first.wait_for(state="visible")
        yield page
        browser.close()
    if old_home is not None:
        os.environ["HOME"] = old_home


def _draw(page, elem_id, points):
    page.locator(f'#{elem_id} button[aria-label="Brush"]').first.click()
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx + points[0][0], cy + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(cx + x, cy + y, steps=3)
    page.mouse.up()


_CHANGED_OR_ERROR = """(old) => {
    const e = document.querySelector('#verdict');
    const changed = e && e.innerText !== old && /shape/.test(e.innerText);
    return changed || document.querySelector('.toast-body') !== null;
}"""


def _top(text: str) -> str:
    """The winning label in the verdict's text (its first line naming an answer)."""
    return next(line.strip() for line in text.splitlines() if line.strip() in ("same shape", "different shapes"))


def _verdict(page, old: str) -> str:
    """The verdict's text once it changes; an error toast fails the test with its message."""
    page.wait_for_function(_CHANGED_OR_ERROR, arg=old, timeout=60_000)
    toast = page.locator(".toast-body")
    if toast.count():
        pytest.fail(f"the app showed an error: {toast.first.inner_text()}")
    return page.locator("#verdict").inner_text()


def test_draw_a_circle_and_a_square_and_compare(page):
    wobble = lambda t: 1 + 0.05 * math.sin(3 * t)
    circle = [
        (70 * wobble(t) * math.cos(t), 60 * wobble(t) * math.sin(t)) for t in [i * 2 * math.pi / 40 for i in range(43)]
    ]
    square = [(-60, -55), (62, -58), (58, 60), (-62, 57), (-60, -50)]
    _draw(page, "canvas_a", circle)
    _draw(page, "canvas_b", square)
    old = page.locator("#verdict").inner_text()
    page.locator("#compare").click()
    text = _verdict(page, old)
    assert _top(text) == "different shapes", text
    shot = os.environ.get("SHAPESIM_SCREENSHOT")
    if shot:
        page.wait_for_timeout(2000)  # let the heatmaps fade in
        page.screenshot(path=shot, full_page=False)


def test_upload_two_files_and_compare(page, tmp_path):
    from PIL import Image, ImageDraw

    for name, shift in (("a.png", 0), ("b.png", 40)):
        img = Image.new("RGB", (400, 400), "white")
        ImageDraw.Draw(img).ellipse((60 + shift, 80, 300 + shift, 320 - shift), outline="black", width=10)
        img.save(tmp_path / name)
    page.locator("#clear").click()
    for elem_id in ("canvas_a", "canvas_b"):  # wait for the Clear to land, or it may wipe an upload
        page.locator(f"#{elem_id}").get_by_text("Upload an image").wait_for()
    page.locator("#canvas_a input[type=file]").first.set_input_files(str(tmp_path / "a.png"))
    page.locator("#canvas_b input[type=file]").first.set_input_files(str(tmp_path / "b.png"))
    text = ""
    for _ in range(5):  # an upload takes a moment to reach the server; until then "Picture A is empty"
        page.wait_for_timeout(1500)
        old = page.locator("#verdict").inner_text()
        page.locator("#compare").click()
        page.wait_for_function(_CHANGED_OR_ERROR, arg=old, timeout=60_000)
        toast = page.locator(".toast-body")
        if not toast.count():
            text = page.locator("#verdict").inner_text()
            break
        assert "is empty" in toast.first.inner_text(), toast.first.inner_text()
        page.locator(".toast-close").first.click()
        toast.first.wait_for(state="detached")
    page.screenshot(path=str(tmp_path / "upload.png"))
    assert _top(text) == "same shape", f"{text!r}; see {tmp_path / 'upload.png'}"
