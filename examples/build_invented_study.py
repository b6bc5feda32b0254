"""Write the small invented study that chapter 21 works on, and its downloads.

Everything here is invented (people, codes, excerpts) and labelled so: the
study folder's ``datapackage.json`` names its generator in
``"alliance:synthetic"``. The files are committed so that readers can download
them; ``tests/test_invented_study.py`` rebuilds them and checks that the
committed copies are exactly what this script writes.

Run from the repository folder::

    python examples/build_invented_study.py

It writes

* ``examples/invented-study/``: the study folder (12 sessions, client
  interviews only, two coders Noa and Amir, a double-coded subsample);
* ``chapters/downloads/invented_study.qdpx``: the same coding as a REFI-QDA
  project, written as another program would (without the design record, so
  the import's mapping must say which groups the study compares);
* ``chapters/downloads/invented_study_<coder>.csv``: one coding sheet per
  coder, one row per interview that coder coded, one 0/1 column per theme.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from alliance.data.dataset import load_study
from alliance.data.examples import write_example_study
from alliance.exchange.qdpx import export_qdpx

ROOT = Path(__file__).resolve().parents[1]

INVENTED_STUDY = {
    "rule": "client",
    "variable": "referral",
    "groups": ("self", "clinician"),
    "per_group": 6,
    "informants": ("client",),
    "raters": ("Noa", "Amir"),
    "themes": 6,
    "double_coded": 1 / 3,
    "seed": 21,
}
"""The design of the invented study (arguments of ``write_example_study``)."""


def coder_sheets(folder: Path) -> dict[str, str]:
    """Return each coder's sheet (CSV text): the interviews they coded, one column per theme."""
    study = load_study(folder)
    sheets = {}
    for coder, rows in study.ratings.groupby("rater", sort=False):
        wide = rows.pivot(index=["session_id", "informant"], columns="theme", values="present")
        wide = wide[list(study.design.themes)].astype(int).reset_index()
        sheets[coder] = wide.to_csv(index=False, lineterminator="\n")
    return sheets


def build(root: Path = ROOT) -> list[Path]:
    """Write the study folder and the downloads under ``root``; return the files written."""
    folder = root / "examples" / "invented-study"
    downloads = root / "chapters" / "downloads"
    shutil.rmtree(folder, ignore_errors=True)
    write_example_study(folder, **INVENTED_STUDY)
    project = downloads / "invented_study.qdpx"
    project.unlink(missing_ok=True)
    downloads.mkdir(parents=True, exist_ok=True)
    written = [*sorted(folder.iterdir()), export_qdpx(folder, project, carry_design=False)]
    for coder, text in coder_sheets(folder).items():
        sheet = downloads / f"invented_study_{coder}.csv"
        sheet.write_text(text, encoding="utf-8", newline="\n")
        written.append(sheet)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT):
        print(path)
