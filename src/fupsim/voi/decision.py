"""Decision quantities from a probabilistic analysis: net benefit, EVPI, CEAF, expected loss.

Every function works on a net-benefit cube ``nb`` of shape (draws, options, wtp): the net
monetary benefit per person (currency) of each option in each PSA draw at each
willingness-to-pay (WTP) value, as :func:`net_benefit` builds it. The functions are pure and
vectorised; :func:`decision_table` and :func:`curves_table` label the results for a report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "NOISE_SHARE_FLAG",
    "Frontier",
    "NoiseCheck",
    "acceptability",
    "ceaf",
    "curves_table",
    "decision_table",
    "evpi",
    "expected_loss",
    "net_benefit",
    "noise_check",
    "wtp_values",
]

NOISE_SHARE_FLAG = 0.1
"""Noise share (within-draw / between-draw variance of incremental net benefit) above which
EVPI is flagged as inflated by Monte Carlo noise."""


class Frontier(NamedTuple):
    """The cost-effectiveness acceptability frontier at each WTP value."""

    option: np.ndarray
    """Index of the option with the highest expected net benefit (int, one per WTP)."""
    probability: np.ndarray
    """Probability that this option has the highest net benefit (share of draws)."""


class NoiseCheck(NamedTuple):
    """Within-draw Monte Carlo noise against between-draw (parameter) variation, per WTP."""

    share: np.ndarray
    """Largest over options of within-draw / between-draw variance of incremental NB."""
    evpi: np.ndarray
    """EVPI from the noisy draws, currency per person."""
    evpi_corrected: np.ndarray
    """EVPI after shrinking each option's incremental NB to its noise-free spread."""
    flagged: np.ndarray
    """``share > NOISE_SHARE_FLAG``."""


def wtp_values(wtp: npt.ArrayLike) -> np.ndarray:
    """Validated WTP values: one-dimensional, finite, ≥ 0 and strictly increasing."""
    w = np.atleast_1d(np.asarray(wtp, dtype=float))
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"wtp: give one or more values in a flat sequence (shape {w.shape})")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"wtp={w.tolist()!r}: values must be finite and at least 0")
    if (np.diff(w) <= 0).any():
        raise ValueError(f"wtp={w.tolist()!r}: values must be strictly increasing")
    return w


def _matrix(values: npt.ArrayLike, name: str) -> np.ndarray:
    """A finite (draws, options) matrix."""
    m = np.asarray(values, dtype=float)
    if m.ndim != 2 or 0 in m.shape:
        raise ValueError(f"{name}: need a (draws, options) array, got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name}: contains values that are not finite")
    return m


def cube(nb: npt.ArrayLike, name: str = "nb") -> np.ndarray:
    """A finite (draws, options, wtp) net-benefit array."""
    c = np.asarray(nb, dtype=float)
    if c.ndim != 3 or 0 in c.shape:
        raise ValueError(f"{name}: need a (draws, options, wtp) array, got shape {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError(f"{name}: contains values that are not finite")
    return c


def net_benefit(costs: npt.ArrayLike, effects: npt.ArrayLike, wtp: npt.ArrayLike) -> np.ndarray:
    """Net monetary benefit ``wtp * effect - cost`` of every option in every draw.

    Parameters
    ----------
    costs : array_like, shape (draws, options)
        Cost per person, currency.
    effects : array_like, shape (draws, options)
        Effect per person (e.g. QALYs).
    wtp : array_like, shape (wtp,)
        Willingness to pay per unit of effect, currency; strictly increasing, ≥ 0.

    Returns
    -------
    ndarray, shape (draws, options, wtp)
        Net monetary benefit per person, currency.

    Examples
    --------
    >>> net_benefit([[10.0, 30.0]], [[0.0, 0.001]], [0, 50_000])[0]
    array([[-10., -10.],
           [-30.,  20.]])
    """
    c, e = _matrix(costs, "costs"), _matrix(effects, "effects")
    if c.shape != e.shape:
        raise ValueError(f"effects: shape {e.shape} differs from costs {c.shape}")
    w = wtp_values(wtp)
    return w[None, None, :] * e[:, :, None] - c[:, :, None]


def evpi(nb: npt.ArrayLike) -> np.ndarray:
    """Expected value of perfect information per person at each WTP.

    ``EVPI = mean over draws of max_j NB_j - max_j mean over draws of NB_j``.

    Parameters
    ----------
    nb : array_like, shape (draws, options, wtp)
        Net benefit per person, currency.

    Returns
    -------
    ndarray, shape (wtp,)
        EVPI, currency per person (≥ 0).
    """
    c = cube(nb)
    return np.maximum(c.max(axis=1).mean(axis=0) - c.mean(axis=0).max(axis=0), 0.0)


def acceptability(nb: npt.ArrayLike) -> np.ndarray:
    """Probability that each option has the highest net benefit (the CEAC).

    A tie shares its draw equally among the tied options.

    Returns
    -------
    ndarray, shape (options, wtp)
        Probabilities (share of draws); each column sums to 1.
    """
    c = cube(nb)
    best = c == c.max(axis=1, keepdims=True)
    return (best / best.sum(axis=1, keepdims=True)).mean(axis=0)


def ceaf(nb: npt.ArrayLike) -> Frontier:
    """Cost-effectiveness acceptability frontier.

    At each WTP, the option with the highest **expected** net benefit (the decision under
    current information) and the probability that it is optimal. This can differ from the
    option most often optimal, whose probability the CEAC would show highest.

    Parameters
    ----------
    nb : array_like, shape (draws, options, wtp)
        Net benefit per person, currency.

    Returns
    -------
    Frontier
        ``option`` (index, first on ties) and ``probability`` per WTP.
    """
    c = cube(nb)
    option = c.mean(axis=0).argmax(axis=0)
    prob = acceptability(c)[option, np.arange(c.shape[2])]
    return Frontier(option=option, probability=prob)


def expected_loss(nb: npt.ArrayLike) -> np.ndarray:
    """Expected loss of choosing each option: ``E[max_j NB_j - NB_option]``.

    The lowest expected loss at each WTP belongs to the frontier option and equals the EVPI.

    Returns
    -------
    ndarray, shape (options, wtp)
        Expected loss, currency per person (≥ 0).
    """
    c = cube(nb)
    return (c.max(axis=1, keepdims=True) - c).mean(axis=0)


def noise_check(nb: npt.ArrayLike, noise_var: npt.ArrayLike, *, reference: int = 0) -> NoiseCheck:
    """Share of Monte Carlo noise in incremental net benefit, and EVPI corrected for it.

    Each PSA draw simulates a finite cohort, so its net benefit carries within-draw noise on
    top of the parameter-driven (between-draw) variation; noise inflates EVPI because the
    maximum of noisy values is biased upwards. For each option ``j`` the noise share is
    ``mean over draws of noise_var / variance over draws of (NB_j - NB_reference)``. The
    correction shrinks each option's deviations of incremental NB from their mean by
    ``sqrt(1 - share_j)``, so that their spread is the noise-free spread, and recomputes
    EVPI. This is exact when incremental NB is normal with independent normal noise (the
    shrunken draws then have the noise-free distribution) and a moment approximation
    otherwise; it keeps the observed correlations between options, which noise dilutes.
    Regression-based EVPPI needs no such correction: the regression averages noise out.

    Parameters
    ----------
    nb : array_like, shape (draws, options, wtp)
        Net benefit per person, currency.
    noise_var : array_like
        Within-draw variance (currency²) of each option's NB minus the reference option's,
        e.g. the squared Monte Carlo standard error of the paired difference; broadcastable
        to ``nb``'s shape. The reference option's entries are ignored.
    reference : int
        Index of the reference option.

    Returns
    -------
    NoiseCheck
    """
    c = cube(nb)
    if not 0 <= reference < c.shape[1]:
        raise ValueError(f"reference={reference}: not an option index (0 to {c.shape[1] - 1})")
    try:
        v = np.broadcast_to(np.asarray(noise_var, dtype=float), c.shape)
    except ValueError:
        raise ValueError(
            f"noise_var: shape {np.shape(noise_var)} does not broadcast to {c.shape}"
        ) from None
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("noise_var: variances must be finite and at least 0")
    inb = c - c[:, [reference], :]
    within = v.mean(axis=0)
    between = inb.var(axis=0, ddof=1) if c.shape[0] > 1 else np.zeros(within.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(between > 0, within / between, np.where(within > 0, np.inf, 0.0))
    share[reference] = 0.0
    shrink = np.sqrt(np.clip(1.0 - share, 0.0, 1.0))
    mean = inb.mean(axis=0, keepdims=True)
    corrected = evpi(mean + (inb - mean) * shrink[None])
    worst = share.max(axis=0)
    return NoiseCheck(
        share=worst, evpi=evpi(c), evpi_corrected=corrected, flagged=worst > NOISE_SHARE_FLAG
    )


def _labels(options: Sequence[object] | None, n: int) -> list[object]:
    if options is None:
        return list(range(n))
    labels = list(options)
    if len(labels) != n:
        raise ValueError(f"options: {len(labels)} names for {n} options")
    return labels


def decision_table(
    nb: npt.ArrayLike,
    wtp: npt.ArrayLike,
    options: Sequence[object] | None = None,
    *,
    noise_var: npt.ArrayLike | None = None,
    reference: int = 0,
    population: float | None = None,
) -> pd.DataFrame:
    """The decision headline at each WTP value.

    Parameters
    ----------
    nb : array_like, shape (draws, options, wtp)
        Net benefit per person, currency.
    wtp : array_like, shape (wtp,)
        The WTP values of ``nb``'s last axis, currency per unit of effect.
    options : sequence, optional
        Option names (default: their indices).
    noise_var : array_like, optional
        Within-draw noise variance of incremental NB (see :func:`noise_check`); adds
        ``noise_share``, ``evpi_corrected`` and ``noise_flag``.
    reference : int
        Reference option for ``noise_var``.
    population : float, optional
        People affected over the decision horizon, discounted (:func:`population_factor`);
        adds ``population_evpi`` (currency).

    Returns
    -------
    DataFrame
        One row per WTP: ``wtp``; ``option`` (highest expected net benefit);
        ``probability_cost_effective`` (share of draws in which it is optimal);
        ``expected_net_benefit`` with ``net_benefit_lower`` and ``net_benefit_upper`` (2.5th
        and 97.5th percentiles over draws: parameter uncertainty, currency per person);
        ``evpi`` (currency per person).
    """
    c = cube(nb)
    w = wtp_values(wtp)
    if len(w) != c.shape[2]:
        raise ValueError(f"wtp: {len(w)} values for a net-benefit array with {c.shape[2]}")
    names = _labels(options, c.shape[1])
    front = ceaf(c)
    chosen = c[:, front.option, np.arange(len(w))]
    lower, upper = np.percentile(chosen, [2.5, 97.5], axis=0)
    out = pd.DataFrame(
        {
            "wtp": w,
            "option": [names[i] for i in front.option],
            "probability_cost_effective": front.probability,
            "expected_net_benefit": chosen.mean(axis=0),
            "net_benefit_lower": lower,
            "net_benefit_upper": upper,
            "evpi": evpi(c),
        }
    )
    if noise_var is not None:
        check = noise_check(c, noise_var, reference=reference)
        out["noise_share"] = check.share
        out["evpi_corrected"] = check.evpi_corrected
        out["noise_flag"] = check.flagged
    if population is not None:
        if not np.isfinite(population) or population < 0:
            raise ValueError(f"population={population!r}: must be a finite number ≥ 0")
        out["population_evpi"] = out["evpi"] * float(population)
    return out


def curves_table(
    nb: npt.ArrayLike, wtp: npt.ArrayLike, options: Sequence[object] | None = None
) -> pd.DataFrame:
    """Per-option curves over WTP: acceptability, expected loss, frontier membership.

    Returns
    -------
    DataFrame
        One row per (WTP, option): ``wtp``, ``option``, ``expected_net_benefit`` (currency
        per person), ``probability`` (CEAC), ``expected_loss`` (currency per person) and
        ``on_frontier`` (the option with the highest expected net benefit at that WTP).
    """
    c = cube(nb)
    w = wtp_values(wtp)
    if len(w) != c.shape[2]:
        raise ValueError(f"wtp: {len(w)} values for a net-benefit array with {c.shape[2]}")
    names = _labels(options, c.shape[1])
    k = c.shape[1]
    front = ceaf(c).option
    return pd.DataFrame(
        {
            "wtp": np.repeat(w, k),
            "option": names * len(w),
            "expected_net_benefit": c.mean(axis=0).T.ravel(),
            "probability": acceptability(c).T.ravel(),
            "expected_loss": expected_loss(c).T.ravel(),
            "on_frontier": (np.arange(k)[None, :] == front[:, None]).ravel(),
        }
    )
