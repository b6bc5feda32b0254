"""Benchmark: how long the book takes to build, against the floor of starting its kernels.

The floor is the sum, over the chapter notebooks, of starting a fresh Jupyter
kernel and importing what that chapter imports: a build that executes every
chapter in its own kernel (as myst-nb does) cannot beat it. Every time below is
printed as a ratio to that floor (the one-chapter rebuild: to that chapter's
floor). Targets: clean build <= 1.5x floor, no-change rebuild < 5 s,
one-chapter rebuild <= 1.5x that chapter's floor, ``make test`` on a built tree
<= 4x floor.

Everything runs in a temporary copy of the repository (tracked and untracked,
not ignored, files) that reuses this repository's .venv through a symlink, so
the working tree and its _build/ are never touched. Run with ``make bench`` or
``python benchmarks/bench_build.py``.
"""

from __future__ import annotations

import ast
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

from alliance.book.chapter_outputs import toc_pages

ROOT = Path(__file__).resolve().parents[1]
EDITED_CHAPTER = "chapters/03_reliability"
TARGET_RATIO = 1.5
TARGET_NO_CHANGE_SECONDS = 5.0
TARGET_TEST_RATIO = 4.0


def chapter_notebooks(root: Path) -> list[Path]:
    """Notebooks listed in _toc.yml that have code, in reading order."""
    paths = [root / f"{page}.ipynb" for page in toc_pages(root)]
    return [p for p in paths if p.is_file() and has_code(p)]


def has_code(notebook: Path) -> bool:
    """Whether a notebook has a code cell (one without needs no kernel)."""
    cells = nbformat.read(notebook, as_version=4).cells
    return any(c.cell_type == "code" and c.source.strip() for c in cells)


def imports_of(notebook: Path) -> str:
    """The import statements of a notebook's code cells, as one block of code."""
    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.parse(source).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


def kernel_floor(notebook: Path) -> float:
    """Seconds to start a fresh kernel (cwd = the chapter's folder) and run its imports."""
    code = imports_of(notebook)
    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(notebook.parent))
    try:
        reply = client.execute_interactive(code, timeout=600, output_hook=lambda msg: None)
        elapsed = time.perf_counter() - start
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{notebook}: imports failed: {reply['content']}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return elapsed


def copy_repository(destination: Path) -> None:
    """Copy tracked and untracked (not ignored) files; link the existing .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:  # not a git checkout: copy everything but build products
        shutil.copytree(
            ROOT,
            destination,
            ignore=shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__"),
        )
    else:
        for raw in filter(None, listed.stdout.split(b"\0")):
            source = ROOT / raw.decode()
            if source.is_file():
                target = destination / raw.decode()
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    (destination / ".venv").symlink_to(ROOT / ".venv")


FAILURES: list[str] = []


def timed(command: list[str], cwd: Path, must_succeed: bool = True) -> tuple[float, bool]:
    """Run a command; return its wall-clock seconds and whether it succeeded.

    A failure that is allowed is remembered with pytest's short summary (the lines
    naming what failed), to be printed under the table.
    """
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCE_DATA"}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if must_succeed and result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    if result.returncode != 0:
        summary = [
            line
            for line in result.stdout.splitlines()
            if line.startswith(("FAILED ", "ERROR ")) or " failed" in line
        ]
        FAILURES.append(f"{' '.join(command)}:\n  " + "\n  ".join(summary or ["(no summary)"]))
    return elapsed, result.returncode == 0


def append_to_first_code_cell(notebook: Path, text: str) -> None:
    """Change a chapter's code (a comment), so jupyter-cache must re-execute it."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += text
    nbformat.write(nb, notebook)


def machine() -> str:
    """One line describing the machine the benchmark ran on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    """Run every measurement and print the table."""
    # -o install, -o install-test: the .venv is this repository's, never reinstalled
    make_book = ["make", "-o", "install", "book"]
    make_test = ["make", "-o", "install", "-o", "install-test", "test"]
    nbval = ["make", "-o", "install-test", "nbval"]
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        repo = Path(tmp) / "repo"
        copy_repository(repo)
        notebooks = chapter_notebooks(repo)
        floors = {
            nb.relative_to(repo).with_suffix("").as_posix(): kernel_floor(nb) for nb in notebooks
        }
        floor = sum(floors.values())
        edited = EDITED_CHAPTER if EDITED_CHAPTER in floors else next(iter(floors))

        # (step, seconds, reference seconds, what the reference is, target ratio)
        rows = [("floor: kernel start + imports, all chapters", floor, floor, "floor", None)]
        rows.append(("clean build", timed(make_book, repo)[0], floor, "floor", TARGET_RATIO))
        rows.append(("no-change rebuild", timed(make_book, repo)[0], floor, "floor", None))
        seconds, passed = timed(make_test, repo, must_succeed=False)
        step = "make test on the built tree" + ("" if passed else " (reported failures)")
        rows.append((step, seconds, floor, "floor", TARGET_TEST_RATIO))
        append_to_first_code_cell(repo / f"{edited}.ipynb", "\n# benchmark edit")
        rows.append(
            (
                f"rebuild after editing {edited}",
                timed(make_book, repo)[0],
                floors[edited],
                "that chapter's floor",
                TARGET_RATIO,
            )
        )
        package = sorted((repo / "src").rglob("*.py"))[0]
        package.write_text(package.read_text() + "\n# benchmark edit\n")
        rows.append(
            ("rebuild after touching src/", timed(make_book, repo)[0], floor, "floor", None)
        )
        seconds, passed = timed(nbval, repo, must_succeed=False)
        step = "make nbval (fresh kernels)" + ("" if passed else " (reported failures)")
        rows.append((step, seconds, floor, "floor", None))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nBook build benchmark ({len(notebooks)} chapter notebooks) on {machine()}")
    print(f"Load average at the end: {load:.1f} (other jobs share the cores: ratios are noisy)")
    print("| step | seconds | ratio | ratio to | target | met |")
    print("|---|---:|---:|---|---|---|")
    for step, seconds, reference, reference_name, target in rows:
        ratio = seconds / reference
        if step == "no-change rebuild":
            goal, met = f"< {TARGET_NO_CHANGE_SECONDS:.0f} s", seconds < TARGET_NO_CHANGE_SECONDS
        elif target is not None:
            goal, met = f"<= {target}x", ratio <= target
        else:
            goal, met = "", None
        shown = "" if met is None else ("yes" if met else "NO")
        print(f"| {step} | {seconds:.1f} | {ratio:.2f} | {reference_name} | {goal} | {shown} |")
    print("\nPer-chapter floor (s): " + ", ".join(f"{k} {v:.1f}" for k, v in floors.items()))
    for failure in FAILURES:
        print(f"\nReported failures of {failure}")


if __name__ == "__main__":
    sys.exit(main())
