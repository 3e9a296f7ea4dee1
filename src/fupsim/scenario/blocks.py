"""The scenario's blocks: frozen, validated pydantic models, one per TOML table."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from fupsim.distributions import Dirichlet, Distribution, StrictFloat, strict_number
from fupsim.scenario.design import Design
from fupsim.scenario.health import Harms, Health, check_health
from fupsim.scenario.keys import lookup
from fupsim.scenario.names import SWEEP_OUTCOMES
from fupsim.scenario.workup import IndexWorkup, check_workup

DAYS_PER_MONTH = 365.25 / 12.0
"""Average days in a month; the engine works in whole days."""
MIN_INTERVAL_MONTHS = 0.25
"""Shortest scan interval accepted (about a week): shorter is a typo, and costs hours."""
MAX_FOCI_MEAN = 100.0
"""Largest mean number of foci among people with more than one."""
MAX_SERVICE_MONTHS = 1200.0
"""Longest capacity run-in or service period (100 years): longer is a typo, and costs hours."""
MAX_GRID_POINTS = 100_000
"""Largest sensitivity grid accepted, to catch a typo such as ``lo:hi:1000000`` before any work."""
SIZE_KEYS = ("simulation.seed", "simulation.patients", "simulation.replications")
"""Keys that size a run rather than describe the model: every sensitivity point runs with one
seed, patients and replications (``--seed``/``--patients``/``--replications``), so varying
them point by point would only relabel identical rows."""

Probability = Annotated[StrictFloat, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[StrictFloat, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)]
Finite = Annotated[StrictFloat, Field(allow_inf_nan=False)]
StrictInt = Annotated[int, BeforeValidator(strict_number)]
SHARE_TOLERANCE = 1e-6
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class _Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _check_shares(shares: Mapping[str, float], what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} sum to {total:.6g}; they must sum to 1")


class Meta(_Block):
    """Free text that identifies the scenario."""

    name: str = "unnamed"
    description: str = ""


class Simulation(_Block):
    """Size and length of a run."""

    patients: Annotated[StrictInt, Field(ge=1)] = 10_000
    replications: Annotated[StrictInt, Field(ge=1)] = 10
    seed: Annotated[StrictInt, Field(ge=0)] = 20261126
    horizon_months: Positive = 36.0
    source: str | None = None


class LobeShares(_Block):
    """Share of people whose calcification lies in each lobe."""

    right: Probability
    left: Probability
    both: Probability

    @model_validator(mode="after")
    def _sum(self) -> LobeShares:
        _check_shares(self.model_dump(), "lobe shares")
        return self


class CauseOdds(_Block):
    """Covariates of one cause: odds ratios per decade of age and for multiple foci.

    The cause's odds are multiplied by ``per_decade`` for every 10 years of age and by
    ``multiple_foci`` with more than one focus; the shares of ``cohort.causes`` stay the
    cohort's overall mix (the baseline odds are calibrated to it, :mod:`fupsim.cohort`).
    """

    per_decade: Positive = 1.0
    multiple_foci: Positive = 1.0


class Cohort(_Block):
    """Demographics and cause mix of adults with an index finding."""

    age: Distribution
    female_share: Probability = 0.5
    lobe: LobeShares
    multiple_foci_share: Probability = 0.3
    multiple_foci_mean: Annotated[StrictFloat, Field(ge=2.0, le=MAX_FOCI_MEAN)] = 2.5
    causes: dict[str, Probability]
    cause_odds: dict[str, CauseOdds] = Field(default_factory=dict)
    source: str | None = None

    @field_validator("age")
    @classmethod
    def _ages(cls, v: Any) -> Any:
        _non_negative_support(v, "ages")
        return v

    @field_validator("causes")
    @classmethod
    def _causes(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("needs at least one cause")
        if "congenital" in v:
            raise ValueError("'congenital' belongs to the prenatal stream, not the adult mix")
        _check_shares(v, "cause shares")
        return v


class InfantFollowUp(_Block):
    """The infants' own schedule: a postnatal ultrasound, then visits at these months of age."""

    postnatal_scan: StrictBool = True
    visits_months: list[Positive] = Field(default_factory=list)
    horizon_months: Positive = 24.0
    source: str | None = None

    @field_validator("visits_months")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("visit months must be strictly increasing")
        return v

    @model_validator(mode="after")
    def _within_horizon(self) -> InfantFollowUp:
        if self.visits_months and self.visits_months[-1] > self.horizon_months + 1e-9:
            raise ValueError(
                f"visits_months: visit at month {self.visits_months[-1]:g} is after "
                f"horizon_months = {self.horizon_months:g}; the infants' protocol must end "
                "by its horizon"
            )
        return self


class InfantOutcomes(_Block):
    """Probability of a poor outcome (death or severe impairment) by the infant's flags (F2-F5).

    ``isolated``: no associated anomaly, normal karyotype, no infection (1 - F5). The flags
    combine as independent risks: P(good) is the product of (1 - p) over the flags present.
    """

    isolated: Probability = 0.0
    associated_anomaly: Probability = 0.5
    abnormal_karyotype: Probability = 0.7
    congenital_infection: Probability = 0.3
    source: str | None = None


class Prenatal(_Block):
    """The prenatal stream: fetal hepatic calcification found on routine pregnancy scans.

    ``screened`` is the number of pregnancies scanned per replicate, or, with
    ``screened_per_adult``, that many per adult simulated (so ``--patients`` keeps the mix).
    """

    screened: Annotated[StrictInt, Field(ge=0)] = 0
    screened_per_adult: NonNegative | None = None
    fetal_rate: Probability = 0.00057
    associated_anomaly: Probability = 0.21
    karyotype_if_anomaly: Probability = 0.25
    karyotype_if_isolated: Probability = 0.05
    infection_if_anomaly: Probability = 0.025
    infection_if_isolated: Probability = 0.05
    follow_up: InfantFollowUp = Field(default_factory=InfantFollowUp)
    outcomes: InfantOutcomes = Field(default_factory=InfantOutcomes)
    source: str | None = None

    def pregnancies(self, adults: int) -> int:
        """Pregnancies scanned in a replicate with ``adults`` adults."""
        if self.screened_per_adult is not None:
            return round(self.screened_per_adult * adults)
        return self.screened


def _non_negative_support(dist: Any, what: str) -> None:
    """Refuse a distribution that can draw a negative value (a normal, or a low below 0)."""
    lowest = dist.lowest()
    if lowest < 0:
        if lowest == -math.inf:
            where = f"a {dist.dist} with no low bound can draw any negative value"
        elif dist.dist == "fixed":
            where = f"the fixed value is {lowest:g}"
        else:
            where = f"this {dist.dist} can draw values down to {lowest:g}"
        raise ValueError(
            f"{what} must be 0 or more, but {where}; use a distribution on "
            "[0, inf): exponential, weibull, gamma, lognormal, or truncnormal/uniform with "
            "low >= 0, or fixed with value >= 0"
        )


class CauseHistory(_Block):
    """Latent natural history of one cause (times in months from the index scan).

    ``onset`` and ``sojourn`` are durations, so a distribution that can draw a negative value
    is refused (a ``normal``, or a ``truncnormal``/``uniform`` with ``low`` below 0, or a
    negative ``fixed`` value) rather than silently clipped to month 0.
    """

    progressive_share: Probability
    onset: Distribution
    sojourn: Distribution
    source: str | None = None

    @field_validator("onset", "sojourn")
    @classmethod
    def _times(cls, v: Any) -> Any:
        _non_negative_support(v, "times")
        return v


class LobeSensitivity(_Block):
    """Ultrasound sensitivity by lobe of the finding."""

    right: Probability
    left: Probability
    both: Probability


class Ultrasound(_Block):
    """Follow-up ultrasound: per-exam sensitivity for a relevant change, and specificity.

    ``limited_visualisation_share`` of people have a liver that ultrasound shows poorly; every
    scan of theirs has ``sensitivity_if_limited`` instead, so their misses repeat (PARAMETERS.md
    T5: a patient-level random effect instead of independent misses).
    """

    sensitivity: Probability | LobeSensitivity
    sensitivity_by_cause: dict[str, Probability] = Field(default_factory=dict)
    specificity: Probability
    limited_visualisation_share: Probability = 0.0
    sensitivity_if_limited: Probability = 0.23
    source: str | None = None


class CT(_Block):
    """The work-up after a positive ultrasound: CT, or a repeat ultrasound and then CT.

    ``sensitivity_by_cause`` replaces ``sensitivity`` for the causes it lists. With
    ``workup = "repeat_us_then_ct"`` a positive scan is first repeated
    ``repeat_us_delay_days`` later (within the recall delay); only a second positive goes on
    to CT, ``delay_days`` after the first.
    """

    sensitivity: Probability
    sensitivity_by_cause: dict[str, Probability] = Field(default_factory=dict)
    specificity: Probability
    completion: Probability = 1.0
    delay_days: NonNegative = 0.0
    workup: Literal["ct", "repeat_us_then_ct"] = "ct"
    repeat_us_delay_days: NonNegative = 14.0
    source: str | None = None

    @model_validator(mode="after")
    def _repeat_within_delay(self) -> CT:
        if self.workup == "repeat_us_then_ct" and self.repeat_us_delay_days > self.delay_days:
            raise ValueError(
                f"repeat_us_delay_days = {self.repeat_us_delay_days:g}: the repeat ultrasound "
                f"is part of the recall, so it must come no later than delay_days = "
                f"{self.delay_days:g}"
            )
        return self


class Attendance(_Block):
    """Imperfect attendance: per-visit attendance, loss to follow-up, jitter.

    ``loss_basis = "visit"`` loses ``loss_per_visit`` of those followed after each visit, so
    frequent schedules lose more people by a given month; ``"time"`` loses them at
    ``loss_per_year`` whatever the schedule (:func:`fupsim.protocol.loss_probabilities`).
    """

    per_visit: Probability = 1.0
    loss_basis: Literal["visit", "time"] = "visit"
    loss_per_visit: Probability = 0.0
    loss_per_year: Probability = 0.0
    jitter_sd_days: NonNegative = 0.0
    source: str | None = None


def discount_factor(time_days: Any, rate_per_year: float) -> Any:
    """Continuous-time discount factor ``(1 + r) ** (-t / 365.25 days)`` for costs at ``time_days``.

    The one definition of discounting in fupsim: ``ln(1 + r)`` is the continuous rate, so a
    cost one year after the index scan is divided by ``1 + r``.
    """
    return (1.0 + rate_per_year) ** (-np.asarray(time_days, dtype=float) / 365.25)


class Costs(_Block):
    """Unit costs and discounting."""

    currency: str = "USD"
    year: StrictInt = 2026
    ultrasound: NonNegative
    ct: NonNegative
    visit: NonNegative
    early_treatment: NonNegative
    late_treatment: NonNegative
    discount_rate: Annotated[StrictFloat, Field(ge=0.0, lt=1.0)] = 0.03
    source: str | None = None

    def discount(self, time_days: Any) -> Any:
        """Discount factor of a cost ``time_days`` after the index scan, at ``discount_rate``."""
        return discount_factor(time_days, self.discount_rate)


class Protocol(_Block):
    """One follow-up schedule: a regular interval, or an explicit list of visit months."""

    name: str
    interval_months: Positive | None = None
    visits_months: list[Positive] | None = None
    duration_months: Positive | None = None
    stop_after_stable: Annotated[StrictInt, Field(ge=1)] | None = None
    rebook_missed_after_days: Annotated[StrictInt, Field(ge=1)] | None = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                "must start with a letter or digit and use only letters, digits, _ . -"
            )
        if v.isdigit():
            raise ValueError(
                "a name of digits only would read as a position in dotted keys "
                "(protocol.0.interval_months is the first protocol); include a letter"
            )
        return v

    @field_validator("interval_months")
    @classmethod
    def _interval(cls, v: float | None) -> float | None:
        if v is not None and v < MIN_INTERVAL_MONTHS:
            raise ValueError(
                f"must be at least {MIN_INTERVAL_MONTHS:g} months (about a week); a shorter "
                "interval is almost surely a typo and would take hours to simulate"
            )
        return v

    @field_validator("visits_months")
    @classmethod
    def _increasing(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("visit months must be strictly increasing")
        return v

    @model_validator(mode="after")
    def _one_schedule(self) -> Protocol:
        if (self.interval_months is None) == (self.visits_months is None):
            raise ValueError(
                "give exactly one of interval_months or visits_months (use [] for none)"
            )
        return self

    def duration(self, horizon_months: float) -> float:
        """Months of follow-up: ``duration_months``, or the horizon when it is not given."""
        return horizon_months if self.duration_months is None else self.duration_months

    def visit_months(self, horizon_months: float) -> list[float]:
        """Nominal visit times in months, up to and including the protocol's duration."""
        if self.visits_months is not None:
            return list(self.visits_months)
        assert self.interval_months is not None
        n = math.floor(self.duration(horizon_months) / self.interval_months + 1e-9)
        return [self.interval_months * k for k in range(1, n + 1)]


class Capacity(_Block):
    """The ultrasound service: arrivals over time, clinic calendar, slots, booking limits.

    Without ``new_patients_per_year`` every person starts follow-up on day 0. With it, the
    number of adults per replicate is Poisson (rate x arrival window) and they arrive as a
    Poisson process over ``run_in_months + service_months``; waits and utilisation are
    measured over the service months only. ``background_scans_per_day`` is the mean
    (Poisson) number of other patients' scans booked ahead on each clinic day.
    """

    new_patients_per_year: Positive | None = None
    run_in_months: Annotated[NonNegative, Field(le=MAX_SERVICE_MONTHS)] = 0.0
    service_months: Annotated[Positive, Field(le=MAX_SERVICE_MONTHS)] = 60.0
    slots_per_day: Annotated[StrictInt, Field(ge=1)]
    clinic_days_per_week: Annotated[StrictInt, Field(ge=1, le=7)] = 5
    background_scans_per_day: NonNegative = 0.0
    max_wait_days: Annotated[StrictInt, Field(ge=0)] | None = None
    target_p95_wait_days: NonNegative = 14.0
    source: str | None = None


class Analysis(_Block):
    """Settings for comparing protocols."""

    reference_protocol: str | None = None
    noninferiority_margin_per_1000: NonNegative = 5.0
    willingness_to_pay: list[NonNegative] = Field(
        default_factory=lambda: [0.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0]
    )
    effect: Literal["qaly", "life_years", "screen_detected"] = "qaly"
    outcome_horizon_years: (
        Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | Literal["lifetime"]
    ) = "lifetime"
    # Value of information (fupsim.voi): people a decision affects, and EVPPI groups.
    population_per_year: NonNegative | None = None
    decision_horizon_years: Annotated[StrictFloat, Field(gt=0.0, le=100.0, allow_inf_nan=False)] = (
        10.0
    )
    parameter_groups: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("parameter_groups")
    @classmethod
    def _groups(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, members in v.items():
            if not members:
                raise ValueError(f"{name}: empty; list dotted keys that have a psa distribution")
        return v

    @field_validator("willingness_to_pay")
    @classmethod
    def _wtp(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("empty; give at least one value, e.g. [0, 1000, 10000]")
        if any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("values must be strictly increasing, e.g. [0, 1000, 10000]")
        return v


class Uncertainty(_Block):
    """Uncertainty about one parameter: one-way range, PSA distribution, source, confidence."""

    range: tuple[Finite, Finite] | None = None
    psa: Distribution | Dirichlet | None = Field(default=None, discriminator="dist")
    source: str | None = None
    confidence: Literal["M", "M2", "I", "A"] | None = None

    @field_validator("range")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] <= v[1]:
            raise ValueError(f"low ({v[0]}) must not exceed high ({v[1]})")
        return v


_RANGE_SPEC = re.compile(r"^\s*[-+0-9.eE]+\s*:\s*[-+0-9.eE]+\s*:\s*[0-9]+\s*$")


class Sweep(_Block):
    """Sensitivity-analysis settings: a grid (``vary``), the outcome to rank by, point size.

    ``vary`` maps a dotted parameter key to a list of values or to ``"lo:hi:n"`` (n evenly
    spaced values from lo to hi). ``replications`` and ``patients`` size every point of a
    sweep, one-way analysis, PSA or Sobol run (smaller than a full run: there are many points).
    """

    vary: dict[str, list[float | int | bool | str] | str] = Field(default_factory=dict)
    outcome: Literal[SWEEP_OUTCOMES] = "cost_per_patient"  # type: ignore[valid-type]
    effect: Literal["screen_detected_per_patient", "interval_cases_averted_per_patient"] = (
        "screen_detected_per_patient"
    )
    protocol: str | None = None
    comparator: str | None = None
    wtp: NonNegative | None = None
    replications: Annotated[StrictInt, Field(ge=1)] = 2
    patients: Annotated[StrictInt, Field(ge=1)] = 2000

    @field_validator("vary")
    @classmethod
    def _specs(cls, v: dict[str, Any]) -> dict[str, Any]:
        total = 1
        for key, spec in v.items():
            if key in SIZE_KEYS:
                raise ValueError(size_key_message(f"vary.{key}", key))
            if isinstance(spec, str) and not _RANGE_SPEC.match(spec):
                raise ValueError(f"vary.{key} = {spec!r}: give a list of values or 'lo:hi:n'")
            if isinstance(spec, list) and not spec:
                raise ValueError(f"vary.{key}: the list of values is empty")
            total *= int(spec.split(":")[2]) if isinstance(spec, str) else len(spec)
            if total > MAX_GRID_POINTS:
                raise ValueError(
                    f"vary: the grid has more than {MAX_GRID_POINTS:,} points "
                    f"(at {key}); at most {MAX_GRID_POINTS:,} allowed"
                )
        return v


def size_key_message(where: str, key: str) -> str:
    """Why a run-size key (seed, patients, replications) cannot be varied point by point."""
    flag = "--" + key.rsplit(".", 1)[-1]
    return (
        f"{where}: the seed, patients and replications are the same for every sensitivity "
        f"point, so varying it would only relabel identical rows; use {flag} instead"
    )


class Scenario(_Block):
    """A whole scenario: every parameter of a run."""

    meta: Meta = Field(default_factory=Meta)
    simulation: Simulation = Field(default_factory=Simulation)
    cohort: Cohort
    prenatal: Prenatal = Field(default_factory=Prenatal)
    natural_history: dict[str, CauseHistory]
    ultrasound: Ultrasound
    ct: CT
    attendance: Attendance = Field(default_factory=Attendance)
    costs: Costs
    protocol: list[Protocol]
    analysis: Analysis = Field(default_factory=Analysis)
    uncertainty: dict[str, Uncertainty] = Field(default_factory=dict)
    sweep: Sweep | None = None
    capacity: Capacity | None = None
    index_workup: IndexWorkup = Field(default_factory=IndexWorkup)
    health: Health = Field(default_factory=Health)
    harms: Harms = Field(default_factory=Harms)
    design: Design | None = None

    @model_validator(mode="after")
    def _health(self) -> Scenario:
        horizon = self.analysis.outcome_horizon_years
        check_health(
            self.health,
            self.harms,
            {*self.cohort.causes, *self.natural_history, "congenital"},
            self.simulation.horizon_months,
            math.inf if horizon == "lifetime" else horizon,
        )
        return self

    @model_validator(mode="after")
    def _sweep_names(self) -> Scenario:
        if self.sweep is not None:
            for which in ("protocol", "comparator"):
                name = getattr(self.sweep, which)
                if name is not None and name not in self.protocol_names:
                    raise ValueError(
                        f"sweep.{which} = {name!r}: not one of {', '.join(self.protocol_names)}"
                    )
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        needed = {c for c, s in self.cohort.causes.items() if s > 0}
        if self.prenatal.screened > 0:
            needed.add("congenital")
        missing = sorted(needed - set(self.natural_history))
        if missing:
            raise ValueError(f"natural_history has no entry for cause(s) {', '.join(missing)}")
        if not self.protocol:
            raise ValueError("protocol: at least one [[protocol]] is needed")
        names = [p.name for p in self.protocol]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"protocol names must be unique; repeated: {', '.join(dupes)}")
        horizon = self.simulation.horizon_months
        for p in self.protocol:
            if p.duration_months is not None and p.duration_months > horizon + 1e-9:
                raise ValueError(
                    f"protocol[{p.name}].duration_months = {p.duration_months:g}: longer than "
                    f"simulation.horizon_months = {horizon:g} (the longest follow-up); give at "
                    "most the horizon"
                )
            if p.interval_months is not None and p.interval_months > horizon + 1e-9:
                raise ValueError(
                    f"protocol[{p.name}].interval_months = {p.interval_months:g}: longer than "
                    f"simulation.horizon_months = {horizon:g}, so the protocol schedules no "
                    "scan; give at most the horizon (or visits_months = [] for no follow-up)"
                )
            end = p.duration(horizon)
            late = [m for m in p.visit_months(horizon) if m > end + 1e-9]
            if late:
                which = (
                    f"duration_months = {end:g}"
                    if p.duration_months is not None
                    else f"simulation.horizon_months = {horizon:g}"
                )
                raise ValueError(f"protocol {p.name}: visit at month {late[0]:g} is after {which}")
        adult_causes = set(self.cohort.causes)
        for name in self.cohort.cause_odds:
            if name not in adult_causes:
                raise ValueError(
                    f"cohort.cause_odds.{name}: not a cause in cohort.causes (allowed: "
                    f"{', '.join(sorted(adult_causes))})"
                )
        for where, table in (
            ("ultrasound.sensitivity_by_cause", self.ultrasound.sensitivity_by_cause),
            ("ct.sensitivity_by_cause", self.ct.sensitivity_by_cause),
        ):
            for cause in table:
                if cause not in adult_causes:
                    raise ValueError(
                        f"{where}.{cause}: not a cause in cohort.causes (allowed: "
                        f"{', '.join(sorted(adult_causes))})"
                    )
        ref = self.analysis.reference_protocol
        if ref is not None and ref not in names:
            raise ValueError(
                f"analysis.reference_protocol = {ref!r}: not one of {', '.join(names)}"
            )
        data = self.model_dump(by_alias=True)
        for key, unc in self.uncertainty.items():
            _check_uncertainty_key(data, key, unc)
        drawn = {k for k, u in self.uncertainty.items() if u.psa is not None}
        for group, members in self.analysis.parameter_groups.items():
            for m in members:
                if m not in drawn:
                    raise ValueError(
                        f"analysis.parameter_groups.{group} = {m!r}: not a parameter with a psa "
                        'distribution; members are keys of [uncertainty."dotted.key"] tables '
                        "that have psa = {...}"
                    )
        return self

    @model_validator(mode="after")
    def _workup_causes(self) -> Scenario:  # after _consistent: missing histories first
        check_workup(self.index_workup, set(self.cohort.causes))
        return self

    @property
    def protocol_names(self) -> list[str]:
        """Protocol names in scenario order."""
        return [p.name for p in self.protocol]

    def resolved(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data (what a manifest records)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _check_uncertainty_key(data: dict[str, Any], key: str, unc: Uncertainty) -> None:
    if key in SIZE_KEYS and (unc.range is not None or unc.psa is not None):
        raise ValueError(size_key_message(f'uncertainty."{key}"', key))
    try:
        value = lookup(data, key.split("."))
    except KeyError:
        raise ValueError(f"uncertainty key {key!r} names no parameter of this scenario") from None
    if isinstance(unc.psa, Dirichlet):
        if not isinstance(value, dict) or set(unc.psa.alpha) != set(value):
            raise ValueError(
                f"uncertainty.{key}: a dirichlet needs alpha for exactly {key}'s shares"
            )
    elif not _numeric(value) and not (
        isinstance(value, dict) and all(map(_numeric, value.values()))
    ):
        raise ValueError(f"uncertainty key {key!r} names a non-numeric parameter")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
