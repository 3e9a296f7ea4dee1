"""Parametric distributions for event times and for parameter uncertainty.

Each family is a frozen pydantic model tagged by ``dist`` so that a scenario can hold it as a
TOML table (``{ dist = "gamma", shape = 2, scale = 6 }``). Every family offers
``sample(rng, size)`` returning a float array and ``mean()``. Gamma, beta and log-normal
tables may also be written by their moments (``{ dist = "beta", mean = 0.75, se = 0.07 }``,
or ``cv`` for a coefficient of variation), and :func:`from_mean` does the same in Python, so
PARAMETERS.md's "mean and SE" or "mean and CV" statements need no hand algebra.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special, stats

__all__ = [
    "Beta",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "TruncatedNormal",
    "Uniform",
    "Weibull",
    "from_mean",
    "strict_number",
]


def strict_number(value: Any) -> Any:
    """Refuse booleans and text where a number is expected (pydantic would read true as 1.0).

    Used as a ``BeforeValidator`` on every numeric scenario field.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError("expected a number, not text")
    return value


StrictFloat = Annotated[float, BeforeValidator(strict_number)]
"""A float that refuses ``true``/``false`` and text (integers are accepted)."""
PositiveFloat = Annotated[StrictFloat, Field(gt=0, allow_inf_nan=False)]
FiniteFloat = Annotated[StrictFloat, Field(allow_inf_nan=False)]


def _native(family: str, mean: float, sd: float) -> dict[str, float]:
    """Native parameters of ``family`` with the given mean and standard deviation."""
    if not math.isfinite(mean) or not math.isfinite(sd) or sd <= 0:
        raise ValueError(f"{family}: need a finite mean and sd > 0, got mean={mean}, sd={sd}")
    if family == "gamma":
        if mean <= 0:
            raise ValueError(f"gamma: need mean > 0, got {mean}")
        shape = (mean / sd) ** 2
        return {"shape": shape, "scale": mean / shape}
    if family == "beta":
        if not 0 < mean < 1 or sd**2 >= mean * (1 - mean):
            raise ValueError(f"beta: need 0 < mean < 1 and sd^2 < mean(1-mean), got {mean}, {sd}")
        nu = mean * (1 - mean) / sd**2 - 1
        return {"alpha": mean * nu, "beta": (1 - mean) * nu}
    if family == "lognormal":
        if mean <= 0:
            raise ValueError(f"lognormal: need mean > 0, got {mean}")
        sigma2 = math.log1p((sd / mean) ** 2)
        return {"mu": math.log(mean) - sigma2 / 2, "sigma": math.sqrt(sigma2)}
    raise ValueError(f"no mean/sd form for {family!r}")


_MOMENT_KEYS = {"dist", "mean", "sd", "se", "cv"}


def _from_moments(data: Any, family: str) -> Any:
    """Let a table give ``mean`` with ``sd``, ``se`` or ``cv`` instead of native parameters.

    PARAMETERS.md often states an uncertainty as a mean and a standard error (or an assumed
    coefficient of variation); ``{ dist = "gamma", mean = 86.17, cv = 0.2 }`` is turned into
    ``{ dist = "gamma", shape = 25, scale = 3.4468 }`` before validation.
    """
    if not isinstance(data, dict) or "mean" not in data or not set(data) <= _MOMENT_KEYS:
        return data
    spread = [k for k in ("sd", "se", "cv") if k in data]
    if len(spread) != 1:
        raise ValueError("with mean, give exactly one of sd, se or cv")
    raw = (data["mean"], data[spread[0]])
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw):
        raise ValueError(f"mean and {spread[0]} must be numbers, got {raw[0]!r} and {raw[1]!r}")
    mean, value = float(raw[0]), float(raw[1])
    sd = value * abs(mean) if spread[0] == "cv" else value
    return {"dist": family, **_native(family, mean, sd)}


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values."""
        raise NotImplementedError

    def mean(self) -> float:
        """Expected value."""
        raise NotImplementedError

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantile function (inverse CDF), vectorised over ``q`` in (0, 1)."""
        raise NotImplementedError

    def lowest(self) -> float:
        """The smallest value a draw can take (``-inf`` for an unbounded family)."""
        return 0.0  # positive families: exponential, Weibull, gamma, log-normal, beta


class Fixed(_Dist):
    """A constant: every draw equals ``value``."""

    dist: Literal["fixed"] = "fixed"
    value: FiniteFloat

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def mean(self) -> float:
        return self.value

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.full(np.shape(q), self.value, dtype=float)

    def lowest(self) -> float:
        return self.value


class Exponential(_Dist):
    """Exponential with the given ``mean`` (the reciprocal of the rate)."""

    dist: Literal["exponential"] = "exponential"
    mean_: PositiveFloat = Field(alias="mean")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size=size)

    def mean(self) -> float:
        return self.mean_

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-np.asarray(q, dtype=float))


class Weibull(_Dist):
    """Weibull with ``shape`` k and ``scale`` λ: survival exp(-(t/λ)^k)."""

    dist: Literal["weibull"] = "weibull"
    shape: PositiveFloat
    scale: PositiveFloat

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size=size)

    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.scale * (-np.log1p(-np.asarray(q, dtype=float))) ** (1.0 / self.shape)


class Gamma(_Dist):
    """Gamma with ``shape`` k and ``scale`` θ (mean kθ)."""

    dist: Literal["gamma"] = "gamma"
    shape: PositiveFloat
    scale: PositiveFloat

    @model_validator(mode="before")
    @classmethod
    def _moments(cls, data: Any) -> Any:
        return _from_moments(data, "gamma")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size=size)

    def mean(self) -> float:
        return self.shape * self.scale

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(special.gammaincinv(self.shape, q) * self.scale, dtype=float)


class LogNormal(_Dist):
    """Log-normal with ``mu`` and ``sigma`` on the natural-log scale."""

    dist: Literal["lognormal"] = "lognormal"
    mu: FiniteFloat
    sigma: PositiveFloat

    @model_validator(mode="before")
    @classmethod
    def _moments(cls, data: Any) -> Any:
        return _from_moments(data, "lognormal")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size=size)

    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2.0)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.exp(self.mu + self.sigma * special.ndtri(q))


class Uniform(_Dist):
    """Uniform on [``low``, ``high``]."""

    dist: Literal["uniform"] = "uniform"
    low: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=size)

    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(q, dtype=float)

    def lowest(self) -> float:
        return self.low


class Normal(_Dist):
    """Normal with ``mean`` and standard deviation ``sd`` (for uncertainty, not times)."""

    dist: Literal["normal"] = "normal"
    mean_: FiniteFloat = Field(alias="mean")
    sd: PositiveFloat
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.mean_, self.sd, size=size)

    def mean(self) -> float:
        return self.mean_

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self.mean_ + self.sd * special.ndtri(q)

    def lowest(self) -> float:
        return -math.inf


class TruncatedNormal(_Dist):
    """Normal(``mean``, ``sd``) restricted to [``low``, ``high``]."""

    dist: Literal["truncnormal"] = "truncnormal"
    mean_: FiniteFloat = Field(alias="mean")
    sd: PositiveFloat
    low: FiniteFloat = -math.inf
    high: FiniteFloat = math.inf
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> TruncatedNormal:
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self

    def _bounds(self) -> tuple[float, float]:
        return (self.low - self.mean_) / self.sd, (self.high - self.mean_) / self.sd

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.ppf(rng.random(size))

    def mean(self) -> float:
        a, b = self._bounds()
        return float(stats.truncnorm.mean(a, b, loc=self.mean_, scale=self.sd))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        a, b = self._bounds()
        return np.asarray(stats.truncnorm.ppf(q, a, b, loc=self.mean_, scale=self.sd))

    def lowest(self) -> float:
        return self.low


class Beta(_Dist):
    """Beta(``alpha``, ``beta``) on [0, 1], mean α/(α+β)."""

    dist: Literal["beta"] = "beta"
    alpha: PositiveFloat
    beta: PositiveFloat

    @model_validator(mode="before")
    @classmethod
    def _moments(cls, data: Any) -> Any:
        return _from_moments(data, "beta")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.beta(self.alpha, self.beta, size=size)

    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(special.betaincinv(self.alpha, self.beta, q), dtype=float)


class Dirichlet(_Dist):
    """Dirichlet over named shares; ``alpha`` maps each share's name to its concentration."""

    dist: Literal["dirichlet"] = "dirichlet"
    alpha: dict[str, PositiveFloat]

    @model_validator(mode="after")
    def _nonempty(self) -> Dirichlet:
        if len(self.alpha) < 2:
            raise ValueError("needs at least two named shares")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw a (size, k) array of shares in the order of ``alpha``'s keys."""
        return rng.dirichlet(list(self.alpha.values()), size=size)

    def mean(self) -> float:  # pragma: no cover - a vector family has no scalar mean
        raise TypeError("a Dirichlet has a vector mean: use mean_shares()")

    def mean_shares(self) -> dict[str, float]:
        """Expected share of each name."""
        total = sum(self.alpha.values())
        return {k: v / total for k, v in self.alpha.items()}


Distribution = Annotated[
    Fixed | Exponential | Weibull | Gamma | LogNormal | Uniform | Normal | TruncatedNormal | Beta,
    Field(discriminator="dist"),
]
"""Any scalar family, chosen by the ``dist`` tag."""


def from_mean(
    family: str, mean: float, *, sd: float | None = None, cv: float | None = None
) -> _Dist:
    """Build a family from its mean and either its SD or its coefficient of variation.

    Parameters
    ----------
    family : {"gamma", "beta", "lognormal", "normal", "exponential", "fixed"}
        The family to build.
    mean : float
        Expected value, in the parameter's own unit.
    sd, cv : float, optional
        Standard deviation, or coefficient of variation (sd / mean); one is needed except
        for ``exponential`` and ``fixed``.

    Returns
    -------
    A frozen distribution whose mean (and SD, where given) match.
    """
    if family == "fixed":
        return Fixed(value=mean)
    if family == "exponential":
        return Exponential(mean=mean)
    if sd is None:
        if cv is None:
            raise ValueError(f"{family}: give sd or cv")
        sd = cv * abs(mean)
    if family in ("gamma", "beta", "lognormal"):
        native = _native(family, mean, sd)
        return {"gamma": Gamma, "beta": Beta, "lognormal": LogNormal}[family](**native)
    if sd <= 0:
        raise ValueError(f"{family}: sd must be positive, got {sd}")
    if family == "normal":
        return Normal(mean=mean, sd=sd)
    raise ValueError(f"unknown family {family!r}")
