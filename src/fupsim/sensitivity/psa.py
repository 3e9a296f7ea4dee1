"""Probabilistic sensitivity analysis: draw uncertain parameters, simulate, CEAC and EVPI.

Every parameter whose ``[uncertainty."key"]`` table has a ``psa`` distribution is drawn once
per draw (a Dirichlet replaces a whole table of shares). Draw ``i`` comes from its own
generator, ``SeedSequence(seed, spawn_key=(PSA_STREAM, i))``, so its values do not depend on
how many draws are made, and a larger run extends a smaller one. All protocols are simulated
per draw against the same simulated people (common random numbers), and every draw uses the
same simulation seed.

Net benefit is ``WTP × effect − cost`` per person, in the effect ``analysis.effect`` chooses
(discounted QALYs by default, or life-years, or screen-detected changes). The tables derived
from the draws (decision table, acceptability curve and frontier, expected loss, EVPI with a
Monte Carlo noise check, EVPPI per parameter group, the frontier with PSA ICER intervals) are
built by :mod:`fupsim.sensitivity.psa_result`; the size rule for people per draw is in
:mod:`fupsim.sensitivity.psa_size`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fupsim import voi
from fupsim.distributions import Dirichlet
from fupsim.errors import ParameterError
from fupsim.output import manifest
from fupsim.scenario import Scenario, ScenarioError
from fupsim.sensitivity.outcomes import (
    EFFECTS,
    add_effect,
    effect_column,
    reference_wtp,
)
from fupsim.sensitivity.psa_result import PsaResult, nb_columns, psa_outputs
from fupsim.sensitivity.psa_size import NOISE_TARGET, NoiseEstimate, estimate_noise
from fupsim.sensitivity.runner import PointSize, PointStore, build_points, check_points, run_points

__all__ = [
    "EFFECTS",
    "PSA_STREAM",
    "PsaResult",
    "add_effect",
    "draw_overrides",
    "draw_parameters",
    "effect_column",
    "plan_psa",
    "psa",
    "psa_table",
    "reference_wtp",
]

PSA_STREAM = 0x505341
"""First spawn-key element of the PSA parameter streams (replicates use one-element keys)."""


def _uncertain(scenario: Scenario) -> dict[str, Any]:
    return {k: u.psa for k, u in scenario.uncertainty.items() if u.psa is not None}


def draw_parameters(scenario: Scenario, draws: int, seed: int) -> pd.DataFrame:
    """One row per draw with a column per drawn parameter (``key.share`` for a Dirichlet).

    Parameters
    ----------
    scenario : Scenario
        Parameters with ``psa`` distributions in its ``uncertainty`` tables.
    draws : int
        Number of draws.
    seed : int
        Root seed of the PSA streams.

    Raises
    ------
    ScenarioError
        If no parameter has a ``psa`` distribution, or ``draws`` < 1.
    """
    dists = _uncertain(scenario)
    if not dists:
        raise ScenarioError("uncertainty: no parameter has a psa distribution; nothing to draw")
    if draws < 1:
        raise ParameterError("draws", str(draws), "must be at least 1")
    rows = []
    for i in range(draws):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PSA_STREAM, i)))
        row: dict[str, Any] = {"draw": i}
        for key in sorted(dists):
            dist = dists[key]
            if isinstance(dist, Dirichlet):
                shares = dist.sample(rng, 1)[0]
                shares = shares / shares.sum()
                for name, value in zip(dist.alpha, shares, strict=True):
                    row[f"{key}.{name}"] = float(value)
            else:
                row[key] = float(dist.sample(rng, 1)[0])
        rows.append(row)
    return pd.DataFrame(rows)


def draw_overrides(scenario: Scenario, params: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn each row of :func:`draw_parameters` into ``with_overrides`` input."""
    dists = _uncertain(scenario)
    out = []
    for row in params.to_dict(orient="records"):
        ov: dict[str, Any] = {}
        for key, dist in dists.items():
            if isinstance(dist, Dirichlet):
                ov[key] = {name: row[f"{key}.{name}"] for name in dist.alpha}
            else:
                ov[key] = row[key]
        out.append(ov)
    return out


MIN_EVPPI_DRAWS = 20
"""Fewest draws for which EVPPI is estimated (a regression needs some draws to fit)."""


def psa_table(params: pd.DataFrame, summaries: Sequence[pd.DataFrame], effect: str) -> pd.DataFrame:
    """Per-draw table: ``draw, protocol, cost_per_patient, <effect>``, … and the drawn values."""
    frames = []
    for i, summary in enumerate(summaries):
        frames.append(add_effect(summary, effect).assign(draw=int(params["draw"].iloc[i])))
    table = pd.concat(frames, ignore_index=True)
    first = ["draw", "protocol", "cost_per_patient", effect]
    rest = [c for c in table.columns if c not in first]
    return table[first + rest].merge(params, on="draw", how="left")


def psa(
    scenario: Scenario,
    draws: int,
    size: PointSize,
    store: PointStore,
    *,
    wtp: Sequence[float] | None = None,
    noise: NoiseEstimate | None = None,
    evppi: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> PsaResult:
    """Run a probabilistic sensitivity analysis and derive its decision tables.

    Parameters
    ----------
    scenario : Scenario
        Base parameters; those with a ``psa`` distribution are drawn.
    draws : int
        Number of parameter draws (each simulates every protocol).
    size : PointSize
        Seed (for both the draws and the simulation), replications and adults per draw.
    store : PointStore
        Resumable store of finished draws.
    wtp : sequence of float, optional
        Decision WTP values, currency per unit of effect, strictly increasing (default
        ``analysis.willingness_to_pay``); the curves use 51 even steps from 0 to the largest
        plus these values.
    noise : NoiseEstimate, optional
        Per-person Monte Carlo noise (:func:`fupsim.sensitivity.psa_size.estimate_noise`);
        adds the noise share and noise-corrected EVPI.
    evppi : bool
        Estimate EVPPI for ``analysis.parameter_groups`` and every drawn parameter.
    workers, scheduler, progress
        As in :func:`fupsim.experiment.map_tasks`.
    extra : dict, optional
        Further facts for the manifest (e.g. why this size was chosen).

    Returns
    -------
    PsaResult
    """
    an = scenario.analysis
    values = [float(v) for v in (an.willingness_to_pay if wtp is None else wtp)]
    try:
        voi.decision.wtp_values(values)
    except ValueError as err:
        raise ParameterError("wtp", "", str(err)) from None
    effect = effect_column(scenario)
    check_points(scenario, draws, size, "draws", f"{draws:,}")
    clock = time.perf_counter()
    params = draw_parameters(scenario, draws, size.seed)
    points = build_points(scenario, draw_overrides(scenario, params), "psa draw")
    phases = {"draw_and_validate": time.perf_counter() - clock}
    run = run_points(
        points, size, store, workers=workers, scheduler=scheduler, progress=progress, desc="psa"
    )
    clock = time.perf_counter()
    table = psa_table(params, run.summaries, effect)
    names = scenario.protocol_names
    reference = an.reference_protocol or names[0]
    population = (
        None
        if an.population_per_year is None
        else voi.population_factor(
            an.population_per_year, an.decision_horizon_years, scenario.costs.discount_rate
        )
    )
    people = float(table.groupby("protocol")["patients"].first().iloc[0]) * size.replications
    per_person = None
    if noise is not None:
        if noise.reference != reference:
            raise ValueError(f"noise: against {noise.reference!r}, not {reference!r}")
        per_person = noise.per_person[[noise.protocols.index(p) for p in names]]
    tables = psa_outputs(
        table,
        effect=effect,
        decision_wtp=values,
        reference=reference,
        noise_per_person=per_person,
        people_per_draw=people,
        population=population,
        groups=an.parameter_groups if evppi and draws >= MIN_EVPPI_DRAWS else {},
        parameters=sorted(_uncertain(scenario)) if evppi and draws >= MIN_EVPPI_DRAWS else (),
        evppi_options={"rng": size.seed},
        workers=workers if scheduler is None else 1,
        comparator_reference=an.reference_protocol,
        no_follow_up=[
            p.name
            for p in scenario.protocol
            if not p.visit_months(scenario.simulation.horizon_months)
        ],
    )
    phases["tables"] = time.perf_counter() - clock
    stats = {**run.stats, "phase_seconds": phases}
    ref_w = reference_wtp(scenario)
    record = manifest(
        "psa",
        scenario.resolved(),
        seed=size.seed,
        sizes={
            "draws": draws,
            "replications_per_point": size.replications,
            "patients_per_point": size.patients,
            "people_per_draw": people,
        },
        effect=effect,
        effect_choice=an.effect,
        wtp=values,
        curve_wtp_points=int(tables["ceac.csv"]["wtp"].nunique()),
        reference_protocol=reference,
        reference_wtp=ref_w,
        currency=scenario.costs.currency,
        price_year=scenario.costs.year,
        protocols=names,
        parameter_groups={k: list(v) for k, v in an.parameter_groups.items()},
        population_per_year=an.population_per_year,
        decision_horizon_years=an.decision_horizon_years,
        population_factor=population,
        noise=None if noise is None else noise.record(),
        noise_share_at_reference_wtp=None if noise is None else noise.share(people),
        stats=stats,
        **(extra or {}),
    )
    return PsaResult(
        table=nb_columns(table, effect, values),
        tables=tables,
        effect=effect,
        manifest=record,
        stats=stats,
    )


PILOT_DRAWS = 8
"""Pilot draws of the size rule (the first draws of the PSA itself)."""
PILOT_PATIENTS = 2000
"""Adults per pilot draw."""


def plan_psa(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    replications: int = 1,
    patients: int | None = None,
    target: float = NOISE_TARGET,
    budget: int | None = None,
    min_patients: int = 1000,
) -> tuple[int, NoiseEstimate, dict[str, Any]]:
    """Adults per draw by the noise rule (:mod:`fupsim.sensitivity.psa_size`), and why.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose PSA is planned.
    draws : int
        Planned parameter draws.
    seed : int
        The PSA's seed (pilot draws are its first draws, simulated with this seed).
    replications : int
        Replicates per draw.
    patients : int, optional
        A fixed size (the rule then only reports the noise share it gives).
    target : float
        Largest within-draw / between-draw variance share of incremental net benefit.
    budget : int, optional
        Most adults × replicates × draws to simulate; caps the rule's size.
    min_patients : int
        Fewest adults per draw the rule chooses.

    Returns
    -------
    (int, NoiseEstimate, dict)
        Adults per replicate per draw, the noise estimate, and a JSON-ready record of the
        choice (``rule_patients``, ``chosen_patients``, ``capped_by_budget``,
        ``expected_noise_share``, ``target``).
    """
    names = scenario.protocol_names
    reference = scenario.analysis.reference_protocol or names[0]
    k = min(PILOT_DRAWS, max(3, draws))
    params = draw_parameters(scenario, k, seed)
    variants = build_points(scenario, draw_overrides(scenario, params), "psa pilot draw")
    noise = estimate_noise(
        variants,
        effect=effect_column(scenario),
        wtp=reference_wtp(scenario),
        reference=reference,
        patients=PILOT_PATIENTS,
        seed=seed,
    )
    rule = noise.patients_for(target, replications)
    capped = False
    if patients is None:
        chosen = max(min_patients, rule)
        if budget is not None and chosen * replications * draws > budget:
            chosen = max(min_patients, budget // (replications * draws))
            capped = True
    else:
        chosen = patients
    people = chosen * replications * noise.people_per_patient
    why = {
        "rule": "people per draw so that within-draw noise variance of incremental net benefit "
        f"is at most {target:.0%} of the between-draw variance at the reference WTP",
        "target": target,
        "rule_patients": rule,
        "chosen_patients": chosen,
        "given_patients": patients,
        "capped_by_budget": capped,
        "budget_patient_draws": budget,
        "expected_noise_share": noise.share(people),
    }
    return chosen, noise, why
