"""Sobol indices: SALib usage checked on the Ishigami and a linear function, then on the model."""

from __future__ import annotations

import numpy as np
import pytest

import fupsim
from fupsim.scenario import ScenarioError
from fupsim.sensitivity import PointSize, PointStore
from fupsim.sensitivity.owsa import settings_for
from fupsim.sensitivity.sobol import analyse_function, sobol, sobol_design

A, B = 7.0, 0.1
PI = np.pi


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_truth() -> tuple[np.ndarray, np.ndarray]:
    """Closed-form indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + B * PI**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_indices_match_closed_form() -> None:
    bounds = {f"x{i}": (-PI, PI) for i in (1, 2, 3)}
    got = analyse_function(_ishigami, bounds, 4096, seed=7)
    s1, st = _ishigami_truth()
    # The bootstrap gives 95% half-widths; allow two of them (about 4 standard errors).
    assert np.all(np.abs(got["S1"] - s1) < 2 * got["S1_conf"] + 1e-3)
    assert np.all(np.abs(got["ST"] - st) < 2 * got["ST_conf"] + 1e-3)
    assert got["S1"].to_numpy() == pytest.approx(s1, abs=0.05)
    assert got["ST"].to_numpy() == pytest.approx(st, abs=0.05)


def test_additive_function_has_equal_first_order_and_total_indices() -> None:
    # y = 1 x1 + 2 x2 + 3 x3 with x uniform on [0, 1]: S_i = c_i^2 / sum c^2, no interactions.
    c = np.array([1.0, 2.0, 3.0])
    bounds = {f"x{i}": (0.0, 1.0) for i in (1, 2, 3)}
    got = analyse_function(lambda x: x @ c, bounds, 2048, seed=1)
    truth = c**2 / (c**2).sum()
    assert got["S1"].to_numpy() == pytest.approx(truth, abs=0.03)
    assert got["ST"].to_numpy() == pytest.approx(truth, abs=0.03)


def test_design_rules() -> None:
    x = sobol_design({"a": (0.0, 1.0), "b": (10.0, 20.0)}, 8, seed=2)
    assert x.shape == (8 * (2 + 2), 2)
    assert x[:, 1].min() >= 10.0 and x[:, 1].max() <= 20.0
    with pytest.raises(ScenarioError, match="power of 2"):
        sobol_design({"a": (0.0, 1.0)}, 12, seed=2)
    with pytest.raises(ScenarioError, match="low < high"):
        sobol_design({"a": (1.0, 1.0)}, 8, seed=2)


def test_model_sobol_finds_the_parameter_that_drives_cost(
    baseline: fupsim.Scenario, tmp_path
) -> None:
    # Cost per person of no follow-up depends on the late-treatment cost and not at all on
    # the ultrasound specificity (no scans are done), so ST of the latter is zero.
    settings = settings_for(baseline, outcome="cost_per_patient", protocol="no-follow-up")
    keys = ["costs.late_treatment", "ultrasound.specificity"]
    result = sobol(
        baseline,
        16,
        PointSize(3, 1, 300),
        PointStore(tmp_path),
        settings=settings,
        parameters=keys,
        workers=2,
    )
    idx = result.indices.set_index("parameter")
    assert list(result.indices["parameter"]) == keys  # ranked by total index
    assert idx.loc["ultrasound.specificity", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert idx.loc["costs.late_treatment", "ST"] == pytest.approx(1.0, abs=0.05)
    assert len(result.points) == 16 * 4
