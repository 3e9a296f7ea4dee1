"""One metric registry: every reported metric's label, unit and scale, and the effects.

Tables, figures and the command line take their wording from here, so a metric is named
the same way everywhere. ``{currency}`` in a unit is filled with the scenario's currency and
price year (:func:`unit`). The registry sits at the metrics floor: it imports nothing of
fupsim's.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BY_CAUSE_COUNTS", "EFFECTS", "METRICS", "Effect", "Metric", "effect", "label", "unit"]


@dataclass(frozen=True)
class Metric:
    """How a metric is shown.

    Attributes
    ----------
    label : str
        Plain words, lower case (e.g. "changes found by a scheduled scan").
    unit : str
        The unit as shown in a header, ``{currency}`` for the scenario's currency.
    scale : float
        Factor from the per-person outcome to the metric (1,000 for "per 1,000").
    short : str
        A short name for legends ("screen-detected"); the label when not given.
    """

    label: str
    unit: str
    scale: float = 1.0
    short: str = ""

    @property
    def legend(self) -> str:
        """The short name, or the label."""
        return self.short or self.label


P1000 = "per 1,000 people"
METRICS: dict[str, Metric] = {
    "patients": Metric("people per replicate", "people"),
    "scans_per_patient": Metric("attended ultrasound scans", "per person"),
    "missed_scans_per_patient": Metric("missed ultrasound scans", "per person"),
    "ct_per_patient": Metric("CT work-ups", "per person"),
    "mri_per_patient": Metric("MRI work-ups", "per person"),
    "biopsy_per_patient": Metric("biopsy work-ups", "per person"),
    "false_positive_workups_per_1000": Metric("false-positive CT work-ups", P1000, 1000.0),
    "false_diagnoses_per_1000": Metric("false diagnoses", P1000, 1000.0),
    "progressive_per_1000": Metric("changes begun before the horizon", P1000, 1000.0),
    "screen_detected_per_1000": Metric(
        "changes found by a scheduled scan", P1000, 1000.0, "screen-detected"
    ),
    "interval_cases_per_1000": Metric(
        "changes presenting clinically first", P1000, 1000.0, "interval cases"
    ),
    "undetected_at_horizon_per_1000": Metric(
        "changes unfound at the horizon", P1000, 1000.0, "undetected at horizon"
    ),
    "program_sensitivity": Metric("programme sensitivity", "share"),
    "mean_delay_months": Metric("onset-to-diagnosis delay", "months"),
    "mean_lead_time_months": Metric("lead time of screen-detected changes", "months"),
    "cost_per_patient": Metric("cost", "{currency} per person"),
    "programme_cost_per_screen_detected": Metric(
        "programme cost per screen-detected change", "{currency} per change"
    ),
    "scans_per_screen_detected": Metric("scans per screen-detected change", "scans per change"),
    "qalys_per_patient": Metric("QALYs", "per person"),
    "life_years_per_patient": Metric("life-years", "per person"),
    "deaths_per_1000": Metric("deaths from the change", P1000, 1000.0),
    "ct_dose_msv_per_patient": Metric("CT dose", "mSv per person"),
    "radiation_cancers_per_100000": Metric(
        "radiation-induced cancers", "per 100,000 people", 100_000.0
    ),
    "interval_cases_in_follow_up_per_1000": Metric(
        "changes presenting during follow-up", P1000, 1000.0
    ),
    "presented_after_follow_up_per_1000": Metric(
        "changes presenting after follow-up", P1000, 1000.0
    ),
    "lead_time_per_person_months": Metric("lead time per changed person", "months"),
    "net_monetary_benefit": Metric("net monetary benefit", "{currency} per person"),
    "incremental_net_benefit": Metric("incremental net benefit", "{currency} per person"),
    "incremental_cost_per_detection": Metric(
        "incremental cost per unit of effect gained", "{currency} per unit of effect"
    ),
}
"""Summary metric (``summary.csv`` column) → how it is shown."""

BY_CAUSE_COUNTS: dict[str, str] = {
    "screen_detected": "changes found by a scheduled scan",
    "late_presentations": "late (clinical) presentations, expected",
    "deaths": "deaths from the change, expected",
    "false_positive_workups": "false-positive CT work-ups",
}
"""Count column of ``by_cause.csv`` → its label (shown per 1,000 people of the cause)."""


@dataclass(frozen=True)
class Effect:
    """A health effect a cost-effectiveness ratio may be expressed in (``analysis.effect``).

    Attributes
    ----------
    outcome : str
        The per-person column of ``outcomes.parquet`` that measures it.
    summary : str
        The ``summary.csv`` column (per person, or per 1,000 with ``summary_scale``).
    summary_scale : float
        Factor from per person to the summary column.
    singular, plural : str
        The unit in words ("QALY", "QALYs").
    """

    outcome: str
    summary: str
    summary_scale: float
    singular: str
    plural: str

    @property
    def per_person(self) -> str:
        """The per-person column of PSA and sensitivity tables (``qalys_per_patient``, ...)."""
        return f"{self.outcome}_per_patient"

    @property
    def ratio_unit(self) -> str:
        """E.g. "cost per QALY gained"."""
        gained = "gained" if self.singular != "screen-detected change" else "found"
        return f"cost per {self.singular} {gained}"


EFFECTS: dict[str, Effect] = {
    "qaly": Effect("qalys", "qalys_per_patient", 1.0, "QALY", "QALYs"),
    "life_years": Effect("life_years", "life_years_per_patient", 1.0, "life-year", "life-years"),
    "screen_detected": Effect(
        "screen_detected",
        "screen_detected_per_1000",
        1000.0,
        "screen-detected change",
        "screen-detected changes",
    ),
}
"""``analysis.effect`` → the effect's columns and words."""


def effect(name: str | None) -> Effect:
    """The :class:`Effect` of ``analysis.effect`` (``screen_detected`` when None)."""
    return EFFECTS[name or "screen_detected"]


def label(name: str) -> str:
    """The metric's label, or the column name in words when it is not registered."""
    m = METRICS.get(name)
    return m.label if m else name.replace("_", " ")


def unit(name: str, currency: str = "") -> str:
    """The metric's unit with ``{currency}`` filled (e.g. "USD 2026 per person"), or ""."""
    m = METRICS.get(name)
    return m.unit.replace("{currency}", currency).strip() if m else ""
