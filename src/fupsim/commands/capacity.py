"""``fupsim capacity``: the slots per clinic day each protocol needs to meet a wait target."""

from __future__ import annotations

import argparse
import math
import time
from typing import TYPE_CHECKING, Any

from fupsim.commands.common import (
    add_execution_args,
    add_force_arg,
    add_scenario_args,
    print_table,
    scenario_from_args,
)
from fupsim.errors import ScenarioError

if TYPE_CHECKING:
    from fupsim.scenario import Scenario

REQUIRED_COLUMNS: dict[str, str] = {
    "protocol": "protocol name",
    "required_slots_per_day": "smallest slots per clinic day meeting the wait target",
    "p95_wait_days": "95th-percentile wait with that many slots, days",
    "target_p95_wait_days": "the scenario's target for the 95th-percentile wait, days",
    "new_patients_per_year": "arrival rate of new patients (blank: all start on day 0)",
    "clinic_days_per_week": "clinic days per week",
    "background_scans_per_day": "mean scans of other services' patients per clinic day",
}
"""Fixed columns of ``required_slots.csv``; :func:`effect_column` adds the effect's."""


def effect_column(effect: str) -> tuple[str, str]:
    """The column of ``required_slots.csv`` holding ``analysis.effect`` at the required slots."""
    from fupsim.labels import EFFECTS

    e = EFFECTS[effect]
    return f"{e.summary}_at_required_slots", f"{e.plural} ({e.summary}) with those slots"


def register(sub: Any) -> None:
    """Add the ``capacity`` sub-command."""
    p = sub.add_parser(
        "capacity",
        help="slots per clinic day each protocol needs to keep the 95th-percentile wait on target",
        description="For each [[protocol]] played alone on the scanner of the scenario's "
        "[capacity] service, find the smallest number of slots per clinic day whose "
        "95th-percentile wait is at most capacity.target_p95_wait_days (doubling, then "
        "bisection; every candidate sees the same simulated people). Writes required_slots.csv "
        "and manifest.json into DIR.",
    )
    add_scenario_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_execution_args(p)
    add_force_arg(p)
    p.set_defaults(func=_run)


def _p95(args: argparse.Namespace, effects: dict[int, float]) -> Any:
    """The slot search's run: the p95 wait, recording the effect per slots tried in ``effects``."""
    import pandas as pd

    from fupsim.experiment import run
    from fupsim.labels import EFFECTS

    def p95_wait(scenario: Scenario) -> float:
        result = run(
            scenario,
            seed=args.seed,
            replications=args.replications,
            patients=args.patients,
            workers=args.workers,
            scheduler=args.scheduler,
            events=False,
            progress=False,
        )
        summary = result.summary()
        slots = scenario.capacity.slots_per_day if scenario.capacity else 0
        effects[slots] = float(summary[EFFECTS[scenario.analysis.effect].summary].iloc[0])
        value = summary["p95_wait_days"].iloc[0]
        return float(value) if pd.notna(value) else math.nan

    return p95_wait


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from fupsim.capacity import required_slots
    from fupsim.output import atomic_directory, check_out_dir, manifest, write_json

    out = check_out_dir(args.out, force=args.force)
    scenario = scenario_from_args(args)
    cap = scenario.capacity
    if cap is None:
        raise ScenarioError(
            f"capacity: {args.scenario!r} has no [capacity] block "
            "(add one, e.g. slots_per_day and new_patients_per_year; see scenarios/capacity.toml)"
        )
    from fupsim.scenario import check_workload, workload

    # the slot search simulates each protocol about a dozen times (doubling, then bisection)
    check_workload(
        workload(
            scenario,
            points=12 * len(scenario.protocol_names),
            replications=args.replications,
            patients=args.patients,
        ),
        "--patients/--replications (default simulation.patients/replications)",
    )
    started = time.perf_counter()
    effect, effect_doc = effect_column(scenario.analysis.effect)
    columns = {**REQUIRED_COLUMNS, effect: effect_doc}
    rows = []
    for protocol in scenario.protocol_names:
        if not args.quiet:
            print(f"searching slots for {protocol} ...", flush=True)
        effects: dict[int, float] = {}
        slots, p95 = required_slots(scenario, protocol, _p95(args, effects))
        rows.append(
            {
                "protocol": protocol,
                "required_slots_per_day": slots,
                "p95_wait_days": p95,
                "target_p95_wait_days": cap.target_p95_wait_days,
                "new_patients_per_year": cap.new_patients_per_year,
                "clinic_days_per_week": cap.clinic_days_per_week,
                "background_scans_per_day": cap.background_scans_per_day,
                # 0 slots (a protocol without scans): the run with one slot has the same effect
                effect: effects.get(slots, effects.get(1, math.nan)),
            }
        )
    table = pd.DataFrame(rows, columns=list(columns))
    record = manifest(
        "capacity",
        scenario.resolved(),
        seed=scenario.simulation.seed if args.seed is None else args.seed,
        sizes={
            "replications": args.replications or scenario.simulation.replications,
            "patients": args.patients,
        },
        started=started,
        columns=columns,
    )
    with atomic_directory(out, force=args.force) as tmp:
        table.to_csv(tmp / "required_slots.csv", index=False, float_format="%.10g")
        write_json(tmp / "manifest.json", record)
    if not args.quiet:
        print_table(
            table,
            ["protocol", "required_slots_per_day", "p95_wait_days", "target_p95_wait_days", effect],
            title=f"{scenario.meta.name}: slots per clinic day for a 95th-percentile wait of "
            f"at most {cap.target_p95_wait_days:g} days",
        )
        print(f"wrote {out}/ (required_slots.csv, manifest.json)")
    return 0
