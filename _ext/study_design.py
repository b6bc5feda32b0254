"""Sphinx extension: a chapter shows only the cells that are true of the study it reads.

A chapter's prose must be true of the study in ``ALLIANCE_DATA`` (or ``data/``).
Numbers and names reach the prose through glue; passages that only make sense
for some designs are whole cells marked with a condition in their metadata,
``"only": "<expression>"``, over these tags, set from the study's design
(:mod:`alliance.data.design`) when the build starts:

``reconstructs_article``
    the data declare that they reconstruct this compendium's article: the
    published comparison, the scorecard and the ensemble are shown;
``two_groups``
    the design compares exactly two groups (risk differences);
``both_informants``
    clients and therapists were both interviewed (dyad congruence);
``mixed_caseloads``
    at least one therapist saw clients of two groups (comparisons within a
    therapist's practice: the stratified and permutation tests);
``client``, ``therapist``
    whose interviews were coded;
``synthetic``
    the data are generated (``alliance:synthetic``);
``codebook_valence``, ``codebook_difficulty``
    every theme of the codebook has a ``valence`` (positive/negative qualities
    can be told apart) or a ``difficulty`` grade
    (:func:`alliance.book.overview.theme_attribute`, as the chapters read them).

An expression is Sphinx's (``not two_groups``, ``therapist and reconstructs_article``).
A cell whose condition is false is left out of the notebook before myst-nb reads it:
a markdown cell is not shown, a code cell is neither run nor shown. A passage on
a condition has a counterpart on its negation that says, in one line, why it is
not shown. On the compendium's own data every condition without ``not`` holds, so
its chapters are read whole; negated cells are markdown only, and markdown cells
are not part of the execution cache's key, so the build's execution of a chapter
is the one strict nbval compares with the committed outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.tags import Tags

from alliance.book.overview import theme_attribute
from alliance.data.dataset import load_study

CONDITION = "only"
"""The cell metadata key holding a cell's condition."""


def study_tags(app: Sphinx) -> None:
    """Add the tags of the study the book is built on (``builder-inited``)."""
    study = load_study()
    design = study.design
    flags = {
        "reconstructs_article": design.reconstructs_article,
        "two_groups": len(design.grouping.labels) == 2,
        "both_informants": design.both_informants,
        "mixed_caseloads": bool(
            (study.dyads.groupby("therapist_id")["dyad_type"].nunique() > 1).any()
        ),
        "client": "client" in design.informants,
        "therapist": "therapist" in design.informants,
        "synthetic": study.synthetic is not None,
        "codebook_valence": theme_attribute(study.codebook, "valence") is not None,
        "codebook_difficulty": bool(theme_attribute(study.codebook, "difficulty")),
    }
    for tag, on in flags.items():
        if on:
            app.tags.add(tag)


def keep_cells(notebook: dict, tags: Tags) -> dict:
    """Return the notebook without the cells whose condition is false."""
    notebook["cells"] = [
        cell
        for cell in notebook["cells"]
        if CONDITION not in cell.get("metadata", {})
        or tags.eval_condition(cell["metadata"][CONDITION])
    ]
    return notebook


def drop_cells(app: Sphinx, docname: str, source: list[str]) -> None:
    """Leave out a chapter's cells whose condition is false (``source-read``)."""
    if Path(app.env.doc2path(docname)).suffix != ".ipynb":
        return
    notebook = json.loads(source[0])
    if any(CONDITION in cell.get("metadata", {}) for cell in notebook["cells"]):
        source[0] = json.dumps(keep_cells(notebook, app.tags), ensure_ascii=False)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the hooks; safe for parallel reading."""
    app.connect("builder-inited", study_tags)
    app.connect("source-read", drop_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
