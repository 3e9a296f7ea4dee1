"""Scenario blocks for health outcomes: ``[health]`` (mortality, utility, consequences) and ``[harms]``.

``[health]`` holds the life table, the discount rate for health effects, the baseline utility
and, per cause, what an **early** (screen-detected) and a **late** (clinically presenting)
diagnosis does to a person: ``[health.<cause>] early = {death, qaly_loss, ...}``, ``late = {...}``.
``[harms]`` holds what follow-up itself costs in health: false-positive work-ups, false
diagnoses, CT radiation and an optional disutility per scan. Values and sources:
PARAMETERS.md §7 (ids U, S, B, R, D).

The life table is read here (it is input data, validated like any other field); the
calculations that use it live in :mod:`fupsim.health`.
"""

from __future__ import annotations

import csv
import functools
import itertools
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from fupsim.scenario.base import Block, NonNegative, Probability

__all__ = [
    "LIFE_TABLES",
    "MAX_AGE_YEARS",
    "CauseOutcome",
    "Consequence",
    "Harms",
    "Health",
    "LifeTable",
    "read_life_table",
]

MAX_AGE_YEARS = 120
"""Life tables give q(x) for whole ages 0–119; everyone still alive dies at 120."""

LIFE_TABLES: dict[str, Path] = {
    "ssa2017": Path(__file__).resolve().parents[1] / "health" / "data" / "lifetable_ssa2017.csv",
}
"""Shipped life tables by name (PARAMETERS.md §7.9 option A: US SSA 2017 period table)."""


class LifeTable(BaseModel):
    """q(x) by whole year of age 0–119 for men and women (probability of dying before x + 1)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: str
    qx_male: np.ndarray
    qx_female: np.ndarray


@functools.lru_cache(maxsize=16)
def _read_csv(path: str, mtime: float) -> LifeTable:
    rows: dict[int, tuple[float, float]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        lines = (line for line in fh if line.strip() and not line.lstrip().startswith("#"))
        reader = csv.DictReader(lines)
        need = {"age", "qx_male", "qx_female"}
        if not need <= set(reader.fieldnames or ()):
            raise ValueError(f"{path!r} needs the columns age, qx_male, qx_female")
        for row in reader:
            try:
                age = int(row["age"])
                qm, qf = float(row["qx_male"]), float(row["qx_female"])
            except (TypeError, ValueError):
                raise ValueError(f"{path!r}: row {row} is not numbers") from None
            if not (0.0 <= qm <= 1.0 and 0.0 <= qf <= 1.0):
                raise ValueError(f"{path!r}: q at age {age} must lie in [0, 1]")
            rows[age] = (qm, qf)
    missing = [a for a in range(MAX_AGE_YEARS) if a not in rows]
    if missing:
        raise ValueError(
            f"{path!r} has no row for age {missing[0]} (needs every age 0-{MAX_AGE_YEARS - 1})"
        )
    q = np.array([rows[a] for a in range(MAX_AGE_YEARS)], dtype=float)
    q.setflags(write=False)
    return LifeTable(source=path, qx_male=q[:, 0], qx_female=q[:, 1])


def read_life_table(name_or_path: str) -> LifeTable:
    """The life table named ``name_or_path`` (a key of :data:`LIFE_TABLES`) or read from a CSV.

    The CSV has columns ``age, qx_male, qx_female`` (lines starting ``#`` are comments) and a
    row for every age 0–119. Raises ``ValueError`` naming what is wrong.
    """
    path = LIFE_TABLES.get(name_or_path, Path(name_or_path))
    if not path.is_file():
        raise ValueError(
            f"no such life table (give {', '.join(LIFE_TABLES)} or the path of a CSV file)"
        )
    return _read_csv(str(path), path.stat().st_mtime)


class Consequence(Block):
    """What a diagnosis by one route (early or late) does to the person, at diagnosis.

    ``death``: probability of dying of the episode (treatment or complication). Survivors lose
    ``qaly_loss`` once, then carry ``excess_hazard_per_year`` on top of background mortality
    for ``excess_hazard_years`` years (default 120: for life), and their utility is multiplied by
    ``utility_multiplier`` for ``multiplier_years`` years. The defaults do nothing.
    """

    death: Probability = 0.0
    qaly_loss: NonNegative = 0.0
    excess_hazard_per_year: NonNegative = 0.0
    excess_hazard_years: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = float(MAX_AGE_YEARS)
    utility_multiplier: Probability = 1.0
    multiplier_years: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    source: str | None = None


class CauseOutcome(Block):
    """``[health.<cause>]``: the consequences of an early and of a late diagnosis."""

    early: Consequence = Field(default_factory=Consequence)
    late: Consequence = Field(default_factory=Consequence)
    source: str | None = None


class Health(BaseModel):
    """``[health]``: background mortality, health discounting, utility, and per-cause consequences.

    Keys other than the ones below are cause names (``[health.malignant]``), each a
    :class:`CauseOutcome`. A cause without an entry has no health consequences.
    """

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, CauseOutcome] = Field(init=False)  # type: ignore[assignment]

    background_mortality: bool = True
    life_table: str = "ssa2017"
    discount_rate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.03
    baseline_utility: Probability = 1.0
    source: str | None = None

    @field_validator("life_table")
    @classmethod
    def _table(cls, v: str) -> str:
        read_life_table(v)
        return v

    @property
    def causes(self) -> dict[str, CauseOutcome]:
        """Consequences by cause name (causes not listed have none)."""
        return dict(self.__pydantic_extra__ or {})

    def table(self) -> LifeTable:
        """The life table this block names."""
        return read_life_table(self.life_table)


class Harms(Block):
    """``[harms]``: health losses and costs that follow-up causes (PARAMETERS.md §7.1, §7.2, §7.4).

    Radiation: each CT gives ``ct_dose_msv``; induced cancers = dose (Sv) ×
    ``cancer_risk_per_sv`` × an age factor interpolated linearly in (``age_factor_ages``,
    ``age_factor_values``) and held flat outside. Every induced cancer costs
    ``qaly_loss_per_radiation_cancer`` QALYs for its illness and treatment (the morbidity part,
    discounted to the exposure); a share ``radiation_fatal_share`` is fatal, killing
    ``radiation_death_latency_years`` after the CT, and the life-years lost then (from the life
    table, discounted) are the mortality part. Biopsies (when the recall work-up records them)
    cost ``biopsy_qaly_loss`` each and kill with probability ``biopsy_complication_death``.
    """

    false_positive_qaly_loss: NonNegative = 0.048
    false_diagnosis_qaly_loss: NonNegative = 0.05
    false_diagnosis_cost: NonNegative = 0.0
    scan_qaly_loss: NonNegative = 0.0
    ct_dose_msv: NonNegative = 8.0
    cancer_risk_per_sv: NonNegative = 0.055
    age_factor_ages: list[NonNegative] = Field(default_factory=lambda: [20.0, 35.0, 50.0])
    age_factor_values: list[NonNegative] = Field(default_factory=lambda: [1.3, 1.0, 0.8])
    radiation_fatal_share: Probability = 0.5
    qaly_loss_per_radiation_cancer: NonNegative = 0.5
    radiation_death_latency_years: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 15.0
    biopsy_complication_death: Probability = 0.0008
    biopsy_qaly_loss: NonNegative = 0.05
    source: str | None = None

    @field_validator("age_factor_ages")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if not v or any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("give at least one age, strictly increasing")
        return v

    def age_factor(self, age_years: Any) -> np.ndarray:
        """Radiation risk multiplier at ``age_years`` (linear between the anchor ages)."""
        return np.interp(age_years, self.age_factor_ages, self.age_factor_values)


def check_health(
    health: Health, harms: Harms, causes: set[str], follow_up_months: float, outcome_years: float
) -> None:
    """Cross-block checks: known cause names, anchor lists of equal length, horizons in order."""
    unknown = sorted(set(health.causes) - causes)
    if unknown:
        raise ValueError(
            f"health.{unknown[0]}: not a cause of this scenario (causes: {', '.join(sorted(causes))})"
        )
    if len(harms.age_factor_values) != len(harms.age_factor_ages):
        raise ValueError("harms.age_factor_values: give one value per age in harms.age_factor_ages")
    if outcome_years * 12.0 < follow_up_months - 1e-9:
        raise ValueError(
            f"analysis.outcome_horizon_years = {outcome_years:g}: shorter than the follow-up "
            f"horizon ({follow_up_months:g} months); it must be at least "
            f"{follow_up_months / 12.0:g} years"
        )
