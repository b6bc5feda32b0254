"""The study layer on every design the schema allows (issue 13).

Small invented study folders (:func:`alliance.data.examples.write_example_study`):
six sessions per group, one informant, two coders, five themes, a double-coded
subsample, three groups. Every analysis either runs or raises
:class:`~alliance.stats.checks.InsufficientData` with one line; themes come in
the study's codebook order, groups in the order its metadata declare.

Reliability on a partial design is checked against two independent peers on the
same data with missing ratings: ``krippendorff.alpha`` (installed), and Gwet's
raw-data formulas as irrCAC computes them (``pa.coeff.raw``,
``fleiss.kappa.raw``, ``gwet.ac1.raw``; irrCAC itself is not installed), written
out below and checked first against irrCAC's published output for its
``cac.raw4raters`` example, which has a unit rated once.
"""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from test_reliability import RAW4RATERS

from alliance.data.codebook import facet_table
from alliance.data.dataset import load_study
from alliance.data.examples import write_example_study
from alliance.stats.agreement import AgreementWarning
from alliance.stats.checks import InsufficientData
from alliance.stats.planning import exact_minimum_detectable_difference
from alliance.study import dyads as dy
from alliance.study import reliability as rel
from alliance.study import robustness as ro
from alliance.study import sampling as sa
from alliance.study import session_counts as sc
from alliance.study import thematic as th

DESIGNS = {
    # the small study: 6 per group, both informants, 2 coders, 5 themes, half double-coded
    "small": {},
    "client_three_groups": {
        "rule": "client",
        "variable": "site",
        "groups": ("north", "south", "east"),
        "informants": ("client",),
        "raters": ("Noa", "Tal", "Or-2"),
        "themes": 4,
    },
    "therapist_own_themes": {
        "informants": ("therapist",),
        "groups": ("matched", "unmatched"),
        "double_coded": 0.3,
        "themes": [("voice", "having a voice"), ("warmth", "warmth"), ("pace", "pace")],
    },
    "client_two_groups_reversed": {
        "rule": "client",
        "variable": "arm",
        "groups": ("waitlist", "care"),
        "per_group": 8,
        "raters": ("A1", "B2", "C3"),
        "double_coded": 0.6,
    },
}


@pytest.fixture(scope="module", params=list(DESIGNS))
def study(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("designs") / request.param
    return load_study(write_example_study(folder, seed=7, **DESIGNS[request.param]))


def analyses(study):
    """Every analysis of the study layer, called as a chapter would on this study."""
    design, dyads = study.design, study.dyads
    themes, groups = design.themes, design.grouping.labels
    counts = sc.themes_per_session(study.consensus, themes=themes)

    def comparison(**options):
        return dy.compare_dyad_types(
            study.consensus, dyads, groups=groups, themes=themes, **options
        )

    return {
        "sample_counts": lambda: sa.sample_counts(
            study.clinics,
            study.therapists,
            study.clients,
            dyads,
            groups=groups,
            variable=design.grouping.variable,
        ),
        "table_one": lambda: sa.table_one(
            sa.participant_characteristics(
                study.clients,
                study.therapists,
                {"gender": "categorical", "age": "numeric"},
                {"profession": "categorical"},
                by=design.grouping.variable,
            ),
            by=design.grouping.variable,
        ),
        "caseloads": lambda: sa.caseload_summary(
            sa.therapist_caseloads(study.therapists, dyads, groups=groups)
        ),
        "composition": lambda: sa.dyad_composition(
            study.clinics, study.therapists, dyads, groups=groups
        ),
        "prevalence": lambda: th.theme_prevalence(study.consensus, themes=themes),
        "cooccurrence": lambda: th.theme_cooccurrence(study.consensus, themes=themes),
        "excerpts": lambda: th.select_excerpts(study.excerpts, themes=themes),
        "coverage": lambda: rel.rating_coverage(study.ratings, study.consensus),
        "informant_agreement": lambda: rel.informant_agreement(study.ratings),
        "bootstrap": lambda: rel.informant_agreement(
            study.ratings, methods="fleiss_kappa", ci="bootstrap", n_boot=100, seed=1
        ),
        "theme_agreement": lambda: rel.theme_agreement_table(
            rel.theme_agreement(
                study.ratings,
                methods=["percent_agreement", "fleiss_kappa", "gwet_ac1"],
                themes=themes,
            )
        ),
        "kappa_variants": lambda: rel.kappa_variants(study.ratings),
        "paradox": lambda: rel.prevalence_paradox(
            rel.theme_agreement(study.ratings, methods=["percent_agreement", "fleiss_kappa"])
        ),
        "unanimous": lambda: rel.unanimous_agreement(study.ratings),
        "consensus_changes": lambda: rel.consensus_changes(
            rel.compare_consensus_majority(study.ratings, study.consensus)
        ),
        "counts": lambda: sc.summarise_counts(counts),
        "paired": lambda: sc.paired_comparison(counts),
        "between": lambda: sc.compare_counts_between(sa.attach_dyads(counts, dyads), groups=groups),
        "across": lambda: sc.compare_counts_across(sa.attach_dyads(counts, dyads), groups=groups),
        "compare": lambda: dy.format_dyad_comparison(comparison()),
        "compare_groups": lambda: dy.compare_groups(
            study.consensus, dyads, groups=groups, themes=themes
        ),
        "facets": lambda: dy.compare_dyad_types(
            dy.facet_indicators(study.facets, dyads, facet_table(study.codebook)),
            dyads,
            by=["informant", "facet", "valence"],
            groups=groups,
        ),
        "congruence": lambda: dy.informant_congruence(
            study.consensus, dyads, groups=groups, themes=themes
        ),
        "gee": lambda: ro.gee_by_therapist(study.consensus, dyads, groups=groups, themes=themes),
        "cmh": lambda: ro.cmh_by_therapist(study.consensus, dyads, groups=groups, themes=themes),
        "permutation": lambda: ro.permutation_within_therapist(
            study.consensus, dyads, n_perm=99, groups=groups, themes=themes
        ),
        "detectable": lambda: ro.detectable_differences(comparison(), test="fisher"),
        "equivalence": lambda: ro.equivalence_check(comparison(confidence=0.9), margin=0.1),
    }


def test_every_analysis_runs_or_says_in_one_line_why_not(study):
    for name, analysis in analyses(study).items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                # informative by design: e.g. bootstrap resamples of a tiny study
                warnings.simplefilter("default", AgreementWarning)
                result = analysis()
        except InsufficientData as reason:
            assert "\n" not in str(reason) and str(reason), name
            continue
        assert isinstance(result, pd.DataFrame) and len(result), name


def test_what_needs_two_groups_or_both_informants_says_so(study):
    design, run = study.design, analyses(study)
    needs_two = ("compare", "gee", "cmh", "permutation", "detectable", "equivalence")
    for name in needs_two:
        if len(design.grouping.labels) == 2:
            continue
        with pytest.raises(InsufficientData, match="compares two groups, and this study has 3"):
            run[name]()
    for name in ("paired", "congruence"):
        if design.both_informants:
            run[name]()
        else:
            with pytest.raises(InsufficientData, match="client's and the therapist's"):
                run[name]()


def test_themes_follow_the_codebook_and_carry_its_labels(study):
    design = study.design
    # rows in reverse theme order, so the order of the data cannot decide the tables'
    reverse = {theme: -rank for rank, theme in enumerate(design.themes)}
    consensus = study.consensus.sort_values("theme", key=lambda t: t.map(reverse), kind="stable")
    ratings = study.ratings.sort_values("theme", key=lambda t: t.map(reverse), kind="stable")
    assert tuple(th.theme_order(consensus["theme"])) != design.themes
    prevalence = th.theme_prevalence(consensus, themes=design.themes)
    labelled = th.label_themes(prevalence, design)
    assert list(labelled.columns[:3]) == ["informant", "theme", "label"]
    assert labelled["label"].tolist() == [design.label(t) for t in prevalence["theme"]]
    per_theme = rel.theme_agreement(ratings, methods="percent_agreement", themes=design.themes)
    changes = rel.consensus_changes(
        rel.compare_consensus_majority(ratings, consensus), themes=design.themes
    )
    counts = sc.themes_per_session(consensus, themes=design.themes)
    assert len(counts) == len(consensus) / len(design.themes)
    for table in (prevalence, per_theme, changes):
        for _, rows in table.groupby("informant"):
            assert tuple(rows["theme"].astype(str)) == design.themes


def test_groups_follow_the_metadata(study):
    groups = study.design.grouping.labels
    counts = sa.sample_counts(
        study.clinics,
        study.therapists,
        study.clients,
        study.dyads,
        groups=groups,
        variable=study.design.grouping.variable,
    ).set_index("quantity")["n"]
    expected = study.dyads["dyad_type"].value_counts()
    assert [counts[f"n_{group}"] for group in groups] == [expected[g] for g in groups]
    caseloads = sa.therapist_caseloads(study.therapists, study.dyads, groups=groups)
    assert list(caseloads.columns[2:-1]) == list(groups)
    assert (caseloads[list(groups)].sum(axis=1) == caseloads["total"]).all()
    if len(groups) == 2:
        comparison = dy.compare_dyad_types(study.consensus, study.dyads, groups=groups)
        assert dy.comparison_groups(comparison) == groups
        first, second = groups
        difference = comparison[f"prevalence_{second}"] - comparison[f"prevalence_{first}"]
        np.testing.assert_allclose(comparison["risk_difference"], difference)


def test_coverage_counts_what_the_ratings_hold(study):
    coverage = rel.rating_coverage(study.ratings, study.consensus).set_index("informant")
    given = study.ratings.dropna(subset=["present"])
    for informant, row in coverage.iterrows():
        interviews = study.consensus.loc[study.consensus["informant"] == informant, "session_id"]
        coders = given[given["informant"] == informant].groupby("session_id")["rater"].nunique()
        coders = coders.reindex(interviews.unique(), fill_value=0)
        assert row["n_interviews"] == len(coders)
        assert row["n_double_coded"] == (coders >= 2).sum()
        assert row["n_single_coded"] == (coders == 1).sum()
        assert row["n_not_coded"] == (coders == 0).sum()
        assert row["raters_max"] == coders.max()
        assert set(given.loc[given["informant"] == informant, "rater"]) <= set(
            study.ratings["rater"]
        )


# --- partial designs against irrCAC's formulas and krippendorff ------------------------


def gwet_raw(matrix: np.ndarray) -> dict[str, float]:
    """Percent agreement, Fleiss' kappa and Gwet's AC1 as irrCAC's raw-data functions compute them.

    ``matrix`` is units x raters with NaN for a missing rating; units without any
    rating are left out. Categories are those the raters used.
    """
    matrix = matrix[~np.isnan(matrix).all(axis=1)]
    categories = np.unique(matrix[~np.isnan(matrix)])
    counts = np.stack([(matrix == c).sum(axis=1) for c in categories], axis=1)
    r_i = counts.sum(axis=1)
    paired = r_i >= 2
    pa = np.mean((counts * (counts - 1)).sum(axis=1)[paired] / (r_i * (r_i - 1))[paired])
    pi = (counts / r_i[:, None]).mean(axis=0)
    pe_fleiss = np.sum(pi**2)
    pe_ac1 = np.sum(pi * (1 - pi)) / (len(categories) - 1)
    return {
        "percent_agreement": pa,
        "fleiss_kappa": (pa - pe_fleiss) / (1 - pe_fleiss),
        "gwet_ac1": (pa - pe_ac1) / (1 - pe_ac1),
    }


def test_the_irrcac_formulas_reproduce_irrcac_on_a_unit_rated_once():
    # irrCAC README / vignette, cac.raw4raters (12 units, 4 raters, unit 12 rated once):
    # percent agreement 0.81818, Fleiss 0.76117, AC1 0.77544.
    values = gwet_raw(np.asarray(RAW4RATERS, dtype=float))
    assert {name: round(value, 5) for name, value in values.items()} == {
        "percent_agreement": 0.81818,
        "fleiss_kappa": 0.76117,
        "gwet_ac1": 0.77544,
    }


def partial_design(ratings: pd.DataFrame) -> pd.DataFrame:
    """Today's ratings made partial: renamed raters, a double-coded subsample, single-coded
    interviews, one rater missing from some, a few explicit missing ratings."""
    sessions = sorted(ratings["session_id"].unique())
    role = {s: ("all", "pair", "single")[min(i // 15, 2)] for i, s in enumerate(sessions)}
    keep = (
        ratings["session_id"]
        .map(role)
        .map({"all": {"R1", "R2", "R3"}, "pair": {"R1", "R2"}, "single": {"R3"}})
    )
    partial = ratings[[r in k for r, k in zip(ratings["rater"], keep, strict=True)]].copy()
    partial["rater"] = partial["rater"].map({"R1": "Noa", "R2": "Tal", "R3": "Or-2"})
    partial["present"] = partial["present"].astype(float)
    blank = partial.sample(12, random_state=4).index
    partial.loc[blank, "present"] = np.nan
    return partial


@pytest.fixture(scope="module")
def partial():
    return partial_design(load_study().ratings)


def units_by_raters(ratings: pd.DataFrame, informant: str, theme: str | None = None):
    rows = ratings[ratings["informant"] == informant]
    if theme is not None:
        rows = rows[rows["theme"] == theme]
    wide = rows.pivot_table(
        index=["session_id", "theme"], columns="rater", values="present", dropna=False
    )
    return wide.to_numpy(dtype=float)


def test_partial_design_coverage(partial):
    coverage = rel.rating_coverage(partial, load_study().consensus)
    assert coverage["n_double_coded"].tolist() == [30, 30]
    assert coverage["n_single_coded"].tolist() == [25, 25]
    assert coverage["n_not_coded"].tolist() == [0, 0]
    assert coverage["n_raters"].tolist() == [3, 3]
    assert coverage["n_missing"].sum() == 12


def test_partial_design_agreement_equals_irrcac_formulas_and_krippendorff(partial):
    table = rel.informant_agreement(
        partial, methods=["percent_agreement", "fleiss_kappa", "gwet_ac1", "krippendorff_alpha"]
    ).set_index(["informant", "coefficient"])
    coverage = rel.rating_coverage(partial).set_index("informant")
    for informant in ("client", "therapist"):
        matrix = units_by_raters(partial, informant)
        expected = gwet_raw(matrix)
        expected["krippendorff_alpha"] = krippendorff.alpha(
            reliability_data=matrix.T, level_of_measurement="nominal"
        )
        for coefficient, value in expected.items():
            assert table.loc[(informant, coefficient), "estimate"] == pytest.approx(value)
        n_units = table.xs(informant)["n_units"]
        assert (n_units == coverage.loc[informant, "n_units_overlap"]).all()


def test_partial_design_per_theme_equals_krippendorff(partial):
    per_theme = rel.theme_agreement(partial, methods=["krippendorff_alpha", "fleiss_kappa"])
    for row in per_theme.itertuples():
        matrix = units_by_raters(partial, row.informant, row.theme)
        if row.coefficient == "krippendorff_alpha":
            expected = krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal")
        else:
            expected = gwet_raw(matrix)["fleiss_kappa"]
        assert row.estimate == pytest.approx(expected)


def test_krippendorff_rests_on_the_overlap_alone(partial):
    # alpha ignores units rated once, so dropping the single-coded interviews leaves it as it is
    overlap = rel.rated_overlap(partial)
    both = [
        rel.informant_agreement(ratings, methods="krippendorff_alpha")["estimate"]
        for ratings in (partial, overlap)
    ]
    np.testing.assert_allclose(both[0], both[1])
    assert (overlap.groupby(["session_id", "informant", "theme"]).size() >= 2).all()


def test_an_informant_without_overlap_gets_a_row_that_says_so(partial):
    ratings = partial.copy()
    # therapist interviews single-coded only: keep one rater per therapist interview
    therapist = ratings["informant"] == "therapist"
    first = ratings[therapist].groupby("session_id")["rater"].transform("min")
    first = first.reindex(ratings.index)
    ratings = ratings[~therapist | (ratings["rater"] == first)]
    table = rel.informant_agreement(ratings, methods=["fleiss_kappa", "gwet_ac1"])
    lacking = table[table["informant"] == "therapist"]
    assert lacking["estimate"].isna().all() and (lacking["n_units"] == 0).all()
    assert set(lacking["note"]) == {rel.NO_OVERLAP}
    assert table[table["informant"] == "client"]["estimate"].notna().all()
    with pytest.raises(InsufficientData, match="no unit was coded by two or more raters"):
        rel.informant_agreement(ratings[ratings["informant"] == "therapist"])


def test_consensus_against_majority_on_the_overlap(partial):
    consensus = load_study().consensus
    comparison = rel.compare_consensus_majority(partial, consensus)
    assert (comparison["n_raters"] >= 2).all()
    given = partial.dropna(subset=["present"])
    n_ratings = given.groupby(["session_id", "informant", "theme"]).size()
    assert len(comparison) == (n_ratings >= 2).sum()
    unanimous = rel.unanimous_agreement(partial)
    assert unanimous["n_units"].sum() == len(comparison)


# --- groups: three or more, and small studies -------------------------------------------


def test_compare_groups_is_pearsons_chi_square(tmp_path):
    folder = write_example_study(
        tmp_path / "three",
        rule="client",
        variable="site",
        groups=("n", "s", "e"),
        seed=2,
        per_group=10,
    )
    study = load_study(folder)
    table = dy.compare_groups(study.consensus, study.dyads, groups=study.design.grouping.labels)
    joined = sa.attach_dyads(study.consensus, study.dyads, columns=["dyad_type"])
    for row in table.itertuples():
        rows = joined[(joined["informant"] == row.informant) & (joined["theme"] == row.theme)]
        observed = (
            pd.crosstab(rows["present"], rows["dyad_type"])
            .reindex(index=[0, 1], columns=["n", "s", "e"], fill_value=0)
            .to_numpy()
        )
        if (observed.sum(axis=1) == 0).any():
            assert (row.chi2, row.p_chi2) == (0.0, 1.0)
            continue
        expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
        chi2 = ((observed - expected) ** 2 / expected).sum()
        assert row.chi2 == pytest.approx(chi2)
        assert row.p_chi2 == pytest.approx(stats.chi2.sf(chi2, 2))
        assert row.min_expected == pytest.approx(expected.min())


def test_a_small_study_has_no_detectable_difference_in_some_directions(tmp_path):
    study = load_study(write_example_study(tmp_path / "small", seed=5))
    comparison = dy.compare_dyad_types(study.consensus, study.dyads)
    detectable = ro.detectable_differences(comparison, test="fisher")
    for row, limit in zip(comparison.itertuples(), detectable.itertuples(), strict=True):
        for direction, value in (("lower", limit.mdd_lower), ("higher", limit.mdd_higher)):
            try:
                expected = exact_minimum_detectable_difference(
                    row.prevalence_concordant, 6, 6, direction=direction
                )
            except InsufficientData:
                assert np.isnan(value)
            else:
                assert value == pytest.approx(expected)
    assert detectable[["mdd_lower", "mdd_higher"]].isna().any().any()


def test_two_named_coders_on_a_double_coded_subsample(tmp_path):
    # the student: two named coders, half the interviews double-coded
    study = load_study(write_example_study(tmp_path / "student", seed=11, double_coded=0.5))
    table = rel.informant_agreement(
        study.ratings, methods=["cohen_kappa", "krippendorff_alpha"]
    ).set_index(["informant", "coefficient"])
    overlap = rel.rated_overlap(study.ratings)
    for informant in study.design.informants:
        wide = overlap[overlap["informant"] == informant].pivot(
            index=["session_id", "theme"], columns="rater", values="present"
        )
        assert list(wide.columns) == ["Dana", "Eli"] and wide.notna().all().all()
        expected = cohen_kappa_score(wide["Dana"], wide["Eli"])
        assert table.loc[(informant, "cohen_kappa"), "estimate"] == pytest.approx(expected)
        assert table.loc[(informant, "cohen_kappa"), "n_units"] == len(wide)
        matrix = units_by_raters(study.ratings, informant)
        alpha = krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal")
        assert table.loc[(informant, "krippendorff_alpha"), "estimate"] == pytest.approx(alpha)


def kruskal_h(samples: list[np.ndarray]) -> float:
    """Kruskal-Wallis H with the tie correction, from its textbook formula."""
    values = np.concatenate(samples)
    ranks = stats.rankdata(values)
    n = len(values)
    sums, start = [], 0
    for sample in samples:
        sums.append(ranks[start : start + len(sample)].sum())
        start += len(sample)
    h = 12 / (n * (n + 1)) * sum(r**2 / len(x) for r, x in zip(sums, samples, strict=True))
    h -= 3 * (n + 1)
    _, ties = np.unique(values, return_counts=True)
    return h / (1 - (ties**3 - ties).sum() / (n**3 - n))


def test_counts_across_groups_is_kruskal_wallis(tmp_path):
    folder = write_example_study(
        tmp_path / "three", rule="client", variable="site", groups=("n", "s", "e"), seed=4
    )
    study = load_study(folder)
    counts = sa.attach_dyads(sc.themes_per_session(study.consensus), study.dyads)
    table = sc.compare_counts_across(counts, groups=("n", "s", "e"))
    for row in table.itertuples():
        part = counts[counts["informant"] == row.informant]
        samples = [part.loc[part["dyad_type"] == g, "n_themes"].to_numpy() for g in "nse"]
        assert row.H == pytest.approx(kruskal_h(samples))
        assert row.p_value == pytest.approx(stats.chi2.sf(kruskal_h(samples), 2))
        assert [row.mean_n, row.mean_s, row.mean_e] == pytest.approx([x.mean() for x in samples])
    two = counts[counts["dyad_type"] != "e"]
    across = sc.compare_counts_across(two, groups=("n", "s"))
    for row in across.itertuples():
        part = two[two["informant"] == row.informant]
        first, second = (part.loc[part["dyad_type"] == g, "n_themes"] for g in "ns")
        u = stats.mannwhitneyu(first, second, method="asymptotic", use_continuity=False)
        assert row.p_value == pytest.approx(u.pvalue)


def test_a_gee_stopped_at_its_iteration_limit_says_so(monkeypatch, tmp_path):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import IterationLimitWarning

    study = load_study(write_example_study(tmp_path / "small", seed=5))
    before = ro.gee_by_therapist(study.consensus, study.dyads)
    fit = sm.GEE.fit

    def stopped(self, *args, **kwargs):
        warnings.warn("Iteration limit reached", IterationLimitWarning, stacklevel=2)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(sm.GEE, "fit", stopped)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IterationLimitWarning)
        after = ro.gee_by_therapist(study.consensus, study.dyads)
    fitted = before["se"].notna()
    assert fitted.any()
    assert set(after.loc[fitted, "note"]) == {
        "the GEE reached its iteration limit before converging"
    }
    pd.testing.assert_frame_equal(before.drop(columns="note"), after.drop(columns="note"))


def test_the_paradox_defaults_to_the_rarest_theme():
    per_theme = rel.theme_agreement(load_study().ratings, methods="percent_agreement")
    pd.testing.assert_frame_equal(
        rel.prevalence_paradox(per_theme),
        rel.prevalence_paradox(per_theme, informant="therapist", theme="anger"),
    )
    client = per_theme[per_theme["informant"] == "client"]
    rarest = client.loc[client["prevalence"].idxmin(), "theme"]
    chosen = rel.prevalence_paradox(client.assign(informant="client"))
    assert chosen["theme"].iloc[0] == rarest
