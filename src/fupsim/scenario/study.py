"""How results are analysed: comparison settings, parameter uncertainty, sensitivity grids."""

from __future__ import annotations

import itertools
import re
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    field_validator,
)

from fupsim.distributions import Dirichlet, Distribution, StrictFloat
from fupsim.scenario.base import (
    MAX_GRID_POINTS,
    SIZE_KEYS,
    Block,
    Finite,
    NonNegative,
    StrictInt,
)
from fupsim.scenario.names import SWEEP_OUTCOMES


class Analysis(Block):
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


class Uncertainty(Block):
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


class Sweep(Block):
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
