"""Selection under noise: paired net benefit, Kim–Nelson screening, probability of best.

Net benefit per person at willingness to pay ``w`` is ``NB = (w·E − C) / N`` over the units
(replicate × batch of patients) a candidate was played on; every candidate shares the units,
so differences are paired. The estimate is the pooled ratio; its uncertainty comes from the
linearised unit residuals ``z_u = (w·E_u − C_u − NB·N_u) / N̄``, whose covariance across
candidates carries the pairing (common random numbers).

* :func:`kn_screen`: the fully sequential indifference-zone procedure of Kim & Nelson (2001),
  valid under common random numbers; it eliminates a candidate once its mean net benefit falls
  below another's by more than the continuation half-width ``W_il(r)``.
* :func:`probability_best`: the share of draws from the normal approximation of the paired
  means in which each candidate has the highest net benefit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fupsim.design.evaluate import Q

__all__ = [
    "KNState",
    "kn_screen",
    "kn_start",
    "net_benefit",
    "paired_gap",
    "probability_best",
]


def net_benefit(cube: np.ndarray, wtp: float) -> tuple[np.ndarray, np.ndarray]:
    """Pooled net benefit per person and unit residuals.

    Parameters
    ----------
    cube : ndarray
        ``(k, units, strata, Q)`` sums (:meth:`fupsim.design.evaluate.Sums.cube`).
    wtp : float
        Willingness to pay, currency per unit of effect.

    Returns
    -------
    nb : ndarray (k,)
        Net benefit per person, currency.
    z : ndarray (k, units)
        Linearised residuals (mean zero per candidate).
    """
    tot = cube.sum(axis=2)  # (k, U, Q)
    people = tot[0, :, Q["people"]]
    value = wtp * tot[:, :, Q["effect"]] - tot[:, :, Q["cost"]]
    nb = value.sum(axis=1) / people.sum()
    z = (value - nb[:, None] * people[None, :]) / people.mean()
    return nb, z


def standard_error(z: np.ndarray) -> np.ndarray:
    """Standard error of each pooled estimate from its residuals (NaN with one unit)."""
    u = z.shape[-1]
    if u < 2:
        return np.full(z.shape[:-1], np.nan)
    return np.sqrt((z**2).sum(axis=-1) / (u * (u - 1)))


def paired_gap(nb: np.ndarray, z: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """``nb[i] − nb[j]`` and its paired standard error."""
    return float(nb[i] - nb[j]), float(standard_error(z[i] - z[j]))


def probability_best(
    nb: np.ndarray, z: np.ndarray, *, draws: int = 4000, rng: np.random.Generator
) -> np.ndarray:
    """Probability that each candidate has the highest net benefit (normal approximation).

    ``z`` holds each candidate's residuals already scaled by ``1/sqrt(U_c (U_c − 1))`` over
    its own ``U_c`` units, zero on units it was not played on (units are nested: every
    candidate has the first replicates). Draws ``nb + z g`` with ``g`` standard normal over
    the units: each estimate gets its own variance, and each pair the covariance of the units
    they share (the pairing). Counts the winners.
    """
    k, u = z.shape
    if k == 1:
        return np.ones(1)
    if u < 2:
        return np.full(k, np.nan)
    g = rng.standard_normal((draws, u))
    sample = nb[None, :] + g @ z.T
    wins = np.bincount(sample.argmax(axis=1), minlength=k)
    return wins / draws


def scaled_residuals(z: np.ndarray, units: int) -> np.ndarray:
    """``z / sqrt(U (U − 1))`` padded with zeros to ``units`` (input for :func:`probability_best`)."""
    u = z.shape[-1]
    out = np.zeros((*z.shape[:-1], units))
    if u > 1:
        out[..., :u] = z / math.sqrt(u * (u - 1))
    return out


class KNState:
    """First-stage constants of the Kim–Nelson procedure for one willingness to pay.

    ``h2`` is ``h²`` and ``s2`` the first-stage variances of paired differences ``S²_il``.
    """

    def __init__(self, z: np.ndarray, *, alpha: float, k: int) -> None:
        n0 = z.shape[1]
        if n0 < 2 or k < 2:
            self.h2 = 0.0
            self.s2 = np.zeros((z.shape[0], z.shape[0]))
            return
        eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
        self.h2 = 2 * eta * (n0 - 1)
        cov = np.cov(z) if z.shape[0] > 1 else np.zeros((1, 1))
        cov = np.atleast_2d(cov)
        d = np.diag(cov)
        self.s2 = d[:, None] + d[None, :] - 2 * cov  # Var(X_i − X_l), unbiased (ddof 1)


def kn_start(z: np.ndarray, *, alpha: float) -> KNState:
    """Constants of the procedure from the first stage (every candidate, ``n0`` units)."""
    return KNState(z, alpha=alpha, k=z.shape[0])


def kn_screen(
    nb: np.ndarray,
    alive: np.ndarray,
    state: KNState,
    *,
    units: int,
    delta: float,
) -> np.ndarray:
    """One elimination step: the candidates of ``alive`` that stay in contention.

    Parameters
    ----------
    nb : ndarray (k,)
        Mean net benefit after ``units`` observations (only ``alive`` entries are read).
    alive : ndarray of bool (k,)
    state : KNState
    units : int
        Observations per candidate so far, ``r``.
    delta : float
        Indifference zone δ, currency per person.

    Returns
    -------
    ndarray of bool
        ``i`` survives if ``X̄_i ≥ X̄_l − W_il(r)`` for every other survivor ``l``, with
        ``W_il(r) = max(0, δ/(2r) · (h² S²_il / δ² − r))`` (c = 1).
    """
    idx = np.flatnonzero(alive)
    if idx.size < 2:
        return alive.copy()
    r = units
    s2 = state.s2[np.ix_(idx, idx)]
    w = np.maximum(0.0, delta / (2 * r) * (state.h2 * s2 / delta**2 - r))
    x = nb[idx]
    beaten = (x[:, None] < x[None, :] - w) & ~np.eye(idx.size, dtype=bool)
    out = np.zeros_like(alive)
    out[idx[~beaten.any(axis=1)]] = True
    return out


def best_per_stratum(cube: np.ndarray, wtp: float) -> tuple[np.ndarray, np.ndarray]:
    """The candidate with the highest net benefit in each stratum, and each one's NB.

    ``cube`` is ``(k, units, strata, Q)``; NB is per person of the whole cohort (so strata
    add up to the policy's NB). Returns ``(choice (strata,), nb (k, strata))``.
    """
    tot = cube.sum(axis=1)  # (k, S, Q)
    people = cube[0, :, :, Q["people"]].sum()
    nb = (wtp * tot[:, :, Q["effect"]] - tot[:, :, Q["cost"]]) / people
    return nb.argmax(axis=0), nb


def policy_units(cube: np.ndarray, choice: Sequence[int]) -> np.ndarray:
    """Sums ``(units, Q)`` of the stratified policy that plays ``choice[s]`` in stratum ``s``."""
    s = np.arange(cube.shape[2])
    return cube[np.asarray(choice), :, s, :].sum(axis=0)
