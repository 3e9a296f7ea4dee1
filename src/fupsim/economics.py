"""Health economics: discounting, ICERs with dominance, net monetary benefit, CEAC and EVPI.

Costs are per patient in the scenario's currency and price year; the effect is screen-detected
relevant changes per patient, so an ICER is the extra cost per additional screen-detected
change and a willingness-to-pay (WTP) value is in currency per screen-detected change.

Dominance rules (:func:`icer_table`):

- strategies are ordered by cost, ties in cost by effect (higher first), then input order;
- a strategy is **dominated** when another costs no more and achieves at least as much, one of
  the two strictly (an exact duplicate of an earlier strategy is dominated by it);
- among the rest, a strategy is **extendedly dominated** when its ICER against the previous
  remaining strategy exceeds the ICER of the next one against it (a mix of its neighbours
  would do better); removal is repeated until ICERs rise along the frontier;
- the remaining strategies form the **frontier**; each non-first one carries its ICER against
  the previous frontier strategy. Every other strategy is compared with the most costly
  frontier strategy that costs no more than it (its ICER is left empty).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from fupsim.scenario import DAYS_PER_MONTH, discount_factor_days

__all__ = [
    "STATUSES",
    "discount_factor_months",
    "icer_table",
    "net_monetary_benefit",
    "nmb_column",
]

STATUSES = ("frontier", "dominated", "extendedly dominated")


def discount_factor_months(time_months: npt.ArrayLike, rate_per_year: float) -> np.ndarray:
    """Continuous-time discount factor ``(1 + r) ** (-t / 12)``, the model's own convention.

    Parameters
    ----------
    time_months : array_like
        Time of the cost after the index scan, months (any real value ≥ 0).
    rate_per_year : float
        Annual discount rate (0.03 = 3% per year); ``ln(1 + r)`` is the continuous rate.

    Returns
    -------
    ndarray
        Factor in (0, 1] by which a cost at that time is multiplied (the engine's factor:
        :func:`fupsim.scenario.discount_factor_days` on days).
    """
    if not np.isfinite(rate_per_year) or rate_per_year <= -1:
        raise ValueError(f"rate_per_year={rate_per_year!r}: must be a finite number above -1")
    t = np.asarray(time_months, dtype=float)
    return np.asarray(discount_factor_days(t * DAYS_PER_MONTH, rate_per_year))


def net_monetary_benefit(cost: npt.ArrayLike, effect: npt.ArrayLike, wtp: float) -> np.ndarray:
    """Net monetary benefit ``wtp * effect - cost``, elementwise.

    Parameters
    ----------
    cost : array_like
        Cost per patient, currency.
    effect : array_like
        Screen-detected changes per patient.
    wtp : float
        Willingness to pay per screen-detected change, currency.

    Returns
    -------
    ndarray
        Net monetary benefit per patient, currency.
    """
    return float(wtp) * np.asarray(effect, dtype=float) - np.asarray(cost, dtype=float)


def nmb_column(wtp: float) -> str:
    """Column name for the net monetary benefit at one WTP value, e.g. ``nmb_1000``."""
    w = float(wtp)
    return f"nmb_{int(w)}" if w.is_integer() else f"nmb_{w!r}"


def _effect_column(frame: pd.DataFrame, effect: str) -> pd.Series:
    """The effect column; ``x_per_patient`` is derived from ``x_per_1000`` when only that exists."""
    if effect in frame.columns:
        return frame[effect].astype(float)
    if effect.endswith("_per_patient"):
        alt = effect.removesuffix("_per_patient") + "_per_1000"
        if alt in frame.columns:
            return frame[alt].astype(float) / 1000.0
    raise ValueError(f"effect column {effect!r}: not in the table (columns: {list(frame.columns)})")


def _checked(frame: pd.DataFrame, strategy: str, cost: str, effect: str) -> pd.DataFrame:
    """Strategy, cost and effect columns as a clean three-column frame."""
    for name in (strategy, cost):
        if name not in frame.columns:
            raise ValueError(f"column {name!r}: not in the table (columns: {list(frame.columns)})")
    out = pd.DataFrame(
        {
            strategy: frame[strategy].to_numpy(),
            "cost": frame[cost].astype(float).to_numpy(),
            "effect": _effect_column(frame, effect).to_numpy(),
        }
    )
    bad = ~np.isfinite(out[["cost", "effect"]].to_numpy()).all(axis=1)
    if bad.any():
        who = out.loc[bad, strategy].tolist()
        raise ValueError(f"{cost}/{effect}: not finite for {strategy} {who}")
    return out


def _frontier(cost: np.ndarray, effect: np.ndarray) -> list[str]:
    """Status of each strategy; inputs are already sorted by cost, then effect descending."""
    n = len(cost)
    status = ["frontier"] * n
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            no_worse = cost[j] <= cost[i] and effect[j] >= effect[i]
            strictly = cost[j] < cost[i] or effect[j] > effect[i]
            if no_worse and (strictly or j < i):
                status[i] = "dominated"
                break
    keep = [i for i in range(n) if status[i] == "frontier"]
    changed = True
    while changed and len(keep) > 2:
        changed = False
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in itertools.pairwise(keep)]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                status[keep[k + 1]] = "extendedly dominated"
                del keep[k + 1]
                changed = True
                break
    return status


def icer_table(
    frame: pd.DataFrame,
    *,
    strategy: str = "protocol",
    cost: str = "cost_per_patient",
    effect: str = "screen_detected_per_patient",
    wtp: Sequence[float] = (),
) -> pd.DataFrame:
    """Incremental cost-effectiveness table with strong and extended dominance.

    Parameters
    ----------
    frame : DataFrame
        One row per strategy (e.g. ``summary.csv``). If ``effect`` ends in ``_per_patient`` and
        is missing, it is derived from the matching ``_per_1000`` column.
    strategy, cost, effect : str
        Column names: strategy label; cost per patient (currency); effect per patient
        (screen-detected changes).
    wtp : sequence of float
        Willingness-to-pay values, currency per screen-detected change; one ``nmb_<wtp>``
        column each.

    Returns
    -------
    DataFrame
        One row per strategy, ordered by cost: ``strategy``, ``cost``, ``effect`` (named as the
        inputs), ``incremental_cost`` (currency per patient), ``incremental_effect``
        (screen-detected per patient), ``icer`` (currency per additional screen-detected
        change; frontier strategies only), ``status`` (see :data:`STATUSES`),
        ``compared_with``, and ``nmb_<wtp>`` (currency per patient).
    """
    data = _checked(frame, strategy, cost, effect)
    if len(data) == 0:
        raise ValueError(f"{strategy}: the table has no strategies")
    if data[strategy].duplicated().any():
        dup = data.loc[data[strategy].duplicated(), strategy].tolist()
        raise ValueError(f"{strategy}: repeated names {dup}; give one row per strategy")
    data["_order"] = np.arange(len(data))
    data = data.sort_values(["cost", "effect", "_order"], ascending=[True, False, True])
    data = data.reset_index(drop=True)
    c, e = data["cost"].to_numpy(), data["effect"].to_numpy()
    status = _frontier(c, e)
    names = data[strategy].tolist()
    inc_c = np.full(len(data), np.nan)
    inc_e = np.full(len(data), np.nan)
    icer = np.full(len(data), np.nan)
    ref: list[object] = [None] * len(data)
    frontier = [i for i, s in enumerate(status) if s == "frontier"]
    for i in range(len(data)):
        earlier = [f for f in frontier if f < i]  # sorted by cost: these cost no more
        if not earlier:
            continue
        r = earlier[-1]
        ref[i] = names[r]
        inc_c[i], inc_e[i] = c[i] - c[r], e[i] - e[r]
        if status[i] == "frontier":
            icer[i] = inc_c[i] / inc_e[i]
    out = pd.DataFrame(
        {
            strategy: names,
            cost: c,
            effect: e,
            "incremental_cost": inc_c,
            "incremental_effect": inc_e,
            "icer": icer,
            "status": status,
            "compared_with": ref,
        }
    )
    for w in wtp:
        out[nmb_column(w)] = net_monetary_benefit(c, e, w)
    return out
