"""Smart re-execution: `make book` re-executes a chapter exactly when it must.

jupyter-cache keys only on a notebook's code cells, so the Makefile also hashes
src/ and data/ (and $ALLIANCE_DATA) and clears the cache when they change. These
tests prove both directions on a minimal book (an introduction and two tiny
chapters, built in a temporary folder) that uses the repository's own Makefile
and _config.yml: a change to src/, data/ or $ALLIANCE_DATA re-executes
every chapter, and the next build nothing (the new inputs are recorded); an
edited code cell re-executes only its chapter; nothing else (no change, a
markdown edit) re-executes anything.

Each chapter appends its name to the file named by $REBUILD_LOG when it runs, so
"executed" means a kernel really ran it. The book is built in a temporary copy
that reuses this repository's .venv through a symlink (nothing is installed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from alliance.article.reconstruction import write_study
from alliance.data.schema import write_datapackage

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("first", "second")
LOG_CELL = (
    'import os\nwith open(os.environ["REBUILD_LOG"], "a") as log:\n    print("{name}", file=log)'
)
TOC = "format: jb-book\nroot: chapters/intro\nchapters:\n" + "".join(
    f"  - file: chapters/{c}\n" for c in CHAPTERS
)


class Book:
    """A small copy of the book's build setup, built with the real Makefile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = path.parent / "executed.log"
        self.alliance_data: Path | None = None

    def build(self) -> list[str]:
        """Run `make book`; return the chapters whose code ran, sorted."""
        self.log.write_text("")
        env = {k: v for k, v in os.environ.items() if k != "ALLIANCE_DATA"}
        env["REBUILD_LOG"] = str(self.log)
        if self.alliance_data is not None:
            env["ALLIANCE_DATA"] = str(self.alliance_data)
        # `-o install`: the symlinked .venv is this repository's; never reinstall it.
        result = subprocess.run(
            ["make", "-o", "install", "book"],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return sorted(self.log.read_text().split())

    def notebook(self, name: str) -> Path:
        return self.path / "chapters" / f"{name}.ipynb"


def _write_chapter(path: Path, name: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# Chapter {name}\n\nSome prose."),
        nbformat.v4.new_code_cell(LOG_CELL.format(name=name)),
    ]
    nbformat.write(notebook, path)


def _edit_cell(path: Path, cell_type: str, addition: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == cell_type)
    cell.source += addition
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    path = tmp_path_factory.mktemp("rebuild") / "book"
    path.mkdir()
    for name in ("Makefile", "_config.yml", "references.bib"):
        shutil.copy2(ROOT / name, path / name)
    for name in ("src", "data", "_ext", "_static", "_vendor"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (path / "data").mkdir(exist_ok=True)
    (path / ".venv").symlink_to(ROOT / ".venv")
    (path / "_toc.yml").write_text(TOC)
    (path / "chapters").mkdir()
    (path / "chapters" / "intro.md").write_text("# A small book\n\nIt checks re-execution.\n")
    built = Book(path)
    for name in CHAPTERS:
        _write_chapter(built.notebook(name), name)
    assert built.build() == list(CHAPTERS), "a clean build executes every chapter"
    return built


def test_no_change_executes_nothing(book):
    assert book.build() == []


def test_markdown_edit_executes_nothing(book):
    _edit_cell(book.notebook("first"), "markdown", "\n\nMore prose.")
    assert book.build() == []


def test_code_edit_executes_only_that_chapter(book):
    _edit_cell(book.notebook("second"), "code", "\n# edited")
    assert book.build() == ["second"]


def test_change_in_src_executes_every_chapter(book):
    module = next((book.path / "src").rglob("*.py"))
    module.write_text(module.read_text() + "\n# a change in the package\n")
    assert book.build() == list(CHAPTERS)
    assert book.build() == []


def test_new_file_in_data_executes_every_chapter(book):
    (book.path / "data" / "extra.csv").write_text("a,b\n1,2\n")
    assert book.build() == list(CHAPTERS)


def _study(folder: Path) -> Path:
    """A valid study (make book refuses any other ALLIANCE_DATA)."""
    return write_study(folder, seed=5)


def _edit_study(folder: Path) -> None:
    """Change a file of a study and keep it valid."""
    readme = folder / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    write_datapackage(folder, synthetic=package.get("alliance:synthetic"))


def test_change_in_alliance_data_executes_every_chapter(book, tmp_path):
    book.alliance_data = _study(tmp_path / "elsewhere")
    try:
        assert book.build() == list(CHAPTERS), "pointing ALLIANCE_DATA at new data"
        assert book.build() == []
        _edit_study(book.alliance_data)
        assert book.build() == list(CHAPTERS), "editing a file in ALLIANCE_DATA"
    finally:
        book.alliance_data = None


# -- refusals, stale files and the lock (issue #15) -------------------------------------------


def _make_book(book: Book, alliance_data: str | None = None, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "ALLIANCE_DATA"}
    env["REBUILD_LOG"] = str(book.log)
    if alliance_data is not None:
        env["ALLIANCE_DATA"] = alliance_data
    return subprocess.Popen(
        ["make", "-o", "install", "book"],
        cwd=book.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_bad_alliance_data_stops_the_build_in_one_line(book, tmp_path, kind):
    target = tmp_path / "nowhere"
    if kind == "file":
        target.write_text("not a folder\n")
    book.build()
    book.log.write_text("")
    process = _make_book(book, str(target))
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0
    message = [line for line in err.splitlines() if line.startswith("make book:")]
    why = "does not exist" if kind == "missing" else "is not a folder"
    assert message == [
        f"make book: ALLIANCE_DATA={target} {why}; set it to a study folder, or unset it for data/"
    ]
    assert book.log.read_text() == "", "nothing may be built from data/ instead"


def test_a_study_the_chapters_cannot_use_stops_the_build(book, tmp_path):
    study = _study(tmp_path / "study")
    (study / "sessions.csv").write_text("session_id,client_id,therapist_id\n", encoding="utf-8")
    book.build()
    book.log.write_text("")
    process = _make_book(book, str(study))
    _, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "make book: the study folder does not validate:" in err
    assert "sessions.csv" in err and "Traceback" not in err
    assert book.log.read_text() == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_alliance_data_stops_the_build(book, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        process = _make_book(book, str(folder))
        _, err = process.communicate(timeout=120)
        assert process.returncode != 0 and "cannot be read" in err
    finally:
        folder.chmod(0o755)


def test_the_site_keeps_no_file_of_an_earlier_study(book, tmp_path):
    book.build()
    stale = book.path / "_build" / "html" / "_downloads" / "earlier-study" / "secret.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("from the earlier study\n")
    book.alliance_data = _study(tmp_path / "next")
    try:
        assert book.build() == list(CHAPTERS)
    finally:
        book.alliance_data = None
    assert not stale.exists()
    assert (book.path / "_build" / "html" / "index.html").exists()


def test_a_second_build_waits_for_the_first_and_says_so(book):
    import fcntl

    book.build()
    lock = book.path / "_build" / ".book.lock"
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        process = _make_book(book)
        # Under `make test`, make reports entering directories first (MAKELEVEL is set).
        first = process.stdout.readline()
        while first.startswith("make["):
            first = process.stdout.readline()
        assert "another build of this checkout is running; waiting" in first
        assert process.poll() is None, "it must wait while the lock is held"
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err
