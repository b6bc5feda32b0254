"""Glue many computed values at once, for the numbers a chapter's prose quotes.

A chapter computes a mapping of named values (usually with a ``*_highlights``
helper of its step) and glues them all with one call, instead of one ``glue``
line per number. The prose then quotes them with ``{glue:text}`` roles.

Examples
--------
>>> glue_values("rel_", {"n_units": 55, "kappa": 0.7})  # glues rel_n_units and rel_kappa
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from myst_nb import glue

__all__ = ["glue_values"]


def glue_values(prefix: str, values: Mapping[str, Any]) -> None:
    """Glue every value under ``prefix + key``, without displaying it.

    Parameters
    ----------
    prefix : str
        Put before every key (``"rel_"``, ``"dy_trust_"``); may be empty.
    values : mapping of str to value, or pandas.Series
        The values to glue, in order. NumPy scalars are glued as the Python
        number they hold, so the prose shows ``0.7`` rather than
        ``np.float64(0.7)``.

    Returns
    -------
    None
        Nothing, so a cell that ends with this call shows no result.

    Raises
    ------
    ValueError
        If a name would be glued twice (two keys equal once prefixed).

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.Series({"conc": np.float64(0.25), "disc": np.float64(0.5)})
    >>> glue_values("dy_trust_", row)  # glues dy_trust_conc = 0.25, dy_trust_disc = 0.5
    """
    items = list(values.items())
    names = [f"{prefix}{key}" for key, _ in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"glue_values: names glued twice: {repeated}")
    for name, (_, value) in zip(names, items, strict=True):
        glue(name, value.item() if isinstance(value, np.generic) else value, display=False)
