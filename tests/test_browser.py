"""The app in a real browser, as people use it: draw at once, answers as you draw, ordinary uploads of any
size and colour, a bad file, the map that shows you.

Needs Debian's chromium and the playwright package. Without them the tests are
skipped, unless SHAPESIM_REQUIRE_BROWSER=1 (CI sets it) turns that into a failure.
Set SHAPESIM_SCREENSHOTS=folder to keep screenshots of the tabs at 1280×800 (compare.png, map.png, model.png)
and of the Compare tab at a phone's 390×844 (phone.png).
"""

import math
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import serve
from PIL import Image, ImageDraw

from benchmarks.app import CHROMIUM, FLAGS, stroke

CHROMIUM = shutil.which("chromium") or CHROMIUM
SHOTS = os.environ.get("SHAPESIM_SCREENSHOTS")


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

    demo = app.build()  # the bundled model: real answers
    yield serve(demo)
    demo.close()


@pytest.fixture(scope="module")
def browser(url):
    from playwright.sync_api import sync_playwright

    home = tempfile.mkdtemp(prefix="shapesim-browser-")
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = home
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()
    if old_home is not None:
        os.environ["HOME"] = old_home


@pytest.fixture
def page(browser, url):
    """A fresh page: as a visitor opens the app, on a laptop's screen."""
    yield _open(browser, url, 1280, 800)


def _open(browser, url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="load")
    page.locator("#canvas_a canvas").first.wait_for(state="visible")
    page.wait_for_timeout(1000)  # the sheets draw their blank paper
    return page


def _upload(page, button: str, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator(f"#{button}").click()
    chooser.value.set_files(str(path))


# The verdict's content: its top label and confidences, not the progress text shown over it meanwhile
# (which changes the element's text while it still shows the previous answer).
_CONTENT = """(e) => [...e.querySelectorAll('.output-class, .confidence-set')].map(x => x.innerText).join(' | ')"""
_TOP = f"""(old) => {{
    const e = document.querySelector('#verdict');
    if (!e || e.offsetParent === null) return false;
    const text = ({_CONTENT})(e);
    return text !== old && /shape/.test(text);
}}"""


def _verdict(page) -> str:
    return page.locator("#verdict").evaluate(_CONTENT)


def _answer(page, old: str = "") -> str:
    """The winning label once the verdict shows a new answer and keeps it for 1.5 s (an answer to an
    earlier state of the pictures may still arrive first; no toast may appear meanwhile)."""
    page.wait_for_function(_TOP, arg=old, timeout=60_000)
    shown, same = _verdict(page), 0
    for _ in range(120):
        if same == 6:
            break
        page.wait_for_timeout(250)
        now = _verdict(page)
        shown, same = now, (same + 1 if now == shown else 0)
    assert not page.locator(".toast-body").count(), page.locator(".toast-body").first.inner_text()
    return page.locator("#verdict .output-class").inner_text().strip()


CIRCLE = [
    (65 * (1 + 0.05 * math.sin(3 * t)) * math.cos(t), 58 * math.sin(t)) for t in (i * math.tau / 40 for i in range(43))
]
SQUARE = [(-60, -55), (62, -58), (58, 60), (-62, 57), (-60, -50)]


def test_the_first_drag_draws_and_the_answer_comes_by_itself(page):
    """No tool to choose and no button to press: draw a circle, then a square, and the verdict appears."""
    stroke(page, "canvas_a", CIRCLE)
    stroke(page, "canvas_b", SQUARE)
    assert _answer(page) == "different shapes"
    cosine = page.locator("#similarity")
    changed = "(old) => document.querySelector('#similarity').innerText !== old"
    before = cosine.inner_text()
    stroke(page, "canvas_b", [(-70, 0), (70, 0)])  # another stroke: a new answer, unasked
    page.wait_for_function(changed, arg=before, timeout=30_000)
    page.locator("#live input").uncheck()  # the switch turns the answers off ...
    page.wait_for_timeout(1000)
    before = cosine.inner_text()
    stroke(page, "canvas_b", [(0, -70), (0, 70)])
    page.wait_for_timeout(2000)
    assert cosine.inner_text() == before
    page.locator("#compare").click()  # ... and Compare still answers
    page.wait_for_function(changed, arg=before, timeout=30_000)


def _coloured(path, kind: str, size, fg, bg) -> Path:
    img = Image.new("RGB", size, bg)
    w, h = size
    box = (w / 2 - 55, h / 2 - 55, w / 2 + 55, h / 2 + 55)
    (ImageDraw.Draw(img).ellipse if kind == "circle" else ImageDraw.Draw(img).rectangle)(box, fill=fg)
    img.save(path)
    return path


def test_ordinary_uploads_of_any_size_and_colour_are_answered_as_the_files_are(page, tmp_path):
    """A 400×300 red circle on blue, a 300×400 green circle or square on yellow: no letterbox band of the
    canvas becomes part of a picture."""
    red_circle = _coloured(tmp_path / "a.png", "circle", (400, 300), (220, 30, 30), (30, 60, 200))
    green_circle = _coloured(tmp_path / "b.png", "circle", (300, 400), (30, 160, 30), (240, 220, 40))
    green_square = _coloured(tmp_path / "c.png", "square", (300, 400), (30, 160, 30), (240, 220, 40))
    _upload(page, "upload_a", red_circle)
    _upload(page, "upload_b", green_circle)
    assert _answer(page) == "same shape"
    old = _verdict(page)
    _upload(page, "upload_b", green_square)
    assert _answer(page, old) == "different shapes"


def test_a_file_that_is_not_a_picture_says_so_in_the_verdicts_place(page, tmp_path):
    (tmp_path / "notes.png").write_text("shopping list: eggs, milk")
    stroke(page, "canvas_a", CIRCLE)
    _upload(page, "upload_b", tmp_path / "notes.png")
    message = page.locator("#message")
    message.wait_for(state="visible")
    assert "Picture B cannot be used" in message.inner_text() and "not a picture" in message.inner_text()
    assert not page.locator("#verdict").is_visible()  # the message stands in the verdict's place, alone
    assert not page.locator(".toast-body").count()


# A picture put on a sheet as the browser gives one: a paste (Ctrl+V) carries it in the clipboard event, a
# drop in the drag event; what is given may also be text, or too large.
_GIVE = """([id, kind, b64, type]) => {
    const sheet = document.querySelector('#' + id);
    const data = new DataTransfer();
    if (type === 'text/plain') data.setData('text/plain', atob(b64));
    else if (b64 !== null) {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        data.items.add(new File([bytes], 'picture', {type}));
    }
    const target = sheet.querySelector('.sheet') || sheet;
    target.dispatchEvent(kind === 'paste'
        ? new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})
        : new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
}"""


def _give(page, sheet: str, kind: str, path=None, data: bytes | None = None, kind_of: str = "image/png") -> None:
    import base64

    raw = Path(path).read_bytes() if path else data
    page.evaluate(_GIVE, [sheet, kind, None if raw is None else base64.b64encode(raw).decode(), kind_of])


def test_a_picture_pasted_or_dropped_on_a_sheet_is_answered_as_an_upload(page, tmp_path):
    red_circle = _coloured(tmp_path / "a.png", "circle", (400, 300), (220, 30, 30), (30, 60, 200))
    green_square = _coloured(tmp_path / "c.png", "square", (300, 400), (30, 160, 30), (240, 220, 40))
    green_circle = _coloured(tmp_path / "b.png", "circle", (300, 400), (30, 160, 30), (240, 220, 40))
    # B given at once after A: A's answer must neither wipe B's picture nor leave the pair unanswered
    _give(page, "canvas_a", "paste", red_circle)
    _give(page, "canvas_b", "drop", green_circle)
    assert _answer(page) == "same shape"
    old = _verdict(page)
    _give(page, "canvas_b", "paste", green_square)
    assert _answer(page, old) == "different shapes"


@pytest.mark.parametrize(
    "what, said",
    [
        ("text", "the clipboard holds no picture"),
        ("huge", "it is too large: 12 MB; the limit is 10 MB"),
        ("not a picture", "not a picture"),
    ],
)
def test_a_bad_paste_gets_one_clear_message(page, what, said):
    stroke(page, "canvas_a", CIRCLE)
    if what == "text":
        _give(page, "canvas_b", "paste", data=b"shopping list: eggs, milk", kind_of="text/plain")
    elif what == "huge":
        _give(page, "canvas_b", "drop", data=b"\x89PNG" + bytes(12_000_000))
    else:
        _give(page, "canvas_b", "drop", data=b"shopping list", kind_of="image/png")
    message = page.locator("#message")
    message.wait_for(state="visible")
    assert "Picture B cannot be used" in message.inner_text() and said in message.inner_text()
    assert not page.locator(".toast-body").count()
    stroke(page, "canvas_b", SQUARE)  # the sheet still draws, and answers
    assert _answer(page) == "different shapes"


def test_the_map_shows_your_pictures_and_what_you_pick(page):
    stroke(page, "canvas_a", CIRCLE)
    stroke(page, "canvas_b", SQUARE)
    _answer(page)
    page.get_by_role("tab", name="Map").click()
    stars = page.locator("#atlas .mark")
    stars.first.wait_for()
    assert stars.count() == 2 and "your picture A" in page.locator("#atlas svg").inner_html()
    assert "your picture B" in page.locator("#atlas .atlas-legend").inner_text()
    dot = page.locator("#atlas circle").first
    assert "·" in dot.locator("title").text_content()  # a tooltip names what the dot shows, not coordinates
    box = page.locator("#atlas svg").bounding_box()  # drag a rectangle over the middle of the map
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=5)
    page.mouse.up()
    page.locator("#picked img").first.wait_for()
    page.locator("#find_similar").click()
    page.locator("#similar img").first.wait_for()
    if SHOTS:
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.screenshot(path=str(Path(SHOTS) / "map.png"), full_page=True)
        page.get_by_role("tab", name="Model").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(Path(SHOTS) / "model.png"))


# Every verdict the page shows from now on, in order: its top label, each time it changes.
_RECORD = """() => {
    const root = document.querySelector('#verdict');
    const top = () => { const e = root.querySelector('.output-class');
                        return e && root.offsetParent !== null ? e.innerText.trim() : ''; };
    window.__verdicts = [];
    if (window.__watcher) window.__watcher.disconnect();
    let last = top();  // what shows now is not news
    window.__watcher = new MutationObserver(() => {
        const text = top();
        if (text && text !== last) window.__verdicts.push(text);
        last = text || last;
    });
    window.__watcher.observe(root, {subtree: true, childList: true, characterData: true});
}"""


def test_draw_clear_and_draw_again_six_times_never_loses_a_stroke(page):
    """Clear gives two blank sheets with the pen ready at once; what is drawn next is answered, every time."""
    for cycle in range(6):
        second = SQUARE if cycle % 2 else CIRCLE
        stroke(page, "canvas_a", CIRCLE)
        stroke(page, "canvas_b", second)
        assert _answer(page) == ("different shapes" if cycle % 2 else "same shape"), cycle
        dark = "(id) => { const c = document.querySelector('#' + id + ' canvas'); const d = c.getContext('2d')" \
               ".getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4)" \
               " n += d[i] < 128; return n; }"  # fmt: skip
        assert page.evaluate(dark, "canvas_a") > 100 and page.evaluate(dark, "canvas_b") > 100  # both strokes shown
        page.locator("#clear").click()
        page.wait_for_function(f"() => ({dark})('canvas_a') === 0 && ({dark})('canvas_b') === 0")
        assert not page.locator("#verdict .output-class").count() or not _verdict(page)


def test_an_example_is_answered_at_once_with_no_other_verdict_on_the_way(page):
    """One click loads both pictures and answers them in one request: no answer to half a pair flashes by.
    (How long it takes is measured by python -m benchmarks.app, not here.)"""
    rows = page.locator("#examples tbody tr")
    for row, expected in ((1, "same shape"), (0, "different shapes"), (2, "same shape"), (3, "different shapes")):
        page.evaluate(_RECORD)
        rows.nth(row).click()
        page.wait_for_function("() => window.__verdicts.length > 0")
        page.wait_for_timeout(1500)
        assert page.evaluate("window.__verdicts") == [expected], row


def test_swap_gives_the_same_numbers(page):
    stroke(page, "canvas_a", CIRCLE)
    stroke(page, "canvas_b", SQUARE)
    _answer(page)
    before = (_verdict(page), page.locator("#similarity").inner_text())
    page.locator("#swap").click()
    page.wait_for_timeout(2500)
    after = (_verdict(page), page.locator("#similarity").inner_text())
    assert "Cosine similarity" in before[1] and after == before  # the same to the last decimal shown


def test_no_tab_shows_a_folder_of_the_server(page):
    import app

    root = str(Path(app.__file__).resolve().parent)
    for tab in ("Compare", "Map", "Model"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(800)
        text = page.locator("body").inner_text()
        for path in (root, "/tmp/", "/root/", "/home/", "site-packages"):
            assert path not in text, (tab, path)


_CUT = """() => [...document.querySelectorAll('label span, [data-testid="block-label"], .label-wrap span, figcaption,'
    + ' .atlas-legend li, button')].filter(e => e.offsetParent !== null && e.innerText.trim())
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.trim())"""


@pytest.mark.parametrize("width, height, name", [(1280, 800, "compare.png"), (390, 844, "phone.png")])
def test_every_label_is_whole_on_a_laptop_and_on_a_phone(browser, url, width, height, name):
    page = _open(browser, url, width, height)
    stroke(page, "canvas_a", CIRCLE)
    stroke(page, "canvas_b", SQUARE)
    assert _answer(page) == "different shapes"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # nothing off the side
    assert page.evaluate(_CUT) == []
    if SHOTS:
        page.wait_for_timeout(1500)  # heatmaps fade in
        page.screenshot(path=str(Path(SHOTS) / name), full_page=width < 800)
    page.get_by_role("tab", name="Map").click()
    page.locator("#atlas .mark").first.wait_for()
    inside = """() => [...document.querySelectorAll('#atlas .mark text')].every(t => {
        const b = t.getBBox(), v = t.ownerSVGElement.viewBox.baseVal;
        return b.x >= 0 && b.x + b.width <= v.width && b.y >= 0 && b.y + b.height <= v.height; })"""
    assert page.evaluate(inside)  # the stars' labels within the map
    page.locator("#find_similar").click()
    page.locator("#similar img").first.wait_for()
    assert page.evaluate(_CUT) == []
    page.close()


def test_a_model_without_a_map_says_so(page):
    page.get_by_role("tab", name="Model").click()
    page.locator("#model_choice input").click()
    page.get_by_role("option", name="concat").click()
    page.wait_for_timeout(1500)
    page.get_by_role("tab", name="Map").click()
    assert "no embeddings, so it has no map" in page.locator("body").inner_text()
    page.locator("#find_similar").click()
    page.wait_for_function("() => /no embeddings/.test(document.querySelector('#similar_note').innerText)")


def test_compare_with_an_empty_box_says_which_in_the_verdicts_place(page):
    stroke(page, "canvas_b", SQUARE)
    page.locator("#compare").click()
    message = page.locator("#message")
    message.wait_for(state="visible")
    assert "Picture A is empty" in message.inner_text() and not page.locator("#verdict").is_visible()


def test_on_a_phone_the_verdict_comes_into_view_after_either_sheet(browser, url):
    page = _open(browser, url, 390, 844)
    for sheet_id, shape in (("canvas_a", CIRCLE), ("canvas_b", SQUARE)):
        page.locator(f"#{sheet_id}").scroll_into_view_if_needed()
        stroke(page, sheet_id, shape)
    _answer(page)
    page.wait_for_timeout(1500)  # the smooth scroll
    seen = "() => { const r = document.querySelector('#verdict').getBoundingClientRect();" \
           " return r.top >= 0 && r.top < window.innerHeight; }"  # fmt: skip
    assert page.evaluate(seen)
    page.close()


def test_the_first_screen_of_a_laptop_holds_the_sheets_the_verdict_random_pair_and_examples(page):
    stroke(page, "canvas_a", CIRCLE)
    stroke(page, "canvas_b", SQUARE)
    _answer(page)
    page.evaluate("window.scrollTo(0, 0)")
    for selector in ("#canvas_a canvas", "#canvas_b canvas", "#verdict", "#random", "#compare", "#examples tbody tr"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["y"] + min(box["height"], 40) <= 800, selector


def test_the_model_tab_fits_a_phone(browser, url):
    page = _open(browser, url, 390, 844)
    page.get_by_role("tab", name="Model").click()
    page.locator("#card table").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    cell = page.locator("#card td").first.bounding_box()
    assert cell["height"] < 60  # a row of text, not a character a line
    page.close()
