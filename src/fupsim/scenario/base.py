"""Shared pieces of the scenario blocks: the frozen base model, constrained number types, limits."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from fupsim.distributions import StrictFloat, strict_number

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
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def check_shares(shares: Mapping[str, float], what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} sum to {total:.6g}; they must sum to 1")


def non_negative_support(dist: Any, what: str) -> None:
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
