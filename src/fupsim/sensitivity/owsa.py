"""One-way sensitivity analysis: each parameter over its range, a tornado and thresholds.

Every parameter with a ``range`` in its ``[uncertainty."key"]`` table is moved alone across
``points`` evenly spaced values from low to high (the others stay at their base values).
For each value every protocol is simulated (same seed for every point: common random
numbers) and its outcomes computed (:func:`fupsim.sensitivity.outcomes.outcome_table`: cost,
yield, effect, net monetary benefit, incremental net benefit, incremental cost per unit of
effect), in the effect ``analysis.effect`` (QALYs by default) at the reference WTP. The
default tornado outcome is incremental net benefit.

The *preferred* protocol is the one with the highest net monetary benefit at the WTP. Where
it changes between two neighbouring values of a parameter, the *threshold* is where the
net-benefit difference of the two protocols crosses zero (linear interpolation between the
two simulated values). The tornado ranks parameters by *swing*: the largest minus the
smallest value of the chosen outcome over the parameter's range.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fupsim.errors import ParameterError
from fupsim.scenario import MAX_GRID_POINTS, Scenario, get_value
from fupsim.sensitivity.outcomes import (  # re-exported: callers import them from here too
    OwsaSettings,
    outcome_table,
    owsa_parameters,
    settings_for,
)
from fupsim.sensitivity.results import OwsaResult
from fupsim.sensitivity.runner import (
    PointSize,
    PointStore,
    build_points,
    check_points,
    points_manifest,
    run_points,
)

__all__ = ["OwsaResult", "OwsaSettings", "outcome_table", "owsa", "owsa_parameters", "settings_for"]


def _levels(base: Any, lo: float, hi: float, points: int) -> list[float | int]:
    values = [float(f"{v:.12g}") for v in np.linspace(lo, hi, points)]
    if isinstance(base, int | float) and not isinstance(base, bool) and lo <= base <= hi:
        values.append(base)
    if isinstance(base, int) and not isinstance(base, bool):
        return sorted({round(v) for v in values})
    return sorted(set(values))


def _shown(value: Any) -> Any:
    """A base value for a table cell: a table of values (e.g. by lobe) as JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _threshold(values: np.ndarray, block: pd.DataFrame) -> tuple[float, str, int]:
    """First value where the preferred protocol changes, the switch, and how many changes."""
    nmb = block.pivot(index="value", columns="protocol", values="net_monetary_benefit").loc[values]
    best = nmb.idxmax(axis=1).to_numpy()
    changes = [i for i in range(len(best) - 1) if best[i] != best[i + 1]]
    if not changes:
        return np.nan, "", 0
    i = changes[0]
    a, b = best[i], best[i + 1]
    d0 = nmb[a].iloc[i] - nmb[b].iloc[i]
    d1 = nmb[a].iloc[i + 1] - nmb[b].iloc[i + 1]
    frac = d0 / (d0 - d1) if d0 != d1 else 0.5
    return float(values[i] + frac * (values[i + 1] - values[i])), f"{a} -> {b}", len(changes)


def owsa(
    scenario: Scenario,
    size: PointSize,
    store: PointStore,
    *,
    settings: OwsaSettings | None = None,
    parameters: Sequence[str] | None = None,
    points: int = 5,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> OwsaResult:
    """Run the one-way analysis over every ranged parameter (or those in ``parameters``).

    Parameters
    ----------
    scenario : Scenario
        Base parameters with ``range`` entries in ``uncertainty``.
    size : PointSize
        Seed, replications and adults per point.
    store : PointStore
        Resumable store of finished points.
    settings : OwsaSettings, optional
        Outcome, protocol, comparator, WTP (default :func:`settings_for`).
    parameters : sequence of str, optional
        Only these dotted keys.
    points : int
        Evenly spaced values from low to high per parameter (at least 2); the base value is
        added when it lies inside the range.

    Returns
    -------
    OwsaResult
    """
    started = time.perf_counter()
    if points < 2:
        raise ParameterError("points", str(points), "must be at least 2 (low and high)")
    if points > MAX_GRID_POINTS:
        raise ParameterError("points", f"{points:,}", f"at most {MAX_GRID_POINTS:,} allowed")
    settings = settings or settings_for(scenario)
    ranged = owsa_parameters(scenario, parameters)
    check_points(scenario, 1 + len(ranged) * (points + 1), size, "points", f"{points:,}")
    plan: list[tuple[str, float | int]] = [("base", np.nan)]
    overrides: list[dict[str, Any]] = [{}]
    bases = {}
    for key, (lo, hi) in ranged.items():
        bases[key] = get_value(scenario, key)
        for v in _levels(bases[key], lo, hi, points):
            plan.append((key, v))
            overrides.append({key: v})
    scenarios = build_points(scenario, overrides, "one-way point")
    run = run_points(
        scenarios, size, store, workers=workers, scheduler=scheduler, progress=progress, desc="owsa"
    )
    frames = []
    for (key, value), summary in zip(plan, run.summaries, strict=True):
        t = outcome_table(summary, settings)
        t.insert(0, "parameter", key)
        t.insert(1, "value", value)
        t.insert(2, "base_value", _shown(bases.get(key, np.nan)))
        frames.append(t)
    table = pd.concat(frames, ignore_index=True)
    base_rows = table[table["parameter"] == "base"]
    base_out = float(
        base_rows.loc[base_rows["protocol"] == settings.protocol, settings.outcome].iloc[0]
    )
    rows = []
    for key in ranged:
        block = table[table["parameter"] == key]
        mine = block[block["protocol"] == settings.protocol].set_index("value")[settings.outcome]
        values = np.array(sorted(block["value"].unique()), dtype=float)
        thr, switch, n = _threshold(values, block)
        unc = scenario.uncertainty[key]
        rows.append(
            {
                "parameter": key,
                "base_value": _shown(bases[key]),
                "low_value": values[0],
                "high_value": values[-1],
                "outcome": settings.outcome,
                "protocol": settings.protocol,
                "outcome_base": base_out,
                "outcome_at_low": float(mine.loc[values[0]]),
                "outcome_at_high": float(mine.loc[values[-1]]),
                "outcome_min": float(mine.min()),
                "outcome_max": float(mine.max()),
                "swing": float(mine.max() - mine.min()),
                "preferred_at_low": block.loc[
                    block["value"] == values[0], "preferred_protocol"
                ].iloc[0],
                "preferred_at_high": block.loc[
                    block["value"] == values[-1], "preferred_protocol"
                ].iloc[0],
                "threshold_value": thr,
                "threshold_switch": switch,
                "preference_changes": n,
                "confidence": unc.confidence or "",
                "source": unc.source or "",
            }
        )
    tornado = pd.DataFrame(rows).sort_values(
        "swing", ascending=False, na_position="last", kind="stable"
    )
    record = points_manifest(
        "owsa",
        scenario,
        size,
        sizes={"points": len(scenarios), "values_per_parameter": points},
        started=started,
        settings=settings,
        stats=run.stats,
    )
    return OwsaResult(
        table=table,
        tornado=tornado.reset_index(drop=True),
        settings=settings,
        manifest=record,
        stats=run.stats,
    )
