"""``fupsim psa``: probabilistic sensitivity analysis with acceptability curves and EVPI."""

from __future__ import annotations

import argparse
from typing import Any

from fupsim.commands.common import positive_int, print_table, show_progress
from fupsim.commands.sweep import (
    POINTS_NOTE,
    add_point_args,
    interrupted,
    point_setup,
    write_results,
)
from fupsim.plots.sensitivity import plot_ceac, plot_evpi, plot_psa_scatter
from fupsim.sensitivity.psa import psa


def register(sub: Any) -> None:
    """Add the ``psa`` sub-command."""
    p = sub.add_parser(
        "psa",
        help="probabilistic sensitivity analysis; psa.csv, ceac.csv, evpi.csv and figures",
        description="Draw every parameter that has a psa distribution in its [uncertainty] table "
        "(--draws times), simulate every protocol per draw against the same simulated people, "
        "and write psa.csv (draw, protocol, cost_per_patient, screen_detected_per_1000, the "
        "effect per patient, the other metrics and the drawn values), ceac.csv (wtp, protocol, "
        "probability: the probability that the protocol has the highest net benefit; "
        "on_frontier marks the protocol with the highest expected net benefit), evpi.csv (wtp, "
        "evpi per person) and psa_scatter.png, ceac.png, evpi.png. The effect is screen-detected "
        "changes per person unless sweep.effect says otherwise; WTP values come from "
        "analysis.willingness_to_pay. " + POINTS_NOTE,
    )
    add_point_args(p)
    p.add_argument("--draws", type=positive_int, required=True, help="parameter draws (e.g. 200)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    scenario, size, store, out = point_setup(args)
    try:
        result = psa(
            scenario,
            args.draws,
            size,
            store,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=show_progress(args),
        )
    except KeyboardInterrupt:
        return interrupted(store)
    cur = scenario.costs.currency
    names = scenario.protocol_names
    write_results(
        out,
        "psa",
        scenario,
        size,
        {"psa.csv": result.table, "ceac.csv": result.ceac, "evpi.csv": result.evpi},
        [
            (
                plot_psa_scatter,
                result.table,
                "psa_scatter.png",
                {"effect": result.effect, "order": names, "currency": cur},
            ),
            (plot_ceac, result.ceac, "ceac.png", {"order": names, "currency": cur}),
            (plot_evpi, result.evpi, "evpi.png", {"currency": cur}),
        ],
        {"draws": args.draws, "effect": result.effect, "stats": result.stats},
    )
    if not args.quiet:
        wide = result.ceac.pivot(index="wtp", columns="protocol", values="probability")[names]
        wide = wide.join(result.evpi.set_index("wtp")).reset_index()
        print_table(
            wide,
            list(wide.columns),
            title=f"PSA: {args.draws} draws ({result.stats['reused']} reused); "
            "probability of highest "
            f"net benefit by WTP ({cur} per unit of {result.effect}), and EVPI per person",
        )
        print(f"wrote {out}/psa.csv, ceac.csv, evpi.csv and figures")
    return 0
