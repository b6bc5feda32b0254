"""The project's floor: the package installs, the environment files agree,
builds leave data/ alone, and chapter outputs are reproducible."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

import alliance
from alliance.book.chapter_outputs import execute_chapter

ROOT = Path(__file__).resolve().parents[1]


def _lock_pins() -> dict[str, str]:
    pins = {}
    for raw in (ROOT / "requirements.lock").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        assert match, f"requirements.lock: {raw!r} is not an exact pin"
        pins[_normalise(match.group(1))] = match.group(3)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])


def test_package_imports_and_exposes_its_version():
    assert alliance.__version__ == importlib.metadata.version("alliance-compendium")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert alliance.__version__ == pyproject["project"]["version"]


def test_lock_pins_every_dependency_of_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(pyproject["dependencies"])
    for extra in pyproject["optional-dependencies"].values():
        declared += extra
    pins = _lock_pins()
    missing = sorted({_requirement_name(r) for r in declared} - set(pins))
    assert not missing, f"pyproject.toml dependencies not pinned in requirements.lock: {missing}"


def test_lock_says_it_was_compiled_from_pyproject():
    header = (ROOT / "requirements.lock").read_text().splitlines()[:3]
    assert any("pyproject.toml" in line for line in header), header


def test_environment_yml_installs_the_lock_and_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements.lock" in pip_section
    assert "-e ." in pip_section
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons, "environment.yml must name Python"
    version = pythons[0].split("=", 1)[1]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = requires.removeprefix(">=")
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(version) >= as_tuple(minimum), (version, requires)
    assert "==" not in " ".join(str(d) for d in env["dependencies"] if isinstance(d, str))[7:], (
        "conda packages must not pin versions that could disagree with the lock"
    )


def test_installed_environment_matches_the_lock():
    mismatched = {}
    for name, pinned in _lock_pins().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            mismatched[name] = (pinned, None)
            continue
        if installed != pinned:
            mismatched[name] = (pinned, installed)
    assert not mismatched, f"installed versions differ from requirements.lock: {mismatched}"


def _hash_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_building_the_book_never_writes_inside_data():
    """`make test` builds the book before pytest runs; the build must leave data/ alone.

    The generator recorded the SHA-256 of every file it wrote in datapackage.json, so a
    build that changed, added or removed a file in data/ shows up as a mismatch here; a
    chapter executed now must not change any file either.
    """
    package = json.loads((ROOT / "data" / "datapackage.json").read_text())
    recorded = {r["path"]: r["hash"].removeprefix("sha256:") for r in package["resources"]}
    before = _hash_tree(ROOT / "data")
    assert set(before) == {*recorded, "datapackage.json"}, "files added to or removed from data/"
    changed = sorted(name for name, digest in recorded.items() if before[name] != digest)
    assert not changed, f"data/ files differ from the generator's output: {changed}"
    execute_chapter(ROOT / "chapters" / "01_sampling.ipynb")
    assert _hash_tree(ROOT / "data") == before


def _comparable_outputs(notebook: nbformat.NotebookNode) -> list:
    return [
        [
            {k: v for k, v in out.items() if k != "execution_count"}
            for out in cell.get("outputs", [])
        ]
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


@pytest.mark.parametrize("chapter", ["01_sampling.ipynb"])
def test_executing_a_chapter_twice_gives_identical_outputs(chapter):
    path = ROOT / "chapters" / chapter
    first = _comparable_outputs(execute_chapter(path))
    second = _comparable_outputs(execute_chapter(path))
    assert first == second
    committed = _comparable_outputs(nbformat.read(path, as_version=4))
    assert first == committed, f"{chapter}: committed outputs are stale; run `make outputs`"
