"""Paired statistics between protocols: differences, McNemar and Holm-adjusted contrasts.

Used by :func:`fupsim.stats.compare`, which assembles them into one comparison.

Under common random numbers every patient of a replicate is simulated under every protocol,
so each contrast "A vs B" (A minus B) is computed on per-patient differences paired by
(replicate, patient_id). The data are reduced before any test: a binary outcome to its
discordant-pair counts (McNemar), a count or cost to the mean and variance of its per-patient
differences (paired t), a mean delay (a ratio over diagnosed patients) to its linearised
per-patient contributions (paired delta method). Only the GEE model for the appendix
(:func:`fupsim.stats.gee_model`) sees patient rows, subsampled when the run is large.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar

from fupsim.labels import unit
from fupsim.scenario import ScenarioError

__all__ = [
    "CONTRAST_COLUMNS",
    "HEALTH_METRICS",
    "METRICS",
    "Paired",
    "align",
    "contrast_table",
    "holm",
    "mean_difference",
    "to_halve",
]

METRICS: tuple[tuple[str, str, str, float], ...] = (
    # (metric as in summary.csv, outcome column, kind, scale)
    ("screen_detected_per_1000", "screen_detected", "binary", 1000.0),
    ("interval_cases_per_1000", "interval_case", "binary", 1000.0),
    ("undetected_at_horizon_per_1000", "undetected_at_horizon", "binary", 1000.0),
    ("false_positive_workups_per_1000", "n_false_positive_workups", "mean", 1000.0),
    ("scans_per_patient", "n_scans", "mean", 1.0),
    ("ct_per_patient", "n_ct", "mean", 1.0),
    ("cost_per_patient", "cost", "mean", 1.0),
    ("mean_delay_months", "delay_months", "ratio", 1.0),
)
HEALTH_METRICS: tuple[tuple[str, str, str, float], ...] = (
    # compared when the run has health outcomes (fupsim.health)
    ("qalys_per_patient", "qalys", "mean", 1.0),
    ("life_years_per_patient", "life_years", "mean", 1.0),
    ("deaths_per_1000", "change_deaths", "mean", 1000.0),
    ("late_presentations_per_1000", "late_presentations", "mean", 1000.0),
    ("false_diagnoses_per_1000", "false_diagnosis", "binary", 1000.0),
    ("radiation_cancers_per_100000", "radiation_cancers", "mean", 100_000.0),
)
CONTRAST_COLUMNS = (
    "comparison",
    "metric",
    "unit",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "method",
    "se",
    "se_replicates",
    "pairs",
    "discordant_a_only",
    "discordant_b_only",
    "patients_to_halve_ci",
    "replicates_to_halve_ci",
)
EXACT_BELOW = 25  # McNemar is exact (binomial) when discordant pairs are fewer than this
_Z = float(sps.norm.ppf(0.975))


class _Arm(Mapping[str, np.ndarray]):
    """One protocol's outcome columns, gathered in the shared patient order when asked for."""

    def __init__(self, frame: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> None:
        self._frame, self._rows, self._columns = frame, rows, tuple(columns)
        self._gathered: dict[str, np.ndarray] = {}

    def __getitem__(self, column: str) -> np.ndarray:
        """The column in the shared patient order (gathered once, then read-only)."""
        if column not in self._columns:
            raise KeyError(column)
        if column not in self._gathered:
            series = self._frame[column]
            if isinstance(series.dtype, pd.CategoricalDtype):
                values = np.asarray(series.array.take(self._rows))
            else:
                values = series.to_numpy()[self._rows]
            values.flags.writeable = False
            self._gathered[column] = values
        return self._gathered[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def frame(self, columns: Sequence[str], mask: np.ndarray | None = None) -> pd.DataFrame:
        """Selected columns as a DataFrame (categoricals kept), optionally for masked patients."""
        rows = self._rows if mask is None else self._rows[mask]
        return pd.DataFrame({c: self._frame[c].array.take(rows) for c in columns})


@dataclass(frozen=True)
class Paired:
    """Outcome columns of every protocol, aligned on the same (replicate, patient_id) order.

    Columns are gathered from the outcomes table when read, so aligning costs one index array
    per protocol rather than a copy of the table.

    Attributes
    ----------
    protocols : list of str
        Protocol names, reference first.
    replicate : ndarray of int
        Replicate code (0..R-1) of each paired patient.
    values : mapping
        ``values[protocol][column]`` is that outcome column in the shared patient order.
    replicates : int
        Number of replicates R.
    """

    protocols: list[str]
    replicate: np.ndarray
    values: Mapping[str, _Arm]
    replicates: int

    @property
    def n(self) -> int:
        """Paired patients (summed over replicates)."""
        return len(self.replicate)

    def arm(
        self, protocol: str, columns: Sequence[str], mask: np.ndarray | None = None
    ) -> pd.DataFrame:
        """Outcome columns of one protocol (patients in ``mask`` only, if given) as a DataFrame."""
        return self.values[protocol].frame(columns, mask)


def align(outcomes: pd.DataFrame, protocols: Sequence[str], columns: Sequence[str]) -> Paired:
    """Align each protocol's outcomes on (replicate, patient_id); all need the same pairs.

    Parameters
    ----------
    outcomes : DataFrame
        ``outcomes.parquet`` of a run (one row per replicate × protocol × patient).
    protocols : sequence of str
        Protocols to keep, in output order.
    columns : sequence of str
        Outcome columns to extract.
    """
    missing = [c for c in ("replicate", "protocol", "patient_id", *columns) if c not in outcomes]
    if missing:
        raise ScenarioError(f"outcomes: missing columns {missing} (is it a 'fupsim run' output?)")
    present = set(pd.unique(outcomes["protocol"]))
    absent = [p for p in protocols if p not in present]
    if absent:
        raise ScenarioError(f"outcomes: no rows for protocol(s) {absent} named in the manifest")
    rep = outcomes["replicate"].to_numpy(np.int64)
    pid = outcomes["patient_id"].to_numpy(np.int64)
    key = rep * (int(pid.max(initial=0)) + 1) + pid
    codes = pd.Categorical(outcomes["protocol"], categories=list(protocols)).codes
    ref_key: np.ndarray | None = None
    values: dict[str, _Arm] = {}
    for i, name in enumerate(protocols):
        rows = np.flatnonzero(codes == i)
        rows = rows[np.argsort(key[rows], kind="stable")]
        k = key[rows]
        if ref_key is None:
            ref_key = k
            if len(np.unique(k)) != len(k):
                raise ScenarioError(f"outcomes: repeated (replicate, patient_id) rows for {name!r}")
        elif len(k) != len(ref_key) or not np.array_equal(k, ref_key):
            raise ScenarioError(
                f"outcomes: protocol {name!r} does not hold the same (replicate, patient_id) pairs "
                f"as {protocols[0]!r}; paired comparisons need common random numbers"
            )
        values[name] = _Arm(outcomes, rows, columns)
    assert ref_key is not None
    first = np.flatnonzero(codes == 0)
    reps = np.sort(outcomes["replicate"].to_numpy(np.int64)[first])
    _, rep_code = np.unique(reps, return_inverse=True)
    return Paired(list(protocols), rep_code, values, int(rep_code.max(initial=-1)) + 1)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the order given.

    With the m p-values sorted ascending, the i-th (1-based) is adjusted to
    ``max_{j <= i} min(1, (m - j + 1) p_(j))`` (Holm 1979). Numerically the same as
    ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``, which also runs a full
    garbage collection on every call (about 0.1 s each with a large run in memory).
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    out = np.empty_like(adjusted)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def to_halve(units: int) -> int:
    """Independent pairs needed to halve the width of a 95% t-interval now based on ``units``.

    The smallest ``m`` with ``t(m-1) / sqrt(m) <= t(units-1) / (2 sqrt(units))``: about
    ``4 * units`` for large samples, fewer for small ones as the t quantile shrinks too.
    """
    if units < 2:
        return 0

    def width(m: int) -> float:
        return float(sps.t.ppf(0.975, m - 1)) / math.sqrt(m)

    target = 0.5 * width(units)
    lo, hi = units, 4 * units  # width(4 * units) <= target since the quantile only falls
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if width(mid) <= target else (mid, hi)
    return hi


def mean_difference(d: np.ndarray, rep: np.ndarray, reps: int) -> dict[str, float]:
    """Mean of paired differences ``d``: estimate, SE, 95% t-interval, p, SE across replicates.

    ``rep`` holds each difference's replicate code (0..reps-1); the keys are ``estimate``,
    ``se``, ``df``, ``ci_low``, ``ci_high``, ``p_value`` and ``se_replicates`` (units of ``d``).
    """
    n = len(d)
    mean = float(d.mean()) if n else np.nan
    sd = float(d.std(ddof=1)) if n > 1 else np.nan
    se = sd / math.sqrt(n) if n > 1 else np.nan
    out = {"estimate": mean, "se": se, "df": float(n - 1)}
    if n > 1 and se > 0:
        t = sps.t.ppf(0.975, n - 1)
        out.update(
            ci_low=mean - t * se,
            ci_high=mean + t * se,
            p_value=float(2 * sps.t.sf(abs(mean) / se, n - 1)),
        )
    else:  # identical arms: no spread to test
        out.update(ci_low=mean, ci_high=mean, p_value=1.0 if mean == 0 else 0.0)
    out["se_replicates"] = _between_replicates(d, rep, reps)
    return out


def _between_replicates(d: np.ndarray, rep: np.ndarray, reps: int) -> float:
    """Standard error of the mean from the spread of replicate means (NaN with one replicate)."""
    if reps < 2:
        return np.nan
    means = np.bincount(rep, weights=d, minlength=reps) / np.bincount(rep, minlength=reps)
    return float(means.std(ddof=1) / math.sqrt(reps))


def _binary(a: np.ndarray, b: np.ndarray, rep: np.ndarray, reps: int) -> dict[str, object]:
    """Paired difference in proportions, p-value by McNemar on the discordant pairs."""
    a, b = a.astype(bool), b.astype(bool)
    only_a, only_b = int(np.count_nonzero(a & ~b)), int(np.count_nonzero(~a & b))
    out: dict[str, object] = dict(mean_difference(a.astype(np.int8) - b.astype(np.int8), rep, reps))
    disc = only_a + only_b
    both = int(np.count_nonzero(a & b))
    table = [[both, only_a], [only_b, len(a) - both - disc]]
    if disc == 0:
        out["p_value"], test = 1.0, "McNemar (no discordant pairs)"
    elif disc < EXACT_BELOW:
        out["p_value"], test = float(mcnemar(table, exact=True).pvalue), "McNemar exact"
    else:
        res = mcnemar(table, exact=False, correction=True)
        out["p_value"], test = float(res.pvalue), "McNemar chi-square (continuity-corrected)"
    out.update(method=f"paired difference, t interval; {test}", only_a=only_a, only_b=only_b)
    return out


def _ratio(ya: np.ndarray, yb: np.ndarray, rep: np.ndarray, reps: int) -> dict[str, object]:
    """Difference of means over diagnosed patients (NaN = not diagnosed), paired delta method."""
    da, db = np.isfinite(ya), np.isfinite(yb)
    if not da.any() or not db.any():
        return {
            "estimate": np.nan,
            "se": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "se_replicates": np.nan,
            "df": np.nan,
            "method": "difference of mean delays: an arm diagnosed no one",
        }
    ma, mb = float(ya[da].mean()), float(yb[db].mean())
    za = np.where(da, np.nan_to_num(ya) - ma, 0.0) / da.mean()
    zb = np.where(db, np.nan_to_num(yb) - mb, 0.0) / db.mean()
    u = za - zb  # linearised contribution of each patient to (ma - mb)
    n = len(u)
    se = float(u.std(ddof=1) / math.sqrt(n)) if n > 1 else np.nan
    est = ma - mb
    ok = n > 1 and se > 0
    return {
        "estimate": est,
        "se": se,
        "df": np.inf,
        "ci_low": est - _Z * se if ok else est,
        "ci_high": est + _Z * se if ok else est,
        "p_value": float(2 * sps.norm.sf(abs(est) / se)) if ok else float(est == 0),
        "se_replicates": _between_replicates(u, rep, reps),
        "method": "difference of mean delays among diagnosed, paired delta method, z interval",
    }


def _row(p: Paired, a: str, b: str, column: str, kind: str, scale: float) -> dict[str, object]:
    """One contrast (a minus b) on one metric."""
    va, vb = p.values[a][column], p.values[b][column]
    if kind == "binary":
        res = _binary(va, vb, p.replicate, p.replicates)
    elif kind == "ratio":
        res = _ratio(va.astype(float), vb.astype(float), p.replicate, p.replicates)
    else:
        res = dict(mean_difference(va.astype(float) - vb.astype(float), p.replicate, p.replicates))
        res["method"] = "paired difference of per-patient values, t interval and t-test"
    for k in ("estimate", "se", "ci_low", "ci_high", "se_replicates"):
        res[k] = float(res[k]) * scale  # type: ignore[arg-type]
    return res


def _by_replicate(res: dict[str, object], reps: int) -> dict[str, object]:
    """Interval and p-value from the spread of replicate means (t with R - 1 df)."""
    est, se = float(res["estimate"]), float(res["se_replicates"])  # type: ignore[arg-type]
    if not (reps >= 2 and np.isfinite(se) and se > 0):
        return res
    t = sps.t.ppf(0.975, reps - 1)
    return {
        **res,
        "se": se,
        "ci_low": est - t * se,
        "ci_high": est + t * se,
        "p_value": float(2 * sps.t.sf(abs(est) / se, reps - 1)),
        "method": f"replicate means of paired differences, t interval and t-test ({reps} "
        "replicates: a shared service couples patients within a replicate)",
    }


def _unit(metric: str, currency: str) -> str:
    return unit(metric, currency) or "per person"


def contrast_table(
    p: Paired,
    pairs: Sequence[tuple[str, str]],
    *,
    currency: str = "",
    patients: int = 0,
    by_replicate: bool = False,
    metrics: Sequence[tuple[str, str, str, float]] = METRICS,
) -> pd.DataFrame:
    """Every contrast × metric with paired estimate, 95% CI, p-value and Holm-adjusted p-value.

    Parameters
    ----------
    p : Paired
        Aligned outcomes (:func:`align`).
    pairs : sequence of (str, str)
        Contrasts ``(A, B)``, reported as "A vs B" = A minus B.
    currency : str
        Currency and year label for the cost unit, e.g. "USD 2026".
    patients : int
        Patients per replicate (for the patients-to-halve column).
    by_replicate : bool
        Take intervals and p-values from the spread of replicate means (t, R - 1 df) instead
        of from independent patients: right when patients of a replicate interact (a shared
        scanner capacity). Needs two or more replicates; ignored otherwise.
    metrics : sequence
        ``(metric, outcome column, kind, scale)`` rows (default :data:`METRICS`; add
        :data:`HEALTH_METRICS` when the run has health outcomes).

    Returns
    -------
    DataFrame
        Columns ``comparison, metric, unit, estimate, se, ci_low, ci_high, p_value,
        p_adjusted, method, se_replicates, pairs, discordant_a_only, discordant_b_only,
        patients_to_halve_ci, replicates_to_halve_ci``. Holm's adjustment runs within each
        metric across its contrasts.
    """
    per_rep = patients or max(1, p.n // max(p.replicates, 1))
    by_replicate = by_replicate and p.replicates >= 2
    if by_replicate:  # replicates are the independent units
        need_reps = to_halve(p.replicates)
        to_patients, to_reps = 4 * per_rep, need_reps  # patients shrink SE, not the t quantile
    else:
        need = to_halve(p.n)
        to_patients = math.ceil(need / max(p.replicates, 1)) if need else 0
        to_reps = math.ceil(need / per_rep) if need else 0
    rows = []
    for metric, column, kind, scale in metrics:
        for a, b in pairs:
            res = _row(p, a, b, column, kind, scale)
            if by_replicate:
                res = _by_replicate(res, p.replicates)
            rows.append(
                {
                    "comparison": f"{a} vs {b}",
                    "metric": metric,
                    "unit": _unit(metric, currency),
                    "estimate": res["estimate"],
                    "se": res["se"],
                    "ci_low": res["ci_low"],
                    "ci_high": res["ci_high"],
                    "p_value": res["p_value"],
                    "method": res["method"],
                    "se_replicates": res["se_replicates"],
                    "pairs": p.n,
                    "discordant_a_only": res.get("only_a", np.nan),
                    "discordant_b_only": res.get("only_b", np.nan),
                    "patients_to_halve_ci": to_patients,
                    "replicates_to_halve_ci": to_reps,
                }
            )
    if not rows:
        return pd.DataFrame(columns=list(CONTRAST_COLUMNS))
    table = pd.DataFrame(rows)
    table["p_adjusted"] = np.nan
    for _, idx in table.groupby("metric", sort=False).groups.items():
        pv = table.loc[idx, "p_value"].astype(float)
        ok = pv.notna()
        if ok.any():
            table.loc[pv.index[ok], "p_adjusted"] = holm(pv[ok].to_numpy())
    return table[list(CONTRAST_COLUMNS)]
