"""Who is simulated: the run's size, the adults' demographics and cause mix, the prenatal stream."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from pydantic import (
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from fupsim.distributions import Distribution, StrictFloat
from fupsim.scenario.base import (
    MAX_FOCI_MEAN,
    Block,
    NonNegative,
    Positive,
    Probability,
    StrictInt,
    check_shares,
    non_negative_support,
)


class Meta(Block):
    """Free text that identifies the scenario."""

    name: str = "unnamed"
    description: str = ""


class Simulation(Block):
    """Size and length of a run."""

    patients: Annotated[StrictInt, Field(ge=1)] = 10_000
    replications: Annotated[StrictInt, Field(ge=1)] = 10
    seed: Annotated[StrictInt, Field(ge=0)] = 20261126
    horizon_months: Positive = 36.0
    source: str | None = None


class LobeShares(Block):
    """Share of people whose calcification lies in each lobe."""

    right: Probability
    left: Probability
    both: Probability

    @model_validator(mode="after")
    def _sum(self) -> LobeShares:
        check_shares(self.model_dump(), "lobe shares")
        return self


class CauseOdds(Block):
    """Covariates of one cause: odds ratios per decade of age and for multiple foci.

    The cause's odds are multiplied by ``per_decade`` for every 10 years of age and by
    ``multiple_foci`` with more than one focus; the shares of ``cohort.causes`` stay the
    cohort's overall mix (the baseline odds are calibrated to it, :mod:`fupsim.cohort`).
    """

    per_decade: Positive = 1.0
    multiple_foci: Positive = 1.0


class CohortSpec(Block):
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
        non_negative_support(v, "ages")
        return v

    @field_validator("causes")
    @classmethod
    def _causes(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("needs at least one cause")
        if "congenital" in v:
            raise ValueError("'congenital' belongs to the prenatal stream, not the adult mix")
        check_shares(v, "cause shares")
        return v


class InfantFollowUp(Block):
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


class InfantOutcomes(Block):
    """Probability of a poor outcome (death or severe impairment) by the infant's flags (F2-F5).

    ``isolated``: no associated anomaly, normal karyotype, no infection (1 - F5). The flags
    combine as independent risks: P(good) is the product of (1 - p) over the flags present.
    """

    isolated: Probability = 0.0
    associated_anomaly: Probability = 0.5
    abnormal_karyotype: Probability = 0.7
    congenital_infection: Probability = 0.3
    source: str | None = None


class Prenatal(Block):
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
