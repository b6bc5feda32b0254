"""Command-line entry point: ``python -m alliance {synth,validate,report,import-qdpx,export-qdpx}``.

``synth`` writes the synthetic reconstruction of the study, ``validate``
checks a study folder against the schema and prints every problem, and
``report`` prints the key tables of the analysis for a study folder.
``import-qdpx`` drafts a mapping for a REFI-QDA project or turns the project
into a study folder, and ``export-qdpx`` writes a study folder as a project.
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
    _add_qdpx_commands(commands)
    return parser


def _add_qdpx_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``import-qdpx`` and ``export-qdpx`` (REFI-QDA projects, alliance.exchange.qdpx)."""
    qdpx = commands.add_parser(
        "import-qdpx",
        help="draft a mapping for a REFI-QDA project (.qdpx), or turn it into a study folder",
    )
    qdpx.add_argument("project", type=Path, help="the .qdpx file")
    action = qdpx.add_mutually_exclusive_group(required=True)
    action.add_argument("--draft-mapping", type=Path, help="write a draft mapping (YAML) to edit")
    action.add_argument("--mapping", type=Path, help="the edited mapping (YAML)")
    qdpx.add_argument("--out", type=Path, help="study folder to write (with --mapping)")
    qdpx.add_argument(
        "--segments", action="store_true", help="also compute segment-level agreement"
    )
    qdpx.add_argument(
        "--overlap",
        type=float,
        default=None,
        help="share of characters two segments must share to match (default 0.9)",
    )
    export = commands.add_parser("export-qdpx", help="write a study folder as a .qdpx project")
    export.add_argument("folder", type=Path, help="folder holding the study tables")
    export.add_argument("--out", type=Path, required=True, help="the .qdpx file to write")


def _run_qdpx(args: argparse.Namespace) -> int:
    """Run ``import-qdpx`` or ``export-qdpx``; a user error prints one message and returns 2."""
    from alliance.exchange import qdpx

    try:
        if args.command == "export-qdpx":
            path = qdpx.export_qdpx(args.folder, args.out)
            print(f"wrote {path}: open it in QualCoder, MAXQDA, ATLAS.ti or NVivo")
            return 0
        if args.draft_mapping is not None:
            if args.out is not None or args.segments or args.overlap is not None:
                raise qdpx.QdpxError("--out, --segments and --overlap go with --mapping")
            if args.draft_mapping.exists():
                raise qdpx.QdpxError(f"{args.draft_mapping}: exists; refusing to overwrite it")
            text = qdpx.draft_mapping(qdpx.read_qdpx(args.project))
            args.draft_mapping.write_text(text, encoding="utf-8")
            print(f"wrote a draft mapping to {args.draft_mapping}; edit it, then run:")
            print(
                f"  python -m alliance import-qdpx {args.project} --mapping "
                f"{args.draft_mapping} --out FOLDER"
            )
            return 0
        if args.out is None:
            raise qdpx.QdpxError("--mapping needs --out FOLDER (the study folder to write)")
        overlap = qdpx.OVERLAP_THRESHOLD if args.overlap is None else args.overlap
        result = qdpx.import_qdpx(
            args.project, args.mapping, args.out, segments=args.segments, threshold=overlap
        )
    except (qdpx.QdpxError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(result.report))
    print(f"wrote {result.folder}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, non-zero when validation finds problems, 2 for a user error
        of ``import-qdpx`` or ``export-qdpx``.
    """
    args = _build_parser().parse_args(argv)
    if args.command in ("import-qdpx", "export-qdpx"):
        return _run_qdpx(args)
    if args.command == "synth":
        from alliance.article.reconstruction import DEFAULT_SEED, write_study

        seed = DEFAULT_SEED if args.seed is None else args.seed
        write_study(args.out, seed=seed, scale=args.scale)
        print(f"wrote the synthetic study (seed {seed}, scale {args.scale}) to {args.out}")
        return 0
    if args.command == "validate":
        from alliance.data.dataset import validation_report

        return validation_report(args.folder)
    from alliance.exchange.report import print_report

    return print_report(args.folder)


if __name__ == "__main__":
    sys.exit(main())
