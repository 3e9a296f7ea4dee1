"""The one interval convention of fupsim's statistics, stated once.

Every interval that ``fupsim compare`` and the report give for a simulated quantity is a
**95 % interval for Monte Carlo (simulation) error**: it shrinks as the run grows and says
nothing about uncertainty in the parameters. It is built from the paired per-patient data:

- **Contrast between protocols** (A minus B, ``comparison.csv``): the mean of the per-patient
  paired differences ± t(n − 1) × its standard error, n = paired patients over all replicates
  (patients are independent draws). When a shared service couples the patients of a replicate
  (``[capacity]``), the replicate means are the independent units instead: t(R − 1).
- **Ratio** (an ICER step in ``icer.csv``; a difference of mean delays): the delta method on
  the same paired units, with the same quantile.
- **Per-protocol mean** (``summary.csv`` ``_se`` columns, ``detection_curves_from_index.csv``):
  mean ± t(R − 1) × the standard error across the R replicate means.
- **Proportion of people** (``rates.csv``): Clopper–Pearson (exact) and Wilson intervals.

Intervals for **parameter uncertainty** come only from a probabilistic sensitivity analysis
(``psa.csv``, ``decision.csv``): 2.5th and 97.5th percentiles of the draws, always labelled
"parameter uncertainty (PSA)". The summary of the report and the comparison tables quote the
same rows of the same tables, so one contrast has one interval everywhere.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

__all__ = ["LEVEL", "mean_interval", "ratio_interval", "t_quantile"]

LEVEL = 0.95
"""Two-sided level of every Monte Carlo interval."""


def t_quantile(df: float, level: float = LEVEL) -> float:
    """Two-sided Student t quantile for ``df`` degrees of freedom (normal for ``df = inf``)."""
    if not df > 0:
        return math.nan
    if math.isinf(df):
        return float(sps.norm.ppf(0.5 + level / 2))
    return float(sps.t.ppf(0.5 + level / 2, df))


def mean_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float, float]:
    """Mean of independent units with its t interval.

    Parameters
    ----------
    values : ndarray
        One value per independent unit (a paired patient, or a replicate mean).

    Returns
    -------
    (mean, se, ci_low, ci_high)
        In the units of ``values``; NaN interval with fewer than two units.
    """
    v = np.asarray(values, dtype=float)
    mean = float(v.mean()) if v.size else math.nan
    if v.size < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(v.std(ddof=1)) / math.sqrt(v.size)
    half = t_quantile(v.size - 1, level) * se
    return mean, se, mean - half, mean + half


def ratio_interval(
    num: np.ndarray, den: np.ndarray, level: float = LEVEL
) -> tuple[float, float, float, float]:
    """Ratio of two means of paired units, ``mean(num) / mean(den)``, by the delta method.

    ``se² = (var num̄ − 2 r cov(num̄, den̄) + r² var den̄) / den̄²`` with ``r`` the ratio and
    variances of the means (unit variance / n); the interval uses t(n − 1).

    Returns
    -------
    (ratio, se, ci_low, ci_high)
        NaN interval with fewer than two units or a zero denominator.
    """
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    n = a.size
    mb = float(b.mean()) if n else math.nan
    if n == 0 or mb == 0:
        return math.nan, math.nan, math.nan, math.nan
    r = float(a.mean()) / mb
    if n < 2:
        return r, math.nan, math.nan, math.nan
    cov = np.cov(a, b, ddof=1) / n
    var = max(float(cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]), 0.0)
    se = math.sqrt(var) / abs(mb)
    half = t_quantile(n - 1, level) * se
    return r, se, r - half, r + half
