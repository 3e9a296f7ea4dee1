"""Results by subgroup (age band, sex, number of foci, lobe, cause), with paired contrasts.

``by_subgroup.csv`` holds, for every subgroup level and protocol, the followed adults' counts
and totals per replicate (so the levels of one subgroup add up to the protocol's totals) and
rates per person, and for every protocol other than the reference its paired difference from
the reference protocol in the same people, with a 95% interval from the spread of that
difference across replicates (or, with one replicate, across ten batches of patients, as
:func:`fupsim.metrics.summarise`). This is the table a service needs before it considers
risk-stratified follow-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["AGE_BANDS", "SUBGROUPS", "SUBGROUP_COLUMNS", "by_subgroup"]

AGE_BANDS: tuple[tuple[float, str], ...] = (
    (30.0, "under 30"),
    (40.0, "30-39"),
    (50.0, "40-49"),
    (60.0, "50-59"),
    (np.inf, "60 and over"),
)
"""Upper age bound (exclusive) and label of each age band, years."""

SUBGROUPS: tuple[str, ...] = ("all", "age_band", "sex", "n_foci", "lobe", "cause")

_TOTALS = {
    "screen_detected": "screen_detected",
    "interval_cases": "interval_case",
    "scans": "n_scans",
    "cost": "cost",
    "qalys": "qalys",
}
_RATES = {  # rate name: (total, scale)
    "screen_detected_per_1000": ("screen_detected", 1000.0),
    "interval_cases_per_1000": ("interval_cases", 1000.0),
    "scans_per_patient": ("scans", 1.0),
    "cost_per_patient": ("cost", 1.0),
    "qalys_per_patient": ("qalys", 1.0),
}

SUBGROUP_COLUMNS: dict[str, str] = {
    "subgroup": "all, age_band, sex, n_foci (1 or 2+), lobe or cause",
    "level": "the subgroup's level (age bands: under 30, 30-39, 40-49, 50-59, 60 and over)",
    "protocol": "protocol name",
    "patients": "followed adults per replicate (mean over replicates)",
    **{name: f"{src} summed per replicate (mean over replicates)" for name, src in _TOTALS.items()},
    **{name: f"{total} / patients x {scale:g}" for name, (total, scale) in _RATES.items()},
    **{
        f"diff_{name}{end}": f"{what} of {name} minus the reference protocol's, same people"
        for name in _RATES
        for end, what in (
            ("", "paired difference"),
            ("_lo", "95% lower bound"),
            ("_hi", "95% upper bound"),
        )
    },
}
"""Columns of ``by_subgroup.csv`` (``diff_*`` are empty on the reference protocol's rows)."""


def _levels(outcomes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each subgroup's level per row, as strings."""
    age = outcomes["age_years"].to_numpy(float)
    bounds = np.array([b for b, _ in AGE_BANDS])
    labels = np.array([label for _, label in AGE_BANDS], dtype=object)
    foci = outcomes["n_foci"].to_numpy()
    return {
        "all": np.full(len(outcomes), "all", dtype=object),
        "age_band": labels[np.searchsorted(bounds, age, side="right")],
        "sex": outcomes["sex"].astype(str).to_numpy(object),
        "n_foci": np.where(foci > 1, "2+", "1").astype(object),
        "lobe": outcomes["lobe"].astype(str).to_numpy(object),
        "cause": outcomes["cause"].astype(str).to_numpy(object),
    }


def by_subgroup(
    outcomes: pd.DataFrame, protocols: list[str], reference: str | None = None
) -> pd.DataFrame:
    """``by_subgroup.csv``: :data:`SUBGROUP_COLUMNS` for every subgroup level and protocol.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes of a run (followed adults; with health columns if present).
    protocols : list of str
        Protocol order; the reference defaults to the first.
    reference : str, optional
        The protocol every other one is contrasted with (``analysis.reference_protocol``).
    """
    ref = reference or protocols[0]
    reps = int(outcomes["replicate"].nunique())
    unit = outcomes["replicate"] if reps >= 2 else outcomes["patient_id"] % 10
    n_units = reps if reps >= 2 else 10
    totals = {k: v for k, v in _TOTALS.items() if v in outcomes}
    base = pd.DataFrame({k: outcomes[v].to_numpy(float) for k, v in totals.items()})
    base["patients"] = 1.0
    base["protocol"] = outcomes["protocol"].to_numpy()
    base["_unit"] = unit.to_numpy()
    z = stats.t.ppf(0.975, n_units - 1) if n_units > 1 else np.nan
    parts = []
    for name, level in _levels(outcomes).items():
        frame = base.assign(level=level)
        per_unit = frame.groupby(["level", "protocol", "_unit"], sort=False).sum()
        pooled = per_unit.groupby(level=["level", "protocol"], sort=False).sum() / (
            reps if reps >= 2 else 1
        )
        for rate, (total, scale) in _RATES.items():
            if total in pooled:
                pooled[rate] = scale * pooled[total] / pooled["patients"]
                per_unit[rate] = scale * per_unit[total] / per_unit["patients"]
        for rate in _RATES:
            if rate not in per_unit:
                continue
            wide = per_unit[rate].unstack("protocol")
            if ref not in wide:
                continue
            diff = wide.sub(wide[ref], axis=0)
            pooled_wide = pooled[rate].unstack("protocol")
            mean = pooled_wide.sub(pooled_wide[ref], axis=0).stack()
            se = (diff.groupby(level="level").std(ddof=1) / np.sqrt(n_units)).stack()
            pooled[f"diff_{rate}"] = mean
            pooled[f"diff_{rate}_lo"] = mean - z * se
            pooled[f"diff_{rate}_hi"] = mean + z * se
        pooled = pooled.reset_index()
        pooled.insert(0, "subgroup", name)
        parts.append(pooled)
    table = pd.concat(parts, ignore_index=True)
    is_ref = table["protocol"] == ref
    for col in [c for c in table if c.startswith("diff_")]:
        table.loc[is_ref, col] = np.nan
    order = {p: i for i, p in enumerate(protocols)}
    sub_order = {s: i for i, s in enumerate(SUBGROUPS)}
    table = table.sort_values(
        ["subgroup", "level", "protocol"],
        key=lambda s: s.map(sub_order) if s.name == "subgroup" else (
            s.map(order) if s.name == "protocol" else s),
    )  # fmt: skip
    cols = [c for c in SUBGROUP_COLUMNS if c in table]
    return table[cols].reset_index(drop=True)
