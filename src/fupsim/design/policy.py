"""Risk-stratified policies: one schedule per stratum, with an honest estimate of their gain.

Net benefit is separable by stratum, so the best stratified policy plays, in each stratum, the
candidate with the highest net benefit there (:func:`~fupsim.design.select.best_per_stratum`),
found from the first stage's per-stratum sums without simulating again.

**Winner's curse.** When the same replicates both choose the per-stratum schedules and score
them, the gain over the best uniform schedule is biased upwards: ``Σ_s max_k X_ks ≥ max_k Σ_s
X_ks`` for any numbers, so the in-sample gain is never negative, even when the strata do not
differ at all. The **honest gain** is cross-fitted (two-fold sample splitting): the first
stage's paired units (replicate × batch of people, independent of each other) are split into
two halves by position (even and odd units); the per-stratum choice *and* the best uniform
schedule are chosen on one half and their paired difference is scored on the other, then the
halves swap and the two out-of-sample gains are averaged. The two scores use disjoint people
but are correlated through the choices (a schedule that looks good on half 2 is both chosen
there and scores well there when half 1 also chose it), so ``√(SE₁² + SE₂²) / 2``, which
assumes them independent, is too small (by about 10% in the identical-strata test); the
reported standard error is the upper bound ``(SE₁ + SE₂) / 2`` (the SD of an average is at most
the average of the SDs, whatever the correlation), conservative by design. It estimates what stratifying *as a procedure* gains over choosing one schedule for everyone, so
with identical strata it is zero in expectation (tested). Both are reported;
the recommendation uses the honest one. The schedules of ``strata.csv`` are the ones chosen on
all first-stage units (the policy one would adopt); ``halves_agree`` says whether each half
chose the same schedule in that stratum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fupsim.design.evaluate import Q
from fupsim.design.select import best_per_stratum, net_benefit, paired_gap, policy_units

__all__ = ["STRATIFIED_COLUMNS", "cross_fitted_gain", "stratified_policy"]

STRATIFIED_COLUMNS: dict[str, str] = {
    "stratified_nb": "expected net benefit per person of the stratified policy, cross-fitted "
    "(chosen on one half of the first stage's units, scored on the other), currency",
    "stratified_gain": "honest gain of the stratified policy over the best uniform schedule per "
    "person (cross-fitted: both chosen on one half, scored on the other), currency",
    "stratified_gain_se": "standard error of the honest gain",
    "stratified_nb_in_sample": "net benefit of the stratified policy chosen and scored on all "
    "first-stage units (optimistic)",
    "stratified_gain_in_sample": "its gain over the best uniform schedule on the same units "
    "(never negative: winner's curse)",
    "stratified_gain_in_sample_se": "paired standard error of the in-sample gain",
    "stratified_recommended": "True when the honest gain exceeds both the indifference zone and "
    "z_(1-alpha) standard errors: stratify",
}
"""Columns the stratified policy adds to ``best_by_wtp.csv``."""


def _scored(choose: np.ndarray, score: np.ndarray, wtp: float) -> tuple[Any, ...]:
    """Choose per stratum and uniformly on ``choose``; score both on ``score`` (paired).

    Returns ``(policy_nb, gain, gain_se, choice, uniform)``.
    """
    choice, _ = best_per_stratum(choose, wtp)
    uniform = int(np.argmax(net_benefit(choose, wtp)[0]))
    pol = policy_units(score, [int(c) for c in choice])[None, :, None, :]
    both = np.concatenate([pol, score[uniform].sum(axis=1)[None, :, None, :]])
    pair_nb, pair_z = net_benefit(both, wtp)
    gain, se = paired_gap(pair_nb, pair_z, 0, 1)
    return float(pair_nb[0]), gain, se, choice, uniform


def cross_fitted_gain(first: np.ndarray, wtp: float) -> tuple[float, float, float, np.ndarray]:
    """The honest (two-fold cross-fitted) net benefit and gain of stratifying.

    Parameters
    ----------
    first : ndarray
        ``(k, units, strata, Q)`` first-stage sums (every candidate on the same units).
    wtp : float
        Willingness to pay, currency per unit of effect.

    Returns
    -------
    nb, gain, gain_se : float
        Out-of-sample net benefit of the stratified policy, its gain over the uniform schedule
        chosen on the same half, and the gain's standard error (a conservative bound); NaN
        with fewer than 4 units.
    agree : ndarray of bool (strata,)
        Whether both halves chose the same schedule in each stratum.
    """
    units = first.shape[1]
    if units < 4:
        nan = float("nan")
        return nan, nan, nan, np.zeros(first.shape[2], dtype=bool)
    halves = (np.arange(0, units, 2), np.arange(1, units, 2))
    a = _scored(first[:, halves[0]], first[:, halves[1]], wtp)
    b = _scored(first[:, halves[1]], first[:, halves[0]], wtp)
    se = (a[2] + b[2]) / 2  # bound for any correlation of the two halves (module docstring)
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, se, a[3] == b[3]


def stratified_policy(
    cands: list[Any],
    strata: list[str],
    first: np.ndarray,
    wtp: float,
    *,
    delta: float,
    z_crit: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The stratified policy's columns of ``best_by_wtp.csv`` and its rows of ``strata.csv``.

    Parameters
    ----------
    cands : list of Candidate
    strata : list of str
        Stratum labels (the third axis of ``first``).
    first : ndarray
        ``(k, units, strata, Q)`` first-stage sums.
    wtp : float
    delta : float
        Indifference zone at this WTP, currency per person.
    z_crit : float
        ``z_{1−α}``: the honest gain must exceed this many standard errors to recommend it.
    """
    nb_in, gain_in, se_in, choice, uniform = _scored(first, first, wtp)
    nb, gain, se, agree = cross_fitted_gain(first, wtp)
    _, nb_s = best_per_stratum(first, wtp)
    row = {
        "stratified_nb": nb,
        "stratified_gain": gain,
        "stratified_gain_se": se,
        "stratified_nb_in_sample": nb_in,
        "stratified_gain_in_sample": gain_in,
        "stratified_gain_in_sample_se": se_in,
        "stratified_recommended": bool(gain > delta and gain > z_crit * se),
    }
    people = first[0, :, :, Q["people"]].sum(axis=0)
    share = people / people.sum()
    rows = [
        {
            "wtp": wtp,
            "stratum": label,
            "people_share": float(share[s]),
            "schedule": cands[int(choice[s])].name,
            "nb_contribution": float(nb_s[choice[s], s]),
            "uniform_schedule": cands[uniform].name,
            "uniform_nb_contribution": float(nb_s[uniform, s]),
            "halves_agree": bool(agree[s]),
        }
        for s, label in enumerate(strata)
    ]
    return row, rows
