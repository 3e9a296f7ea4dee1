"""The resumable point store: keys, atomic writes, exact round trips, stale points never reused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.scenario import with_overrides
from fupsim.sensitivity import PointSize, PointStore, point_key, run_points
from fupsim.sensitivity.store import encode_summary

SIZE = PointSize(seed=11, replications=1, patients=300)


def _key(s: fupsim.Scenario, **kw: int) -> str:
    args = {"seed": 11, "replications": 1, "patients": 300, **kw}
    return point_key(s, **args)


def test_key_changes_with_everything_that_shapes_a_point(baseline: fupsim.Scenario) -> None:
    base = _key(baseline)
    assert len(base) == 64 and base == _key(baseline)
    changed = with_overrides(baseline, {"ultrasound.specificity": 0.96})
    assert _key(changed) != base
    assert _key(baseline, seed=12) != base
    assert _key(baseline, replications=2) != base
    assert _key(baseline, patients=301) != base


def test_key_ignores_blocks_that_cannot_change_a_summary(baseline: fupsim.Scenario) -> None:
    base = _key(baseline)
    relabelled = with_overrides(
        baseline,
        {
            "meta.name": "other",
            "sweep": {"vary": {"ultrasound.sensitivity": [0.5]}},
            "analysis.willingness_to_pay": [1.0],
        },
    )
    assert _key(relabelled) == base


def test_key_changes_with_package_version(
    baseline: fupsim.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _key(baseline)
    monkeypatch.setattr(fupsim, "__version__", "999.0")
    assert _key(baseline) != base


def test_round_trip_is_exact(tmp_path) -> None:
    frame = pd.DataFrame(
        {"protocol": ["a", "b"], "x": [0.1 + 0.2, np.nan], "y": [1e-300, 123456789.123456789]}
    )
    store = PointStore(tmp_path)
    store.save("ab" * 32, encode_summary(frame))
    back = store.load("ab" * 32)
    assert back is not None
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert [p.name for p in tmp_path.rglob("*")] == [
        "ab",
        "ab" * 32 + ".json",
    ]  # no temp files left


def test_unusable_files_count_as_missing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PointStore(tmp_path)
    key = "cd" * 32
    store.path(key).parent.mkdir(parents=True)
    store.path(key).write_text('{"key": "cdcd", "colu')  # a torn write (cannot happen via save)
    assert store.load(key) is None
    store.save(key, encode_summary(pd.DataFrame({"protocol": ["a"], "x": [1.0]})))
    assert store.has(key)
    record = json.loads(store.path(key).read_text())
    record["key"] = "ef" * 32
    store.path(key).write_text(json.dumps(record))
    assert not store.has(key)  # a file under the wrong name is not trusted
    store.save(key, encode_summary(pd.DataFrame({"protocol": ["a"], "x": [1.0]})))
    monkeypatch.setattr(fupsim, "__version__", "999.0")
    assert not store.has(key)  # written by another version


def test_stale_points_are_never_reused(
    baseline: fupsim.Scenario, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PointStore(tmp_path)
    first = run_points([baseline], SIZE, store, workers=1)
    assert first.stats["simulated"] == 1
    again = run_points([baseline], SIZE, store, workers=1)
    assert again.stats == {**again.stats, "simulated": 0, "reused": 1}
    pd.testing.assert_frame_equal(again.summaries[0], first.summaries[0], check_exact=True)
    # A changed parameter is a new point, simulated afresh and different.
    changed = with_overrides(baseline, {"ultrasound.sensitivity": 0.3})
    third = run_points([changed], SIZE, store, workers=1)
    assert third.stats["simulated"] == 1
    assert not third.summaries[0]["screen_detected_per_1000"].equals(
        first.summaries[0]["screen_detected_per_1000"]
    )
    # A new package version re-simulates even the unchanged point.
    monkeypatch.setattr(fupsim, "__version__", "999.0")
    fourth = run_points([baseline], SIZE, store, workers=1)
    assert fourth.stats["simulated"] == 1 and fourth.stats["reused"] == 0


def test_duplicate_points_run_once(baseline: fupsim.Scenario, tmp_path) -> None:
    same = with_overrides(baseline, {"ultrasound.sensitivity": baseline.ultrasound.sensitivity})
    result = run_points([baseline, same, baseline], SIZE, PointStore(tmp_path), workers=1)
    assert result.stats["distinct"] == 1 and result.stats["simulated"] == 1
    assert len(result.summaries) == 3
