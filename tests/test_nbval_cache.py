"""``--nbval-from-cache`` (conftest.py) gives nbval's verdicts without a second execution.

A tiny notebook is executed into a jupyter-cache, as ``make book`` does, and its
committed outputs are then checked by pytest in a subprocess, with the
repository's conftest.py: outputs that match pass, a committed output that
differs from the execution fails the way nbval fails, and a notebook edited
after the build fails because the cache holds no execution of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A folder with the conftest, a notebook and the cache of its execution."""
    folder = tmp_path_factory.mktemp("nbval-cache")
    shutil.copy2(ROOT / "conftest.py", folder / "conftest.py")
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell("print(sum(range(10)))"),
        nbformat.v4.new_code_cell("{'answer': 6 * 7}"),
    ]
    path = folder / "chapter.ipynb"
    nbformat.write(notebook, path)
    cache = get_cache(str(folder / "cache"))
    cache.add_nb_to_project(str(path))
    result = load_executor("local-serial", cache).run_and_cache()
    assert result.succeeded == [str(path)], result
    _, executed = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    nbformat.write(executed, path)  # the committed outputs are the build's
    return folder


def _nbval_from_cache(folder: Path, notebook: nbformat.NotebookNode) -> subprocess.CompletedProcess:
    path = folder / "chapter.ipynb"
    nbformat.write(notebook, path)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "--nbval",
            "--nbval-from-cache",
            str(folder / "cache"),
            str(path),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def _committed(folder: Path) -> nbformat.NotebookNode:
    return nbformat.read(folder / "chapter.ipynb", as_version=4)


def test_matching_outputs_pass(built):
    result = _nbval_from_cache(built, _committed(built))
    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 passed" in result.stdout


def test_a_changed_committed_output_fails_like_nbval(built):
    notebook = _committed(built)
    original = nbformat.v4.new_notebook(**notebook)
    notebook.cells[1].outputs[0]["data"]["text/plain"] = "{'answer': 41}"
    try:
        result = _nbval_from_cache(built, notebook)
    finally:
        nbformat.write(original, built / "chapter.ipynb")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Cell outputs differ" in result.stdout and "1 failed, 1 passed" in result.stdout


def test_a_notebook_edited_after_the_build_fails(built):
    notebook = _committed(built)
    original = nbformat.v4.new_notebook(**notebook)
    notebook.cells[0].source += "\nprint('edited')"
    try:
        result = _nbval_from_cache(built, notebook)
    finally:
        nbformat.write(original, built / "chapter.ipynb")
    assert result.returncode != 0, result.stdout[-2000:]
    assert "did not execute this version" in result.stdout
