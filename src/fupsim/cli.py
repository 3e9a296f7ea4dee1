"""The ``fupsim`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 success; 2 bad input (scenario, option, path) with a one-line message naming
the field, the value and what is allowed; 1 an unexpected failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fupsim import __version__
from fupsim.commands import COMMANDS
from fupsim.scenario import ScenarioError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-command per module of :mod:`fupsim.commands`."""
    parser = _Parser(
        prog="fupsim",
        description=(
            "Simulate follow-up protocols for incidental intrahepatic calcification: "
            "ultrasound schedules played against simulated cohorts, compared on yield and cost."
        ),
        epilog="Each command has its own --help. Scenario files are TOML; see scenarios/baseline.toml.",
    )
    parser.add_argument("--version", action="version", version=f"fupsim {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback on unexpected errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as err:
        print(f"fupsim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("fupsim: interrupted; no half-written output was left behind", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(
            f"fupsim: unexpected error: {type(err).__name__}: {err} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
