"""Command-line entry point: ``python -m alliance {synth,validate,report,score,...}``.

``synth`` writes the synthetic reconstruction of the study, ``validate``
checks a study folder against the schema and prints every problem, and
``report`` prints the key tables of the analysis for a study folder.
The teaching commands: ``score`` scores one coding sheet, ``score-class`` a
whole class (with an HTML report), ``consensus-log`` lists two coders'
disagreements for negotiation and ``score-consensus`` scores the result.
``import-qdpx`` drafts a mapping for a REFI-QDA project or turns the project
into a study folder, and ``export-qdpx`` writes a study folder as a project.
``ensemble`` summarises many reconstructions consistent with the article.

Every subcommand names the errors a user can cause (a folder that cannot be
written, a bad argument, a file that cannot be read); those are printed as one
line each, with control characters escaped, and exit with code 2. ``--debug``
shows the traceback instead. A new subcommand is one ``_add_command`` call.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

USAGE_ERROR = 2
"""Exit code of a refused command (as argparse uses for a bad argument)."""

BROKEN_PIPE = 141
"""Exit code when the output's reader went away (``| head``): 128 + SIGPIPE, as shells report."""


def _synth(args: argparse.Namespace) -> int:
    from alliance.article.reconstruction import DEFAULT_SEED, write_study
    from alliance.data.dataset import printable

    seed = DEFAULT_SEED if args.seed is None else args.seed
    write_study(args.out, seed=seed, scale=args.scale, force=args.force)
    print(f"wrote the synthetic study (seed {seed}, scale {args.scale}) to {printable(args.out)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from alliance.data.dataset import validation_report

    return validation_report(args.folder, suggest_fixes=args.fix_suggestions)


def _report(args: argparse.Namespace) -> int:
    from alliance.exchange.report import print_report

    return print_report(args.folder)


def _synth_errors() -> tuple[type[BaseException], ...]:
    from alliance.article.reconstruction import CalibrationError

    return (OSError, ValueError, CalibrationError)


def _add_command(
    commands: argparse._SubParsersAction,
    name: str,
    help_text: str,
    run: Callable[[argparse.Namespace], int],
    errors: Callable[[], tuple[type[BaseException], ...]],
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand: its ``run`` function and the user errors it reports in one line."""
    command = commands.add_parser(name, help=help_text, description=description)
    command.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    command.set_defaults(run=run, errors=errors)
    return command


def _reading() -> tuple[type[BaseException], ...]:
    """User errors of commands that read files: unreadable files and refused contents."""
    return (OSError, ValueError)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alliance",
        description="Working-alliance research compendium: data and analysis tools.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True)

    synth = _add_command(
        commands, "synth", "write the synthetic study tables to a folder", _synth, _synth_errors
    )
    synth.add_argument(
        "--out", type=Path, required=True, help="folder to write (created if needed)"
    )
    synth.add_argument("--seed", type=int, default=None, help="random seed (default: the book's)")
    synth.add_argument("--scale", type=int, default=1, help="study size multiplier (default 1)")
    synth.add_argument(
        "--force",
        action="store_true",
        help="overwrite the generator's files even in an edited or foreign folder",
    )

    validate = _add_command(
        commands, "validate", "check a study folder and list every problem", _validate, _reading
    )
    validate.add_argument("folder", type=Path, help="folder holding the study tables")
    validate.add_argument(
        "--fix-suggestions",
        action="store_true",
        help="after the report, print the likely fix for the five most common causes",
    )

    report = _add_command(
        commands, "report", "print the key tables for a study folder", _report, _reading
    )
    report.add_argument("folder", type=Path, help="folder holding the study tables")
    for add in (
        _add_score,
        _add_score_class,
        _add_consensus_log,
        _add_score_consensus,
        _add_qdpx_commands,
        _add_ensemble,
    ):
        add(commands)
    return parser


# --- teaching and exchange commands: user errors (OSError, ValueError) exit 2 via main ---

SHEET_HELP = (
    "a filled-in coding sheet: CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or .xlsx"
)


def _add_score(commands: argparse._SubParsersAction) -> None:
    score = _add_command(
        commands,
        "score",
        "score one student's coding sheet against the key",
        _run_score,
        _reading,
        description="Score one coding sheet: agreement per theme and every disagreement with "
        "the codebook rule that decides it. Exit 2 when the sheet cannot be read.",
    )
    score.add_argument("sheet", type=Path, help=SHEET_HELP)
    score.add_argument(
        "--strict", action="store_true", help="require a code in every theme cell (no blanks)"
    )


def _run_score(args: argparse.Namespace) -> int:
    from alliance.teaching.exercise import score_coding

    print(score_coding(args.sheet, empty_as_absent=not args.strict))
    return 0


def _add_score_class(commands: argparse._SubParsersAction) -> None:
    score_class = _add_command(
        commands,
        "score-class",
        "score a whole class's coding sheets and write an HTML report",
        _run_score_class,
        _reading,
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


def _run_score_class(args: argparse.Namespace) -> int:
    from alliance.teaching.classroom import score_class, write_class_report

    result = score_class(args.sheets)
    if result.students.empty:
        print("error: no sheet could be scored:", file=sys.stderr)
        for row in result.unreadable.itertuples():
            print(f"  {row.source}: {row.reason}", file=sys.stderr)
        return USAGE_ERROR
    print(result)
    replaced = " (replacing the previous report)" if args.out.exists() else ""
    write_class_report(result, args.out, top=args.top)
    print(f"\nwrote the class report to {args.out}{replaced}")
    return 0


def _add_consensus_log(commands: argparse._SubParsersAction) -> None:
    log = _add_command(
        commands,
        "consensus-log",
        "list two coders' disagreements, with room for arguments and the agreed code",
        _run_consensus_log,
        _reading,
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


def _run_consensus_log(args: argparse.Namespace) -> int:
    from alliance.teaching.consensus import disagreement_log

    log = disagreement_log(args.sheet_a, args.sheet_b)
    if args.out.exists():
        raise FileExistsError(f"{args.out} exists; choose another --out or remove it")
    if args.out.suffix.lower() == ".xlsx":
        log.to_excel(args.out, index=False)
    else:
        log.to_csv(args.out, index=False)
    print(f"wrote {len(log)} disagreement(s) of {args.sheet_a} and {args.sheet_b} to {args.out}")
    return 0


def _add_score_consensus(commands: argparse._SubParsersAction) -> None:
    consensus = _add_command(
        commands,
        "score-consensus",
        "score a negotiated consensus against the key and each coder alone",
        _run_score_consensus,
        _reading,
        description="Read a disagreement log (from consensus-log) whose agreed column is "
        "filled in, build the consensus coding from the two sheets and the log, and compare "
        "it with the key beside each coder alone.",
    )
    consensus.add_argument("log", type=Path, help="the filled-in log (CSV or .xlsx)")
    consensus.add_argument("sheet_a", type=Path, help="coder A's sheet, as given to consensus-log")
    consensus.add_argument("sheet_b", type=Path, help="coder B's sheet, as given to consensus-log")


def _run_score_consensus(args: argparse.Namespace) -> int:
    from alliance.teaching.consensus import score_consensus

    print(score_consensus(args.log, args.sheet_a, args.sheet_b))
    return 0


def _add_qdpx_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``import-qdpx`` and ``export-qdpx`` (REFI-QDA projects, alliance.exchange.qdpx)."""
    qdpx = _add_command(
        commands,
        "import-qdpx",
        "draft a mapping for a REFI-QDA project (.qdpx), or turn it into a study folder",
        _run_qdpx,
        _reading,
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
    export = _add_command(
        commands, "export-qdpx", "write a study folder as a .qdpx project", _run_qdpx, _reading
    )
    export.add_argument("folder", type=Path, help="folder holding the study tables")
    export.add_argument("--out", type=Path, required=True, help="the .qdpx file to write")


def _run_qdpx(args: argparse.Namespace) -> int:
    """Run ``import-qdpx`` or ``export-qdpx`` (user errors are QdpxError or OSError)."""
    from alliance.exchange import qdpx

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
    print("\n".join(result.report))
    print(f"wrote {result.folder}")
    return 0


def _add_ensemble(commands: argparse._SubParsersAction) -> None:
    ensemble = _add_command(
        commands,
        "ensemble",
        "summarise many reconstructions consistent with the article",
        _run_ensemble,
        _reading,
    )
    ensemble.add_argument("--n", type=int, default=200, help="reconstructions (default 200)")
    ensemble.add_argument("--seed", type=int, default=2020, help="ensemble seed (default 2020)")
    ensemble.add_argument("--out", type=Path, required=True, help="summary CSV to write")
    ensemble.add_argument("--members", type=Path, default=None, help="member table CSV to write")
    ensemble.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: all)")


def _run_ensemble(args: argparse.Namespace) -> int:
    from alliance.article.ensemble import cli

    return cli(args.n, args.seed, args.out, args.members, args.jobs)


def _refusal(error: BaseException) -> str:
    """One line per line of the error's message, control characters escaped."""
    from alliance.data.dataset import printable

    lines = [printable(line) for line in (str(error) or type(error).__name__).splitlines()]
    return "\n".join([f"error: {lines[0]}", *(f"  {line}" for line in lines[1:])])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 when validation finds problems, 2 when the command is
        refused (the reason is printed on stderr; ``--debug`` raises it instead),
        :data:`BROKEN_PIPE` when the output's reader stopped reading (``| head``):
        the rest of the output is dropped quietly, without a traceback.
    """
    args = _build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python's documented recipe: point stdout at devnull so the flush at exit stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE
    except args.errors() as error:
        if args.debug:
            raise
        print(_refusal(error), file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
