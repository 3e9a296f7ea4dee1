"""Distribution families against scipy.stats (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from fupsim.distributions import (
    Beta,
    Dirichlet,
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    TruncatedNormal,
    Uniform,
    Weibull,
    from_mean,
)

CASES = [
    (Exponential(mean=12.0), stats.expon(scale=12.0)),
    (Weibull(shape=1.5, scale=20.0), stats.weibull_min(1.5, scale=20.0)),
    (Gamma(shape=2.0, scale=6.0), stats.gamma(2.0, scale=6.0)),
    (LogNormal(mu=0.5, sigma=0.4), stats.lognorm(0.4, scale=np.exp(0.5))),
    (Uniform(low=2.0, high=5.0), stats.uniform(2.0, 3.0)),
    (Normal(mean=1.0, sd=2.0), stats.norm(1.0, 2.0)),
    (
        TruncatedNormal(mean=40, sd=12, low=18, high=85),
        stats.truncnorm((18 - 40) / 12, (85 - 40) / 12, 40, 12),
    ),
    (Beta(alpha=30, beta=10), stats.beta(30, 10)),
]


@pytest.mark.parametrize(("dist", "ref"), CASES, ids=lambda d: getattr(d, "dist", ""))
def test_mean_and_quantiles_match_scipy(dist, ref) -> None:
    assert dist.mean() == pytest.approx(ref.mean(), rel=1e-9)
    q = np.array([0.01, 0.25, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(dist.ppf(q), ref.ppf(q), rtol=1e-7)


@pytest.mark.parametrize(("dist", "ref"), CASES, ids=lambda d: getattr(d, "dist", ""))
def test_sample_mean_within_four_standard_errors(dist, ref) -> None:
    n = 200_000
    x = dist.sample(np.random.default_rng(3), n)
    assert x.shape == (n,)
    se = ref.std() / np.sqrt(n)
    assert abs(x.mean() - ref.mean()) < 4 * se


def test_fixed_is_constant() -> None:
    f = Fixed(value=6)
    assert set(f.sample(np.random.default_rng(0), 10)) == {6.0}
    assert f.mean() == 6


def test_dirichlet_shares_sum_to_one_and_mean() -> None:
    d = Dirichlet(alpha={"a": 2, "b": 6, "c": 2})
    x = d.sample(np.random.default_rng(1), 1000)
    np.testing.assert_allclose(x.sum(axis=1), 1.0)
    assert d.mean_shares() == {"a": 0.2, "b": 0.6, "c": 0.2}


def test_tagged_union_parses_tables() -> None:
    adapter = TypeAdapter(Distribution)
    assert adapter.validate_python({"dist": "gamma", "shape": 2, "scale": 3}).mean() == 6
    with pytest.raises(ValidationError):
        adapter.validate_python({"dist": "gamma", "shape": -1, "scale": 3})
    with pytest.raises(ValidationError):
        adapter.validate_python({"dist": "uniform", "low": 3, "high": 1})
    with pytest.raises(ValidationError):
        adapter.validate_python({"dist": "cauchy", "loc": 0})


@pytest.mark.parametrize(
    ("family", "mean", "sd"),
    [
        ("gamma", 86.17, 17.234),
        ("beta", 0.75, 0.0685),
        ("lognormal", 12.0, 6.0),
        ("normal", 3.0, 1.0),
    ],
)
def test_from_mean_matches_moments(family: str, mean: float, sd: float) -> None:
    d = from_mean(family, mean, sd=sd)
    x = d.ppf(np.linspace(0.5 / 20000, 1 - 0.5 / 20000, 20000))  # quadrature on quantiles
    assert x.mean() == pytest.approx(mean, rel=2e-3)
    assert x.std() == pytest.approx(sd, rel=2e-2)


def test_from_mean_cv_gives_gamma_25_for_cv_20_percent() -> None:
    # PARAMETERS.md §0: a cost with CV 20% is Gamma(25, m/25)
    d = from_mean("gamma", 114.23, cv=0.2)
    assert isinstance(d, Gamma)
    assert d.shape == pytest.approx(25.0)
    assert d.scale == pytest.approx(114.23 / 25)


@pytest.mark.parametrize(
    ("table", "mean", "sd"),
    [
        ({"dist": "gamma", "mean": 86.17, "cv": 0.2}, 86.17, 17.234),
        ({"dist": "beta", "mean": 0.75, "se": 0.0685}, 0.75, 0.0685),
        ({"dist": "lognormal", "mean": 12.0, "sd": 6.0}, 12.0, 6.0),
    ],
)
def test_tables_by_mean_and_spread_match_scipy_moments(table: dict, mean: float, sd: float) -> None:
    d = TypeAdapter(Distribution).validate_python(table)
    ref = {
        "gamma": lambda: stats.gamma(d.shape, scale=d.scale),
        "beta": lambda: stats.beta(d.alpha, d.beta),
        "lognormal": lambda: stats.lognorm(d.sigma, scale=np.exp(d.mu)),
    }[table["dist"]]()
    assert ref.mean() == pytest.approx(mean, rel=1e-9)
    assert ref.std() == pytest.approx(sd, rel=1e-9)


@pytest.mark.parametrize(
    "table",
    [
        {"dist": "beta", "mean": 1.2, "sd": 0.1},
        {"dist": "beta", "mean": 0.5, "sd": 0.6},
        {"dist": "gamma", "mean": 10, "sd": 1, "cv": 0.1},
        {"dist": "gamma", "mean": -3, "sd": 1},
        {"dist": "lognormal", "mean": 5},
    ],
)
def test_bad_moment_tables_are_rejected(table: dict) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Distribution).validate_python(table)
