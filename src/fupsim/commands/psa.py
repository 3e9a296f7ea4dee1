"""``fupsim psa``: probabilistic sensitivity analysis, decision table and value of information."""

from __future__ import annotations

import argparse
import itertools
from typing import TYPE_CHECKING, Any

from fupsim.commands.common import (
    interrupted,
    positive_int,
    print_table,
)
from fupsim.commands.points import (
    NOISE_TARGET,
    POINTS_NOTE,
    FigureSpec,
    add_point_args,
    figure_writer,
    point_setup,
    run_planned,
    wrote,
)
from fupsim.scenario import ScenarioError

if TYPE_CHECKING:
    from fupsim.sensitivity.psa_result import PsaResult

__all__ = ["BUDGET", "parse_wtp", "register"]

BUDGET = 20_000_000
"""Most adults × replicates × draws the size rule chooses when --patients is not given."""


def parse_wtp(text: str) -> list[float]:
    """``--wtp``: ``a,b,c`` or ``lo:hi:n``; finite, ≥ 0 and strictly increasing.

    Raises
    ------
    ScenarioError
        Naming ``--wtp``, the value and what is allowed.
    """
    from fupsim.sensitivity.grid import expand_spec

    raw = text.strip()
    try:
        if ":" in raw and "," not in raw:
            values = [float(v) for v in expand_spec("--wtp", raw)]
        else:
            values = [float(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(
            f"--wtp {text!r}: give numbers a,b,c or lo:hi:n, e.g. 0:150000:61"
        ) from None
    if not values or any(not (v >= 0 and v < float("inf")) for v in values):
        raise ScenarioError(f"--wtp {text!r}: give finite values of 0 or more")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ScenarioError(f"--wtp {text!r}: values must be strictly increasing")
    return values


def register(sub: Any) -> None:
    """Add the ``psa`` sub-command."""
    p = sub.add_parser(
        "psa",
        help="probabilistic sensitivity analysis: decision table, CEAC/CEAF, EVPI, EVPPI",
        description="Draw every parameter that has a psa distribution in its [uncertainty] table "
        "(--draws times), simulate every protocol per draw against the same simulated people, "
        "and write psa.csv (draw x protocol: cost, effect and net benefit per person, the other "
        "metrics, the drawn values), decision.csv (per WTP: the protocol with the highest "
        "expected net benefit, its probability of being cost-effective, expected net benefit "
        "with 2.5th-97.5th percentiles, EVPI per person and for the population), ceac.csv, "
        "ceaf.csv, expected_loss.csv, evpi.csv (with the Monte Carlo noise share and "
        "noise-corrected EVPI), evppi.csv (per parameter group of analysis.parameter_groups and "
        "per parameter), frontier_psa.csv (the efficient sequence with PSA percentile ICER "
        "intervals), psa_manifest.json and figures/ (CEAC, CEAF, expected loss, CE plane, "
        "EVPPI). The effect is analysis.effect (QALYs by default). Without --patients, adults "
        "per draw follow a noise rule: within-draw noise variance of incremental net benefit "
        "at most --noise-target of the between-draw variance (from 8 pilot draws). " + POINTS_NOTE,
    )
    add_point_args(p)
    p.add_argument("--draws", type=positive_int, required=True, help="parameter draws (e.g. 500)")
    p.add_argument(
        "--wtp",
        metavar="VALUES",
        help="decision WTP values, currency per unit of effect: a,b,c or lo:hi:n "
        "(default analysis.willingness_to_pay); curves use 51 steps from 0 to the largest too",
    )
    p.add_argument(
        "--noise-target",
        type=float,
        default=NOISE_TARGET,
        help=f"largest noise share the size rule aims at (default {NOISE_TARGET})",
    )
    p.add_argument("--no-evppi", action="store_true", help="skip EVPPI (faster)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.wtp is not None:
        parse_wtp(args.wtp)  # bad values are refused before anything is written
    scenario, size, store, out = point_setup(args)
    try:
        result = run_planned(
            args,
            scenario,
            size,
            store,
            draws=args.draws,
            patients=args.patients,
            budget=BUDGET,
            target=args.noise_target,
            wtp=None if args.wtp is None else parse_wtp(args.wtp),
            evppi=not args.no_evppi,
        )
    except KeyboardInterrupt as stop:
        return interrupted(store.folder, stop)
    result.write(out, extra=figure_writer(figure_specs(result), keep=out))
    if not args.quiet:
        m = result.manifest
        print_table(
            result.summary(),
            [
                "wtp",
                "best_protocol",
                "probability_cost_effective",
                "expected_net_benefit",
                "evpi_per_person",
                "population_evpi",
            ],
            title=f"PSA: {args.draws} draws x {m['patients_per_point']:,} adults "
            f"({result.stats['reused']} reused); effect {result.effect}, "
            f"{m['currency']} per person; noise share at WTP {m['reference_wtp']:,.0f}: "
            f"{m['noise_share_at_reference_wtp']:.1%}",
        )
        print(wrote(out, result, list(result.FIGURES)))
    return 0


def figure_specs(result: PsaResult) -> list[FigureSpec]:
    """CEAC, CEAF, expected loss, CE plane with ellipses, EVPPI bars (``figures/*.png``)."""
    import numpy as np

    from fupsim.plots.sensitivity import plot_ceac
    from fupsim.plots.voi import plot_ce_plane, plot_ceaf, plot_evppi, plot_expected_loss
    from fupsim.sensitivity.psa_result import EFFECT_UNITS

    m = result.manifest
    cur = str(m.get("currency", "USD"))
    unit = EFFECT_UNITS.get(result.effect, result.effect)
    order = list(m.get("protocols") or dict.fromkeys(result.table["protocol"]))
    ref_wtp = m.get("reference_wtp")
    curves = result.ceac.merge(result.tables["expected_loss.csv"], on=["wtp", "protocol"])
    curves = curves.rename(columns={"protocol": "option"})
    ev = result.tables["evppi.csv"]
    plots: list[FigureSpec] = [
        ("ceac.png", plot_ceac, result.ceac, {"order": order, "currency": cur}),
        ("ceaf.png", plot_ceaf, curves, {"currency": cur, "effect_unit": unit}),
        ("expected_loss.png", plot_expected_loss, curves, {"currency": cur, "effect_unit": unit}),
        (
            "ce_plane.png",
            plot_ce_plane,
            result.table,
            {
                "reference": m.get("reference_protocol"),
                "effect": result.effect,
                "currency": cur,
                "effect_unit": unit,
                "wtp": ref_wtp,
            },
        ),
    ]
    if len(ev):
        levels = np.unique(ev["wtp"].astype(float))
        at_w = float(levels[np.argmin(np.abs(levels - float(ref_wtp or levels[-1])))])
        named = list(m.get("parameter_groups") or [])
        at = ev[ev["wtp"].astype(float) == at_w]
        top = at.sort_values("evppi_per_person", ascending=False)
        keep = set(named) | set(top["group"].head(12))
        plots.append(
            (
                "evppi.png",
                plot_evppi,
                ev[ev["group"].isin(keep)],
                {"wtp": at_w, "currency": cur, "effect_unit": unit, "figsize": (7.5, 5.6)},
            )
        )
    return plots
