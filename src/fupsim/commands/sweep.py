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
    figure_writer,
    point_setup,
    wrote,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``sweep`` sub-command."""
    p = sub.add_parser(
        "sweep",
        help="grid sensitivity over a few parameters (resumable); sweep.csv and a figure",
        description="Simulate every combination of the values given with --vary (or in the "
        "scenario's [sweep] vary table) and write sweep.csv: one row per point x protocol, a "
        "column per varied parameter (named by its dotted key), the summary metrics, and net "
        "monetary benefit, incremental net benefit and the preferred protocol at the reference "
        "WTP (analysis.effect, QALYs by default). figures/sweep.png draws incremental net "
        "benefit per protocol against one varied key, or a map of the preferred protocol over two. "
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
    from fupsim.plots.sensitivity import plot_sweep
    from fupsim.sensitivity.grid import parse_vary, sweep
    from fupsim.sensitivity.psa_result import EFFECT_UNITS

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
    figures = []
    if len(result.varied) <= 2:
        options = {
            "varied": result.varied,
            "wtp": result.settings.wtp,
            "comparator": result.settings.comparator,
            "effect_unit": EFFECT_UNITS.get(result.settings.effect, result.settings.effect),
            "order": scenario.protocol_names,
            "currency": scenario.costs.currency,
        }
        figures.append(("sweep.png", plot_sweep, result.table, options))
    result.write(out, force=True, extra=figure_writer(figures, keep=out))
    if not args.quiet:
        print_table(
            result.summary(),
            list(result.summary().columns),
            title=f"sweep: {result.stats['distinct']} points ({result.stats['reused']} reused), "
            f"{size.replications} x {size.patients:,} adults each, seed {size.seed}",
        )
        if not figures:
            print(f"no figure: {len(result.varied)} keys varied (one or two can be drawn)")
        print(wrote(out, result, [f[0] for f in figures]))
    return 0
