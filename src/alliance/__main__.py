"""Command-line entry point: ``python -m alliance {synth,validate,report,ensemble}``.

``synth`` writes the synthetic reconstruction of the study, ``validate``
checks a study folder against the schema and prints every problem,
``report`` prints the key tables of the analysis for a study folder, and
``ensemble`` summarises many reconstructions consistent with the article.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alliance",
        description="Working-alliance research compendium: data and analysis tools.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="write the synthetic study tables to a folder")
    synth.add_argument(
        "--out", type=Path, required=True, help="folder to write (created if needed)"
    )
    synth.add_argument("--seed", type=int, default=None, help="random seed (default: the book's)")
    synth.add_argument("--scale", type=int, default=1, help="study size multiplier (default 1)")

    validate = commands.add_parser("validate", help="check a study folder and list every problem")
    validate.add_argument("folder", type=Path, help="folder holding the study tables")

    report = commands.add_parser("report", help="print the key tables for a study folder")
    report.add_argument("folder", type=Path, help="folder holding the study tables")

    ensemble = commands.add_parser(
        "ensemble", help="summarise many reconstructions consistent with the article"
    )
    ensemble.add_argument("--n", type=int, default=200, help="reconstructions (default 200)")
    ensemble.add_argument("--seed", type=int, default=2020, help="ensemble seed (default 2020)")
    ensemble.add_argument("--out", type=Path, required=True, help="summary CSV to write")
    ensemble.add_argument("--members", type=Path, default=None, help="member table CSV to write")
    ensemble.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: all)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, non-zero when validation finds problems.
    """
    args = _build_parser().parse_args(argv)
    if args.command == "synth":
        from alliance.article.reconstruction import DEFAULT_SEED, write_study

        seed = DEFAULT_SEED if args.seed is None else args.seed
        write_study(args.out, seed=seed, scale=args.scale)
        print(f"wrote the synthetic study (seed {seed}, scale {args.scale}) to {args.out}")
        return 0
    if args.command == "ensemble":
        from alliance.article.ensemble import cli

        return cli(args.n, args.seed, args.out, args.members, args.jobs)
    if args.command == "validate":
        from alliance.data.dataset import validation_report

        return validation_report(args.folder)
    from alliance.exchange.report import print_report

    return print_report(args.folder)


if __name__ == "__main__":
    sys.exit(main())
