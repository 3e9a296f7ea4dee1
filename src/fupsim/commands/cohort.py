"""``fupsim cohort``: draw the cohort only, and write it as Parquet or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fupsim.commands.common import (
    add_scenario_args,
    non_negative_int,
    positive_int,
    scenario_from_args,
)
from fupsim.errors import ScenarioError


def register(sub: Any) -> None:
    """Add the ``cohort`` sub-command."""
    p = sub.add_parser(
        "cohort",
        help="draw the cohort only (one row per person)",
        description="Draw one replicate's cohort (adults plus the prenatal stream) and write one row "
        "per person: patient_id, stream, age_years, sex, lobe, n_foci, cause and the prenatal flags.",
    )
    add_scenario_args(p)
    p.add_argument("--out", required=True, metavar="FILE", help="output file: .parquet or .csv")
    p.add_argument("--patients", type=positive_int, help="adults (default: simulation.patients)")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: simulation.seed)")
    p.add_argument(
        "--replicate", type=non_negative_int, default=0, help="which replicate's cohort (default 0)"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from fupsim.cohort import draw_cohort
    from fupsim.output import atomic_file
    from fupsim.rng import replicate_streams
    from fupsim.workup import index_workup, workup_frame

    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ScenarioError(f"--out {args.out!r}: the file must end in .parquet or .csv")
    if out.is_dir():
        raise ScenarioError(
            f"--out {args.out!r}: is a folder; give a file name ending in .parquet or .csv"
        )
    scenario = scenario_from_args(args)
    seed = scenario.simulation.seed if args.seed is None else args.seed
    streams = replicate_streams(seed, args.replicate)
    cohort = draw_cohort(scenario, streams, args.patients)
    workup = index_workup(scenario, cohort, streams)
    frame = cohort.to_frame().merge(workup_frame(workup), on="patient_id")
    with atomic_file(out) as tmp:
        if out.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False, float_format="%.6f")
        else:
            frame.to_parquet(tmp, index=False)
    print(f"wrote {len(frame):,} people ({int((cohort.stream == 1).sum())} prenatal) to {out}")
    return 0
