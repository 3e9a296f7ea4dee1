"""``fupsim sobol``: first-order and total Sobol indices (SALib) for a chosen outcome."""

from __future__ import annotations

import argparse
from typing import Any

from fupsim.commands.common import (
    interrupted,
    positive_int,
    print_table,
    show_progress,
)
from fupsim.commands.points import (
    POINTS_NOTE,
    add_outcome_args,
    add_point_args,
    figure_writer,
    outcome_settings,
    point_setup,
    wrote,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``sobol`` sub-command."""
    p = sub.add_parser(
        "sobol",
        help="Sobol indices (first-order and total, with 95%% intervals); sobol.csv and a figure",
        description="Treat every parameter with a range in its [uncertainty] table as uniform "
        "over that range, simulate a Saltelli design of N x (D + 2) points (N = --samples, a power "
        "of 2; D parameters) and estimate first-order (S1) and total (ST) Sobol indices of the "
        "chosen outcome with SALib, with 95%% bootstrap intervals. Writes sobol.csv, "
        "sobol_points.csv, sobol_manifest.json and figures/sobol.png. " + POINTS_NOTE,
    )
    add_point_args(p)
    add_outcome_args(p)
    p.add_argument(
        "--samples",
        type=positive_int,
        required=True,
        help="base sample size N, a power of 2 (e.g. 64)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from fupsim.plots.sensitivity import plot_sobol
    from fupsim.sensitivity.sobol import sobol

    scenario, size, store, out = point_setup(args)
    settings = outcome_settings(scenario, args)
    try:
        result = sobol(
            scenario,
            args.samples,
            size,
            store,
            settings=settings,
            parameters=args.parameter or None,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=show_progress(args),
        )
    except KeyboardInterrupt as stop:
        return interrupted(store.folder, stop)
    figure = (
        "sobol.png",
        plot_sobol,
        result.indices,
        {"figsize": (7.5, max(2.5, 0.35 * min(15, len(result.indices)) + 1.4))},
    )
    result.write(out, force=True, extra=figure_writer([figure], keep=out))
    if not args.quiet:
        print_table(
            result.summary(),
            list(result.summary().columns),
            title=f"Sobol indices of {settings.outcome} ({settings.protocol}); "
            f"{result.stats['distinct']} points ({result.stats['reused']} reused)",
        )
        print(wrote(out, result, ["sobol.png"]))
    return 0
