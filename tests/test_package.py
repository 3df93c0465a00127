"""shapesim as people install it: the wheel built from pyproject.toml, and the README's Python example run
from a folder that is not the repository."""

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirements() -> list[str]:
    """requirements.txt's requirements, without comments, spaces removed."""
    lines = (line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines())
    return sorted(line.replace(" ", "") for line in lines if line)


def test_the_wheel_holds_every_module_the_bundled_model_and_the_dependencies(tmp_path):
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns(".git", "runs", "build", "*.egg-info", "__pycache__", "tests", ".*cache*")
    shutil.copytree(ROOT, source, ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("shapesim-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = next(z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(z.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "shapesim").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    for name in ("config.json", "model.safetensors", "atlas.npz", "train_config.json"):
        assert f"shapesim/bundled/{name}" in names
    assert not [n for n in names if "variants" in n or n.startswith(("tests/", "benchmarks/", "app.py"))]
    required = sorted(
        line.split(":", 1)[1].replace(" ", "") for line in metadata.splitlines() if line.startswith("Requires-Dist:")
    )
    normalise = lambda r: sorted(re.split(r"([<>=!~,]+)", r)[0].lower().replace("_", "-") for r in r)  # noqa: E731
    assert normalise(required) == normalise(requirements())  # requirements.txt is the one list
    assert "shapesim = shapesim.cli:main" in entry_points


def test_the_readme_python_example_runs_from_any_folder(tmp_path):
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## In Python.*?```python\n(.*?)```", text, re.S).group(1)
    run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr  # shapesim installed (pip install -e . in requirements-dev.txt)
    printed = run.stdout.splitlines()
    promised = [line.split("#", 1)[1].split(":")[0].strip() for line in block.splitlines() if line.startswith("print(")]
    assert len(printed) == len(promised)
    for said, shown in zip(promised, printed, strict=True):  # what the README says it prints, it prints
        assert re.fullmatch(re.escape(said).replace(re.escape("..."), ".*"), shown), (said, shown)
    assert (tmp_path / "circle.png").is_file()
