"""Build books for tests: the whole book on a study, in a copy of the repository; small books.

The main ``_build`` is never touched: the copy holds the tracked and untracked
files (not ``.venv``, ``_build``, ``.git``), reuses this repository's ``.venv``
through a symlink, and runs ``ALLIANCE_DATA=STUDY make -o install book``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", "*.egg-info")


def repository_copy(folder: Path) -> Path:
    """Copy the repository into ``folder/repo`` with a link to its ``.venv``; return the copy."""
    copy = folder / "repo"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    return copy


def build_book(copy: Path, study: Path) -> Path:
    """Run ``make book`` in ``copy`` on ``study``; fail with the build's output; return the site."""
    env = {**os.environ, "ALLIANCE_DATA": str(study), "PYTHONPATH": str(copy / "src")}
    result = subprocess.run(
        ["make", "-o", "install", "book"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return copy / "_build" / "html"


def jupyter_book_build(book: Path) -> str:
    """Build a small book folder with jupyter-book (warnings are errors); return its log."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(book), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout
