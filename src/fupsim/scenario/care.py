"""How people are followed: natural history, tests, attendance, costs, protocols, capacity."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from fupsim.distributions import Distribution, StrictFloat
from fupsim.errors import ScenarioError
from fupsim.scenario.base import (
    MAX_SERVICE_MONTHS,
    MIN_INTERVAL_MONTHS,
    NAME_PATTERN,
    Block,
    NonNegative,
    Positive,
    Probability,
    StrictInt,
    non_negative_support,
)


class CauseHistory(Block):
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
        non_negative_support(v, "times")
        return v


class LobeSensitivity(Block):
    """Ultrasound sensitivity by lobe of the finding."""

    right: Probability
    left: Probability
    both: Probability


class Ultrasound(Block):
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


CONFIRM_TESTS: tuple[str, ...] = ("ct", "mri", "biopsy")
"""The confirmatory tests of the recall work-up (``ct.workup``)."""

WORKUPS: tuple[str, ...] = (
    "ct",
    "repeat_us_then_ct",
    "mri",
    "repeat_us_then_mri",
    "biopsy",
    "repeat_us_then_biopsy",
)
"""``ct.workup``: the confirmatory test, optionally after a repeat ultrasound."""


class CT(Block):
    """The recall work-up after a positive ultrasound: a confirmatory CT, MRI or biopsy,
    optionally after a repeat ultrasound (``workup``).

    ``workup`` names the confirmatory test (``"ct"``, ``"mri"`` or ``"biopsy"``); with the
    ``"repeat_us_then_"`` prefix a positive scan is first repeated ``repeat_us_delay_days``
    later (within the recall delay) and only a second positive goes on to the test,
    ``delay_days`` after the first. CT uses ``sensitivity``, ``sensitivity_by_cause`` and
    ``specificity``; MRI and biopsy their own ``mri_*`` and ``biopsy_*`` keys, required when
    the work-up uses them. ``completion`` and ``delay_days`` are the recall's, whatever the test.
    ``sensitivity_by_cause`` tables replace the test's sensitivity for the causes they list.
    """

    sensitivity: Probability
    sensitivity_by_cause: dict[str, Probability] = Field(default_factory=dict)
    specificity: Probability
    completion: Probability = 1.0
    delay_days: NonNegative = 0.0
    workup: Literal[
        "ct", "repeat_us_then_ct", "mri", "repeat_us_then_mri", "biopsy", "repeat_us_then_biopsy"
    ] = "ct"
    repeat_us_delay_days: NonNegative = 14.0
    mri_sensitivity: Probability | None = None
    mri_sensitivity_by_cause: dict[str, Probability] = Field(default_factory=dict)
    mri_specificity: Probability | None = None
    biopsy_sensitivity: Probability | None = None
    biopsy_sensitivity_by_cause: dict[str, Probability] = Field(default_factory=dict)
    biopsy_specificity: Probability | None = None
    source: str | None = None

    @property
    def confirm_test(self) -> str:
        """The confirmatory test of the work-up: ``"ct"``, ``"mri"`` or ``"biopsy"``."""
        return self.workup.removeprefix("repeat_us_then_")

    @property
    def repeat_us(self) -> bool:
        """Whether a positive scan is repeated before the confirmatory test."""
        return self.workup.startswith("repeat_us_then_")

    def accuracy(self) -> tuple[float, dict[str, float], float]:
        """``(sensitivity, sensitivity_by_cause, specificity)`` of the confirmatory test."""
        test = self.confirm_test
        if test == "ct":
            return self.sensitivity, self.sensitivity_by_cause, self.specificity
        sens, spec = getattr(self, f"{test}_sensitivity"), getattr(self, f"{test}_specificity")
        assert sens is not None and spec is not None  # the validator requires them
        return sens, getattr(self, f"{test}_sensitivity_by_cause"), spec

    @model_validator(mode="after")
    def _repeat_within_delay(self) -> CT:
        if self.repeat_us and self.repeat_us_delay_days > self.delay_days:
            raise ValueError(
                f"repeat_us_delay_days = {self.repeat_us_delay_days:g}: the repeat ultrasound "
                f"is part of the recall, so it must come no later than delay_days = "
                f"{self.delay_days:g}"
            )
        return self

    @model_validator(mode="after")
    def _test_accuracy(self) -> CT:
        test = self.confirm_test
        for what in ("sensitivity", "specificity"):
            if test != "ct" and getattr(self, f"{test}_{what}") is None:
                raise ValueError(
                    f"{test}_{what} is missing: workup = {self.workup!r} confirms with "
                    f"{_TEST_NAMES[test]}, so give its {what} (a probability from 0 to 1)"
                )
        return self


_TEST_NAMES = {"ct": "CT", "mri": "MRI", "biopsy": "a biopsy"}


def check_recall(ct: CT, costs: Costs, causes: Iterable[str]) -> None:
    """Whole-scenario checks of the recall work-up (the blocks involved are apart).

    The test's unit cost must be given (``costs.mri``, ``costs.biopsy``), and its
    ``sensitivity_by_cause`` may list only the adult ``causes``. Raises
    :class:`ScenarioError` (a ``ValueError``) naming the key.
    """
    test = ct.confirm_test
    if test != "ct" and getattr(costs, test) is None:
        raise ScenarioError(
            f"costs.{test} is missing: ct.workup = {ct.workup!r} confirms with "
            f"{_TEST_NAMES[test]}, so give its unit cost ({costs.currency}, 0 or more)"
        )
    allowed = set(causes)
    for test in ("mri", "biopsy"):
        for cause in getattr(ct, f"{test}_sensitivity_by_cause"):
            if cause not in allowed:
                raise ScenarioError(
                    f"ct.{test}_sensitivity_by_cause.{cause}: not a cause in cohort.causes "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )


class Attendance(Block):
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


def discount_factor_days(time_days: Any, rate_per_year: float) -> Any:
    """Continuous-time discount factor ``(1 + r) ** (-t / 365.25 days)`` for costs at ``time_days``.

    The one definition of discounting in fupsim: ``ln(1 + r)`` is the continuous rate, so a
    cost one year after the index scan is divided by ``1 + r``.
    """
    return (1.0 + rate_per_year) ** (-np.asarray(time_days, dtype=float) / 365.25)


class Costs(Block):
    """Unit costs and discounting."""

    currency: str = "USD"
    year: StrictInt = 2026
    ultrasound: NonNegative
    ct: NonNegative
    mri: NonNegative | None = None  # the recall work-up's MRI (ct.workup = "mri" ...)
    biopsy: NonNegative | None = None  # the recall work-up's biopsy (ct.workup = "biopsy" ...)
    visit: NonNegative
    early_treatment: NonNegative
    late_treatment: NonNegative
    discount_rate: Annotated[StrictFloat, Field(ge=0.0, lt=1.0)] = 0.03
    source: str | None = None

    def discount(self, time_days: Any) -> Any:
        """Discount factor of a cost ``time_days`` after the index scan, at ``discount_rate``."""
        return discount_factor_days(time_days, self.discount_rate)

    def recall_test(self, test: str) -> float:
        """Unit cost of the recall work-up's confirmatory ``test`` (``"ct"``, ``"mri"``,
        ``"biopsy"``); 0 for one whose cost is not given (see :func:`check_recall`)."""
        cost = getattr(self, test)
        return 0.0 if cost is None else float(cost)


class Protocol(Block):
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
        if not NAME_PATTERN.match(v):
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


class Capacity(Block):
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
