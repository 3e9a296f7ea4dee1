"""The design settings: which candidate families to search and how to select among them.

The ``[design]`` block is read here from the scenario file's raw TOML (and from ``design.*``
overrides), because the scenario model does not know it yet; it belongs in
:mod:`fupsim.scenario.blocks` once that module is free to change.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fupsim.scenario import Scenario, ScenarioError, parse_overrides, scenario_from_dict

__all__ = ["EFFECT_COLUMNS", "FAMILIES", "STRATIFIERS", "DesignSpec", "design_spec", "load_design"]

FAMILIES = ("regular", "lists", "none", "article")
"""Candidate families: regular interval × duration, explicit visit lists, no follow-up, and the
scenario's own (the article's) protocols."""

STRATIFIERS = ("age_band", "n_foci", "lobe")
"""Cohort attributes a risk-stratified policy may depend on (index work-up features to come)."""

EFFECT_COLUMNS = {"qaly": "qalys", "life_years": "life_years", "screen_detected": "screen_detected"}
"""``analysis.effect`` → the per-person outcome column that measures it."""

Family = Literal["regular", "lists", "none", "article"]
_ALL_FAMILIES: tuple[Family, ...] = ("regular", "lists", "none", "article")
Months = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class DesignSpec(BaseModel):
    """Candidate families and selection settings for :func:`fupsim.design.design`.

    Attributes
    ----------
    families : list of str
        Families to generate (:data:`FAMILIES`).
    intervals_months, durations_months : list of float
        Regular family: every interval × every duration at least as long (visits at k·interval
        up to the duration). Default durations: 6–60 months, those within the horizon.
    visit_lists_months : list of list of float
        Explicit (e.g. decelerating) visit lists.
    stop_after_stable : list of int
        Each regular and list candidate is also tried with these stop rules (stop after that
        many consecutive negative scans).
    strata : list of str
        Cohort attributes for risk-stratified policies (:data:`STRATIFIERS`); empty: none.
    age_bands_years : list of float
        Cut points of ``age_band`` (``[40, 60]``: under 40, 40–60, 60 and over).
    batches_per_replicate : int
        People of a replicate are split by ``patient_id`` modulo this into paired units.
    refine : bool
        Re-evaluate near-ties with more replicates (Kim–Nelson procedure, docs/design.md).
    confidence : float
        1 − α of the selection procedure.
    indifference_per_patient : float
        δ: net-benefit differences smaller than this (currency per person) are indifferent.
    max_replications : int, optional
        Replicate budget of the refinement (default four times the first stage).
    replications_per_round : int, optional
        Replicates added per refinement round (default: one per worker, at least 2).
    effect : str, optional
        Outcome column used as the effect (default from ``analysis.effect``).
    willingness_to_pay : list of float, optional
        Default ``analysis.willingness_to_pay``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    families: list[Family] = Field(default_factory=lambda: list(_ALL_FAMILIES))
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
    stop_after_stable: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=lambda: [1, 2, 3, 4]
    )
    strata: list[Literal["age_band", "n_foci", "lobe"]] = Field(default_factory=list)
    age_bands_years: list[Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [40.0, 60.0]
    )
    batches_per_replicate: Annotated[int, Field(ge=1, le=100)] = 10
    refine: bool = True
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    indifference_per_patient: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1.0
    max_replications: Annotated[int, Field(ge=1)] | None = None
    replications_per_round: Annotated[int, Field(ge=1)] | None = None
    effect: str | None = None
    willingness_to_pay: list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]] | None = None

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
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{v}: name each attribute once")
        return v

    def effect_column(self, scenario: Scenario) -> str:
        """The outcome column measuring the effect: ``effect``, else ``analysis.effect``'s."""
        if self.effect is not None:
            return EFFECT_COLUMNS.get(self.effect, self.effect)
        return EFFECT_COLUMNS[str(getattr(scenario.analysis, "effect", "screen_detected"))]

    def wtp(self, scenario: Scenario) -> list[float]:
        """Willingness-to-pay values (currency per unit of effect)."""
        if self.willingness_to_pay is not None:
            if not self.willingness_to_pay:
                raise ScenarioError("design.willingness_to_pay = []: empty; give at least one")
            return list(self.willingness_to_pay)
        return list(scenario.analysis.willingness_to_pay)


def design_spec(data: Mapping[str, Any] | None = None, **options: Any) -> DesignSpec:
    """Validate a ``[design]`` table (and keyword ``options`` over it) into a :class:`DesignSpec`.

    Raises
    ------
    ScenarioError
        Naming the ``design.<field>``, the value given and what is allowed.
    """
    merged = {**dict(data or {}), **{k: v for k, v in options.items() if v is not None}}
    try:
        return DesignSpec.model_validate(merged)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        field = f"design.{loc}" if loc else "design"
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(DesignSpec.model_fields)
            raise ScenarioError(f"{field}: unknown setting (allowed: {allowed})") from None
        given = first.get("input")
        raise ScenarioError(f"{field} = {given!r}: {first['msg']}") from None


def load_design(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> tuple[Scenario, DesignSpec]:
    """Read a scenario file with an optional ``[design]`` block.

    ``design.*`` overrides go to the design settings, the rest to the scenario
    (:func:`fupsim.load_scenario` semantics).
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"scenario file {str(p)!r}: not found (give the path of a .toml file)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"scenario file {str(p)!r}: not valid TOML ({err})") from None
    table = data.pop("design", {})
    if not isinstance(table, dict):
        raise ScenarioError("design: must be a table ([design])")
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    rest: dict[str, Any] = {}
    for key, value in dict(overrides or {}).items():
        if key.startswith("design."):
            table[key.removeprefix("design.")] = value
        else:
            rest[key] = value
    return scenario_from_dict(data, rest), design_spec(table)
