"""Options and helpers shared by the sensitivity commands (sweep, owsa, psa, sobol) and by
the report's PSA step: sizing and storing points, the outcome to rank by, writing results.

Not a command itself; heavy dependencies are imported inside the helpers that need them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fupsim.commands.common import (
    add_force_arg,
    add_parallel_args,
    add_scenario_args,
    interrupted,
    non_negative_int,
    positive_int,
    scenario_from_args,
    show_progress,
)
from fupsim.errors import ParameterError
from fupsim.scenario import SWEEP_OUTCOMES

if TYPE_CHECKING:
    from fupsim.scenario import Scenario
    from fupsim.sensitivity.owsa import OwsaSettings
    from fupsim.sensitivity.runner import PointSize
    from fupsim.sensitivity.store import PointStore

__all__ = [
    "NOISE_TARGET",
    "POINTS_NOTE",
    "REPORT_BUDGET",
    "REPORT_DRAWS",
    "add_outcome_args",
    "add_point_args",
    "add_report_args",
    "figure_writer",
    "outcome_settings",
    "point_setup",
    "report_psa",
    "run_planned",
    "wrote",
]

POINTS_NOTE = (
    "Every point is simulated with the same seed (common random numbers across points) and "
    "stored under <out>/points/ as soon as it finishes, keyed by a hash of its parameters, "
    "seed, size and fupsim version: rerunning the same command skips finished points, and "
    "Ctrl-C loses only the points in flight. Results are identical for any --workers and "
    "with --scheduler."
)
"""The sensitivity commands' shared paragraph on the point store."""


def add_point_args(p: argparse.ArgumentParser) -> None:
    """SCENARIO, --set, --out and the options that size and place every sensitivity point."""
    add_scenario_args(p)
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (points/ is kept inside)"
    )
    p.add_argument(
        "--seed", type=non_negative_int, help="root random seed (default: simulation.seed)"
    )
    p.add_argument(
        "--replications",
        type=positive_int,
        help="replicates per point (default: sweep.replications, else 2)",
    )
    p.add_argument(
        "--patients",
        type=positive_int,
        help="adults per replicate per point (default: sweep.patients, else 2,000)",
    )
    add_parallel_args(p)
    add_force_arg(p)


def point_setup(args: argparse.Namespace) -> tuple[Scenario, PointSize, PointStore, Path]:
    """Validate the scenario and options; nothing is written until the first point is stored."""
    from fupsim.output import check_out_dir
    from fupsim.sensitivity.runner import PointSize
    from fupsim.sensitivity.store import PointStore

    out = check_out_dir(args.out, force=args.force)
    scenario = scenario_from_args(args)
    sw = scenario.sweep
    size = PointSize(
        seed=scenario.simulation.seed if args.seed is None else args.seed,
        replications=args.replications or (sw.replications if sw else 2),
        patients=args.patients or (sw.patients if sw else 2000),
    )
    return scenario, size, PointStore(out / "points", owner=out), out


FigureSpec = tuple[str, Callable[..., Any], Any, Mapping[str, Any]]
"""A figure to draw: ``(file name in figures/, plot function, data, keyword arguments)``;
``figsize`` among the keyword arguments sets the size (default 7.5 × 4.8 inches)."""


def figure_writer(
    specs: Sequence[FigureSpec], keep: Path | None = None
) -> Callable[[Path], list[Path]]:
    """``extra`` for a result's ``write``: draw ``specs`` into ``<folder>/figures/``.

    Each figure is saved by the report's :func:`fupsim.report.figures.save_figure` (its
    resolution, no date in the file), so a command's figure matches the report's. ``keep``
    is the output folder being replaced: figures already in its ``figures/`` that these do not
    replace (another analysis written to the same folder) are copied into the new one.
    """

    def draw(folder: Path) -> list[Path]:
        import shutil

        from matplotlib.figure import Figure

        from fupsim.report.figures import save_figure

        target = folder / "figures"
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for name, plot, data, kwargs in specs:
            options = dict(kwargs)
            fig = Figure(figsize=options.pop("figsize", (7.5, 4.8)), layout="constrained")
            plot(data, ax=fig.subplots(), **options)
            save_figure(fig, target / name)
            written.append(target / name)
        old = None if keep is None else keep / "figures"
        if old is not None and old.is_dir():
            for item in old.iterdir():
                if item.is_file() and not (target / item.name).exists():
                    shutil.copy2(item, target / item.name)
        return written

    return draw


def wrote(out: Path, result: Any, figures: Sequence[str] = ()) -> str:
    """The closing line of a command: the result's files and the figures drawn."""
    names = [*result.FILES, *(f"figures/{f}" for f in figures)]
    return f"wrote {out}/" + ", ".join(names)


def add_outcome_args(p: argparse.ArgumentParser) -> None:
    """--outcome, --protocol, --comparator, --wtp, --parameter (``owsa`` and ``sobol``)."""
    p.add_argument(
        "--outcome",
        choices=SWEEP_OUTCOMES,
        help="outcome to rank parameters by (default: sweep.outcome, else cost_per_patient)",
    )
    p.add_argument(
        "--protocol",
        help="protocol whose outcome is ranked "
        "(default: sweep.protocol, analysis.reference_protocol, else the first)",
    )
    p.add_argument(
        "--comparator",
        help="comparator for incremental_cost_per_detection "
        "(default: sweep.comparator, else the last protocol)",
    )
    p.add_argument(
        "--wtp",
        type=float,
        help="willingness to pay per unit of effect for net benefit and the preferred protocol "
        "(default: sweep.wtp, else the middle of analysis.willingness_to_pay)",
    )
    p.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY",
        help="only this ranged parameter (repeatable; default: every parameter with a range)",
    )


def outcome_settings(scenario: Scenario, args: argparse.Namespace) -> OwsaSettings:
    """The outcome settings named by :func:`add_outcome_args`' options (scenario defaults)."""
    from fupsim.sensitivity.owsa import settings_for

    return settings_for(
        scenario,
        outcome=args.outcome,
        protocol=args.protocol,
        comparator=args.comparator,
        wtp=args.wtp,
    )


NOISE_TARGET = 0.10
"""Default largest noise share of the PSA size rule (:data:`fupsim.sensitivity.psa_size.NOISE_TARGET`, tested equal)."""


def run_planned(
    args: argparse.Namespace,
    scenario: Any,
    size: Any,
    store: Any,
    *,
    draws: int,
    patients: int | None,
    budget: int,
    target: float = NOISE_TARGET,
    wtp: list[float] | None = None,
    evppi: bool = True,
) -> Any:
    """Plan the size by the noise rule, then run the PSA (shared with ``fupsim report``).

    Returns a :class:`fupsim.sensitivity.psa_result.PsaResult`.
    """
    from fupsim.sensitivity.psa import plan_psa, psa
    from fupsim.sensitivity.runner import PointSize

    if not 0 < target < 1:
        raise ParameterError("noise_target", f"{target:g}", "give a share between 0 and 1")
    chosen, noise, why = plan_psa(
        scenario,
        draws=draws,
        seed=size.seed,
        replications=size.replications,
        patients=patients,
        target=target,
        budget=budget,
    )
    size = PointSize(seed=size.seed, replications=size.replications, patients=chosen)
    return psa(
        scenario,
        draws,
        size,
        store,
        wtp=wtp,
        noise=noise,
        evppi=evppi,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=show_progress(args),
        extra={"size_rule": why},
    )


REPORT_DRAWS = 400
"""Default PSA draws in ``fupsim report`` (``--psa-draws``)."""
REPORT_BUDGET = 4_000_000
"""Most adults × draws the report's default PSA simulates (about 20-30 s on 2 cores)."""


def add_report_args(p: argparse.ArgumentParser) -> None:
    """``--psa-draws``, ``--psa-patients``, ``--no-psa`` for ``fupsim report``."""
    p.add_argument(
        "--psa-draws",
        type=positive_int,
        default=REPORT_DRAWS,
        help=f"PSA draws before rendering (default {REPORT_DRAWS}; more for a final analysis)",
    )
    p.add_argument(
        "--psa-patients",
        type=positive_int,
        help="adults per PSA draw (default: the noise rule - within-draw noise at most 10%% "
        f"of between-draw variance - capped at {REPORT_BUDGET:,} adults x draws in all)",
    )
    p.add_argument("--no-psa", action="store_true", help="skip the report's PSA")


def report_psa(
    args: argparse.Namespace,
    scenario: Any,
    out: Any,
    *,
    draws: int | None = None,
    budget: int = REPORT_BUDGET,
    keep_on_interrupt: bool = True,
) -> Any:
    """The report's PSA step: plan, run and write the PSA files into the report folder.

    ``draws`` (default ``--psa-draws``) and ``budget`` (adults × draws) size it by the noise
    rule. The point store is ``<out>/points`` (a rerun reuses finished draws); with
    ``keep_on_interrupt`` a Ctrl-C exits saying where the finished draws are. Figures are drawn
    by the report's uncertainty section, so none are written here.
    """
    from fupsim.sensitivity.runner import PointSize
    from fupsim.sensitivity.store import PointStore

    if not any(u.psa is not None for u in scenario.uncertainty.values()):
        return None
    seed = scenario.simulation.seed if args.seed is None else args.seed
    store = PointStore(out / "points", owner=out)
    try:
        result = run_planned(
            args,
            scenario,
            PointSize(seed=seed, replications=1, patients=1),
            store,
            draws=args.psa_draws if draws is None else draws,
            patients=args.psa_patients,
            budget=budget,
        )
    except KeyboardInterrupt as stop:
        if not keep_on_interrupt:
            raise
        raise SystemExit(interrupted(store.folder, stop)) from None
    result.write(out)
    return result
