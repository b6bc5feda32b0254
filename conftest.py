"""Root pytest configuration: how strict nbval compares chapter outputs.

HTML renderings of tables and stderr (warnings, progress bars) are not
compared; every key table (alliance.book.tables.show_table) also has a
complete plain-text rendering, which is.

``--nbval-from-cache DIR`` makes nbval compare the committed outputs with those
of the build's own execution (the jupyter-cache in DIR, which ``make book`` just
filled) instead of executing every chapter a second time. Everything else is
nbval's: its items (one per code cell), its comparison, the sanitizers of
``--nbval-sanitize-with``, its cell markers and its failure report. A chapter
the cache does not hold in its current form (edited since the build, or failed
in it) fails. ``make nbval`` still runs nbval the usual way, in fresh kernels.
"""

from __future__ import annotations

import copy
import types
from pathlib import Path

import nbformat
import pytest


def pytest_addoption(parser):
    """Add ``--nbval-from-cache``."""
    parser.addoption(
        "--nbval-from-cache",
        metavar="DIR",
        default=None,
        help="with --nbval: take each cell's outputs from the build's jupyter-cache in DIR "
        "instead of executing the notebook",
    )


def pytest_collectstart(collector):
    """Skip volatile output types when nbval collects a notebook; maybe use the cache."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "stderr", "application/javascript")
        cache_dir = collector.config.getoption("--nbval-from-cache")
        if cache_dir:
            collector.setup = types.MethodType(_setup_from_cache(Path(cache_dir)), collector)


def pytest_itemcollected(item):
    """Let each nbval cell read its outputs from the cache instead of a kernel."""
    if item.config.getoption("--nbval-from-cache") and hasattr(item, "compare_outputs"):
        item.runtest = types.MethodType(_runtest_from_cache, item)


def _setup_from_cache(cache_dir: Path):
    def setup(self) -> None:
        from jupyter_cache import get_cache

        if not cache_dir.is_dir():
            pytest.fail(f"no execution cache at {cache_dir}: build the book first (`make book`)")
        notebook = nbformat.read(str(self.fspath), as_version=4)
        try:
            _, merged = get_cache(str(cache_dir)).merge_match_into_notebook(notebook)
        except KeyError:
            pytest.fail(
                f"{self.fspath}: the build did not execute this version of the notebook "
                "(edited since, or it failed): run `make book`",
                pytrace=False,
            )
        self.cached_outputs = [c.outputs for c in merged.cells if c.cell_type == "code"]
        self.setup_sanitize_files()

    return setup


def _runtest_from_cache(self) -> None:
    """Run nbval's ``IPyNbCell.runtest`` with the build's outputs in place of a kernel's."""
    from nbval.plugin import coalesce_streams

    if self.options["skip"]:
        pytest.skip()
    outputs = copy.deepcopy(self.parent.cached_outputs[self.cell_num])
    errors = [out for out in outputs if out.get("output_type") == "error"]
    if errors and not self.options["raises"]:
        self.raise_cell_error(
            "Cell execution caused an exception", "\n".join(errors[0].get("traceback", []))
        )
    unrun = self.cell.execution_count is None
    if unrun and self.cell.outputs:
        self.raise_cell_error("Unrun reference cell has outputs")
    if self.options["check"] and not unrun:
        if not self.compare_outputs(coalesce_streams(outputs), coalesce_streams(self.cell.outputs)):
            self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))
