"""Where the study data live.

The whole book can be pointed at another study folder with the environment
variable ``ALLIANCE_DATA``; otherwise the nearest ``data/`` folder with a
``datapackage.json`` above the working directory is used, which is the
compendium's own synthetic reconstruction when running inside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV_VAR = "ALLIANCE_DATA"


def data_dir(start: Path | None = None) -> Path:
    """Return the study folder the analyses should read.

    Parameters
    ----------
    start : pathlib.Path, optional
        Folder to search upwards from; defaults to the current working directory.

    Returns
    -------
    pathlib.Path
        ``$ALLIANCE_DATA`` when set, else the first ``data/`` folder holding a
        ``datapackage.json`` in ``start`` or one of its parents.

    Raises
    ------
    FileNotFoundError
        If ``ALLIANCE_DATA`` names a missing folder, or no data folder is found.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir()
    >>> _ = (root / "data" / "datapackage.json").write_text("{}")
    >>> (root / "chapters").mkdir()
    >>> os.environ.pop(DATA_ENV_VAR, None) is None or True
    True
    >>> data_dir(root / "chapters") == root / "data"
    True
    """
    override = os.environ.get(DATA_ENV_VAR)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{DATA_ENV_VAR}={override!r} is not a folder")
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "data"
        if (candidate / "datapackage.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"no data/datapackage.json in {here} or its parents; set {DATA_ENV_VAR} to a study folder"
    )
