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

from fupsim.metrics import label_codes, sorted_codes

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


def _levels(outcomes: pd.DataFrame) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Each subgroup's level code per row and the level names."""
    n = len(outcomes)
    age = outcomes["age_years"].to_numpy(float)
    bounds = np.array([b for b, _ in AGE_BANDS])
    foci = outcomes["n_foci"].to_numpy()
    band = np.zeros(n, dtype=np.int64)  # bounds at or below the age: searchsorted(side="right")
    for bound in bounds:
        band += age >= bound
    band[np.isnan(age)] = bounds.size  # where searchsorted puts NaN
    out: dict[str, tuple[np.ndarray, list[str]]] = {
        "all": (np.zeros(n, dtype=np.int64), ["all"]),
        "age_band": (band, [label for _, label in AGE_BANDS]),
        "n_foci": ((foci > 1).astype(np.int64), ["1", "2+"]),
    }
    for name in ("sex", "lobe", "cause"):
        col = outcomes[name]
        if isinstance(col.dtype, pd.CategoricalDtype):  # codes as stored: no string work
            out[name] = (col.cat.codes.to_numpy(np.int64), [str(x) for x in col.cat.categories])
        else:
            codes, names = pd.factorize(col.astype(str), sort=True)
            out[name] = (codes.astype(np.int64), [str(x) for x in names])
    return out


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
    rep = outcomes["replicate"].to_numpy()
    reps = 1 if rep.size and rep.min() == rep.max() else int(outcomes["replicate"].nunique())
    unit = outcomes["replicate"] if reps >= 2 else outcomes["patient_id"] % 10
    unit_codes, unit_names = sorted_codes(unit.to_numpy())
    n_units = len(unit_names)
    first_codes, found = label_codes(outcomes["protocol"])
    to_order = np.array([protocols.index(x) if x in protocols else -1 for x in found], np.int64)
    proto = to_order[first_codes] if len(found) else first_codes
    n_proto = len(protocols)
    r = protocols.index(ref) if ref in protocols else 0
    values = {k: outcomes[v].to_numpy(float) for k, v in _TOTALS.items() if v in outcomes}
    per_rep = float(reps if reps >= 2 else 1)
    z = stats.t.ppf(0.975, n_units - 1) if n_units > 1 else np.nan
    parts: list[dict[str, np.ndarray]] = []
    subgroups = _levels(outcomes)
    # whole-number totals: one count over every subgroup's level at once, then each
    # subgroup's margin (sums of whole numbers are exact in any order)
    whole = [k for k, v in _TOTALS.items() if v in outcomes and outcomes[v].dtype.kind in "biu"]
    dims = [len(levels) for _, levels in subgroups.values()]
    joint_size = int(np.prod(dims)) * n_proto * n_units
    joint: dict[str, np.ndarray] = {}
    if joint_size <= 5_000_000 and (proto >= 0).all():
        level_key = np.ravel_multi_index([c for c, _ in subgroups.values()], dims)
        key = (level_key * n_proto + proto) * n_units + unit_codes
        joint["patients"] = np.bincount(key, minlength=joint_size).reshape(*dims, -1)
        for total in whole:
            joint[total] = np.bincount(key, weights=values[total], minlength=joint_size).reshape(
                *dims, -1
            )
    for i, (name, (codes, levels)) in enumerate(subgroups.items()):
        shape = (len(levels), n_proto, n_units)
        key = (codes * n_proto + proto) * n_units + unit_codes
        size = int(np.prod(shape))
        others = tuple(a for a in range(len(dims)) if a != i)
        cell = {}
        for total in ("patients", *values):
            if total in joint:
                cell[total] = joint[total].sum(axis=others).reshape(shape).astype(float)
            elif total == "patients":
                cell[total] = np.bincount(key, minlength=size).astype(float).reshape(shape)
            else:
                cell[total] = np.bincount(key, weights=values[total], minlength=size).reshape(shape)
        pooled = {k: a.sum(axis=2) / per_rep for k, a in cell.items()}
        rows: dict[str, np.ndarray] = {
            "subgroup": np.full(len(levels) * n_proto, name, dtype=object),
            "level": np.repeat(np.array(levels, dtype=object), n_proto),
            "protocol": np.tile(np.array(protocols, dtype=object), len(levels)),
            **{k: a.ravel() for k, a in pooled.items()},
        }
        with np.errstate(divide="ignore", invalid="ignore"):
            for rate, (total, scale) in _RATES.items():
                if total not in cell:
                    continue
                mean = scale * pooled[total] / pooled["patients"]
                unit_rate = scale * cell[total] / cell["patients"]
                diff = unit_rate - unit_rate[:, r : r + 1, :]
                se = (
                    np.std(diff, axis=2, ddof=1) / np.sqrt(n_units)
                    if n_units > 1
                    else diff[..., 0] * np.nan
                )
                d = mean - mean[:, r : r + 1]
                d[:, r] = np.nan
                rows[rate] = mean.ravel()
                rows[f"diff_{rate}"] = d.ravel()
                rows[f"diff_{rate}_lo"] = (d - z * se).ravel()
                rows[f"diff_{rate}_hi"] = (d + z * se).ravel()
        held = rows["patients"] > 0
        parts.append({k: a[held] for k, a in rows.items()})
    # one frame at the end: the columns of every subgroup joined as arrays
    cols = [c for c in SUBGROUP_COLUMNS if c in parts[0]]
    return pd.DataFrame({c: np.concatenate([part[c] for part in parts]) for c in cols})
