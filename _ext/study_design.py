"""Sphinx extension: tags from the study the book is built on, for ``{only}`` blocks.

A chapter's prose must be true of the study in ``ALLIANCE_DATA`` (or ``data/``).
Numbers and names reach the prose through glue; passages that only make sense for
some studies sit in ``{only}`` blocks on these tags, set from the study's design
(:mod:`alliance.data.design`) when the build starts:

``reconstructs_article``
    the data declare that they reconstruct this compendium's article: the
    published comparison, the scorecard and the ensemble are shown;
``both_informants``
    clients and therapists were both interviewed (dyad congruence);
``client``, ``therapist``
    whose interviews were coded;
``synthetic``
    the data are generated (``alliance:synthetic``).

Every passage on a tag has a counterpart on ``not tag`` that says, in one line,
why it is not shown. The glue keys a hidden passage uses are still glued by the
chapter, so the build never lacks one.
"""

from __future__ import annotations

from sphinx.application import Sphinx

from alliance.data.dataset import load_study


def study_tags(app: Sphinx) -> None:
    """Add the study's tags to the build (``builder-inited``)."""
    study = load_study()
    design = study.design
    flags = {
        "reconstructs_article": design.reconstructs_article,
        "both_informants": design.both_informants,
        "client": "client" in design.informants,
        "therapist": "therapist" in design.informants,
        "synthetic": study.synthetic is not None,
    }
    for tag, on in flags.items():
        if on:
            app.tags.add(tag)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the hook; safe for parallel reading."""
    app.connect("builder-inited", study_tags)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
