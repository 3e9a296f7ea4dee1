"""The ``fupsim`` command: parses arguments, calls the library, maps errors to exit codes.

Only the parser and the chosen command are loaded before the command runs, so ``--help`` and
``--version`` answer at once.

Exit codes: 0 success; 2 bad input (scenario, option, path) with a one-line message naming
the field, the value and what is allowed; 1 an unexpected failure; 130 interrupted (Ctrl-C);
143 terminated (SIGTERM, as sent by ``kill``, ``timeout`` and batch schedulers). TERM is
turned into :class:`Terminated`, a ``KeyboardInterrupt``, so it takes the same clean-up paths
as Ctrl-C: worker processes are stopped and no half-written output is left behind.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from fupsim import __version__
from fupsim.commands import COMMANDS
from fupsim.commands.common import OPTIONS
from fupsim.errors import ParameterError, ScenarioError, Terminated

__all__ = ["Terminated", "build_parser", "main"]


@contextmanager
def _terminate_as_interrupt() -> Iterator[list[int]]:
    """Handle SIGTERM like Ctrl-C while the command runs; restore the old handler after.

    Yields a list that records the signal once it has arrived (a command that catches the
    interrupt itself, e.g. to report a resumable store, still returns normally).
    """
    seen: list[int] = []

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # one TERM is enough: ignore further ones so the clean-up itself is not cut short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        seen.append(signum)
        raise Terminated

    if threading.current_thread() is not threading.main_thread():
        yield seen  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


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
        with _terminate_as_interrupt() as terminated:
            code = int(args.func(args) or 0)
        # commands that catch the interrupt themselves return 130; TERM's code is 143
        return 143 if terminated and code == 130 else code
    except ScenarioError as err:
        # a library parameter is reworded as the option that set it (draws -> --draws)
        message = err.as_option(OPTIONS) if isinstance(err, ParameterError) else str(err)
        print(f"fupsim: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 0
    except Terminated:
        print(
            "fupsim: terminated (SIGTERM); no half-written output was left behind", file=sys.stderr
        )
        return 143
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
