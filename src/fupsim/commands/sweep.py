"""``fupsim sweep``: grid sensitivity over a few parameters (resumable); shared sensitivity options.

The helpers here (:func:`add_point_args`, :func:`point_setup`, :func:`write_results`) are
shared by the ``sweep``, ``owsa``, ``psa`` and ``sobol`` commands.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fupsim.commands.common import (
    add_force_arg,
    add_scenario_args,
    non_negative_int,
    positive_int,
    print_table,
    scenario_from_args,
    scheduler_address,
    show_progress,
)
from fupsim.output import atomic_directory, check_out_dir, manifest, write_json
from fupsim.scenario import Scenario
from fupsim.sensitivity.grid import parse_vary, sweep
from fupsim.sensitivity.runner import PointSize
from fupsim.sensitivity.store import PointStore

__all__ = [
    "add_point_args",
    "interrupted",
    "point_setup",
    "register",
    "write_results",
]

POINTS_NOTE = (
    "Every point is simulated with the same seed (common random numbers across points) and "
    "stored under <out>/points/ as soon as it finishes, keyed by a hash of its parameters, "
    "seed, size and fupsim version: rerunning the same command skips finished points, and "
    "Ctrl-C loses only the points in flight. Results are identical for any --workers and "
    "with --scheduler."
)


def add_point_args(p: argparse.ArgumentParser) -> None:
    """SCENARIO, --set, --out and the options that size and place every point."""
    add_scenario_args(p)
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (points/ is kept inside)"
    )
    p.add_argument(
        "--seed", type=non_negative_int, help="root random seed (default: simulation.seed)"
    )
    p.add_argument(
        "--replications",
        type=positive_int,
        help="replicates per point (default: sweep.replications, else 2)",
    )
    p.add_argument(
        "--patients",
        type=positive_int,
        help="adults per replicate per point (default: sweep.patients, else 2,000)",
    )
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
    add_force_arg(p)


def point_setup(args: argparse.Namespace) -> tuple[Scenario, PointSize, PointStore, Path]:
    """Validate the scenario and options; nothing is written until the first point is stored."""
    out = check_out_dir(args.out, force=args.force)
    scenario = scenario_from_args(args)
    sw = scenario.sweep
    size = PointSize(
        seed=scenario.simulation.seed if args.seed is None else args.seed,
        replications=args.replications or (sw.replications if sw else 2),
        patients=args.patients or (sw.patients if sw else 2000),
    )
    return scenario, size, PointStore(out / "points", owner=out), out


def interrupted(store: PointStore) -> int:
    """After Ctrl-C: say how many finished points are kept; exit code 130."""
    kept = sum(1 for _ in store.folder.glob("*/*.json")) if store.folder.is_dir() else 0
    print(
        f"fupsim: interrupted; {kept} finished point(s) are kept in {store.folder}/ "
        "- rerun the same command to resume (no final table was written)",
        file=sys.stderr,
    )
    return 130


Figure = tuple[Callable[..., Any], Any, str, Mapping[str, Any]]
"""A figure to draw: ``(plot function, data, file name, keyword arguments)``."""


def write_results(
    out: Path,
    name: str,
    scenario: Scenario,
    size: PointSize,
    tables: Mapping[str, Any],
    figures: Sequence[Figure],
    extra: Mapping[str, Any],
) -> None:
    """Write an analysis's tables, figures and ``<name>_manifest.json`` as one unit.

    The folder is rebuilt beside ``out`` and swapped into place (the point store is carried
    over), so an interrupt during the final writes leaves the previous results whole.
    """
    from matplotlib.figure import Figure as MplFigure

    started = time.perf_counter()
    record = manifest(
        name,
        scenario.resolved(),
        seed=size.seed,
        sizes={"replications_per_point": size.replications, "patients_per_point": size.patients},
        **extra,
    )
    with atomic_directory(out, force=True) as tmp:
        for file, frame in tables.items():
            frame.to_csv(tmp / file, index=False)
        for plot, data, file, kwargs in figures:
            options = dict(kwargs)
            fig = MplFigure(figsize=options.pop("figsize", (7.5, 4.8)), layout="constrained")
            plot(data, ax=fig.subplots(), **options)
            fig.savefig(tmp / file, dpi=120)
        record["wall_time_seconds"] = round(time.perf_counter() - started, 3)
        write_json(tmp / f"{name}_manifest.json", record)


def register(sub: Any) -> None:
    """Add the ``sweep`` sub-command."""
    p = sub.add_parser(
        "sweep",
        help="grid sensitivity over a few parameters (resumable); writes sweep.csv",
        description="Simulate every combination of the values given with --vary (or in the "
        "scenario's [sweep] vary table) and write sweep.csv: one row per point x protocol, a "
        "column per varied parameter (named by its dotted key) and the summary metrics. "
        + POINTS_NOTE,
        epilog="Examples: --vary ultrasound.sensitivity=0.5:0.9:5 (5 values from 0.5 to 0.9); "
        "--vary protocol.us-6m.interval_months=4,5,6 (a list).",
    )
    add_point_args(p)
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a parameter and its values: key=a,b,c or key=lo:hi:n (repeatable; full grid)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    scenario, size, store, out = point_setup(args)
    vary = parse_vary(args.vary) if args.vary else None
    try:
        result = sweep(
            scenario,
            vary,
            size,
            store,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=show_progress(args),
        )
    except KeyboardInterrupt:
        return interrupted(store)
    write_results(
        out,
        "sweep",
        scenario,
        size,
        {"sweep.csv": result.table},
        [],
        {"varied": result.varied, "stats": result.stats},
    )
    if not args.quiet:
        print_table(
            result.table,
            ["point", *result.varied, "protocol", "screen_detected_per_1000", "cost_per_patient"],
            title=f"sweep: {result.stats['distinct']} points ({result.stats['reused']} reused), "
            f"{size.replications} x {size.patients:,} adults each, seed {size.seed}",
        )
        print(f"wrote {out}/sweep.csv")
    return 0
