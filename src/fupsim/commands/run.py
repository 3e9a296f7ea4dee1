"""``fupsim run``: simulate every protocol of a scenario and write the run folder."""

from __future__ import annotations

import argparse
from typing import Any

from fupsim.commands.common import (
    add_execution_args,
    add_force_arg,
    add_scenario_args,
    print_table,
    run_from_args,
    scenario_from_args,
)

SHOWN = [
    "protocol",
    "scans_per_patient",
    "screen_detected_per_1000",
    "interval_cases_per_1000",
    "undetected_at_horizon_per_1000",
    "program_sensitivity",
    "mean_delay_months",
    "cost_per_patient",
]


def register(sub: Any) -> None:
    """Add the ``run`` sub-command."""
    p = sub.add_parser(
        "run",
        help="simulate every protocol; write summary.csv, outcomes.parquet, events.parquet, manifest.json",
        description="Simulate every [[protocol]] of the scenario against the same simulated people "
        "(common random numbers) over the replications, and write the run folder. The folder "
        "appears whole or not at all. The same seed gives identical files for any --workers.",
    )
    add_scenario_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_execution_args(p)
    add_force_arg(p)
    p.add_argument(
        "--no-events", action="store_true", help="skip events.parquet (saves memory on huge runs)"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from fupsim.output import check_out_dir

    out = check_out_dir(args.out, force=args.force)
    scenario = scenario_from_args(args)
    result = run_from_args(scenario, args, events=not args.no_events)
    result.write(out, force=args.force)
    if not args.quiet:
        m = result.manifest
        print_table(
            result.summary(),
            SHOWN,
            title=f"{scenario.meta.name}: {m['replications']} replicates x {m['patients']:,} adults, "
            f"seed {m['seed']}, {scenario.simulation.horizon_months:g} months "
            f"(costs in {scenario.costs.currency} {scenario.costs.year})",
        )
        print(f"wrote {out}/ (summary.csv, outcomes.parquet, events.parquet, manifest.json)")
    return 0
