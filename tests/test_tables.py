"""Captioned tables keep their caption, and the synthetic label, in text and in HTML."""

from __future__ import annotations

import pandas as pd

from alliance.book.tables import captioned

FRAME = pd.DataFrame({"theme": ["trust", "anger"], "n": [12, 4]})


def test_plain_text_starts_with_the_caption_and_holds_the_whole_table():
    text = repr(captioned(FRAME, "Theme counts", synthetic={"seed": 1}, index=False))
    first, rest = text.split("\n", 1)
    assert first == "Table: Theme counts (synthetic data)"
    assert rest == FRAME.to_string(index=False)


def test_html_caption_is_escaped_and_unlabelled_for_undeclared_data():
    html = captioned(FRAME, "Counts <by theme> & type", synthetic=None)._repr_html_()
    assert "<caption>Counts &lt;by theme&gt; &amp; type</caption>" in html
    assert "synthetic" not in html
    assert html.count("<td>") == FRAME.size
