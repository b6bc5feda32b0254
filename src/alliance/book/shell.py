"""Run the command-line interface from a chapter and show what a terminal would.

The chapter for researchers demonstrates ``python -m alliance`` on a copy of the
study folder; :func:`run_alliance` runs it in a separate process and prints the
command, its output and its exit code, so the page shows the session as typed.

Examples
--------
>>> import tempfile
>>> run_alliance("validate", "no-such-folder", cwd=tempfile.mkdtemp())
$ python -m alliance validate no-such-folder
note: no datapackage.json: hashes not checked (see schema.write_datapackage)
1 problem in study folder no-such-folder:
  no-such-folder: missing-folder: there is no such study folder
(exit code 1)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["run_alliance"]


def run_alliance(*args: str, cwd: str | Path) -> None:
    """Run ``python -m alliance`` with ``args`` in ``cwd`` and print the session.

    Parameters
    ----------
    *args : str
        The command and its arguments (``"validate", "mystudy"``).
    cwd : str or pathlib.Path
        The folder to run in (relative study folders are resolved from it).

    Returns
    -------
    None
        Prints ``$ python -m alliance <args>``, the command's output (standard
        output, then standard error) and ``(exit code <n>)``; returns nothing,
        so a notebook cell shows no result value.

    Examples
    --------
    >>> import tempfile
    >>> run_alliance("validate", "mystudy", cwd=tempfile.mkdtemp())
    ... # doctest: +ELLIPSIS
    $ python -m alliance validate mystudy
    ...
    (exit code 1)
    """
    print("$ python -m alliance", " ".join(args))
    result = subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout + result.stderr, end="")
    print(f"(exit code {result.returncode})")
