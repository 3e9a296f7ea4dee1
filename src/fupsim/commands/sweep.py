"""``fupsim sweep``: grid sensitivity over a few parameters (resumable)."""

from __future__ import annotations

import argparse
from typing import Any

from fupsim.commands.common import (
    interrupted,
    print_table,
    show_progress,
)
from fupsim.commands.points import (
    POINTS_NOTE,
    add_point_args,
    point_setup,
    write_results,
)

__all__ = ["register"]


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
    from fupsim.sensitivity.grid import parse_vary, sweep

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
    except KeyboardInterrupt as stop:
        return interrupted(store.folder, stop)
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
