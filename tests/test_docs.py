"""The README and docs/ say what is true: every link leads somewhere, every command exists, every benchmark's
table has a place, and the README stays a front door."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text) <= 15_000, len(text)
    for needed in ("## Quick start", "python app.py", "python -m pytest", "## In Python", "## Command line",
                   "## What \"the same shape\" means", "## Results", "assets/app.png"):  # fmt: skip
        assert needed in text, needed


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_to_a_file_that_is_there(page):
    text = page.read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) + re.findall(r'src="([^"]+)"', text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    for link in local:
        assert (page.parent / link).exists(), f"{page.name}: {link}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_named_exists(page):
    from shapesim.cli import build_parser

    commands = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction").choices
    text = page.read_text()
    for name in re.findall(r"python -m shapesim ([a-z-]+)", text):
        assert name in commands, f"{page.name}: python -m shapesim {name}"
    for name in re.findall(r"python -m benchmarks\.([a-z_]+)", text):
        assert (ROOT / "benchmarks" / f"{name}.py").is_file(), f"{page.name}: python -m benchmarks.{name}"


def test_every_benchmark_table_has_a_place():
    source = "\n".join(p.read_text() for p in (ROOT / "benchmarks").glob("*.py"))
    names = set(re.findall(r'publish\(\s*"([a-z-]+)"', source)) | set(re.findall(r'\{"([a-z-]+)": summary', source))
    pages = "\n".join(p.read_text() for p in PAGES)
    for name in names:
        assert f"<!-- {name}:start -->" in pages and f"<!-- {name}:end -->" in pages, name
