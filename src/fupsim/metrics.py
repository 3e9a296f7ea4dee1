"""Metrics: engine results → per-patient outcomes → per-protocol summaries with Monte Carlo error.

``outcomes`` has one row per (replicate, protocol, patient). ``summarise`` turns it into one
row per protocol: each metric is computed on the pooled outcomes, and its ``_se`` column is
the Monte Carlo standard error from the spread of the metric across replicates (or, for a
single replicate, across ten batches of patients: the batch-means method).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fupsim.cohort import LOBES, SEXES, STREAM_NAMES, Cohort
from fupsim.engine import ArmResult
from fupsim.events import END_REASONS
from fupsim.natural_history import History
from fupsim.scenario import DAYS_PER_MONTH, Scenario

__all__ = [
    "CAPACITY_OUTCOME_COLUMNS",
    "CAPACITY_SUMMARY_COLUMNS",
    "HEALTH_OUTCOME_COLUMNS",
    "HEALTH_SUMMARY_COLUMNS",
    "OUTCOME_COLUMNS",
    "RECALL_OUTCOME_COLUMNS",
    "RECALL_SUMMARY_COLUMNS",
    "SUMMARY_COLUMNS",
    "arm_outcomes",
    "capacity_summary",
    "summarise",
]

OUTCOME_COLUMNS: dict[str, str] = {
    "replicate": "replicate number (0-based)",
    "protocol": "protocol name",
    "patient_id": "person within the replicate (0-based; the same person under every protocol)",
    "stream": "adult or prenatal",
    "age_years": "age at the index scan, years",
    "sex": "female or male",
    "lobe": "right, left or both",
    "n_foci": "number of calcified foci",
    "cause": "latent cause of the calcification",
    "limited_visualisation": "ultrasound shows this person's liver poorly (sensitivity_if_limited)",
    "progressive": "latent truth: a relevant change begins before the horizon",
    "onset_month": "latent onset of the detectable change, months (inf: never)",
    "presentation_month": "latent clinical presentation, months (inf: never)",
    "screen_detected": "change confirmed after a scheduled scan, before presenting",
    "interval_case": "change presented clinically before the horizon without screen detection",
    "undetected_at_horizon": "change begun but neither detected nor presented at the horizon",
    "false_diagnosis": "CT confirmed a change that was not there (follow-up ends)",
    "detection_month": "diagnosis time, months (screen: CT date; interval: presentation); nan if none",
    "delay_months": "diagnosis minus onset, months (screen-detected and interval cases)",
    "lead_time_months": "presentation minus screen diagnosis, months (screen-detected only)",
    "n_scans": "attended ultrasound scans",
    "n_missed": "scheduled scans not attended",
    "n_ct": "CT work-ups done",
    "n_false_positive_workups": "CT work-ups in people with no detectable change",
    "end_reason": "why scheduled follow-up ended",
    "followup_end_month": "when scheduled follow-up ended, months",
    "last_scan_month": "last attended scan, months (0: none)",
    "cost": "discounted cost per person, scenario currency",
    "programme_cost": "discounted cost of scans, visits and CT work-ups (the follow-up programme)",
}

HEALTH_OUTCOME_COLUMNS: dict[str, str] = {
    "life_years": "discounted life-years from the index scan to the outcome horizon (expected after follow-up)",
    "qalys": "discounted QALYs to the outcome horizon, net of every harm",
    "death_month": "background death that ended follow-up before any diagnosis, months; nan otherwise",
    "presented_in_follow_up": "change presented clinically while still under follow-up",
    "presented_after_follow_up": "expected presentations after follow-up ended (change begun by the horizon)",
    "late_presentations": "expected clinical presentations of the change at any time to the outcome horizon",
    "change_deaths": "expected deaths from the change (episode deaths and excess hazard)",
    "harm_qalys": "discounted QALYs lost to false positives, false diagnoses, radiation and scans",
    "ct_dose_msv": "effective CT dose received, mSv",
    "radiation_cancers": "expected radiation-induced cancers",
}
"""Columns :mod:`fupsim.health` adds to each outcome row (part of :data:`OUTCOME_COLUMNS`)."""
OUTCOME_COLUMNS.update(HEALTH_OUTCOME_COLUMNS)


RECALL_OUTCOME_COLUMNS: dict[str, str] = {
    "n_repeat_scans": "repeat ultrasounds of the recall work-up (ct.workup 'repeat_us_then_...')",
    "n_mri": "MRI work-ups done (ct.workup 'mri' or 'repeat_us_then_mri'; n_ct then stays 0)",
    "n_biopsy": "biopsy work-ups done (ct.workup 'biopsy' or 'repeat_us_then_biopsy')",
}
"""Extra outcome columns when the recall work-up uses them (``ct.workup``)."""

RECALL_SUMMARY_COLUMNS: dict[str, str] = {
    "mri_per_patient": "MRI work-ups per person (a work-up by MRI)",
    "biopsy_per_patient": "biopsy work-ups per person (a work-up by biopsy)",
}
"""Extra summary columns when the recall work-up confirms by MRI or biopsy."""

SUMMARY_COLUMNS: dict[str, str] = {
    "protocol": "protocol name",
    "patients": "people per replicate (mean)",
    "scans_per_patient": "attended ultrasound scans per person",
    "missed_scans_per_patient": "scheduled scans not attended per person",
    "ct_per_patient": "CT work-ups per person",
    "false_positive_workups_per_1000": "CT work-ups in people without a detectable change, per 1,000",
    "false_diagnoses_per_1000": "false CT confirmations per 1,000",
    "progressive_per_1000": "people whose relevant change begins before the horizon, per 1,000",
    "screen_detected_per_1000": "changes found by a scheduled scan, per 1,000",
    "interval_cases_per_1000": "changes that presented clinically first, per 1,000",
    "undetected_at_horizon_per_1000": "changes neither found nor presented at the horizon, per 1,000",
    "program_sensitivity": "screen-detected / (screen-detected + interval cases)",
    "mean_delay_months": "mean onset-to-diagnosis time of diagnosed changes, months",
    "mean_lead_time_months": "mean presentation minus screen diagnosis, months",
    "cost_per_patient": "mean discounted cost per person, scenario currency",
    "programme_cost_per_screen_detected": (
        "cost of the follow-up programme (scans, visits, CT work-ups) / screen-detected changes"
    ),
    "scans_per_screen_detected": "attended scans per screen-detected change",
}
"""Columns every summary has. With health outcomes (:mod:`fupsim.health`) it also has
:data:`HEALTH_SUMMARY_COLUMNS`."""

HEALTH_SUMMARY_COLUMNS: dict[str, str] = {
    "qalys_per_patient": "discounted QALYs per person to the outcome horizon, net of harms",
    "life_years_per_patient": "discounted life-years per person to the outcome horizon",
    "deaths_per_1000": "expected deaths from the change (episode and excess hazard), per 1,000",
    "ct_dose_msv_per_patient": "effective CT dose per person, mSv",
    "radiation_cancers_per_100000": "expected radiation-induced cancers per 100,000",
    "interval_cases_in_follow_up_per_1000": "changes presenting while still followed, per 1,000",
    "presented_after_follow_up_per_1000": (
        "changes begun by the horizon that present after follow-up ended (loss, stop rule, "
        "false diagnosis or the horizon), expected, per 1,000"
    ),
    "lead_time_per_person_months": (
        "lead time summed over people whose change began by the horizon (0 if not "
        "screen-detected) / their number, months"
    ),
}


def arm_outcomes(
    scenario: Scenario, cohort: Cohort, history: History, arm: ArmResult, replicate: int
) -> pd.DataFrame:
    """Per-patient outcomes of one protocol arm (columns of :data:`OUTCOME_COLUMNS`)."""
    n = cohort.size
    h = scenario.simulation.horizon_months
    costs, delay = scenario.costs, scenario.ct.delay_days / DAYS_PER_MONTH
    sd = arm.screen_detected
    onset, pres = history.onset_month, history.presentation_month
    detect_month = arm.detection_scan_day / DAYS_PER_MONTH + delay
    interval = ~sd & (pres <= h)
    detection = np.where(sd, detect_month, np.where(interval, pres, np.nan))

    def disc(t_months: np.ndarray) -> np.ndarray:
        return costs.discount(np.nan_to_num(t_months, nan=0.0, posinf=0.0) * DAYS_PER_MONTH)

    treated_early = sd | arm.false_diagnosis
    early_t = np.where(sd, detect_month, arm.end_day / DAYS_PER_MONTH + delay)
    cost = (
        arm.scan_cost
        + np.where(treated_early, costs.early_treatment * disc(early_t), 0.0)
        + np.where(interval, costs.late_treatment * disc(pres), 0.0)
    )
    cat = pd.Categorical.from_codes
    frame = pd.DataFrame(
        {
            "replicate": np.full(n, replicate, dtype=np.int32),
            "protocol": np.array([arm.protocol], dtype=object).repeat(n),  # fast: one pointer
            "patient_id": cohort.ids,
            "stream": cat(cohort.stream, categories=list(STREAM_NAMES)),
            "age_years": cohort.age_years,
            "sex": cat(cohort.female.astype(np.int8), categories=list(SEXES)),
            "lobe": cat(cohort.lobe, categories=list(LOBES)),
            "n_foci": cohort.n_foci,
            "cause": cat(cohort.cause, categories=list(cohort.causes)),
            "limited_visualisation": cohort.limited_visualisation,
            "progressive": onset <= h,
            "onset_month": onset,
            "presentation_month": pres,
            "screen_detected": sd,
            "interval_case": interval,
            "undetected_at_horizon": (onset <= h) & ~sd & (pres > h),
            "false_diagnosis": arm.false_diagnosis,
            "detection_month": detection,
            "delay_months": detection - np.where(np.isfinite(detection), onset, np.nan),
            # no lead time when death came before the change would have presented
            "lead_time_months": np.where(sd & np.isfinite(pres), pres - detect_month, np.nan),
            "n_scans": arm.n_scans,
            "n_missed": arm.n_missed,
            "n_ct": arm.n_ct,
            "n_false_positive_workups": arm.n_false_positive_workups,
            "end_reason": cat(arm.end_reason, categories=list(END_REASONS)),
            "followup_end_month": np.minimum(arm.end_day / DAYS_PER_MONTH, h),
            "last_scan_month": arm.last_scan_day / DAYS_PER_MONTH,
            "cost": cost,
            "programme_cost": arm.scan_cost,
        },
        copy=False,  # one block per column: consolidating 30 columns was most of the time
    )
    if scenario.ct.repeat_us:
        frame["n_repeat_scans"] = arm.n_repeat_scans
    if scenario.ct.confirm_test == "mri" and arm.n_mri is not None:
        frame["n_mri"] = arm.n_mri
    if scenario.ct.confirm_test == "biopsy" and arm.n_biopsy is not None:
        frame["n_biopsy"] = arm.n_biopsy
    if arm.service is not None:
        frame["index_day"] = arm.service.index_day.astype(np.int32)
        frame["wait_days_total"] = arm.service.wait_days_total
        frame["overdue_scans"] = arm.service.overdue_scans
        frame["escalated_scans"] = arm.service.escalated_scans
    return frame


CAPACITY_OUTCOME_COLUMNS: dict[str, str] = {
    "index_day": "service day of the person's index scan (start of their follow-up)",
    "wait_days_total": "summed waits of the person's appointments, days",
    "overdue_scans": "appointments later than the first clinic day on or after the due date",
    "escalated_scans": "scans done outside the slots after the maximum wait",
}
"""Extra outcome columns when the scenario models the service (``[capacity]``)."""

CAPACITY_SUMMARY_COLUMNS: dict[str, str] = {
    "mean_wait_days": "mean wait of follow-up appointments due in the measured period, days",
    "p95_wait_days": "95th percentile of those waits, days (mean over replicates)",
    "scanner_utilisation": "(other services' scans + follow-up appointments) / slots offered",
    "scans_overdue_share": "share of those appointments done after their due clinic day",
}
"""Extra summary columns when the scenario models the service (``[capacity]``)."""


def capacity_summary(calendar: pd.DataFrame, waits: pd.DataFrame) -> pd.DataFrame:
    """Per-protocol service metrics (:data:`CAPACITY_SUMMARY_COLUMNS`) with ``_se`` columns.

    Parameters
    ----------
    calendar : DataFrame
        Weekly service table (``capacity.csv``); utilisation uses its measured weeks.
    waits : DataFrame
        Appointments by ``wait_days`` per replicate and protocol.

    Each metric is computed per replicate and averaged; ``_se`` is the standard deviation
    across replicates over the square root of their number (NaN for a single replicate).
    """
    rows = []
    for (rep, prot), w in waits.groupby(["replicate", "protocol"], sort=False):
        counts = w["appointments"].to_numpy(float)
        days = w["wait_days"].to_numpy(float)
        total = counts.sum()
        cum = np.cumsum(counts[np.argsort(days)])
        p95 = np.sort(days)[np.searchsorted(cum, 0.95 * total)] if total else np.nan
        rows.append(
            {
                "replicate": rep,
                "protocol": prot,
                "mean_wait_days": (days * counts).sum() / total if total else np.nan,
                "p95_wait_days": p95,
                "scans_overdue_share": counts[days > 0].sum() / total if total else np.nan,
            }
        )
    cal = calendar[calendar["measured"]]
    used = cal["background_scans"] + cal["appointments"]
    util = (
        cal.assign(_used=used)
        .groupby(["replicate", "protocol"], sort=False)[["_used", "slots_offered"]]
        .sum()
    )
    util["scanner_utilisation"] = util["_used"] / util["slots_offered"]
    names = ["replicate", "protocol", "mean_wait_days", "p95_wait_days", "scans_overdue_share"]
    per_rep = pd.DataFrame(rows, columns=names)
    per_rep = per_rep.merge(
        util["scanner_utilisation"].reset_index(), on=["replicate", "protocol"], how="outer"
    )
    grouped = per_rep.groupby("protocol", sort=False)
    mean = grouped[list(CAPACITY_SUMMARY_COLUMNS)].mean()
    se = grouped[list(CAPACITY_SUMMARY_COLUMNS)].std(ddof=1).div(grouped.size() ** 0.5, axis=0)
    out = pd.DataFrame(index=mean.index)
    for name in CAPACITY_SUMMARY_COLUMNS:
        out[name] = mean[name]
        out[f"{name}_se"] = se[name]
    return out.reset_index()


_SUMS = {
    "n": ("patient_id", "size"),
    "scans": ("n_scans", "sum"),
    "missed": ("n_missed", "sum"),
    "ct": ("n_ct", "sum"),
    "mri": ("n_mri", "sum"),
    "biopsy": ("n_biopsy", "sum"),
    "fp": ("n_false_positive_workups", "sum"),
    "false_dx": ("false_diagnosis", "sum"),
    "prog": ("progressive", "sum"),
    "sd": ("screen_detected", "sum"),
    "interval": ("interval_case", "sum"),
    "undetected": ("undetected_at_horizon", "sum"),
    "delay_sum": ("delay_months", "sum"),
    "delay_n": ("delay_months", "count"),
    "lead_sum": ("lead_time_months", "sum"),
    "lead_n": ("lead_time_months", "count"),
    "cost": ("cost", "sum"),
    "programme_cost": ("programme_cost", "sum"),
    "qalys": ("qalys", "sum"),
    "life_years": ("life_years", "sum"),
    "change_deaths": ("change_deaths", "sum"),
    "ct_dose": ("ct_dose_msv", "sum"),
    "radiation": ("radiation_cancers", "sum"),
    "in_fu": ("presented_in_follow_up", "sum"),
    "after_fu": ("presented_after_follow_up", "sum"),
}
_HEALTH_SUMS = ("qalys", "life_years", "change_deaths", "ct_dose", "radiation", "in_fu", "after_fu")


def _metrics(sums: pd.DataFrame, units: float) -> pd.DataFrame:
    """Metrics from summed counts (any grouping); ``units`` divides ``n`` into people per unit."""
    # numpy on the columns (pandas arithmetic on aligned float columns, without its overhead)
    s = {name: sums[name].to_numpy(np.float64) for name in sums.columns}  # no overflow
    with np.errstate(divide="ignore", invalid="ignore"):
        out: dict[str, np.ndarray] = {}
        n = s["n"]
        out["patients"] = n / units
        out["scans_per_patient"] = s["scans"] / n
        out["missed_scans_per_patient"] = s["missed"] / n
        out["ct_per_patient"] = s["ct"] / n
        for test in ("mri", "biopsy"):  # only when the work-up uses the test
            if test in s:
                out[f"{test}_per_patient"] = s[test] / n
        out["false_positive_workups_per_1000"] = 1000 * s["fp"] / n
        out["false_diagnoses_per_1000"] = 1000 * s["false_dx"] / n
        out["progressive_per_1000"] = 1000 * s["prog"] / n
        out["screen_detected_per_1000"] = 1000 * s["sd"] / n
        out["interval_cases_per_1000"] = 1000 * s["interval"] / n
        out["undetected_at_horizon_per_1000"] = 1000 * s["undetected"] / n
        out["program_sensitivity"] = s["sd"] / (s["sd"] + s["interval"])
        out["mean_delay_months"] = s["delay_sum"] / s["delay_n"]
        out["mean_lead_time_months"] = s["lead_sum"] / s["lead_n"]
        out["cost_per_patient"] = s["cost"] / n
        programme = s["programme_cost"] if "programme_cost" in s else np.nan
        found = s["sd"] > 0
        out["programme_cost_per_screen_detected"] = np.where(found, programme / s["sd"], np.nan)
        out["scans_per_screen_detected"] = np.where(found, s["scans"] / s["sd"], np.nan)
        if all(name in s for name in _HEALTH_SUMS):
            out["qalys_per_patient"] = s["qalys"] / n
            out["life_years_per_patient"] = s["life_years"] / n
            out["deaths_per_1000"] = 1000 * s["change_deaths"] / n
            out["ct_dose_msv_per_patient"] = s["ct_dose"] / n
            out["radiation_cancers_per_100000"] = 100_000 * s["radiation"] / n
            out["interval_cases_in_follow_up_per_1000"] = 1000 * s["in_fu"] / n
            out["presented_after_follow_up_per_1000"] = 1000 * s["after_fu"] / n
            out["lead_time_per_person_months"] = s["lead_sum"] / s["prog"]
    frame = {k: np.where(np.isinf(v), np.nan, v) for k, v in out.items()}
    return pd.DataFrame(frame, index=sums.index)


def label_codes(column: pd.Series) -> tuple[np.ndarray, list[object]]:
    """``pd.factorize(column, sort=False)`` for a column made of long runs of one label.

    An outcomes table's ``protocol`` column holds one block per arm, so comparing neighbours
    (one pass) and looking up each run's label is several times faster than hashing every
    row; a column with many runs, or with a missing value, goes to ``pd.factorize``.
    """
    values = column.to_numpy()
    if values.size == 0 or values.dtype != object:
        codes, names = pd.factorize(column, sort=False)
        return codes.astype(np.int64), list(names)
    starts = np.flatnonzero(values[1:] != values[:-1]) + 1
    if starts.size > 1000:
        codes, names = pd.factorize(column, sort=False)
        return codes.astype(np.int64), list(names)
    starts = np.concatenate([[0], starts])
    firsts = values[starts]
    if not all(isinstance(x, str) for x in firsts):
        codes, names = pd.factorize(column, sort=False)
        return codes.astype(np.int64), list(names)
    lookup: dict[object, int] = {}
    for x in firsts:
        lookup.setdefault(x, len(lookup))
    run_codes = np.array([lookup[x] for x in firsts], dtype=np.int64)
    return np.repeat(run_codes, np.diff(np.append(starts, values.size))), list(lookup)


def sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)``, without hashing for small non-negative integers
    (replicate numbers, batches of patients): each value's rank among the values present."""
    v = np.asarray(values)
    if v.dtype.kind in "iu" and v.size and v.min() >= 0 and v.max() < 1_000_000:
        present = np.flatnonzero(np.bincount(v))
        rank = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        rank[present] = np.arange(present.size)
        return rank[v], present
    codes, names = pd.factorize(v, sort=True)
    return codes.astype(np.int64), np.asarray(names)


def _unit_sums(outcomes: pd.DataFrame, unit: np.ndarray) -> pd.DataFrame:
    """The sums of :data:`_SUMS` per (protocol, unit), with numpy's bincount (fast on millions of rows)."""
    proto_codes, names = label_codes(outcomes["protocol"])
    proto_names = pd.Index(names, dtype=object)
    unit_codes, unit_names = sorted_codes(unit)
    key = proto_codes.astype(np.int64) * len(unit_names) + unit_codes
    size = len(proto_names) * len(unit_names)
    sums: dict[str, np.ndarray] = {}
    for name, (column, how) in _SUMS.items():
        if column not in outcomes:
            continue  # health columns are absent from runs without them
        if how == "size":
            sums[name] = np.bincount(key, minlength=size).astype(np.float64)
            continue
        values = outcomes[column].to_numpy()
        if values.dtype.kind in "biu":  # whole numbers: nothing missing
            weights = values if how == "sum" else np.ones(values.size, dtype=bool)
        elif how == "count":
            weights = ~np.isnan(values)
        else:
            weights = values.astype(np.float64, copy=False)
            missing = np.isnan(weights)
            if missing.any():  # sums skip missing values
                weights = np.where(missing, 0.0, weights)
        sums[name] = np.bincount(key, weights=weights, minlength=size)
    index = pd.MultiIndex.from_product([proto_names, unit_names], names=["protocol", "_unit"])
    frame = pd.DataFrame(sums, index=index)
    return frame[frame["n"] > 0]


def summarise(outcomes: pd.DataFrame, protocols: list[str] | None = None) -> pd.DataFrame:
    """One row per protocol: every metric of :data:`SUMMARY_COLUMNS` and its ``_se``.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes (:func:`arm_outcomes`, concatenated over replicates and arms).
    protocols : list of str, optional
        Row order; defaults to order of first appearance.
    """
    rep = outcomes["replicate"].to_numpy()
    reps = 1 if rep.size and rep.min() == rep.max() else outcomes["replicate"].nunique()
    unit = outcomes["replicate"] if reps >= 2 else outcomes["patient_id"] % 10
    n_units = reps if reps >= 2 else 10
    per_unit_sums = _unit_sums(outcomes, unit.to_numpy())
    pooled = _metrics(per_unit_sums.groupby(level="protocol", sort=False).sum(), float(reps))
    per_unit = _metrics(per_unit_sums, 1.0)
    se = per_unit.groupby(level="protocol", sort=False).std(ddof=1) / np.sqrt(n_units)
    order = protocols or label_codes(outcomes["protocol"])[1]
    pooled, se = pooled.reindex(order), se.reindex(order)
    cols: dict[str, pd.Series] = {}
    for name in pooled.columns:
        cols[name] = pooled[name]
        if name != "patients":
            cols[f"{name}_se"] = se[name]
    result = pd.DataFrame(cols)
    result.index.name = "protocol"
    return result.reset_index()
