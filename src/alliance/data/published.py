"""Every figure the article publishes, in one place.

The chapters, the reproduction scorecard, the tests and the synthetic-data
generator all read the published values from here, so a figure is typed once.
Each entry records its value, the number of decimals the article prints it at,
and where it comes from (the abstract of Nakash et al., doi:10.1177/1473325020923013,
as collected in ``shared/study/FACTS.md``).

Examples
--------
>>> from alliance.data.published import PUBLISHED, figure
>>> figure("kappa_therapist").value
0.72
>>> len(PUBLISHED) >= 11
True
"""

from __future__ import annotations

from dataclasses import dataclass

DOI = "10.1177/1473325020923013"
CITATION = (
    "Nakash, O., Cohen, M., Aharoni, L., Zur, S., & Nagar, M. A qualitative study examining "
    "the quality of working alliance as a function of the social identities of clients and "
    "therapists during the mental health intake. Qualitative Social Work."
)


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as the article reports it.

    Parameters
    ----------
    key : str
        Stable identifier used by code and tests.
    label : str
        Human-readable description for tables.
    value : float
        The value as printed in the article.
    decimals : int
        Decimals the article prints; a recomputed value matches when it rounds to
        ``value`` at this precision.
    source : str
        Where the figure is published.
    """

    key: str
    label: str
    value: float
    decimals: int
    source: str = "abstract"

    def formatted(self) -> str:
        """Return the value as the article prints it.

        Examples
        --------
        >>> figure("themes_client_mean").formatted()
        '2.56'
        """
        return f"{self.value:.{self.decimals}f}"

    def matches(self, computed: float) -> bool:
        """Tell whether ``computed`` rounds to the published value.

        Rounding is half-away-from-zero on the decimal representation, so the
        comparison does not depend on binary floating point.

        Examples
        --------
        >>> figure("kappa_client").matches(0.7049)
        True
        >>> figure("kappa_client").matches(0.7051)
        False
        """
        return round_half_up(computed, self.decimals) == round_half_up(self.value, self.decimals)


def round_half_up(value: float, decimals: int) -> float:
    """Round half away from zero at ``decimals`` places, as articles print numbers.

    Examples
    --------
    >>> round_half_up(2.565, 2)
    2.57
    >>> round_half_up(-0.125, 2)
    -0.13
    """
    from decimal import ROUND_HALF_UP, Decimal

    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure("n_therapists", "Therapists (all Ashkenazi)", 22, 0),
    PublishedFigure("n_clients_mizrahi", "Clients, Mizrahi (discordant dyads)", 29, 0),
    PublishedFigure("n_clients_ashkenazi", "Clients, Ashkenazi (concordant dyads)", 26, 0),
    PublishedFigure("n_clinics", "Mental health clinics", 4, 0),
    PublishedFigure("n_raters", "Raters who coded the narratives", 3, 0),
    PublishedFigure("n_themes", "Working-alliance themes identified", 8, 0),
    PublishedFigure("kappa_therapist", "Inter-rater kappa, therapist narratives", 0.72, 2),
    PublishedFigure("kappa_client", "Inter-rater kappa, client narratives", 0.70, 2),
    PublishedFigure("themes_client_mean", "Themes per session, clients: mean", 2.56, 2),
    PublishedFigure("themes_client_sd", "Themes per session, clients: SD", 1.17, 2),
    PublishedFigure("themes_therapist_mean", "Themes per session, therapists: mean", 2.65, 2),
    PublishedFigure("themes_therapist_sd", "Themes per session, therapists: SD", 1.45, 2),
)

THEMES_SD_DDOF = 0
"""Delta degrees of freedom under which the book compares the themes-per-session SDs.

The article does not say which standard deviation it prints. With 55 sessions,
whole-number theme counts and values rounded half up, the published figures are
consistent with a population SD (``ddof=0``), or with a sample SD (``ddof=1``)
over slightly fewer interviews: a mean that rounds to 2.65 over 55 sessions needs
146 codes, and a sample SD that rounds to 1.45 would then need the squared counts
to sum to 501, while a sum of squares has the parity of the total (the GRIM idea
of Brown & Heathers 2017, applied to the SD as in Anaya's 2016 GRIMMER). With 52,
51, 49, 48 or 46 therapist interviews the sample SD fits too, and if the article
truncated rather than rounded, it fits at 55. The population SD over 55 sessions
reproduces both published SDs, so the book compares with ``ddof=0``; this is an
inference from arithmetic, not something the authors state.
"""

PUBLISHED_THEME_LABELS: tuple[str, ...] = (
    "feeling understood",
    "feeling comfortable",
    "openness and cooperation",
    "trust",
    "empathy and identification",
    "frustration and disappointment",
    "anger and hostility",
    "emotional disengagement",
)
"""The eight themes as the article names them, in its order."""


def figure(key: str) -> PublishedFigure:
    """Return the published figure called ``key``.

    Raises
    ------
    KeyError
        If no published figure has that key; the message lists the valid keys.

    Examples
    --------
    >>> figure("n_therapists").value
    22
    """
    for fig in PUBLISHED:
        if fig.key == key:
            return fig
    valid = ", ".join(f.key for f in PUBLISHED)
    raise KeyError(f"no published figure {key!r}; valid keys: {valid}")
