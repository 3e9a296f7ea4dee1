"""``fupsim design``: search candidate schedules for the efficient frontier (resumable)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupsim.commands.common import (
    add_execution_args,
    add_force_arg,
    add_scenario_args,
    interrupted,
    print_table,
    show_progress,
)

if TYPE_CHECKING:
    from fupsim.design import DesignResult


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers separated by commas") from None


def _lists(text: str) -> list[list[float]]:
    return [_floats(part) for part in text.split(";") if part.strip()]


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give whole numbers separated by commas"
        ) from None


def register(sub: Any) -> None:
    """Add the ``design`` sub-command."""
    p = sub.add_parser(
        "design",
        help="search candidate schedules: frontier, best schedule by WTP (resumable)",
        description="Generate candidate schedules (regular interval x duration, explicit visit "
        "lists, stop-after-stable rules, no follow-up and the scenario's own protocols), play "
        "them all against the same simulated people, re-evaluate near-ties with more replicates "
        "(Kim-Nelson) and write candidates.csv, frontier.csv, best_by_wtp.csv (strata.csv with "
        "--strata), frontier.png and best_by_wtp.png. Settings come from the scenario's [design] "
        "block, --set design.KEY=VALUE, or the options below. Finished tasks are kept in "
        "DIR/points/; rerun the same command to resume. See docs/design.md.",
    )
    add_scenario_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_execution_args(p)
    p.add_argument("--intervals", type=_floats, metavar="M,M,...", help="intervals, months")
    p.add_argument("--durations", type=_floats, metavar="M,M,...", help="durations, months")
    p.add_argument("--lists", type=_lists, metavar="M,M;M,M", help="visit lists, ';' between")
    p.add_argument("--stop-after-stable", type=_ints, metavar="K,K", help="stop rules to try")
    p.add_argument(
        "--strata",
        type=lambda t: [s for s in t.split(",") if s],
        metavar="A,B",
        help="age_band, n_foci, lobe or an index work-up finding (e.g. intraductal_position, "
        "index_ct_done): search a schedule per stratum",
    )
    p.add_argument("--effect", help="qaly, life_years, screen_detected or an outcome column")
    p.add_argument("--max-replications", type=int, help="replicate budget of the refinement")
    p.add_argument("--no-refine", action="store_true", help="no re-evaluation of near-ties")
    p.add_argument(
        "--psa-draws", type=int, help="PSA draws over the top candidates (design_ceaf.csv)"
    )
    p.add_argument("--psa-top", type=int, help="candidates per WTP the PSA plays (default 5)")
    add_force_arg(p)
    p.set_defaults(func=_run)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        f"design.{key}": value
        for key, value in (
            ("intervals_months", args.intervals),
            ("durations_months", args.durations),
            ("visit_lists_months", args.lists),
            ("stop_after_stable", args.stop_after_stable),
            ("strata", args.strata),
            ("effect", args.effect),
            ("max_replications", args.max_replications),
            ("refine", False if args.no_refine else None),
            ("psa_draws", args.psa_draws),
            ("psa_top", args.psa_top),
        )
        if value is not None
    }


def figures(result: DesignResult) -> Any:
    """A writer of ``frontier.png``, ``best_by_wtp.png`` (and ``design_ceaf.png``) into a folder,
    saved as every report figure is (:func:`fupsim.report.figures.save_figure`)."""
    from matplotlib.figure import Figure

    from fupsim.plots.design import plot_best_by_wtp, plot_design_ceaf, plot_design_frontier
    from fupsim.report.figures import save_figure

    cur = result.scenario.costs.currency
    effect = str(result.manifest.get("effect", "effect"))

    def draw(folder: Path) -> None:
        fig = Figure(figsize=(7.5, 4.8), layout="constrained")
        plot_design_frontier(
            result.frontier,
            candidates=result.candidates,
            effect=effect,
            currency=cur,
            ax=fig.subplots(),
        )
        save_figure(fig, folder / "frontier.png")
        fig = Figure(figsize=(7.5, 4.8), layout="constrained")
        plot_best_by_wtp(result.best_by_wtp, currency=cur, ax=fig.subplots())
        save_figure(fig, folder / "best_by_wtp.png")
        if result.ceaf is not None:
            fig = Figure(figsize=(7.5, 4.8), layout="constrained")
            plot_design_ceaf(result.ceaf, currency=cur, ax=fig.subplots())
            save_figure(fig, folder / "design_ceaf.png")

    return draw


def _run(args: argparse.Namespace) -> int:
    from fupsim.design import design, load_design
    from fupsim.output import check_out_dir
    from fupsim.scenario import parse_overrides
    from fupsim.sensitivity.store import PointStore

    out = check_out_dir(args.out, force=args.force)

    overrides = {**parse_overrides(args.overrides), **_options(args)}
    scenario, spec = load_design(args.scenario, overrides)
    store = PointStore(out / "points", owner=out)
    try:
        result = design(
            scenario,
            spec,
            seed=args.seed,
            replications=args.replications,
            patients=args.patients,
            workers=args.workers,
            scheduler=args.scheduler,
            store=store,
            progress=show_progress(args),
        )
    except KeyboardInterrupt as stop:
        return interrupted(store.folder, stop, kept="finished task(s)")
    result.write(out, force=True, extra=figures(result))
    if not args.quiet:
        print_table(
            result.best_by_wtp,
            [
                "wtp",
                "best",
                "expected_nb",
                "expected_nb_se",
                "probability_best",
                "article_best",
                "gain_over_article",
            ],
            title=f"design: {len(result.candidates)} candidates, effect "
            f"{result.manifest['effect']}; best schedule by willingness to pay",
        )
        print(f"wrote {out}/candidates.csv, frontier.csv, best_by_wtp.csv and figures")
    return 0
