"""Variance-based (Sobol) sensitivity: first-order and total indices with SALib.

Each parameter with a one-way ``range`` is treated as uniform over that range. SALib's
Saltelli scheme (scrambled Sobol sequence, ``calc_second_order=False``) asks for
``N × (D + 2)`` points for ``D`` parameters and ``N`` base samples (a power of 2). Every point
is simulated through the resumable store with one seed, so the model is a deterministic
function of its parameters, and the chosen outcome (as in the one-way analysis) of one
protocol is analysed. Confidence intervals come from SALib's bootstrap.

:func:`sobol_design` and :func:`sobol_indices` are separate so the SALib usage can be checked
on a function with known indices (the Ishigami function) before it is trusted on the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from fupsim.errors import ParameterError
from fupsim.scenario import Scenario, ScenarioError, get_value
from fupsim.sensitivity.outcomes import (
    OwsaSettings,
    outcome_table,
    owsa_parameters,
    settings_for,
)
from fupsim.sensitivity.results import SobolResult
from fupsim.sensitivity.runner import (
    PointSize,
    PointStore,
    build_points,
    check_points,
    points_manifest,
    run_points,
)

__all__ = ["SobolResult", "sobol", "sobol_design", "sobol_indices"]

CONF_LEVEL = 0.95
RESAMPLES = 200


def _problem(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {
        "num_vars": len(bounds),
        "names": list(bounds),
        "bounds": [list(b) for b in bounds.values()],
    }


def sobol_design(bounds: dict[str, tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """Saltelli design: an ``(samples × (D + 2), D)`` array of parameter values.

    Parameters
    ----------
    bounds : dict
        Parameter name → (low, high); each is uniform over its range.
    samples : int
        Base sample size N, a power of 2.
    seed : int
        Scrambling seed.

    Raises
    ------
    ScenarioError
        If ``samples`` is not a power of 2 or a range is empty.
    """
    if samples < 2 or samples & (samples - 1):
        raise ParameterError("samples", str(samples), "must be a power of 2 (e.g. 64, 128, 256)")
    for name, (lo, hi) in bounds.items():
        if not hi > lo:
            raise ScenarioError(
                f'uncertainty."{name}".range = [{lo:g}, {hi:g}]: needs low < high for Sobol'
            )
    return np.asarray(
        sobol_sample.sample(
            _problem(bounds), samples, calc_second_order=False, scramble=True, seed=seed
        )
    )


def sobol_indices(bounds: dict[str, tuple[float, float]], y: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order and total indices of output ``y`` (in :func:`sobol_design` order).

    Returns
    -------
    DataFrame
        ``parameter, S1, S1_conf, ST, ST_conf``; ``_conf`` is the half-width of the 95%
        bootstrap confidence interval.
    """
    y = np.asarray(y, dtype=float)
    if not np.isfinite(y).all():
        raise ScenarioError(
            "sobol: the outcome is not finite at some points; choose another outcome"
        )
    res = sobol_analyze.analyze(
        _problem(bounds),
        y,
        calc_second_order=False,
        num_resamples=RESAMPLES,
        conf_level=CONF_LEVEL,
        seed=seed,
    )
    return pd.DataFrame(
        {
            "parameter": list(bounds),
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def analyse_function(
    fn: Callable[[np.ndarray], np.ndarray],
    bounds: dict[str, tuple[float, float]],
    samples: int,
    seed: int,
) -> pd.DataFrame:
    """Sobol indices of a vectorised function of the design matrix (rows = points)."""
    x = sobol_design(bounds, samples, seed)
    return sobol_indices(bounds, fn(x), seed)


def sobol(
    scenario: Scenario,
    samples: int,
    size: PointSize,
    store: PointStore,
    *,
    settings: OwsaSettings | None = None,
    parameters: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> SobolResult:
    """Sobol indices of the chosen outcome over every ranged parameter.

    Parameters
    ----------
    scenario : Scenario
        Base parameters with ``range`` entries in ``uncertainty``.
    samples : int
        Base sample size N (power of 2); ``N × (D + 2)`` points are simulated.
    size : PointSize
        Seed (also scrambles the design), replications and adults per point.
    store : PointStore
        Resumable store of finished points.
    settings : OwsaSettings, optional
        Outcome and protocol (default :func:`~fupsim.sensitivity.owsa.settings_for`).
    parameters : sequence of str, optional
        Only these dotted keys (others stay at base values).

    Returns
    -------
    SobolResult

    Raises
    ------
    ScenarioError
        If a parameter's range has zero width (it is named; none is dropped silently), or
        the design is too large to run (:func:`fupsim.scenario.check_workload`).
    """
    started = time.perf_counter()
    settings = settings or settings_for(scenario)
    bounds = owsa_parameters(scenario, parameters)
    for key, (lo, hi) in bounds.items():
        if not hi > lo:
            raise ScenarioError(
                f'uncertainty."{key}".range = [{lo:g}, {hi:g}]: has zero width, so Sobol '
                "cannot vary it; give low < high, or name only the parameters to vary "
                "in parameters"
            )
    if samples < 2 or samples & (samples - 1):
        raise ParameterError("samples", str(samples), "must be a power of 2 (e.g. 64, 128, 256)")
    check_points(scenario, samples * (len(bounds) + 2), size, "samples", f"{samples:,}")
    x = sobol_design(bounds, samples, size.seed)
    ints = {
        k
        for k in bounds
        if isinstance(get_value(scenario, k), int) and not isinstance(get_value(scenario, k), bool)
    }
    overrides = [
        {k: (round(float(v)) if k in ints else float(v)) for k, v in zip(bounds, row, strict=True)}
        for row in x
    ]
    scenarios = build_points(scenario, overrides, "sobol point")
    run = run_points(
        scenarios,
        size,
        store,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="sobol",
    )
    y = np.array(
        [
            outcome_table(s, settings)
            .set_index("protocol")
            .loc[settings.protocol, settings.outcome]
            for s in run.summaries
        ],
        dtype=float,
    )
    indices = sobol_indices(bounds, y, size.seed)
    indices.insert(1, "outcome", settings.outcome)
    indices.insert(2, "protocol", settings.protocol)
    indices = indices.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    points = pd.DataFrame(x, columns=list(bounds))
    points.insert(0, "point", np.arange(len(points)))
    points[settings.outcome] = y
    record = points_manifest(
        "sobol",
        scenario,
        size,
        sizes={"points": len(scenarios), "samples": samples},
        started=started,
        settings=settings,
        stats=run.stats,
    )
    return SobolResult(
        indices=indices, points=points, settings=settings, manifest=record, stats=run.stats
    )
