"""``fupsim owsa``: one-way sensitivity over each parameter's range, tornado and thresholds."""

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
    """Add the ``owsa`` sub-command."""
    p = sub.add_parser(
        "owsa",
        help="one-way sensitivity over each parameter's range; owsa.csv and a tornado figure",
        description="Move each parameter that has a range in its [uncertainty] table alone from "
        "low to high (--points values) and simulate every protocol. Writes owsa.csv (parameter, "
        "value, protocol and the outcomes), owsa_tornado.csv (parameters ranked by swing of the "
        "chosen outcome, with the threshold where the protocol with the highest net monetary "
        "benefit changes), owsa_manifest.json and figures/tornado.png. " + POINTS_NOTE,
    )
    add_point_args(p)
    add_outcome_args(p)
    p.add_argument(
        "--points",
        type=positive_int,
        default=5,
        help="values per parameter, low to high (default 5)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from fupsim.plots.sensitivity import plot_tornado
    from fupsim.sensitivity.owsa import owsa

    scenario, size, store, out = point_setup(args)
    settings = outcome_settings(scenario, args)
    try:
        result = owsa(
            scenario,
            size,
            store,
            settings=settings,
            parameters=args.parameter or None,
            points=args.points,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=show_progress(args),
        )
    except KeyboardInterrupt as stop:
        return interrupted(store.folder, stop)
    tornado = (
        "tornado.png",
        plot_tornado,
        result.tornado,
        {
            "currency": scenario.costs.currency,
            "figsize": (7.5, max(2.5, 0.35 * min(15, len(result.tornado)) + 1.4)),
        },
    )
    result.write(out, force=True, extra=figure_writer([tornado], keep=out))
    if not args.quiet:
        print_table(
            result.summary(),
            list(result.summary().columns),
            title=f"one-way: {settings.outcome} of {settings.protocol} (WTP {settings.wtp:,.0f}); "
            f"{result.stats['distinct']} points ({result.stats['reused']} reused)",
        )
        print(wrote(out, result, ["tornado.png"]))
    return 0
