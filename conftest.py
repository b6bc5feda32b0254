"""Root pytest configuration: how strict nbval compares chapter outputs.

HTML renderings of tables and stderr (warnings, progress bars) are not
compared; every key table (alliance.book.tables.show_table) also has a
complete plain-text rendering, which is.
"""


def pytest_collectstart(collector):
    """Skip volatile output types when nbval collects a notebook."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "stderr", "application/javascript")
