"""The whole scenario: one frozen, validated pydantic model over the blocks, one per TOML table."""

from __future__ import annotations

import math
from typing import Any

from pydantic import (
    Field,
    model_validator,
)

from fupsim.distributions import Dirichlet
from fupsim.scenario.base import (
    SIZE_KEYS,
    Block,
)
from fupsim.scenario.care import (
    CT,
    Attendance,
    Capacity,
    CauseHistory,
    Costs,
    Protocol,
    Ultrasound,
    check_recall,
)
from fupsim.scenario.design import Design
from fupsim.scenario.health import Harms, Health, check_health
from fupsim.scenario.keys import lookup
from fupsim.scenario.population import (
    CohortSpec,
    Meta,
    Prenatal,
    Simulation,
)
from fupsim.scenario.study import (
    Analysis,
    Sweep,
    Uncertainty,
    size_key_message,
)
from fupsim.scenario.workup import IndexWorkup, check_workup


class Scenario(Block):
    """A whole scenario: every parameter of a run."""

    meta: Meta = Field(default_factory=Meta)
    simulation: Simulation = Field(default_factory=Simulation)
    cohort: CohortSpec
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
        check_recall(self.ct, self.costs, self.cohort.causes)
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
