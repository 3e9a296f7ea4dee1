"""Tables from a PSA table: incremental net benefit of the decision, EVPPI per group and WTP.

:func:`incremental_decision` states the decision at each WTP as the preferred protocol's
incremental net benefit over a comparator (:func:`comparator`: the reference protocol, else
no follow-up, else the cheapest) with its PSA percentile interval; absolute net benefit per
person is dominated by the lifetime effect everyone shares, so differences are what a reader
needs. The population value is the per-person value × the people a decision affects over its
horizon, discounted (:func:`population_factor`): the number a research funder compares with
the cost of a study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from fupsim.voi.decision import ceaf, net_benefit, wtp_values
from fupsim.voi.partial import evppi

__all__ = [
    "EVPPI_COLUMNS",
    "INCREMENTAL_COLUMNS",
    "PsaArrays",
    "comparator",
    "evppi_table",
    "incremental_decision",
    "population_factor",
    "psa_arrays",
]

EVPPI_COLUMNS = ("wtp", "group", "evppi_per_person", "se", "population_evppi", "method")
"""Columns of :func:`evppi_table`: WTP (currency per unit of effect), group name, EVPPI
(currency per person), its standard error, EVPPI for the population (currency), smoother."""


INCREMENTAL_COLUMNS = (
    "wtp",
    "best_protocol",
    "comparator",
    "incremental_net_benefit",
    "incremental_net_benefit_p2_5",
    "incremental_net_benefit_p97_5",
)
"""Columns of :func:`incremental_decision`: WTP (currency per unit of effect), the protocol
with the highest expected net benefit, the comparator, and the mean over draws of the
preferred protocol's net benefit minus the comparator's with its 2.5th and 97.5th
percentiles over draws (parameter uncertainty), currency per person."""


def population_factor(per_year: float, years: float, rate: float) -> float:
    """People affected by a decision over its horizon, discounted to the present.

    ``sum over t = 0, …, T-1 of N / (1 + r)^t`` for whole years (the first year's people are
    not discounted); a fractional last year ``f`` adds ``f × N / (1 + r)^floor(T)``.

    Parameters
    ----------
    per_year : float
        People with a new finding each year (``analysis.population_per_year``), ≥ 0.
    years : float
        Decision horizon, years (``analysis.decision_horizon_years``), ≥ 0.
    rate : float
        Annual discount rate (0.03 = 3 %), ≥ 0.

    Returns
    -------
    float
        Discounted number of people.

    Examples
    --------
    >>> round(population_factor(1000, 3, 0.05), 4)  # 1000 + 1000/1.05 + 1000/1.05**2
    2859.4104
    """
    for name, value in (("per_year", per_year), ("years", years), ("rate", rate)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name}={value!r}: must be a finite number ≥ 0")
    whole = int(np.floor(years))
    factors = (1.0 + rate) ** -np.arange(whole, dtype=float)
    total = float(factors.sum()) + (years - whole) * (1.0 + rate) ** -whole
    return float(per_year) * total


@dataclass(frozen=True)
class PsaArrays:
    """A long PSA table as arrays: options, (draws × options) costs and effects, parameters."""

    options: list[object]
    costs: np.ndarray
    effects: np.ndarray
    params: pd.DataFrame
    """One row per draw (in the order of ``costs``), one column per requested parameter."""


def psa_arrays(
    table: pd.DataFrame,
    *,
    effect: str,
    cost: str = "cost_per_patient",
    draw: str = "draw",
    strategy: str = "protocol",
    parameters: Sequence[str] = (),
) -> PsaArrays:
    """Pivot a PSA table (one row per draw × protocol) into arrays.

    Parameters
    ----------
    table : DataFrame
        ``psa.csv``: draw, protocol, cost and effect per person, and the drawn parameters.
    effect, cost, draw, strategy : str
        Column names (effect per person; cost per person in currency).
    parameters : sequence of str
        Parameter columns to return; each must be constant within a draw.

    Returns
    -------
    PsaArrays
    """
    for arg, col in (("draw", draw), ("strategy", strategy), ("cost", cost), ("effect", effect)):
        if col not in table.columns:
            raise ValueError(f"{arg}={col!r}: not a column of the PSA table")
    missing = [p for p in parameters if p not in table.columns]
    if missing:
        raise ValueError(f"parameters: {missing} not in the PSA table")
    if table.duplicated([draw, strategy]).any():
        raise ValueError(f"{draw}/{strategy}: an option appears twice in one draw")
    options = list(dict.fromkeys(table[strategy]))
    wide = table.pivot(index=draw, columns=strategy, values=[cost, effect])
    c = wide[cost].reindex(columns=options).to_numpy(dtype=float)
    e = wide[effect].reindex(columns=options).to_numpy(dtype=float)
    if np.isnan(c).any() or np.isnan(e).any():
        raise ValueError(f"{draw}: every draw must hold every {strategy} ({options})")
    by_draw = table.groupby(draw, sort=True)
    params = by_draw[list(parameters)].first() if parameters else pd.DataFrame(index=wide.index)
    if parameters:
        varying = [p for p in parameters if (by_draw[p].nunique(dropna=False) > 1).any()]
        if varying:
            raise ValueError(f"parameters: {varying} vary within a draw; not drawn parameters")
    return PsaArrays(
        options=options,
        costs=c,
        effects=e,
        params=params.reindex(wide.index).reset_index(drop=True),
    )


def evppi_table(
    psa_table: pd.DataFrame,
    groups: Mapping[str, Sequence[str]] | Sequence[str],
    wtp: npt.ArrayLike,
    *,
    effect: str,
    population_per_year: float,
    decision_horizon_years: float,
    discount_rate: float,
    reference: object | None = None,
    method: str = "auto",
    cost: str = "cost_per_patient",
    draw: str = "draw",
    strategy: str = "protocol",
    se_samples: int = 100,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """EVPPI per person and for the population, for each group at each WTP.

    Parameters
    ----------
    psa_table : DataFrame
        One row per draw × protocol (:func:`fupsim.sensitivity.psa.psa_table`).
    groups : mapping of str to sequence of str, or sequence of str
        Group name → parameter columns; a plain list makes one group per parameter.
    wtp : array_like
        Willingness to pay per unit of effect, currency; strictly increasing.
    effect : str
        Effect column (per person).
    population_per_year, decision_horizon_years, discount_rate : float
        Population scaling (:func:`population_factor`): people per year, years, annual rate.
    reference : optional
        Reference protocol (default: the first in the table).
    method : str
        Smoother (:func:`evppi`); ``"auto"`` chooses by group size.
    cost, draw, strategy : str
        Column names.
    se_samples : int
        Posterior draws for the standard errors.
    rng : Generator or int, optional
        Randomness for the GP subsample and the standard errors.

    Returns
    -------
    DataFrame
        Columns :data:`EVPPI_COLUMNS`, one row per (WTP, group); currency throughout.
    """
    named = (
        {str(p): [str(p)] for p in groups}
        if not isinstance(groups, Mapping)
        else {str(k): list(v) for k, v in groups.items()}
    )
    if isinstance(groups, str) or not named:
        raise ValueError("groups: give a mapping of group name to parameter names, or a list")
    for name, members in named.items():
        if isinstance(members, str) or not members:
            raise ValueError(f"groups[{name!r}]: give a non-empty list of parameter names")
        unknown = [m for m in members if m not in psa_table.columns]
        if unknown:
            raise ValueError(f"groups[{name!r}]: unknown parameter(s) {unknown}")
    for arg, value in (
        ("population_per_year", population_per_year),
        ("decision_horizon_years", decision_horizon_years),
        ("discount_rate", discount_rate),
    ):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{arg}={value!r}: must be a finite number ≥ 0")
    factor = population_factor(population_per_year, decision_horizon_years, discount_rate)
    w = wtp_values(wtp)
    wanted = list(dict.fromkeys(m for members in named.values() for m in members))
    arrays = psa_arrays(
        psa_table, effect=effect, cost=cost, draw=draw, strategy=strategy, parameters=wanted
    )
    ref = 0 if reference is None else _index(arrays.options, reference)
    nb = net_benefit(arrays.costs, arrays.effects, w)
    gen = np.random.default_rng(rng)
    frames = []
    for name, members in named.items():
        res = evppi(
            nb,
            arrays.params[members].to_numpy(dtype=float),
            method=method,
            reference=ref,
            se_samples=se_samples,
            rng=gen,
        )
        frames.append(
            pd.DataFrame(
                {
                    "wtp": w,
                    "group": name,
                    "evppi_per_person": res.evppi,
                    "se": res.se,
                    "population_evppi": res.evppi * factor,
                    "method": res.method,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["wtp"], kind="stable").reset_index(drop=True)[list(EVPPI_COLUMNS)]


def _index(options: list[object], reference: object) -> int:
    """Position of the reference option."""
    if reference not in options:
        raise ValueError(f"reference={reference!r}: not one of the options {options}")
    return options.index(reference)


def comparator(
    options: Sequence[object],
    mean_costs: npt.ArrayLike,
    *,
    reference: object | None = None,
    no_follow_up: Sequence[object] = (),
) -> object:
    """The protocol that incremental net benefit is measured against.

    The scenario's reference protocol (``analysis.reference_protocol``) when it is set and
    among ``options``; else the first no-follow-up protocol among them; else the cheapest
    (lowest mean cost, the first on ties).

    Parameters
    ----------
    options : sequence
        Protocol names.
    mean_costs : array_like
        Mean cost per person of each option (currency), in the order of ``options``.
    reference : optional
        The scenario's reference protocol, or None when the scenario sets none.
    no_follow_up : sequence
        Protocols without scheduled scans.

    Examples
    --------
    >>> comparator(["a", "b", "none"], [5.0, 3.0, 0.0], no_follow_up=["none"])
    'none'
    >>> comparator(["a", "b"], [5.0, 3.0])
    'b'
    """
    names = list(options)
    costs = np.asarray(mean_costs, dtype=float)
    if costs.shape != (len(names),) or not names:
        raise ValueError(f"mean_costs: need one cost per option ({len(names)}), got {costs.shape}")
    if reference is not None and reference in names:
        return reference
    absent = next((n for n in names if n in list(no_follow_up)), None)
    return absent if absent is not None else names[int(np.argmin(costs))]


def incremental_decision(
    psa_table: pd.DataFrame,
    wtp: npt.ArrayLike,
    *,
    effect: str,
    reference: object | None = None,
    no_follow_up: Sequence[object] = (),
    cost: str = "cost_per_patient",
    draw: str = "draw",
    strategy: str = "protocol",
) -> pd.DataFrame:
    """The preferred protocol's incremental net benefit over the comparator at each WTP.

    At each WTP the preferred protocol is the one with the highest expected net benefit
    (``WTP × effect − cost`` per person, the acceptability frontier); its incremental net
    benefit in each draw is its net benefit minus the comparator's (:func:`comparator`). The
    table gives the mean over draws and the 2.5th and 97.5th percentiles (numpy's linear
    interpolation): parameter uncertainty, not simulation error. When the comparator is the
    preferred protocol the difference is 0 in every draw.

    Parameters
    ----------
    psa_table : DataFrame
        ``psa.csv``: one row per draw × protocol.
    wtp : array_like
        Willingness to pay per unit of effect, currency; strictly increasing.
    effect : str
        Effect column (per person).
    reference, no_follow_up
        Passed to :func:`comparator`.
    cost, draw, strategy : str
        Column names.

    Returns
    -------
    DataFrame
        Columns :data:`INCREMENTAL_COLUMNS`, one row per WTP; currency per person.
    """
    arrays = psa_arrays(psa_table, effect=effect, cost=cost, draw=draw, strategy=strategy)
    w = wtp_values(wtp)
    nb = net_benefit(arrays.costs, arrays.effects, w)
    best = ceaf(nb).option
    versus = comparator(
        arrays.options,
        arrays.costs.mean(axis=0),
        reference=reference,
        no_follow_up=no_follow_up,
    )
    at = np.arange(len(w))
    inb = nb[:, best, at] - nb[:, _index(arrays.options, versus), :]
    lower, upper = np.percentile(inb, [2.5, 97.5], axis=0)
    return pd.DataFrame(
        {
            "wtp": w,
            "best_protocol": [arrays.options[i] for i in best],
            "comparator": versus,
            "incremental_net_benefit": inb.mean(axis=0),
            "incremental_net_benefit_p2_5": lower,
            "incremental_net_benefit_p97_5": upper,
        }
    )[list(INCREMENTAL_COLUMNS)]
