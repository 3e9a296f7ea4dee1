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
    REPORT_DRAWS,
    add_report_args,
    report_psa,
)
from fupsim.errors import ScenarioError

if TYPE_CHECKING:
    from fupsim.experiment import RunResult
    from fupsim.scenario import Scenario

MULTI_DRAWS = 150
"""Default PSA draws per scenario when several scenarios are compared (``--psa-draws``)."""
MULTI_BUDGET = 600_000
"""Most adults × draws of each scenario's default PSA when several are compared (so three
scenarios stay under about 3 minutes on 2 cores; ``--psa-patients`` overrides the rule)."""


def register(sub: Any) -> None:
    """Add the ``report`` sub-command."""
    p = sub.add_parser(
        "report",
        help="run + compare + figures + HTML: write DIR/index.html and DIR/figures/*.png",
        description="Simulate a scenario and write a self-contained report folder: index.html "
        "(summary and recommendation, methods, parameters, results, comparison, "
        "cost-effectiveness, validation), figures/*.png, the run files and tables/*.csv. Give a "
        "run folder (one holding manifest.json, e.g. from 'fupsim run') instead of a .toml to "
        "re-render it without simulating. Give several .toml files to set them side by side "
        "(structural uncertainty): DIR/index.html compares them and says where they disagree, "
        "each scenario's own report in DIR/<name>/. The folder appears whole or not at all.",
    )
    add_scenario_args(p)
    p.add_argument(
        "more",
        nargs="*",
        metavar="SCENARIO",
        help="further scenario files: one report of all of them side by side (structural "
        "uncertainty), each scenario's own report in DIR/<name>/; --set, --seed and the sizes "
        f"apply to each. With several scenarios the default PSA is {MULTI_DRAWS} draws and at "
        f"most {MULTI_BUDGET:,} adults x draws per scenario",
    )
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
    for action in p._actions:  # the default draws depend on how many scenarios are given
        if action.dest == "psa_draws":
            action.default = None
            action.help = (
                f"PSA draws before rendering (default {REPORT_DRAWS}, or {MULTI_DRAWS} per "
                "scenario with several; more for a final analysis)"
            )
    p.add_argument(
        "--figure-format",
        default="png",
        metavar="FORMATS",
        help="figure formats, comma-separated: png (always) plus svg and/or pdf, e.g. png,svg",
    )
    p.set_defaults(func=_run)


def _command(args: argparse.Namespace, result: RunResult | None) -> str:
    """The command line that rebuilds this report (the page adds the PSA options)."""
    from fupsim.pipeline import report_command

    return report_command(args.scenario, args.out, None if result is None else result.manifest)


def _multi_command(args: argparse.Namespace) -> str:
    """The side-by-side command as given, with the PSA options that apply to every scenario."""
    parts = ["fupsim", "report", str(args.scenario), *map(str, args.more), "--out", str(args.out)]
    for flag, value in (
        ("--seed", args.seed),
        ("--replications", args.replications),
        ("--patients", args.patients),
    ):
        if value is not None:
            parts += [flag, str(value)]
    for item in args.overrides:
        parts += ["--set", item]
    if args.no_psa:
        parts.append("--no-psa")
    else:
        parts += ["--psa-draws", str(args.psa_draws or MULTI_DRAWS)]
        if args.psa_patients:
            parts += ["--psa-patients", str(args.psa_patients)]
    return shlex.join(parts)


def _scenario_psa(args: argparse.Namespace, scenario: Scenario, folder: Path) -> object:
    """One scenario's PSA of a side-by-side report, sized by the noise rule within
    :data:`MULTI_BUDGET` (``report_psa`` with a smaller default size; an interrupt discards
    the whole side-by-side folder, which is built as one)."""
    return report_psa(
        args,
        scenario,
        folder,
        draws=args.psa_draws or MULTI_DRAWS,
        budget=MULTI_BUDGET,
        keep_on_interrupt=False,
    )


def _run_several(args: argparse.Namespace, out: Path) -> None:
    """``fupsim report A.toml B.toml … --out DIR``: every scenario is checked before any work."""
    from fupsim.pipeline import build_scenarios_report
    from fupsim.scenario import load_scenario

    sources = [args.scenario, *args.more]
    folders = [s for s in sources if Path(s).is_dir()]
    if folders:
        raise ScenarioError(
            f"SCENARIO {folders[0]!r}: a folder; several scenarios are compared from .toml "
            "files only (re-render one report folder on its own)"
        )
    scenarios = [load_scenario(s, args.overrides) for s in sources]
    build_scenarios_report(
        scenarios,
        out,
        simulate=lambda sc: run_from_args(sc, args),
        psa=None if args.no_psa else (lambda sc, folder: _scenario_psa(args, sc, folder)),
        sources=sources,
        command=_multi_command(args),
        progress=show_progress(args),
        validation=not args.no_validation,
        gee=args.gee,
        figure_formats=_formats(args.figure_format),
        force=args.force,
    )


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
    if args.more:
        _run_several(args, out)
        if not args.quiet:
            print(f"wrote {out}/index.html (each scenario's report in {out}/<name>/)")
        return 0
    if args.psa_draws is None:
        args.psa_draws = REPORT_DRAWS
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
