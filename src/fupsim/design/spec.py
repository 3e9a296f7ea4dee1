"""The design settings: the ``[design]`` block as the search reads it, with its defaults resolved.

The block's model is :class:`fupsim.scenario.Design` (in the scenario package, validated with
the rest of the scenario); :data:`DesignSpec` is the same class under the name the search uses.
This module resolves what depends on the scenario: the effect column, the willingness-to-pay
values and the indifference zone at each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fupsim.labels import EFFECTS
from fupsim.scenario import Scenario, ScenarioError, load_scenario
from fupsim.scenario.design import (
    DESIGN_FAMILIES,
    DESIGN_STRATIFIERS,
    INDIFFERENCE_EFFECT,
    Design,
)

__all__ = [
    "EFFECT_COLUMNS",
    "FAMILIES",
    "STRATIFIERS",
    "DesignSpec",
    "design_spec",
    "effect_column",
    "indifference",
    "load_design",
    "wtp_values",
]

FAMILIES = DESIGN_FAMILIES
STRATIFIERS = DESIGN_STRATIFIERS
DesignSpec = Design
"""The ``[design]`` block (:class:`fupsim.scenario.design.Design`)."""

EFFECT_COLUMNS = {name: e.outcome for name, e in EFFECTS.items()}
"""``analysis.effect`` → the per-person outcome column that measures it (:mod:`fupsim.labels`)."""


def _effect_name(spec: Design, scenario: Scenario) -> str:
    return spec.effect if spec.effect is not None else str(scenario.analysis.effect)


def effect_column(spec: Design, scenario: Scenario) -> str:
    """The outcome column measuring the effect: ``spec.effect``, else ``analysis.effect``'s."""
    name = _effect_name(spec, scenario)
    return EFFECT_COLUMNS.get(name, name)


def wtp_values(spec: Design, scenario: Scenario) -> list[float]:
    """Willingness-to-pay values, currency per unit of effect."""
    if spec.willingness_to_pay is not None:
        if not spec.willingness_to_pay:
            raise ScenarioError("design.willingness_to_pay = []: empty; give at least one")
        return list(spec.willingness_to_pay)
    return list(scenario.analysis.willingness_to_pay)


def indifference(spec: Design, scenario: Scenario, wtp: float) -> float:
    """The indifference zone δ at one willingness to pay, currency per person.

    ``design.indifference_per_patient`` if given; otherwise
    ``wtp × ε + s × (costs.ultrasound + costs.visit)``: the smallest effect difference worth
    acting on (ε, :data:`~fupsim.scenario.design.INDIFFERENCE_EFFECT` of the effect unless
    ``indifference_effect_per_patient`` says otherwise) valued at the WTP, plus the smallest
    difference in scans worth acting on (``indifference_scans_per_patient``) priced at a scan.

    Examples
    --------
    >>> import fupsim
    >>> sc = fupsim.load_scenario("scenarios/baseline.toml")
    >>> round(indifference(Design(), sc, 10_000.0), 3)  # 10 + 0.1 x (86.17 + 95.19)
    28.136
    """
    if spec.indifference_per_patient is not None:
        return float(spec.indifference_per_patient)
    eps = spec.indifference_effect_per_patient
    if eps is None:
        eps = INDIFFERENCE_EFFECT.get(_effect_name(spec, scenario), INDIFFERENCE_EFFECT["qaly"])
    scan = scenario.costs.ultrasound + scenario.costs.visit
    return float(wtp * eps + spec.indifference_scans_per_patient * scan)


def design_spec(data: Mapping[str, Any] | None = None, **options: Any) -> Design:
    """Validate a ``[design]`` table (and keyword ``options`` over it) into a :class:`Design`.

    Raises
    ------
    ScenarioError
        Naming the ``design.<field>``, the value given and what is allowed.
    """
    merged = {**dict(data or {}), **{k: v for k, v in options.items() if v is not None}}
    try:
        return Design.model_validate(merged)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        field = f"design.{loc}" if loc else "design"
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(Design.model_fields)
            raise ScenarioError(f"{field}: unknown setting (allowed: {allowed})") from None
        given = first.get("input")
        msg = first["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{field} = {given!r}: {msg}") from None


def load_design(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> tuple[Scenario, Design]:
    """Read a scenario file and its ``[design]`` block (defaults when it has none).

    ``design.*`` overrides change the block, like any other dotted override
    (:func:`fupsim.load_scenario` semantics).
    """
    scenario = load_scenario(path, overrides)
    return scenario, scenario.design if scenario.design is not None else Design()
