"""``fupsim compare``: paired statistical and economic comparison of a run's protocols."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fupsim.commands.common import print_table
from fupsim.errors import ScenarioError

NEEDED = ("manifest.json", "outcomes.parquet")
ICER_SHOWN = [
    "protocol",
    "cost_per_patient",
    "screen_detected_per_patient",
    "incremental_cost",
    "incremental_effect",
    "icer",
    "status",
    "compared_with",
]
NI_SHOWN = ["comparison", "estimate", "lower_bound", "margin_per_1000", "p_value", "conclusion"]


def register(sub: Any) -> None:
    """Add the ``compare`` sub-command."""
    p = sub.add_parser(
        "compare",
        help="paired statistics and ICERs for a run folder; writes comparison.csv, icer.csv, "
        "models.txt and more into it",
        description="Compare the protocols of a 'fupsim run' folder. Contrasts are paired by "
        "(replicate, patient_id) under common random numbers: paired differences with 95% "
        "intervals, McNemar for binary outcomes, Holm-adjusted p-values, a GEE over all "
        "protocols, non-inferiority of each less intensive protocol against the reference, "
        "cumulative detection curves with log-rank tests, and ICERs with dominance. Writes "
        "its tables (comparison.csv, icer.csv, models.txt and more) into RUN_DIR, each file "
        "atomically. See docs/compare.md for every file and column.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder written by 'fupsim run --out'")
    p.add_argument(
        "--gee-patients",
        type=int,
        default=20_000,
        metavar="N",
        help="most paired patients the appendix GEE is fitted on (default 20000; a seeded "
        "subsample beyond it)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the tables")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from fupsim.experiment import load_run
    from fupsim.stats import OUTPUT_FILES, compare

    if args.gee_patients < 2:
        raise ScenarioError(f"--gee-patients {args.gee_patients}: must be at least 2")
    run_dir = Path(args.run_dir)
    result = load_run(run_dir, need=NEEDED, events=False)  # the event log is not needed here
    comparison = compare(result, gee_patients=args.gee_patients)
    comparison.write(run_dir)
    if not args.quiet:
        sc = result.scenario
        print_table(
            comparison.summary(),
            list(comparison.summary().columns),
            title="Paired differences, 'A vs B' = A minus B: estimate (95% CI); "
            "* Holm-adjusted p < 0.05",
        )
        if len(comparison.noninferiority):
            print()
            print_table(
                comparison.noninferiority,
                NI_SHOWN,
                title="Non-inferiority on screen-detected per 1,000 (one-sided alpha 0.025)",
            )
        print()
        print_table(
            comparison.icer,
            ICER_SHOWN,
            title=f"Cost-effectiveness ({sc.costs.currency} {sc.costs.year} per patient; "
            "ICER per additional screen-detected change)",
        )
        print()
        print(comparison.widest())
        print(f"wrote {run_dir}/ ({', '.join(OUTPUT_FILES)})")
    return 0
