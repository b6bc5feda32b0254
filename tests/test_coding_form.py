"""The coding form of chapter 11 in a real browser: it must score exactly as score_coding.

The built chapter (``_build/html/chapters/11_code_it_yourself.html``, made by
``make book``) is served from 127.0.0.1 and opened in Debian's Chromium through
Playwright. The form is filled with many sheets (random ones with a fixed seed,
simulated learners and hand-made edge cases), submitted, and the browser's result
(the JSON the page puts in ``data-score``) is compared number by number and
disagreement by disagreement with :func:`alliance.teaching.exercise.score_coding`
on the same sheet. The form's CSV download is read back with the Python sheet
reader, a CSV sheet is loaded into the form, and the page is opened from
``file://`` too. The tests skip (with the reason) when the book is not built or
no Chromium is installed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser_support import AXE_JS, serve

from alliance.data.codebook import THEMES
from alliance.teaching.coding_form import FORM_DATA_ID, form_data
from alliance.teaching.exercise import (
    blank_coding_sheet,
    exercise_excerpts,
    score_coding,
    simulate_learner,
    solution_sheet,
)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHAPTER = "chapters/11_code_it_yourself.html"
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("axe.min.js")
SCREENSHOTS = ROOT / "_build" / "screenshots"

pytestmark = pytest.mark.skipif(
    not (HTML / CHAPTER).is_file() or not CHROMIUM.is_file(),
    reason=f"needs the built book ({HTML / CHAPTER}: run `make book`) and Chromium at {CHROMIUM}",
)


@pytest.fixture(scope="module")
def exercise():
    return exercise_excerpts()


@pytest.fixture(scope="module")
def page(browser):
    with serve(HTML) as origin:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{origin}/{CHAPTER}", wait_until="networkidle")
        page.errors = errors
        yield page
        context.close()


def _sheets(exercise) -> dict[str, pd.DataFrame]:
    """Thirty random sheets (fixed seed), simulated learners and hand-made edge cases."""
    solution = solution_sheet(exercise)
    sheets = {"all blank": solution.assign(**dict.fromkeys(THEMES, 0))}
    sheets["all ticked"] = solution.assign(**dict.fromkeys(THEMES, 1))
    sheets["exactly the key"] = solution
    only_alternatives = solution.assign(**dict.fromkeys(THEMES, 0))
    key_and_alternatives = solution.copy()
    for i, row in enumerate(exercise.itertuples()):
        for theme in row.alternatives:
            only_alternatives.loc[i, theme] = 1
            key_and_alternatives.loc[i, theme] = 1
    sheets["only alternatives"] = only_alternatives
    sheets["key and every alternative"] = key_and_alternatives
    rng = np.random.default_rng(20261129)
    for n in range(30):
        density = rng.uniform(0.02, 0.6)
        codes = (rng.random((len(exercise), len(THEMES))) < density).astype(int)
        sheets[f"random {n} (density {density:.2f})"] = solution.assign(
            **{theme: codes[:, k] for k, theme in enumerate(THEMES)}
        )
    for seed in range(5):
        sheets[f"simulated learner {seed}"] = simulate_learner(
            exercise, accuracy=0.7, extra_rate=0.4, seed=seed
        )
    return sheets


def _fill(page, sheet: pd.DataFrame) -> None:
    """Set every check box to the sheet's code (fast: in the page)."""
    codes = {
        f"cf-{row['excerpt_id']}-{theme}": bool(row[theme])
        for _, row in sheet.iterrows()
        for theme in THEMES
    }
    page.evaluate(
        "(codes) => { for (const [id, on] of Object.entries(codes)) "
        "document.getElementById(id).checked = on; }",
        codes,
    )


def _submit(page) -> dict:
    page.get_by_role("button", name="Score my coding").click()
    return json.loads(page.get_attribute("#cf-results", "data-score"))


def _same(python: float, browser: float | None) -> bool:
    if browser is None:
        return math.isnan(python)
    return python == pytest.approx(browser, abs=1e-12)


def _assert_parity(name: str, score, result: dict) -> None:
    for key, value in score.summary.iloc[0].items():
        assert _same(float(value), result["summary"][key]), f"{name}: summary {key}"
    assert len(result["themes"]) == len(score.themes)
    for expected, got in zip(score.themes.to_dict("records"), result["themes"], strict=True):
        for key, value in expected.items():
            if isinstance(value, str):
                assert value == got[key], f"{name}: {expected['theme']} {key}"
            else:
                assert _same(float(value), got[key]), f"{name}: {expected['theme']} {key}"
    columns = [c for c in score.disagreements.columns if c != "text"]
    expected = score.disagreements[columns].to_dict("records")
    got = [{key: row[key] for key in columns} for row in result["disagreements"]]
    assert got == expected, f"{name}: the listed disagreements differ"


def test_the_page_carries_the_generators_data_exactly(page):
    shown = json.loads(page.locator(f"#{FORM_DATA_ID}").text_content())
    assert shown == json.loads(json.dumps(form_data())), (
        "the built chapter's form data differs from form_data(): rebuild the book"
    )
    assert page.errors == []


def test_the_form_has_a_labelled_box_per_extract_and_theme(page, exercise):
    boxes = page.locator("form.coding-form-form input[type=checkbox]")
    assert boxes.count() == len(exercise) * len(THEMES)
    for row in exercise.itertuples():
        for theme in THEMES:
            box = page.locator(f"#cf-{row.excerpt_id}-{theme}")
            assert page.locator(f"label[for='cf-{row.excerpt_id}-{theme}']").count() == 1
            assert box.get_attribute("data-theme") == theme
    legends = page.locator("fieldset.coding-form-extract legend").all_inner_texts()
    assert all("fictional" in legend for legend in legends)


def test_extract_text_reaches_the_page_as_text(page, exercise):
    first = exercise.iloc[0]
    turns = page.locator(f"#cf-{first.excerpt_id} .coding-form-turns p").all_inner_texts()
    assert turns == [f"{who}: {text}" for who, text in first.turns]


def test_the_browser_scores_every_sheet_as_score_coding(page, exercise):
    sheets = _sheets(exercise)
    assert len(sheets) >= 40
    for name, sheet in sheets.items():
        _fill(page, sheet)
        _assert_parity(name, score_coding(sheet, exercise), _submit(page))
    assert page.errors == []


def test_a_sheet_filled_by_clicks_and_keys_scores_as_score_coding(page, exercise):
    page.get_by_role("button", name="Clear all boxes").click()
    sheet = solution_sheet(exercise).assign(**dict.fromkeys(THEMES, 0))
    for extract, theme in [("X01", "understood"), ("X03", "openness"), ("X05", "frustration")]:
        page.check(f"#cf-{extract}-{theme}")
        sheet.loc[sheet["excerpt_id"] == extract, theme] = 1
    page.focus("#cf-X11-trust")
    page.keyboard.press("Space")
    sheet.loc[sheet["excerpt_id"] == "X11", "trust"] = 1
    page.focus("#cf-X01-understood")
    page.keyboard.press("Space")
    page.keyboard.press("Space")  # off and on again
    result = _submit(page)
    _assert_parity("clicked", score_coding(sheet, exercise), result)
    kinds = {(d["excerpt_id"], d["theme"]): d["kind"] for d in result["disagreements"]}
    assert kinds[("X03", "openness")] == "defensible"
    assert kinds[("X11", "trust")] == "extra"
    shown = page.locator("#cf-results").inner_text()
    assert "defensible alternative" in shown and "do not code when" in shown
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#cf-results").screenshot(path=str(SCREENSHOTS / "coding-form-results.png"))


def test_the_downloaded_sheet_reads_back_with_the_same_codes(page, exercise, tmp_path):
    sheet = simulate_learner(exercise, accuracy=0.6, extra_rate=0.5, seed=11)
    _fill(page, sheet)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download my sheet (CSV)").click()
    path = tmp_path / "downloaded.csv"
    info.value.save_as(path)
    read = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(read.columns) == blank_coding_sheet(exercise).columns.tolist()
    assert (read[list(THEMES)].astype(int).to_numpy() == sheet[list(THEMES)].to_numpy()).all()
    assert (read["fictional"] == "yes").all()
    from_file = score_coding(path, exercise)  # the Python reader accepts the download as it is
    pd.testing.assert_frame_equal(from_file.themes, score_coding(sheet, exercise).themes)
    pd.testing.assert_frame_equal(
        from_file.disagreements, score_coding(sheet, exercise).disagreements
    )


@pytest.mark.parametrize(
    ("separator", "one", "zero"), [(",", "1", "0"), (";", "x", ""), ("\t", "TRUE", "FALSE")]
)
def test_loading_a_csv_sheet_ticks_its_codes(page, exercise, tmp_path, separator, one, zero):
    sheet = simulate_learner(exercise, accuracy=0.5, extra_rate=0.5, seed=5)
    written = sheet.astype(object)
    for theme in THEMES:
        written[theme] = sheet[theme].map({1: one, 0: zero})
    path = tmp_path / "filled elsewhere.csv"
    written.sample(frac=1, random_state=2).to_csv(path, sep=separator, index=False)
    page.get_by_role("button", name="Clear all boxes").click()
    page.set_input_files("#cf-load", str(path))
    page.wait_for_function(
        "() => document.querySelector('.coding-form-status').textContent.startsWith('Loaded')"
    )
    status = page.locator(".coding-form-status").inner_text()
    assert "problem" not in status, status
    state = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('form.coding-form-form "
        "input[type=checkbox]')].map((b) => [b.id, b.checked ? 1 : 0]))"
    )
    for _, row in sheet.iterrows():
        for theme in THEMES:
            assert state[f"cf-{row['excerpt_id']}-{theme}"] == row[theme]


def test_loading_a_broken_sheet_names_its_problems(page, exercise, tmp_path):
    path = tmp_path / "broken.csv"
    sheet = solution_sheet(exercise).astype(object)
    sheet.loc[0, "trust"] = "maybe"
    sheet.loc[1, "excerpt_id"] = "Z99"
    sheet.to_csv(path, index=False)
    page.set_input_files("#cf-load", str(path))
    page.wait_for_function(
        "() => document.querySelector('.coding-form-status').textContent.includes('broken.csv')"
    )
    status = page.locator(".coding-form-status").inner_text()
    assert 'line 2, column trust: "maybe" is not 0 or 1' in status
    assert 'line 3: unknown extract "Z99"' in status
    assert "no row for X02" in status


def test_the_form_has_no_serious_accessibility_findings_after_scoring(page, exercise):
    _fill(page, simulate_learner(exercise, seed=2))
    _submit(page)
    page.add_script_tag(path=str(AXE))
    findings = [
        f"{v['impact']} {v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in page.evaluate(AXE_JS)
        if v["impact"] in {"serious", "critical"}
    ]
    assert not findings, "\n".join(findings)


def test_the_form_works_from_file_urls(browser, exercise):
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((HTML / CHAPTER).as_uri(), wait_until="load")
        sheet = simulate_learner(exercise, seed=9)
        _fill(page, sheet)
        _assert_parity("file://", score_coding(sheet, exercise), _submit(page))
        assert errors == []
    finally:
        context.close()


def test_other_pages_do_not_get_a_form(browser):
    with serve(HTML) as origin:
        context = browser.new_context()
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{origin}/chapters/intro.html", wait_until="networkidle")
            assert page.locator("form.coding-form-form").count() == 0
            assert page.evaluate("() => typeof window.allianceCodingForm") == "object"
            assert errors == []
        finally:
            context.close()


def test_the_codebook_is_one_click_away_from_every_extract(page):
    fieldset = page.locator("#cf-X05")
    toggle = fieldset.get_by_role("button", name="Show the codebook here")
    toggle.click()
    panel = fieldset.locator(".coding-form-inline-codebook")
    labels = [t["label"] for t in form_data()["themes"]]
    assert panel.locator("strong").all_inner_texts() == labels
    assert (
        fieldset.get_by_role("button", name="Hide the codebook").get_attribute("aria-expanded")
        == "true"
    )
    fieldset.get_by_role("button", name="Hide the codebook").click()
    assert panel.count() == 0


def test_ticks_survive_a_reload_until_cleared(browser):
    with serve(HTML) as origin:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{origin}/{CHAPTER}", wait_until="networkidle")
            page.check("#cf-X07-empathy")
            page.reload(wait_until="networkidle")
            assert page.is_checked("#cf-X07-empathy")
            assert "last visit" in page.locator(".coding-form-status").inner_text()
            page.get_by_role("button", name="Clear all boxes").click()
            page.reload(wait_until="networkidle")
            assert not page.is_checked("#cf-X07-empathy")
        finally:
            context.close()


def test_loading_a_spreadsheet_file_asks_for_csv(page, tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    page.set_input_files("#cf-load", str(path))
    status = page.locator(".coding-form-status").inner_text()
    assert "reads CSV files only" in status and "sheet.xlsx" in status
