"""Scenario block ``[design]``: which candidate schedules ``fupsim design`` searches, and how it
selects among them.

The block is optional (``Scenario.design`` is None without it) and describes the search, not
the model: none of its values is a clinical parameter, so none needs a PARAMETERS.md source.
The search itself lives in :mod:`fupsim.design`; docs/design.md explains every setting.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fupsim.distributions import StrictFloat
from fupsim.scenario.workup import FEATURES

__all__ = [
    "DESIGN_FAMILIES",
    "DESIGN_STRATIFIERS",
    "INDIFFERENCE_EFFECT",
    "WORKUP_STRATIFIERS",
    "Design",
]

DESIGN_FAMILIES = ("regular", "lists", "stepped", "none", "article")
"""Candidate families: regular interval × duration, explicit visit lists, stepped schedules
(a first interval for the first scans, then a longer one), no follow-up, and the scenario's
own (the article's) protocols."""

WORKUP_STRATIFIERS: tuple[str, ...] = (*FEATURES, "index_ct_done", "index_ct_positive")
"""What the index work-up found (the columns of :func:`fupsim.workup.workup_frame`): each
index-ultrasound feature, and whether a CT characterised a suspected mass and what it said."""

DESIGN_STRATIFIERS: tuple[str, ...] = ("age_band", "n_foci", "lobe", *WORKUP_STRATIFIERS)
"""What is known at the start that a risk-stratified policy may depend on: cohort attributes
and the index work-up's findings."""

INDIFFERENCE_EFFECT: dict[str, float] = {
    "qaly": 0.001,
    "life_years": 0.001,
    "screen_detected": 0.001,
}
"""Default smallest difference in effect per person worth acting on, per ``analysis.effect``:
one QALY, life-year or screen-detected change per 1,000 people followed (docs/design.md)."""

Family = Literal["regular", "lists", "stepped", "none", "article"]
_ALL: tuple[Family, ...] = ("regular", "lists", "stepped", "none", "article")
Months = Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=1, le=12)]


class Design(BaseModel):
    """Candidate families and selection settings of the schedule search (``[design]``).

    Attributes
    ----------
    families : list of str
        Families to generate (:data:`DESIGN_FAMILIES`).
    intervals_months, durations_months : list of float
        Regular family: every interval × every duration at least as long (visits at k·interval
        up to the duration), months. Default durations: 6–60 months, those within the horizon.
    visit_lists_months : list of list of float
        Explicit (e.g. decelerating) visit lists, months.
    stepped_first_months, stepped_after_scans, stepped_then_months : list
        Stepped family: scans every ``first`` months for the first ``after`` scans, then every
        ``then`` months up to each duration. With follow-up ending at a confirmed positive scan
        this is "after N stable scans move to a longer interval" (docs/design.md states when
        that is exact).
    stop_after_stable : list of int
        Each regular, list and stepped candidate is also tried with these stop rules (stop
        after that many consecutive negative scans).
    strata : list of str
        What risk-stratified policies may depend on (:data:`DESIGN_STRATIFIERS`): cohort
        attributes and the index work-up's findings (yes/no each).
    age_bands_years : list of float
        Cut points of ``age_band``, years (``[40, 60]``: under 40, 40–60, 60 and over).
    batches_per_replicate : int
        People of a replicate are split by ``patient_id`` modulo this into paired units.
    refine : bool
        Re-evaluate near-ties with more replicates (Kim–Nelson procedure).
    confidence : float
        1 − α of the selection procedure.
    indifference_per_patient : float, optional
        δ, currency per person, at every WTP. Default: :attr:`indifference_effect_per_patient`
        valued at the WTP plus :attr:`indifference_scans_per_patient` priced at a scan.
    indifference_effect_per_patient : float, optional
        Smallest effect difference per person worth acting on (default
        :data:`INDIFFERENCE_EFFECT` of the effect).
    indifference_scans_per_patient : float
        Smallest difference in scans per person worth acting on when effects tie (0.1: one
        scan per ten people), priced at ``costs.ultrasound + costs.visit``.
    max_replications, replications_per_round : int, optional
        Replicate budget of the refinement (default four times the first stage) and replicates
        added per round (default one per worker, at least 2).
    effect : str, optional
        Outcome column used as the effect (default from ``analysis.effect``).
    willingness_to_pay : list of float, optional
        Currency per unit of effect (default ``analysis.willingness_to_pay``).
    psa_draws : int
        Parameter draws of the PSA over the top candidates (0: none).
    psa_top : int
        The PSA plays the ``psa_top`` best candidates at each WTP (their union).
    psa_replications : int
        Replicates per PSA draw (every draw and candidate on the same people).
    psa_patients : int, optional
        Adults per replicate of a PSA draw (default: the search's).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    families: list[Family] = Field(default_factory=lambda: list(_ALL))
    intervals_months: list[Months] = Field(
        default_factory=lambda: [1.0, 2.0, 3.0, 4.0, 4.5, 6.0, 9.0, 12.0, 18.0, 24.0]
    )
    durations_months: list[Months] | None = None
    visit_lists_months: list[list[Months]] = Field(
        default_factory=lambda: [
            [3.0, 6.0, 12.0, 24.0],
            [6.0, 12.0, 24.0],
            [3.0, 6.0, 12.0],
            [6.0, 12.0, 24.0, 36.0],
            [3.0, 6.0, 12.0, 24.0, 36.0],
        ]
    )
    stepped_first_months: list[Months] = Field(default_factory=lambda: [3.0, 6.0])
    stepped_after_scans: list[Count] = Field(default_factory=lambda: [2])
    stepped_then_months: list[Months] = Field(default_factory=lambda: [12.0])
    stop_after_stable: list[Count] = Field(default_factory=lambda: [1, 2, 3, 4])
    strata: list[str] = Field(
        default_factory=list,
        json_schema_extra={"items": {"type": "string", "enum": list(DESIGN_STRATIFIERS)}},
    )
    age_bands_years: list[Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [40.0, 60.0]
    )
    batches_per_replicate: Annotated[int, Field(ge=1, le=100)] = 10
    refine: bool = True
    confidence: Annotated[StrictFloat, Field(gt=0.5, lt=1.0)] = 0.95
    indifference_per_patient: Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)] | None = (
        None
    )
    indifference_effect_per_patient: (
        Annotated[StrictFloat, Field(ge=0.0, allow_inf_nan=False)] | None
    ) = None
    indifference_scans_per_patient: Annotated[StrictFloat, Field(gt=0.0, allow_inf_nan=False)] = 0.1
    max_replications: Annotated[int, Field(ge=1)] | None = None
    replications_per_round: Annotated[int, Field(ge=1)] | None = None
    effect: str | None = None
    willingness_to_pay: list[Annotated[StrictFloat, Field(ge=0.0, allow_inf_nan=False)]] | None = (
        None
    )
    psa_draws: Annotated[int, Field(ge=0, le=100_000)] = 0
    psa_top: Annotated[int, Field(ge=2, le=50)] = 5
    psa_replications: Annotated[int, Field(ge=1, le=1000)] = 1
    psa_patients: Annotated[int, Field(ge=1)] | None = None

    @field_validator("visit_lists_months")
    @classmethod
    def _increasing(cls, v: list[list[float]]) -> list[list[float]]:
        for lst in v:
            if not lst:
                raise ValueError("a visit list is empty (no follow-up is its own family)")
            if any(b <= a for a, b in itertools.pairwise(lst)):
                raise ValueError(f"{lst}: visit months must be strictly increasing")
        return v

    @field_validator("age_bands_years", "willingness_to_pay")
    @classmethod
    def _sorted(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("values must be strictly increasing")
        return v

    @field_validator("strata")
    @classmethod
    def _stratifier(cls, v: list[str]) -> list[str]:
        unknown = [name for name in v if name not in DESIGN_STRATIFIERS]
        if unknown:
            allowed = ", ".join(DESIGN_STRATIFIERS)
            raise ValueError(f"{unknown[0]!r} is not a stratifier (allowed: {allowed})")
        return v

    @field_validator("strata", "families")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{v}: name each once")
        return v
