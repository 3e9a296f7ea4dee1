"""``fupsim report``: run a scenario (or read a run folder) and write the HTML report."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupsim.commands.common import (
    add_execution_args,
    add_force_arg,
    add_scenario_args,
    run_from_args,
    scenario_from_args,
    show_progress,
)
from fupsim.commands.points import (
    add_report_args,
    report_psa,
)
from fupsim.errors import ScenarioError

if TYPE_CHECKING:
    from fupsim.experiment import RunResult


def register(sub: Any) -> None:
    """Add the ``report`` sub-command."""
    p = sub.add_parser(
        "report",
        help="run + compare + figures + HTML: write DIR/index.html and DIR/figures/*.png",
        description="Simulate a scenario and write a self-contained report folder: index.html "
        "(summary and recommendation, methods, parameters, results, comparison, "
        "cost-effectiveness, validation), figures/*.png, the run files and tables/*.csv. Give a "
        "run folder (one holding manifest.json, e.g. from 'fupsim run') instead of a .toml to "
        "re-render it without simulating. The folder appears whole or not at all.",
    )
    add_scenario_args(p)
    p.add_argument(
        "--out", required=True, metavar="DIR", help="report folder, e.g. reports/baseline"
    )
    add_execution_args(p)
    add_force_arg(p)
    p.add_argument(
        "--no-validation",
        action="store_true",
        help="skip the closed-form validation checks (about 2 s)",
    )
    p.add_argument(
        "--gee",
        action="store_true",
        help="fit the appendix GEE in models.txt (a few seconds on a large run)",
    )
    add_report_args(p)
    p.add_argument(
        "--figure-format",
        default="png",
        metavar="FORMATS",
        help="figure formats, comma-separated: png (always) plus svg and/or pdf, e.g. png,svg",
    )
    p.set_defaults(func=_run)


def _command(args: argparse.Namespace, result: RunResult | None) -> str:
    """The command line that rebuilds this report."""
    parts = ["fupsim", "report", str(args.scenario), "--out", str(args.out)]
    if result is not None:
        m = result.manifest
        parts += ["--seed", str(m.get("seed")), "--replications", str(m.get("replications"))]
        if "patients_from" not in m:  # with arrivals the cohort size is not an option
            parts += ["--patients", str(m.get("patients"))]
        for item in args.overrides:
            parts += ["--set", item]
    return shlex.join(parts)


def _formats(value: str) -> list[str]:
    """``--figure-format png,svg`` → ["png", "svg"]; bad names are refused before any work."""
    from fupsim.report.figures import FORMATS

    names = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in names if f not in FORMATS]
    if bad or not names:
        raise ScenarioError(
            f"--figure-format {value!r}: not a list of figure formats; allowed: "
            f"{', '.join(FORMATS)} (comma-separated)"
        )
    return names


def _run(args: argparse.Namespace) -> int:
    _formats(args.figure_format)
    from fupsim.output import check_out_dir
    from fupsim.pipeline import build_report

    out = check_out_dir(args.out, force=args.force)
    source = Path(args.scenario)
    if source.is_dir():
        given = [
            flag
            for flag, value in (
                ("--set", args.overrides),
                ("--seed", args.seed),
                ("--replications", args.replications),
                ("--patients", args.patients),
            )
            if value
        ]
        if given:
            raise ScenarioError(
                f"{given[0]}: not allowed with a run folder ({args.scenario!r}); "
                "give a .toml scenario to simulate anew"
            )
        build_report(
            source,
            out,
            command=_command(args, None),
            progress=show_progress(args),
            validation=not args.no_validation,
            gee=args.gee,
            figure_formats=_formats(args.figure_format),
            force=args.force,
        )
    else:
        scenario = scenario_from_args(args)
        result = run_from_args(scenario, args)
        if not args.no_psa:
            report_psa(args, scenario, out)
        build_report(
            result,
            out,
            command=_command(args, result),
            progress=show_progress(args),
            validation=not args.no_validation,
            gee=args.gee,
            figure_formats=_formats(args.figure_format),
            force=args.force,
        )
    if not args.quiet:
        print(f"wrote {out}/index.html (figures in {out}/figures, tables in {out}/tables)")
    return 0
