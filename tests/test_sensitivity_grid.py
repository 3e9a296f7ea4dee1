"""Grid sweeps: parsing --vary, the grid, the table, resuming after an interrupt or a killed worker."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fupsim
from fupsim.metrics import SUMMARY_COLUMNS
from fupsim.scenario import ScenarioError
from fupsim.sensitivity import PointSize, PointStore, parse_vary, runner, sweep
from fupsim.sensitivity.grid import expand_spec, grid_overrides

SIZE = PointSize(seed=5, replications=1, patients=400)
VARY = {"ultrasound.sensitivity": "0.4:0.9:3", "attendance.per_visit": [0.7, 0.95]}


def test_parse_vary_lists_and_ranges() -> None:
    got = parse_vary(
        [
            "ultrasound.sensitivity=0.5:0.9:5",
            "protocol.us-6m.interval_months=4,5, 6",
            "meta.name=a,b",
        ]
    )
    assert got["ultrasound.sensitivity"] == pytest.approx(list(np.linspace(0.5, 0.9, 5)), abs=1e-12)
    assert got["protocol.us-6m.interval_months"] == [4, 5, 6]
    assert got["meta.name"] == ["a", "b"]
    assert expand_spec("k", "2:2:1") == [2.0]


@pytest.mark.parametrize(
    "item, words",
    [
        ("ultrasound.sensitivity", "expected dotted.key"),
        ("=1,2", "expected dotted.key"),
        ("ultrasound.sensitivity=0.5:0.9", "lo:hi:n"),
        ("ultrasound.sensitivity=a:b:c", "lo:hi:n"),
    ],
)
def test_parse_vary_rejects_bad_items(item: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        parse_vary([item])


def test_grid_is_the_full_product_first_key_slowest(baseline: fupsim.Scenario) -> None:
    grid = grid_overrides(baseline, VARY)
    assert len(grid) == 3 * 2
    assert [g["ultrasound.sensitivity"] for g in grid] == [0.4, 0.4, 0.65, 0.65, 0.9, 0.9]
    assert [g["attendance.per_visit"] for g in grid] == [0.7, 0.95] * 3
    with pytest.raises(ScenarioError, match="no such parameter"):
        grid_overrides(baseline, {"ultrasound.sensitivty": [0.5]})


def test_invalid_point_is_rejected_before_anything_runs(
    baseline: fupsim.Scenario, tmp_path
) -> None:
    with pytest.raises(ScenarioError, match=r"sweep point 1 .*ultrasound\.sensitivity"):
        sweep(baseline, {"ultrasound.sensitivity": [0.5, 1.5]}, SIZE, PointStore(tmp_path / "p"))
    assert not (tmp_path / "p").exists()


def test_sweep_table_shape_and_columns(baseline: fupsim.Scenario, tmp_path) -> None:
    result = sweep(baseline, VARY, SIZE, PointStore(tmp_path), workers=1)
    t = result.table
    assert len(t) == 6 * len(baseline.protocol)
    assert list(t.columns[:4]) == [
        "point",
        "ultrasound.sensitivity",
        "attendance.per_visit",
        "protocol",
    ]
    assert set(SUMMARY_COLUMNS) <= set(t.columns)
    for _, block in t.groupby("point"):
        assert list(block["protocol"]) == baseline.protocol_names


def test_sweep_is_monotone_in_sensitivity_under_common_random_numbers(
    baseline: fupsim.Scenario, tmp_path
) -> None:
    # Same seed for every point: each person's test result is u < sensitivity for a fixed u,
    # so a more sensitive scan can only find changes sooner; yield never falls.
    result = sweep(
        baseline, {"ultrasound.sensitivity": "0.2:1.0:5"}, SIZE, PointStore(tmp_path), workers=1
    )
    t = result.table[result.table["protocol"] == "us-3m"]
    assert np.all(np.diff(t["screen_detected_per_1000"].to_numpy()) >= 0)
    assert t["screen_detected_per_1000"].iloc[-1] > t["screen_detected_per_1000"].iloc[0]


class _InterruptedStore(PointStore):
    """A store whose owner presses Ctrl-C after ``k`` points are saved."""

    def __init__(self, folder: Any, k: int) -> None:
        super().__init__(folder)
        self.left = k

    def save(self, key: str, encoded: dict[str, Any], **extra: Any) -> Any:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().save(key, encoded, **extra)


def test_interrupt_then_resume_gives_the_uninterrupted_table(
    baseline: fupsim.Scenario, tmp_path
) -> None:
    clean = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "clean"), workers=2).table
    with pytest.raises(KeyboardInterrupt):
        sweep(baseline, VARY, SIZE, _InterruptedStore(tmp_path / "run", 2), workers=2)
    stored = list((tmp_path / "run").rglob("*.json"))
    assert len(stored) == 2
    assert not list((tmp_path / "run").rglob("*.tmp"))
    resumed = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "run"), workers=2)
    assert resumed.stats["reused"] == 2 and resumed.stats["simulated"] == 4
    pd.testing.assert_frame_equal(resumed.table, clean, check_exact=True)


def test_killed_worker_loses_only_points_in_flight(
    baseline: fupsim.Scenario, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "clean"), workers=2).table
    real = runner.simulate_point

    def dies_on_one_point(scenario: fupsim.Scenario, size: PointSize) -> pd.DataFrame:
        if scenario.ultrasound.sensitivity == 0.9 and scenario.attendance.per_visit == 0.95:
            os._exit(1)  # the worker process is killed mid-point
        return real(scenario, size)

    monkeypatch.setattr(runner, "simulate_point", dies_on_one_point)  # forked workers inherit it
    with pytest.raises(BrokenProcessPool):
        sweep(baseline, VARY, SIZE, PointStore(tmp_path / "run"), workers=2)
    monkeypatch.setattr(runner, "simulate_point", real)
    before = len(list((tmp_path / "run").rglob("*.json")))
    resumed = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "run"), workers=2)
    assert resumed.stats["reused"] == before < 6
    pd.testing.assert_frame_equal(resumed.table, clean, check_exact=True)


def test_results_do_not_depend_on_workers_or_batching(baseline: fupsim.Scenario, tmp_path) -> None:
    one = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "a"), workers=1).table
    two = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "b"), workers=2).table
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    scenarios = [fupsim.with_overrides(baseline, g) for g in grid_overrides(baseline, VARY)]
    batched = runner.run_points(
        scenarios, SIZE, PointStore(tmp_path / "c"), workers=2, batch_size=4
    )
    assert batched.stats["tasks"] == 2
    for i, summary in enumerate(batched.summaries):
        block = one[one["point"] == i][summary.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(block, summary, check_exact=True)


@given(
    lo=st.floats(-1e6, 1e6, allow_nan=False),
    hi=st.floats(-1e6, 1e6, allow_nan=False),
    n=st.integers(2, 50),
)
def test_range_spec_gives_n_even_steps_from_lo_to_hi(lo: float, hi: float, n: int) -> None:
    values = expand_spec("k", f"{lo!r}:{hi!r}:{n}")
    assert len(values) == n
    assert values[0] == pytest.approx(lo, rel=1e-11, abs=1e-9)
    assert values[-1] == pytest.approx(hi, rel=1e-11, abs=1e-9)
    steps = np.diff(values)
    # values keep 12 significant digits, so each may be off by 5e-12 of the largest magnitude
    scale = max(abs(lo), abs(hi), 1.0)
    assert np.allclose(steps, (hi - lo) / (n - 1), rtol=0, atol=2e-11 * scale)
