"""Command-line entry point: ``python -m alliance {synth,validate,report,score,...}``.

``synth`` writes the synthetic reconstruction of the study, ``validate``
checks a study folder against the schema and prints every problem, and
``report`` prints the key tables of the analysis for a study folder.
The teaching commands: ``score`` scores one coding sheet, ``score-class`` a
whole class (with an HTML report), ``consensus-log`` lists two coders'
disagreements for negotiation and ``score-consensus`` scores the result.
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
    for add in (
        _add_score,
        _add_score_class,
        _add_consensus_log,
        _add_score_consensus,
        _add_qdpx_commands,
    ):
        add(commands)
    return parser


# --- teaching commands: each adds its parser and runs itself; user errors exit 2 ----------

SHEET_HELP = (
    "a filled-in coding sheet: CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or .xlsx"
)


def _user_error(error: ValueError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 2


def _add_score(commands: argparse._SubParsersAction) -> None:
    score = commands.add_parser(
        "score",
        help="score one student's coding sheet against the key",
        description="Score one coding sheet: agreement per theme and every disagreement with "
        "the codebook rule that decides it. Exit 2 when the sheet cannot be read.",
    )
    score.add_argument("sheet", type=Path, help=SHEET_HELP)
    score.add_argument(
        "--strict", action="store_true", help="require a code in every theme cell (no blanks)"
    )
    score.set_defaults(run=_run_score)


def _run_score(args: argparse.Namespace) -> int:
    from alliance.teaching.exercise import CodingSheetError, score_coding

    try:
        print(score_coding(args.sheet, empty_as_absent=not args.strict))
    except CodingSheetError as error:
        return _user_error(error)
    return 0


def _add_score_class(commands: argparse._SubParsersAction) -> None:
    score_class = commands.add_parser(
        "score-class",
        help="score a whole class's coding sheets and write an HTML report",
        description="Score every sheet in the given files and folders, compare the students "
        "with each other and write a self-contained HTML report. Sheets that cannot be read "
        "are listed with one line each; exit 0 when at least one sheet was scored, else 2.",
    )
    score_class.add_argument(
        "sheets", type=Path, nargs="+", help="coding sheets, or folders of them (.csv, .xlsx)"
    )
    score_class.add_argument(
        "--out", type=Path, default=Path("class_report.html"), help="HTML report to write"
    )
    score_class.add_argument(
        "--top", type=int, default=8, help="how many contested excerpts to show (default 8)"
    )
    score_class.set_defaults(run=_run_score_class)


def _run_score_class(args: argparse.Namespace) -> int:
    from alliance.teaching.classroom import ClassroomError, score_class, write_class_report

    try:
        result = score_class(args.sheets)
    except ClassroomError as error:
        return _user_error(error)
    if result.students.empty:
        print("error: no sheet could be scored:", file=sys.stderr)
        for row in result.unreadable.itertuples():
            print(f"  {row.source}: {row.reason}", file=sys.stderr)
        return 2
    print(result)
    replaced = " (replacing the previous report)" if args.out.exists() else ""
    try:
        write_class_report(result, args.out, top=args.top)
    except OSError as error:
        print(f"error: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"\nwrote the class report to {args.out}{replaced}")
    return 0


def _add_consensus_log(commands: argparse._SubParsersAction) -> None:
    log = commands.add_parser(
        "consensus-log",
        help="list two coders' disagreements, with room for arguments and the agreed code",
        description="Write the disagreement log of two coding sheets: one row per excerpt x "
        "theme where they differ, with empty columns argument_a, argument_b and agreed. Fill "
        "in agreed (1 or 0) after negotiating, then run score-consensus. The log is a CSV file "
        "(UTF-8, comma-separated), or an Excel workbook when --out ends in .xlsx.",
    )
    log.add_argument("sheet_a", type=Path, help="coder A's sheet")
    log.add_argument("sheet_b", type=Path, help="coder B's sheet")
    log.add_argument(
        "--out",
        type=Path,
        default=Path("disagreements.csv"),
        help="file to write: .csv (default disagreements.csv) or .xlsx; never overwritten",
    )
    log.set_defaults(run=_run_consensus_log)


def _run_consensus_log(args: argparse.Namespace) -> int:
    from alliance.teaching.consensus import disagreement_log
    from alliance.teaching.exercise import CodingSheetError

    try:
        log = disagreement_log(args.sheet_a, args.sheet_b)
    except CodingSheetError as error:
        return _user_error(error)
    if args.out.exists():
        print(f"error: {args.out} exists; choose another --out or remove it", file=sys.stderr)
        return 2
    try:
        if args.out.suffix.lower() == ".xlsx":
            log.to_excel(args.out, index=False)
        else:
            log.to_csv(args.out, index=False)
    except OSError as error:
        print(f"error: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {len(log)} disagreement(s) of {args.sheet_a} and {args.sheet_b} to {args.out}")
    return 0


def _add_score_consensus(commands: argparse._SubParsersAction) -> None:
    consensus = commands.add_parser(
        "score-consensus",
        help="score a negotiated consensus against the key and each coder alone",
        description="Read a disagreement log (from consensus-log) whose agreed column is "
        "filled in, build the consensus coding from the two sheets and the log, and compare "
        "it with the key beside each coder alone.",
    )
    consensus.add_argument("log", type=Path, help="the filled-in log (CSV or .xlsx)")
    consensus.add_argument("sheet_a", type=Path, help="coder A's sheet, as given to consensus-log")
    consensus.add_argument("sheet_b", type=Path, help="coder B's sheet, as given to consensus-log")
    consensus.set_defaults(run=_run_score_consensus)


def _run_score_consensus(args: argparse.Namespace) -> int:
    from alliance.teaching.consensus import ConsensusError, score_consensus
    from alliance.teaching.exercise import CodingSheetError

    try:
        print(score_consensus(args.log, args.sheet_a, args.sheet_b))
    except (CodingSheetError, ConsensusError) as error:
        return _user_error(error)
    return 0


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
    for parser in (qdpx, export):
        parser.set_defaults(run=_run_qdpx)


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
    if hasattr(args, "run"):
        return args.run(args)
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
