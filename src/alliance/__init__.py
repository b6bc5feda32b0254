"""Analysis helpers for the working-alliance research compendium.

The package follows the steps of the study it reproduces (Nakash et al.,
*Qualitative Social Work*, doi:10.1177/1473325020923013): sampling, thematic
coding, inter-rater reliability, themes per session and the comparison of
culturally concordant and discordant dyads.
"""

from importlib.metadata import PackageNotFoundError, version

from alliance.data.dataset import load_study

try:
    __version__ = version("alliance-compendium")
except PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load_study"]
