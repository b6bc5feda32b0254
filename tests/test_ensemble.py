"""The ensemble of reconstructions: calibration, classification, the registry and the backends.

Members are recomputed here with small ensembles (the machine has two cores); the
published figures are rechecked with statsmodels and plain pandas, independently
of the generator's own calibration code.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from alliance.__main__ import main
from alliance.article import ensemble as ens
from alliance.article.reconstruction import calibration_report
from alliance.data.dataset import load_study
from alliance.data.published import THEMES_SD_DDOF, figure

SEED = 11
N = 6


@pytest.fixture(scope="module")
def local() -> pd.DataFrame:
    return ens.ensemble_members(N, seed=SEED, n_jobs=2)


@pytest.fixture(scope="module")
def book() -> dict[str, float]:
    return ens.result_values(load_study())


@pytest.fixture(scope="module")
def committed() -> ens.Ensemble:
    return ens.load_ensemble()


def _published_figures_hold(tables: dict[str, pd.DataFrame]) -> None:
    """Check the twelve published figures with code independent of the generator."""
    clients, therapists = tables["clients"], tables["therapists"]
    assert len(tables["clinics"]) == figure("n_clinics").value
    assert (therapists["ethnicity"] == "Ashkenazi").sum() == figure("n_therapists").value
    for group in ("Mizrahi", "Ashkenazi"):
        wanted = figure(f"n_clients_{group.lower()}").value
        assert (clients["ethnicity"] == group).sum() == wanted
    for informant in ("client", "therapist"):
        rows = tables["ratings"].query("informant == @informant")
        wide = rows.pivot(index=["session_id", "theme"], columns="rater", values="present")
        kappa = sm_fleiss_kappa(aggregate_raters(wide.to_numpy())[0])
        assert figure(f"kappa_{informant}").matches(kappa)
        counts = (
            tables["consensus"].query("informant == @informant").groupby("session_id")["present"]
        ).sum()
        assert figure(f"themes_{informant}_mean").matches(counts.mean())
        assert figure(f"themes_{informant}_sd").matches(counts.std(ddof=THEMES_SD_DDOF))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_drawn_reconstruction_passes_calibration(index):
    scenario, tables, redrawn, reasons, _ = ens.member_study(SEED, index)
    assert calibration_report(tables, scenario=scenario)["met"].all()
    _published_figures_hold(tables)
    assert redrawn == 0 or sum(reasons.values()) >= redrawn  # every redraw has its reason
    anger = tables["consensus"].query("informant == 'therapist' and theme == 'anger'")
    sessions = anger.loc[anger["present"] == 1, "session_id"]
    mizrahi = tables["sessions"].merge(tables["clients"], on="client_id")
    mizrahi = set(mizrahi.loc[mizrahi["ethnicity"] == "Mizrahi", "session_id"])
    assert set(sessions) <= mizrahi  # published: anger only with Mizrahi clients


def test_redrawn_scenarios_are_counted_and_reported(committed):
    members = committed.members
    redrawn = members["n_redrawn"].to_numpy()
    reasons = members["rejections"].fillna("")
    assert ((redrawn > 0) == (reasons != "")).all()
    record = committed.provenance
    assert record["n_redrawn"] == redrawn.sum()
    assert record["n_truncated"] == members["n_truncated"].sum()
    assert record["acceptance_rate"] == pytest.approx(len(members) / (len(members) + redrawn.sum()))


def test_another_seed_draws_other_members_but_the_same_fixed_results(local, book):
    other = ens.ensemble_members(3, seed=SEED + 1, n_jobs=2)
    params = [c for c in local if c.startswith("param.")]
    assert not local.loc[:2, params].reset_index(drop=True).equals(other[params])
    first = ens.ensemble_summary(local, book).set_index("result")
    second = ens.ensemble_summary(other, book).set_index("result")
    by_construction = first.index[first["kind"].isin(["published", "count"])]
    assert len(by_construction) >= 12 + 5
    assert (first.loc[by_construction, "class"] == "fixed").all()
    assert (second.loc[by_construction, "class"] == "fixed").all()


def test_classification_of_constructed_cases():
    assert ens.classify([0.72] * 5, 2, 0.0) == "fixed"
    assert ens.classify([0.7249, 0.7151, 0.72], 2, None) == "fixed"
    assert ens.classify([0.2, 0.5, 0.9], 2, 0.0) == "constrained"
    assert ens.classify([0.2, 0.5, 0.9], 2, None) == "assumed"
    assert ens.classify([-0.3, 0.4], 2, 0.0) == "assumed"
    assert ens.classify([0.3, np.nan], 2, 0.0) == "assumed"


def test_a_difference_whose_sign_follows_a_parameter_is_assumed(local, book):
    direction = local["param.direction_openness"].to_numpy()
    difference = local["rd.therapist.openness"].to_numpy()
    assert set(direction) == {-1.0, 1.0}, "the test needs both directions among the members"
    assert (np.sign(difference) == direction).all()
    summary = ens.ensemble_summary(local, book).set_index("result")
    assert summary.loc["rd.therapist.openness", "class"] == "assumed"
    assert summary.loc["statement.openness_lower_in_discordant", "class"] == "assumed"
    assert summary.loc["count.therapist_anger.concordant", "class"] == "fixed"


def test_a_registered_result_missing_from_the_summary_fails(local, book):
    with pytest.raises(KeyError, match="rd.therapist.trust"):
        ens.ensemble_summary(local.drop(columns="rd.therapist.trust"), book)


def test_the_committed_summary_has_every_registered_result_and_statement(committed):
    names = [r.name for r in ens.registered_results()] + [s.name for s in ens.STATEMENTS]
    assert committed.summary["result"].tolist() == names
    assert set(committed.summary["class"]) <= set(ens.CLASSES)
    assert set(committed.summary.columns) >= {"result", "book_value", "q05", "q50", "q95", "class"}
    published = committed.summary.query("kind == 'published'")
    assert len(published) == 12 and (published["class"] == "fixed").all()


def test_the_committed_summary_matches_its_inputs_and_recomputed_members(committed, book):
    record = committed.provenance
    assert record["inputs_sha256"] == ens.input_hash(), (
        "the generator changed: rerun `python -m alliance ensemble` (see load_ensemble)"
    )
    assert record["n"] == len(committed.members) >= ens.DEFAULT_N
    sample = [0, len(committed.members) - 1]
    fresh = pd.DataFrame([ens.reconstruct_member(record["seed"], i) for i in sample])
    stored = committed.members.iloc[sample].reset_index(drop=True)
    exact = ["member", "n_redrawn", "n_truncated"] + [c for c in stored if c.startswith("param.")]
    pd.testing.assert_frame_equal(fresh[exact], stored[exact], check_dtype=False)
    values = [r.name for r in ens.registered_results()]
    pd.testing.assert_frame_equal(fresh[values], stored[values], rtol=1e-9, check_dtype=False)
    again = ens.ensemble_summary(committed.members, book)
    pd.testing.assert_frame_equal(again, committed.summary, rtol=1e-9, check_dtype=False)


def test_dask_backend_gives_the_local_result(local):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote = ens.ensemble_members(N, seed=SEED, backend="dask")
    pd.testing.assert_frame_equal(remote, local)


def test_phrases_say_how_far_the_article_pins_a_result_down():
    summary = pd.DataFrame(
        {
            "result": ["a", "b", "c", "d", "e"],
            "kind": ["published", "statement", "derived", "statement", "derived"],
            "class": ["fixed", "constrained", "constrained", "assumed", "assumed"],
            "share": [1.0, 1.0, 1.0, 0.41, np.nan],
            "line": [np.nan, 0.0, 0.0, 0.0, np.nan],
            "q05": [0.0, 0.0, 0.0, 0.0, -0.123],
            "q95": [0.0, 0.0, 0.0, 0.0, 0.456],
        }
    )
    phrases = {name: ens.ensemble_phrase(summary, name) for name in summary["result"]}
    assert phrases["a"].endswith("fixed by the published figures")
    assert phrases["b"].startswith("holds in every one")
    assert phrases["d"] == (
        "holds in 41% of reconstructions consistent with the article; an assumption of ours"
    )
    assert "-0.12 and 0.46" in phrases["e"]
    with pytest.raises(KeyError, match="not a result"):
        ens.ensemble_phrase(summary, "unknown")


def test_cli_writes_the_summary_columns_and_refuses_other_files(tmp_path, capsys):
    out = tmp_path / "summary.csv"
    assert main(["ensemble", "--n", "1", "--seed", "3", "--jobs", "1", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert {"result", "book_value", "q05", "q50", "q95", "class"} <= set(table.columns)
    assert "acceptance rate" in capsys.readouterr().out
    assert out.with_suffix(".json").is_file()
    notes = tmp_path / "notes.csv"
    notes.write_text("real,data\n")
    assert main(["ensemble", "--n", "1", "--out", str(notes)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert notes.read_text() == "real,data\n"
    (tmp_path / "fresh.json").write_text("{}\n")
    assert main(["ensemble", "--n", "1", "--out", str(tmp_path / "fresh.csv")]) == 2
    assert "fresh.json exists" in capsys.readouterr().err
    assert (tmp_path / "fresh.json").read_text() == "{}\n"
    assert main(["ensemble", "--n", "0", "--out", str(tmp_path / "x.csv")]) == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_bar_only_on_a_terminal(monkeypatch, terminal):
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    rows = ens._progress(iter([{"member": 0}, {"member": 1}]), total=2)
    assert rows == [{"member": 0}, {"member": 1}]
    assert ("2/2" in stream.getvalue()) is terminal
