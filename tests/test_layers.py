"""The package is layered by concern, and imports only run downward.

``stats`` and ``data`` are the ground, ``study`` sits above them, ``article`` above that, and
``teaching``, ``exchange`` and ``book`` at the top. The test reads every module's imports
(including those inside functions) from its syntax tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "alliance"
LAYER = {"stats": 0, "data": 0, "study": 1, "article": 2, "teaching": 3, "exchange": 3, "book": 3}


def imported_layers(source: str) -> set[str]:
    """Return the layers of ``alliance`` that a module's source imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "alliance" and len(parts) > 1 and parts[1] in LAYER:
                found.add(parts[1])
    return found


def allowed(layer: str, other: str) -> bool:
    """Whether ``layer`` may import ``other``: the same layer or one strictly below."""
    if layer == other:
        return True
    return LAYER[other] < LAYER[layer] and not (LAYER[layer] == 0)


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def test_every_module_lives_in_a_layer():
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert not loose, f"modules outside a layer: {sorted(loose)}"
    assert {p.parent.name for p in MODULES} <= set(LAYER)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_run_downward(path):
    layer = path.parent.name
    upward = {other for other in imported_layers(path.read_text()) if not allowed(layer, other)}
    assert not upward, f"{layer} imports {sorted(upward)}"


def test_the_check_sees_an_upward_import():
    assert imported_layers("from alliance.book.figures import x\nimport alliance.study") == {
        "book",
        "study",
    }
    assert not allowed("stats", "data") and not allowed("study", "article")
    assert allowed("book", "study") and allowed("data", "data")
