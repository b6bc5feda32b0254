"""The project's floor: the package installs, the environment files agree,
builds leave data/ alone, and chapter outputs are reproducible."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

import alliance
from alliance.book.chapter_outputs import execute_chapter

ROOT = Path(__file__).resolve().parents[1]


BOOK_LOCK, TEST_LOCK = "requirements-book.lock", "requirements-test.lock"
# conda's environment-file format (conda.env.env.VALID_KEYS and the draft CEP that
# describes it): the top-level keys conda reads, and a conda package spec such as
# ``python=3.11`` or ``pip`` (name, then an optional version and build).
CONDA_KEYS = {"name", "channels", "dependencies", "prefix", "variables"}
CONDA_SPEC = re.compile(r"[A-Za-z0-9_.\-]+(\s*(==|=|>=|<=|>|<|!=)\s*[0-9A-Za-z.*]+(=[\w.*]+)?)?")


def _lock_pins(lock: str) -> dict[str, str]:
    pins = {}
    for raw in (ROOT / lock).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        assert match, f"{lock}: {raw!r} is not an exact pin"
        pins[_normalise(match.group(1))] = match.group(3)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_package_imports_and_exposes_its_version():
    assert alliance.__version__ == importlib.metadata.version("alliance-compendium")
    assert alliance.__version__ == _pyproject()["version"]


@pytest.mark.parametrize(
    ("lock", "extras"), [(BOOK_LOCK, []), (TEST_LOCK, ["test"])], ids=["book", "test"]
)
def test_lock_pins_every_dependency_of_pyproject(lock, extras):
    project = _pyproject()
    declared = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    missing = sorted({_requirement_name(r) for r in declared} - set(_lock_pins(lock)))
    assert not missing, f"pyproject.toml dependencies not pinned in {lock}: {missing}"


def test_book_lock_leaves_the_test_tooling_out():
    test_only = {_requirement_name(r) for r in _pyproject()["optional-dependencies"]["test"]}
    runtime = {_requirement_name(r) for r in _pyproject()["dependencies"]}
    needed_anyway = test_only & set(_lock_pins(BOOK_LOCK))
    # A test tool may be in the book lock only as a dependency of a runtime package.
    for name in needed_anyway:
        assert _required_by(name, BOOK_LOCK) - {"alliance-compendium"}, (
            f"{name} (test extra) is in {BOOK_LOCK} though no runtime package needs it"
        )
    assert runtime <= set(_lock_pins(BOOK_LOCK))


def _third_party_imports(source: str) -> set[str]:
    """Top-level names of the modules a source imports, other than alliance and the stdlib.

    An optional import (in a ``try`` that catches ``ImportError``) does not count.
    """
    tree = ast.parse(source)
    optional = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.Try)
        and any(
            isinstance(handler.type, ast.Name)
            and handler.type.id in ("ImportError", "ModuleNotFoundError")
            for handler in node.handlers
        )
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__", "alliance"}


def test_package_and_chapters_import_only_what_the_book_lock_installs():
    """A reader's environment (the book lock) has every module the book imports.

    Test-only packages (pingouin, the independent check of alliance.stats.effect_sizes,
    among them) may not be imported by the package or a chapter, even inside a function.
    """
    sources = {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "src").rglob("*.py")}
    for chapter in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = nbformat.read(chapter, as_version=4).cells
        code = [c.source for c in cells if c.cell_type == "code"]
        lines = "\n".join(code).splitlines()
        sources[str(chapter.relative_to(ROOT))] = "\n".join(
            line for line in lines if not line.lstrip().startswith(("%", "!"))
        )
    providers = importlib.metadata.packages_distributions()
    book = set(_lock_pins(BOOK_LOCK))
    outside = {
        f"{where} imports {name} ({', '.join(providers.get(name, ['no installed package']))})"
        for where, source in sources.items()
        for name in _third_party_imports(source)
        if not {_normalise(d) for d in providers.get(name, [])} & book
    }
    assert not outside, f"not in {BOOK_LOCK}:\n" + "\n".join(sorted(outside))
    probe = "import pingouin as pg\nfrom scipy import stats\nimport os\n"
    probe += "try:\n    import odf\nexcept ImportError:\n    odf = None\n"
    assert _third_party_imports(probe) == {"pingouin", "scipy"}


def _required_by(name: str, lock: str) -> set[str]:
    """Pinned packages of ``lock`` whose installed metadata requires ``name``."""
    return {
        other
        for other in _lock_pins(lock)
        for requirement in _requirements_of(other)
        if _normalise(requirement.name) == name
    }


def _requirements_of(name: str, extras: frozenset[str] = frozenset()) -> list[Requirement]:
    """Requirements of an installed distribution that apply here (markers evaluated)."""
    wanted = []
    for raw in importlib.metadata.requires(name) or []:
        requirement = Requirement(raw)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in {"", *extras}):
            wanted.append(requirement)
    return wanted


def test_book_lock_agrees_with_the_test_lock():
    """`make test` installs the test lock over the book lock: no version may change."""
    book, test = _lock_pins(BOOK_LOCK), _lock_pins(TEST_LOCK)
    differing = {n: (v, test.get(n)) for n, v in book.items() if test.get(n) != v}
    assert not differing, f"{BOOK_LOCK} and {TEST_LOCK} disagree: {differing}"


@pytest.mark.parametrize("lock", [BOOK_LOCK, TEST_LOCK])
def test_lock_is_closed_under_its_packages_requirements(lock):
    """Every requirement of every pinned package is pinned too, at a version it accepts.

    The metadata are those of the installed distributions (the installed versions are
    the test lock's, see below), so this is pip's resolution, replayed offline.
    """
    pins = _lock_pins(lock)
    extras = {_normalise(name): frozenset() for name in pins}
    extras["alliance-compendium"] = frozenset({"test"} if lock == TEST_LOCK else set())
    unmet = []
    for name in [*pins, "alliance-compendium"]:
        for requirement in _requirements_of(name, extras.get(name, frozenset())):
            pinned = pins.get(_normalise(requirement.name))
            if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
                unmet.append(f"{name} needs {requirement}, {lock} has {pinned}")
    assert not unmet, "\n".join(unmet)


@pytest.mark.parametrize(("lock", "extra"), [(BOOK_LOCK, ""), (TEST_LOCK, "--extra test")])
def test_lock_says_how_it_was_compiled_from_pyproject(lock, extra):
    header = " ".join((ROOT / lock).read_text().splitlines()[:3])
    assert "uv pip compile pyproject.toml" in header, header
    assert ("--extra test" in header) == bool(extra), header


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_follows_conda_environment_file_rules():
    env = _environment()
    assert isinstance(env, dict) and set(env) <= CONDA_KEYS, sorted(set(env) - CONDA_KEYS)
    assert isinstance(env["name"], str) and env["name"]
    assert all(isinstance(c, str) for c in env.get("channels", []))
    pip_sections = []
    for dependency in env["dependencies"]:
        if isinstance(dependency, dict):
            assert list(dependency) == ["pip"], f"only a pip section may be a mapping: {dependency}"
            pip_sections.append(dependency["pip"])
        else:
            assert isinstance(dependency, str) and CONDA_SPEC.fullmatch(dependency), dependency
    assert len(pip_sections) == 1 and all(isinstance(line, str) for line in pip_sections[0])
    names = [
        re.split(r"[\s=<>!]", d, maxsplit=1)[0] for d in env["dependencies"] if isinstance(d, str)
    ]
    assert "pip" in names, "conda must install pip before it can read the pip section"


def test_environment_yml_installs_the_book_lock_and_the_package():
    env = _environment()
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # Every pip line is a local reference, which repo2docker handles by copying the
    # repository first: the book lock and the package, nothing else.
    assert pip_section == [f"-r {BOOK_LOCK}", "-e ."], pip_section
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons, "environment.yml must name Python"
    version = pythons[0].split("=", 1)[1]
    minimum = _pyproject()["requires-python"].removeprefix(">=")
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
    assert as_tuple(version) >= as_tuple(minimum), (version, minimum)
    # the lock was compiled for this Python
    assert f"--python-version {version}" in (ROOT / BOOK_LOCK).read_text().splitlines()[1]
    assert "==" not in " ".join(str(d) for d in env["dependencies"] if isinstance(d, str))[7:], (
        "conda packages must not pin versions that could disagree with the lock"
    )


def test_installed_environment_matches_the_lock():
    mismatched = {}
    for name, pinned in _lock_pins(TEST_LOCK).items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            mismatched[name] = (pinned, None)
            continue
        if installed != pinned:
            mismatched[name] = (pinned, installed)
    assert not mismatched, f"installed versions differ from {TEST_LOCK}: {mismatched}"


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
