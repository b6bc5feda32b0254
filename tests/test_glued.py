"""Gluing many values at once: names, order, NumPy scalars, repeated names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliance.book import glued


@pytest.fixture
def recorded(monkeypatch):
    calls = []
    monkeypatch.setattr(
        glued, "glue", lambda name, value, display: calls.append((name, value, display))
    )
    return calls


def test_every_value_is_glued_under_its_prefixed_name_without_display(recorded):
    assert glued.glue_values("dy_", {"n": 3, "label": "trust", "share": 0.25}) is None
    assert recorded == [
        ("dy_n", 3, False),
        ("dy_label", "trust", False),
        ("dy_share", 0.25, False),
    ]


def test_numpy_scalars_become_python_numbers(recorded):
    glued.glue_values("", {"kappa": np.float64(0.7), "n": np.int64(55)})
    values = {name: value for name, value, _ in recorded}
    assert type(values["kappa"]) is float and type(values["n"]) is int
    assert repr(values["kappa"]) == "0.7"


def test_a_name_glued_twice_is_refused(recorded):
    with pytest.raises(ValueError, match="twice"):
        glued.glue_values("x", pd.Series([1, 2], index=["a", "a"]))
    assert recorded == []
