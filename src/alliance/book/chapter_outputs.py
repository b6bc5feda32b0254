"""Execute the book's chapters and store their outputs deterministically.

The committed outputs of every chapter notebook are the specification that
strict nbval re-checks. This module (re)creates them: each notebook runs in a
fresh kernel from its own folder, without timing metadata, so that running it
twice gives byte-identical files.

Run ``python -m alliance.book.chapter_outputs chapters/*.ipynb`` (or ``make outputs``)
after editing a chapter.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

TIMEOUT_SECONDS = 600


def execute_chapter(path: Path, kernel_name: str = "python3") -> nbformat.NotebookNode:
    r"""Execute one chapter notebook and return it with fresh outputs.

    Parameters
    ----------
    path : pathlib.Path
        The ``.ipynb`` file. It runs with its own folder as working directory,
        as the book build does.
    kernel_name : str, default "python3"
        Jupyter kernel to run it in.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook; the file on disk is not changed.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If any cell raises.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> from pathlib import Path
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    >>> path = Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(nb, path)
    >>> execute_chapter(path).cells[0].outputs[0]["text"]
    '42\n'
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    return notebook


def toc_pages(root: Path) -> list[str]:
    r"""Return the document names listed in the book's ``_toc.yml``, in reading order.

    Parameters
    ----------
    root : pathlib.Path
        The book's folder (the one holding ``_toc.yml``).

    Returns
    -------
    list of str
        Names without suffix, root page first, e.g. ``"chapters/intro"``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "_toc.yml").write_text(
    ...     "root: intro\nparts:\n  - chapters:\n      - file: a.ipynb\n"
    ...     "        sections:\n          - file: b\n"
    ... )
    >>> toc_pages(root)
    ['intro', 'a', 'b']
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return [str(Path(page).with_suffix("")) for page in pages]


def refresh_outputs(paths: Sequence[Path]) -> None:
    """Execute each notebook in ``paths`` and write its outputs back in place.

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Chapter notebooks to refresh.
    """
    for path in paths:
        nbformat.write(execute_chapter(path), path)
        print(f"refreshed {path}")


if __name__ == "__main__":
    refresh_outputs([Path(arg) for arg in sys.argv[1:]])
