"""Command-line entry point: ``python -m alliance {synth,validate,report}``.

``synth`` writes the synthetic reconstruction of the study, ``validate``
checks a study folder against the schema and prints every problem, and
``report`` prints the key tables of the analysis for a study folder.

Every subcommand names the errors a user can cause (a folder that cannot be
written, a bad argument, a file that cannot be read); those are printed as one
line each, with control characters escaped, and exit with code 2. ``--debug``
shows the traceback instead. A new subcommand is one ``_add_command`` call.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

USAGE_ERROR = 2
"""Exit code of a refused command (as argparse uses for a bad argument)."""


def _synth(args: argparse.Namespace) -> int:
    from alliance.article.reconstruction import DEFAULT_SEED, write_study
    from alliance.data.dataset import printable

    seed = DEFAULT_SEED if args.seed is None else args.seed
    write_study(args.out, seed=seed, scale=args.scale, force=args.force)
    print(f"wrote the synthetic study (seed {seed}, scale {args.scale}) to {printable(args.out)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from alliance.data.dataset import validation_report

    return validation_report(args.folder)


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
) -> argparse.ArgumentParser:
    """Add a subcommand: its ``run`` function and the user errors it reports in one line."""
    command = commands.add_parser(name, help=help_text)
    command.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    command.set_defaults(run=run, errors=errors)
    return command


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alliance",
        description="Working-alliance research compendium: data and analysis tools.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True)

    def reading() -> tuple[type[BaseException], ...]:
        return (OSError, ValueError)

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
        commands, "validate", "check a study folder and list every problem", _validate, reading
    )
    validate.add_argument("folder", type=Path, help="folder holding the study tables")

    report = _add_command(
        commands, "report", "print the key tables for a study folder", _report, reading
    )
    report.add_argument("folder", type=Path, help="folder holding the study tables")
    return parser


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
        refused (the reason is printed on stderr; ``--debug`` raises it instead).
    """
    args = _build_parser().parse_args(argv)
    try:
        return args.run(args)
    except args.errors() as error:
        if args.debug:
            raise
        print(_refusal(error), file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
