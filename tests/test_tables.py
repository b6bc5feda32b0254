"""Tables for readers (HTML) and for nbval (complete, deterministic text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from alliance.book.tables import show_table


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def parse(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    return parser


def test_study_text_stays_text_in_cells_index_headers_and_caption():
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    frame = pd.DataFrame({"label": [payload], payload: [1]}, index=pd.Index([payload]))
    html = show_table(frame, f"Themes {payload}", index=True, synthetic=False)._repr_html_()
    elements = parse(html)
    assert "script" not in elements.tags and "img" not in elements.tags
    assert "onerror" not in elements.attributes
    assert "&lt;script&gt;" in html


def test_text_holds_every_row_and_column_however_wide():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.random((70, 30)), columns=[f"column_{i}" for i in range(30)])
    text = repr(show_table(frame, "wide", formats={c: ".3f" for c in frame}, synthetic=False))
    lines = text.splitlines()
    assert "..." not in text
    assert len(lines) == 1 + 1 + 70
    assert all(f"column_{i}" in lines[1] for i in range(30))
    assert f"{frame.iloc[69, 29]:.3f}" in lines[-1]


def test_formats_missing_values_and_synthetic_caption():
    frame = pd.DataFrame({"theme": ["trust", "anger"], "share": [0.256, np.nan]})
    table = show_table(frame, "Share of sessions", formats={"share": ".0%"}, synthetic=True)
    assert table.caption == "Share of sessions (synthetic data)"
    assert table.cells["share"].tolist() == ["26%", ""]
    assert show_table(frame, "Share", synthetic=False).caption == "Share"


def test_html_and_text_show_the_same_cells():
    frame = pd.DataFrame({"informant": ["client", "therapist"], "kappa": [0.7013, 0.7212]})
    table = show_table(frame, "kappa", formats={"kappa": ".2f"}, synthetic=False)
    html = table._repr_html_()
    for cell in ("0.70", "0.72", "client", "therapist"):
        assert cell in html and cell in repr(table)
    assert "<th" in html and "index" not in parse(html).attributes


def test_index_is_shown_only_when_asked():
    frame = pd.DataFrame({"n": [3]}, index=pd.Index(["trust"], name="theme"))
    assert "trust" in repr(show_table(frame, "n", index=True, synthetic=False))
    assert "trust" not in repr(show_table(frame, "n", synthetic=False))


def test_unknown_format_column_is_refused():
    with pytest.raises(KeyError, match="lacks"):
        show_table(pd.DataFrame({"a": [1]}), "a", formats={"b": ".2f"}, synthetic=False)


def test_headers_rename_columns_and_formats_still_name_them():
    frame = pd.DataFrame({"present_concordant": [3], "prevalence": [0.254]})
    table = show_table(
        frame,
        "coded",
        formats={"prevalence": ".0%"},
        headers={"present_concordant": "coded (concordant)"},
        synthetic=False,
    )
    assert table.cells.columns.tolist() == ["coded (concordant)", "prevalence"]
    assert "coded (concordant)" in repr(table) and "present_concordant" not in repr(table)
    assert table.cells.iloc[0].tolist() == ["3", "25%"]
    with pytest.raises(KeyError, match="headers"):
        show_table(frame, "coded", headers={"absent": "x"}, synthetic=False)


def test_numeric_columns_are_aligned_right_in_html_only():
    frame = pd.DataFrame({"theme": ["trust"], "n": [3], "share": [0.5], "flag": [True]})
    table = show_table(frame, "n", formats={"share": ".0%"}, synthetic=False)
    assert table.numeric == (1, 2)
    html = table._repr_html_()
    assert "td.col1 {" in html and "td.col2 {" in html and "text-align: right" in html
    assert "td.col0 {" not in html and "td.col3 {" not in html
    assert "text-align" not in repr(table)
    assert show_table(frame[["theme"]], "n", synthetic=False).numeric == ()


def test_scroll_container_is_a_focusable_labelled_region():
    table = show_table(pd.DataFrame({"a": [1]}), 'Kappa "per" theme <b>', synthetic=False)
    opening = table._repr_html_().split(">", 1)[0]
    assert 'tabindex="0"' in opening and 'role="region"' in opening
    assert 'aria-label="Kappa &quot;per&quot; theme &lt;b&gt;"' in opening


def test_html_is_the_same_every_time_and_ids_differ_between_tables():
    frame = pd.DataFrame({"theme": ["trust"], "n": [3]})
    first = show_table(frame, "n", synthetic=False)._repr_html_()
    assert first == show_table(frame.copy(), "n", synthetic=False)._repr_html_()
    other = show_table(frame, "another caption", synthetic=False)._repr_html_()
    ids = {markup.split('<table id="', 1)[1].split('"', 1)[0] for markup in (first, other)}
    assert len(ids) == 2


def test_html_headings_show_spaces_for_underscores_text_keeps_names():
    frame = pd.DataFrame({"percent_agreement": [0.9], "percent agreement": [0.8]})
    table = show_table(pd.DataFrame({"percent_agreement": [0.9]}), "a", synthetic=False)
    assert ">percent agreement</th>" in table._repr_html_()
    assert "percent_agreement" in repr(table)
    clash = show_table(frame, "b", synthetic=False)._repr_html_()
    assert ">percent_agreement</th>" in clash and ">percent agreement</th>" in clash


def test_long_labels_may_wrap_and_numbers_may_not():
    frame = pd.DataFrame({"theme": ["frustration and disappointment"], "kappa": [0.5]})
    table = show_table(frame, "k", formats={"kappa": ".2f"}, synthetic=False, wrap=["theme"])
    html = table._repr_html_()
    rule = re.search(r"([^{}]*)\{\s*white-space: normal", html)
    assert rule is not None and "td.col0" in rule[1] and "col1" not in rule[1]
    assert "white-space" not in show_table(frame, "k", synthetic=False)._repr_html_()
    assert repr(table) == repr(show_table(frame, "k", formats={"kappa": ".2f"}, synthetic=False))
    with pytest.raises(KeyError, match="wrap names columns the table lacks"):
        show_table(frame, "k", synthetic=False, wrap=["label"])
