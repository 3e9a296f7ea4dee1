"""Options and helpers shared by the sub-commands: scenario, execution and output options.

Not a command itself: command modules import their shared pieces from here (and the
sensitivity commands also from :mod:`fupsim.commands.points`), never from another command. Heavy dependencies (pandas, the simulation, matplotlib) are imported inside
the helpers that need them, so building the parser (``fupsim --help``) stays fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupsim.errors import Terminated

if TYPE_CHECKING:
    import pandas as pd

    from fupsim.experiment import RunResult
    from fupsim.scenario import Scenario

__all__ = [
    "OPTIONS",
    "add_execution_args",
    "add_force_arg",
    "add_parallel_args",
    "add_scenario_args",
    "interrupted",
    "non_negative_int",
    "positive_int",
    "print_table",
    "run_from_args",
    "scenario_from_args",
    "scheduler_address",
    "show_progress",
]

OPTIONS: dict[str, str] = {
    "comparator": "--comparator",
    "draws": "--draws",
    "gee_patients": "--gee-patients",
    "noise_target": "--noise-target",
    "outcome": "--outcome",
    "overrides": "--set",
    "parameters": "--parameter",
    "patients": "--patients",
    "points": "--points",
    "protocol": "--protocol",
    "replications": "--replications",
    "samples": "--samples",
    "scheduler": "--scheduler",
    "seed": "--seed",
    "vary": "--vary",
    "wtp": "--wtp",
}
"""Library parameter name → the option that sets it, for the wording of bad-input messages
(:meth:`fupsim.errors.ParameterError.as_option`)."""


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number ≥ 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


SCHEDULER_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>[0-9]{1,5}))?/?$"
)


def scheduler_address(text: str) -> str:
    """argparse type: a Dask scheduler address, ``tcp://host:port`` or ``host:port``."""
    allowed = "give tcp://host:port or host:port, e.g. tcp://127.0.0.1:8786"
    m = _ADDRESS.match(text.strip())
    scheme = m.group("scheme") if m else text.partition("://")[0] if "://" in text else None
    if scheme is not None and scheme.lower() not in SCHEDULER_SCHEMES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: unknown protocol {scheme!r}; {allowed} "
            f"(protocols: {', '.join(SCHEDULER_SCHEMES)})"
        )
    if scheme is not None and scheme.lower() == "inproc" and len(text) > len("inproc://"):
        return text
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler address; {allowed}")
    port = m.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: port {port} is not 1-65535; {allowed}")
    return text.strip()


def add_scenario_args(p: argparse.ArgumentParser) -> None:
    """SCENARIO and repeated --set."""
    p.add_argument(
        "scenario", metavar="SCENARIO", help="scenario file (.toml), e.g. scenarios/baseline.toml"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter by its dotted key, e.g. --set ultrasound.specificity=0.95 "
        "or --set protocol.us-3m.interval_months=2 (repeatable; validated like the file)",
    )


def add_parallel_args(p: argparse.ArgumentParser) -> None:
    """--workers, --scheduler and --quiet: where the work runs and whether it shows progress."""
    p.add_argument(
        "--workers", type=positive_int, help="local worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        type=scheduler_address,
        metavar="ADDRESS",
        help="run on a running Dask distributed scheduler, e.g. tcp://127.0.0.1:8786",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")


def add_execution_args(p: argparse.ArgumentParser, *, replications: bool = True) -> None:
    """--seed, --replications, --patients, --workers, --scheduler, --quiet."""
    p.add_argument(
        "--seed", type=non_negative_int, help="root random seed (default: simulation.seed)"
    )
    if replications:
        p.add_argument(
            "--replications",
            type=positive_int,
            help="replicates (default: simulation.replications)",
        )
    p.add_argument(
        "--patients", type=positive_int, help="adults per replicate (default: simulation.patients)"
    )
    add_parallel_args(p)


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """Load the scenario named on the command line with its --set overrides."""
    from fupsim.scenario import load_scenario

    return load_scenario(args.scenario, args.overrides)


def run_from_args(scenario: Scenario, args: argparse.Namespace, **extra: Any) -> RunResult:
    """``fupsim.run`` with the options of :func:`add_execution_args` (and ``extra`` keywords).

    The size of the run is checked first (:func:`fupsim.scenario.check_workload`): one that
    cannot fit is refused, a large one has its estimate printed to stderr. The ``--set``
    overrides are recorded in the run's manifest (``overrides``).
    """
    from fupsim.experiment import run
    from fupsim.scenario import check_workload, workload

    check_workload(
        workload(scenario, replications=args.replications, patients=args.patients),
        "--patients/--replications (default simulation.patients/replications)",
    )
    return run(
        scenario,
        seed=args.seed,
        replications=args.replications,
        patients=args.patients,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=show_progress(args),
        overrides=list(getattr(args, "overrides", None) or []),
        **extra,
    )


def show_progress(args: argparse.Namespace) -> bool | None:
    """Progress bar: off with --quiet, else only on a terminal."""
    return False if getattr(args, "quiet", False) else None


def add_force_arg(p: argparse.ArgumentParser) -> None:
    """--force: write into an existing folder that holds files fupsim did not write."""
    p.add_argument(
        "--force",
        action="store_true",
        help="write into an existing --out folder even if it holds files fupsim did not write "
        "(they are kept); without it such a folder is refused",
    )


def print_table(df: pd.DataFrame, columns: list[str], *, title: str | None = None) -> None:
    """Print selected columns as an aligned table on stdout."""
    import pandas as pd

    if title:
        print(title)
    shown = df[[c for c in columns if c in df.columns]]
    with pd.option_context(
        "display.width", 200, "display.max_columns", 50, "display.float_format", "{:,.3f}".format
    ):
        print(shown.to_string(index=False))
    sys.stdout.flush()


def interrupted(folder: Path, cause: BaseException, *, kept: str = "finished point(s)") -> int:
    """After Ctrl-C or SIGTERM: say what was stopped and what is kept; exit code 130.

    Parameters
    ----------
    folder : Path
        The resumable store (``<out>/points``); its ``*/*.json`` files are counted.
    cause : BaseException
        The interrupt caught: :class:`fupsim.errors.Terminated` reads "terminated (SIGTERM)",
        anything else "interrupted". (The command line turns 130 into 143 for TERM.)
    kept : str
        What the stored files are, for the message.
    """
    how = "terminated (SIGTERM)" if isinstance(cause, Terminated) else "interrupted"
    count = sum(1 for _ in folder.glob("*/*.json")) if folder.is_dir() else 0
    print(
        f"fupsim: {how}; {count} {kept} are kept in {folder}/ "
        "- rerun the same command to resume (no final table was written)",
        file=sys.stderr,
    )
    return 130
