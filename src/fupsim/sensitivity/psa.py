"""Probabilistic sensitivity analysis: draw uncertain parameters, simulate, CEAC and EVPI.

Every parameter whose ``[uncertainty."key"]`` table has a ``psa`` distribution is drawn once
per draw (a Dirichlet replaces a whole table of shares). Draw ``i`` comes from its own
generator, ``SeedSequence(seed, spawn_key=(PSA_STREAM, i))``, so its values do not depend on
how many draws are made, and a larger run extends a smaller one. All protocols are simulated
per draw against the same simulated people (common random numbers), and every draw uses the
same simulation seed.

Net benefit uses the scenario's willingness-to-pay values and, as effect, screen-detected
changes per patient (or interval cases averted per patient when ``[sweep] effect`` says so).
The acceptability curve is the **probability that each protocol has the highest net
benefit**; EVPI is the expected value of perfect information per patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fupsim.distributions import Dirichlet
from fupsim.economics import ceac, evpi
from fupsim.scenario import Scenario, ScenarioError
from fupsim.sensitivity.grid import build_points, check_points
from fupsim.sensitivity.runner import PointSize, PointStore, run_points

__all__ = [
    "EFFECTS",
    "PSA_STREAM",
    "PsaResult",
    "add_effect",
    "draw_overrides",
    "draw_parameters",
    "effect_column",
    "mark_frontier",
    "psa",
    "psa_table",
]

PSA_STREAM = 0x505341
"""First spawn-key element of the PSA parameter streams (replicates use one-element keys)."""

EFFECTS = ("screen_detected_per_patient", "interval_cases_averted_per_patient")
"""Effects net benefit can use. Screen-detected changes per person; or interval cases averted
per person, against the protocol with the most interval cases at the same point (usually
no follow-up). A reference that is the same for every protocol of a point leaves the
preferred protocol, the acceptability curve and EVPI unchanged."""


def effect_column(scenario: Scenario) -> str:
    """The effect used for net benefit: ``[sweep] effect`` or screen-detected per patient."""
    return scenario.sweep.effect if scenario.sweep is not None else "screen_detected_per_patient"


def add_effect(summary: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Add the per-person effect column to one point's summary (one row per protocol)."""
    out = summary.copy()
    if effect == "screen_detected_per_patient":
        out[effect] = out["screen_detected_per_1000"] / 1000.0
    elif effect == "interval_cases_averted_per_patient":
        interval = out["interval_cases_per_1000"]
        out[effect] = (interval.max() - interval) / 1000.0
    else:
        raise ScenarioError(f"sweep.effect = {effect!r}: not one of {', '.join(EFFECTS)}")
    return out


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
        raise ScenarioError(f"--draws {draws}: must be at least 1")
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


def mark_frontier(acc: pd.DataFrame, table: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Add ``on_frontier``: the protocol with the highest *expected* net benefit at each WTP.

    This is the acceptability frontier; it can differ from the protocol most often best.
    """
    means = table.groupby("protocol", sort=False)[["cost_per_patient", effect]].mean()
    best = {}
    for w in acc["wtp"].unique():
        nmb = w * means[effect] - means["cost_per_patient"]
        best[w] = nmb.idxmax()
    out = acc.copy()
    out["on_frontier"] = [best[w] == p for w, p in zip(out["wtp"], out["protocol"], strict=True)]
    return out


@dataclass(frozen=True)
class PsaResult:
    """A finished PSA: per-draw table, acceptability, EVPI and run statistics."""

    table: pd.DataFrame
    ceac: pd.DataFrame
    evpi: pd.DataFrame
    effect: str
    stats: dict[str, Any] = field(default_factory=dict)


def psa_table(params: pd.DataFrame, summaries: Sequence[pd.DataFrame], effect: str) -> pd.DataFrame:
    """Per-draw table: ``draw, protocol, cost_per_patient, …`` and the drawn values."""
    frames = []
    for i, summary in enumerate(summaries):
        frames.append(add_effect(summary, effect).assign(draw=int(params["draw"].iloc[i])))
    table = pd.concat(frames, ignore_index=True)
    first = ["draw", "protocol", "cost_per_patient", "screen_detected_per_1000", effect]
    rest = [c for c in table.columns if c not in first]
    return table[first + rest].merge(params, on="draw", how="left")


def psa(
    scenario: Scenario,
    draws: int,
    size: PointSize,
    store: PointStore,
    *,
    wtp: Sequence[float] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> PsaResult:
    """Run a probabilistic sensitivity analysis.

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
        Willingness to pay per unit of effect (default ``analysis.willingness_to_pay``).
    workers, scheduler, progress
        As in :func:`fupsim.experiment.map_tasks`.

    Returns
    -------
    PsaResult
    """
    values = list(scenario.analysis.willingness_to_pay if wtp is None else wtp)
    if not values:
        raise ScenarioError("analysis.willingness_to_pay: empty; give at least one value")
    check_points(scenario, draws, size, f"--draws {draws:,}")
    params = draw_parameters(scenario, draws, size.seed)
    points = build_points(scenario, draw_overrides(scenario, params), "psa draw")
    result = run_points(
        points, size, store, workers=workers, scheduler=scheduler, progress=progress, desc="psa"
    )
    effect = effect_column(scenario)
    table = psa_table(params, result.summaries, effect)
    acc = mark_frontier(ceac(table, values, effect=effect), table, effect)
    info = evpi(table, values, effect=effect)
    return PsaResult(table=table, ceac=acc, evpi=info, effect=effect, stats=result.stats)
