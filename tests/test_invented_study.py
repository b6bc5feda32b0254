"""The invented study shipped with the book (chapter 21): the committed files are exactly what
``examples/build_invented_study.py`` writes, and its REFI-QDA project imports back to the same
ratings and consensus."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import yaml

from alliance.data.dataset import load_study
from alliance.exchange.qdpx import draft_mapping, import_qdpx, read_qdpx

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location(
    "build", ROOT / "examples" / "build_invented_study.py"
)
build = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build)


def test_the_shipped_files_are_what_the_script_writes(tmp_path):
    written = build.build(tmp_path)
    assert len(written) == 14
    stale = [
        str(path.relative_to(tmp_path))
        for path in written
        if (ROOT / path.relative_to(tmp_path)).read_bytes() != path.read_bytes()
    ]
    assert stale == [], "regenerate with: python examples/build_invented_study.py"


def test_the_invented_study_is_labelled_and_its_project_imports_back(tmp_path):
    folder = ROOT / "examples" / "invented-study"
    study = load_study(folder)
    assert study.synthetic["generator"] == "alliance.data.examples.write_example_study"
    project = ROOT / "chapters" / "downloads" / "invented_study.qdpx"
    mapping = yaml.safe_load(draft_mapping(read_qdpx(project)))
    assert mapping["study"]["groups"] is None  # the reader fills it in, as chapter 21 shows
    mapping["study"]["groups"] = {
        "rule": "client",
        "variable": "referral",
        "values": ["self", "clinician"],
    }
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping), encoding="utf-8")
    back = load_study(import_qdpx(project, tmp_path / "map.yaml", tmp_path / "back").folder)
    key = ["session_id", "informant", "rater", "theme"]
    for table in ("ratings", "consensus"):
        columns = [c for c in key if c in getattr(study, table)]
        pd.testing.assert_frame_equal(
            getattr(back, table).sort_values(columns, ignore_index=True),
            getattr(study, table).sort_values(columns, ignore_index=True),
        )
    sheets = {
        coder: pd.read_csv(ROOT / "chapters" / "downloads" / f"invented_study_{coder}.csv")
        for coder in ("Noa", "Amir")
    }
    for coder, sheet in sheets.items():
        long = sheet.melt(["session_id", "informant"], var_name="theme", value_name="present")
        mine = study.ratings[study.ratings["rater"] == coder].drop(columns="rater")
        assert sorted(map(tuple, long.to_numpy().tolist())) == sorted(
            map(tuple, mine[long.columns].to_numpy().tolist())
        )
