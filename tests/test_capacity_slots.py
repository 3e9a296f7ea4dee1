"""The required-slots search and the ``fupsim capacity`` command."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fupsim
from fupsim.capacity import required_slots
from fupsim.cli import main
from fupsim.scenario import Scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
CAPACITY = ROOT / "scenarios" / "capacity.toml"


def _small(rate: float, interval: float) -> Scenario:
    """A short service: one regular protocol, a few hundred people a year."""
    sc = fupsim.load_scenario(CAPACITY)
    data = sc.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [{"name": "regular", "interval_months": interval}]
    data["analysis"].pop("reference_protocol", None)
    sc = Scenario.model_validate(data)
    return with_overrides(
        sc,
        {
            "capacity.new_patients_per_year": rate,
            "capacity.run_in_months": 12.0,
            "capacity.service_months": 12.0,
            "capacity.max_wait_days": None,
            "capacity.target_p95_wait_days": 3.0,
            "simulation.horizon_months": 24.0,
        },
    )


def _p95(scenario: Scenario) -> float:
    value = fupsim.run(scenario, replications=1, workers=1, seed=9, events=False).summary()
    return float(value["p95_wait_days"].iloc[0])


def test_required_slots_is_the_smallest_that_meets_the_target() -> None:
    sc = _small(600, 3.0)
    slots, p95 = required_slots(sc, "regular", _p95)
    assert p95 <= 3.0
    fewer = with_overrides(sc, {"capacity.slots_per_day": slots - 1})
    assert _p95(fewer) > 3.0


@pytest.mark.slow
def test_required_slots_grow_with_arrivals_and_with_scan_frequency() -> None:
    """Monotone in the arrival rate and in scan frequency (shorter interval, more scans)."""
    by_rate = [required_slots(_small(r, 3.0), "regular", _p95)[0] for r in (300, 600, 1200)]
    by_interval = [required_slots(_small(600, m), "regular", _p95)[0] for m in (6.0, 4.5, 3.0)]
    assert by_rate == sorted(by_rate) and by_rate[0] < by_rate[-1]
    assert by_interval == sorted(by_interval) and by_interval[0] < by_interval[-1]


def test_a_protocol_without_scans_needs_no_slots() -> None:
    sc = _small(300, 3.0)
    data = sc.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [{"name": "none", "visits_months": []}]
    slots, p95 = required_slots(Scenario.model_validate(data), "none", _p95)
    assert slots == 0 and math.isnan(p95)


def test_capacity_command_writes_required_slots(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "slots"
    code = main(
        [
            "capacity",
            str(CAPACITY),
            "--out",
            str(out),
            "--replications",
            "1",
            "--quiet",
            "--set",
            "capacity.new_patients_per_year=300",
            "--set",
            "capacity.run_in_months=12",
            "--set",
            "capacity.service_months=12",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "required_slots.csv")
    assert list(table["protocol"]) == ["us-3m", "us-4.5m", "us-6m", "no-follow-up"]
    slots = table.set_index("protocol")["required_slots_per_day"]
    assert slots["us-3m"] >= slots["us-4.5m"] >= slots["us-6m"] >= slots["no-follow-up"] == 0
    assert (out / "manifest.json").is_file()
    # the effect follows analysis.effect (QALYs by default), at the slots found
    qalys = table["qalys_per_patient_at_required_slots"]
    assert qalys.notna().all() and (qalys > 1).all()


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("capacity.slots_per_day=0", "capacity.slots_per_day"),
        ("capacity.clinic_days_per_week=8", "capacity.clinic_days_per_week"),
        ("capacity.new_patients_per_year=-5", "capacity.new_patients_per_year"),
        ("capacity.max_wait_days=-1", "capacity.max_wait_days"),
        ("capacity.slots=40", "capacity"),
        ("protocol.us-3m.rebook_missed_after_days=0", "rebook_missed_after_days"),
    ],
)
def test_bad_capacity_input_exits_2_naming_the_field_and_writes_nothing(
    tmp_path: Path, capsys: Any, setting: str, field: str
) -> None:
    for command in ("capacity", "run"):
        out = tmp_path / command
        code = main([command, str(CAPACITY), "--out", str(out), "--quiet", "--set", setting])
        err = capsys.readouterr().err
        assert code == 2
        assert field in err and len(err.strip().splitlines()) == 1
        assert not out.exists()


def test_capacity_command_needs_a_capacity_block(tmp_path: Path, capsys: Any) -> None:
    baseline = ROOT / "scenarios" / "baseline.toml"
    code = main(["capacity", str(baseline), "--out", str(tmp_path / "x"), "--quiet"])
    assert code == 2
    assert "[capacity]" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_run_of_the_capacity_scenario_writes_capacity_csv(tmp_path: Path) -> None:
    out = tmp_path / "run"
    settings = ["capacity.new_patients_per_year=200", "capacity.run_in_months=6"]
    argv = ["run", str(CAPACITY), "--out", str(out), "--replications", "1", "--quiet"]
    for s in settings:
        argv += ["--set", s]
    assert main(argv) == 0
    summary = pd.read_csv(out / "summary.csv")
    for col in ("mean_wait_days", "p95_wait_days", "scanner_utilisation", "scans_overdue_share"):
        assert col in summary.columns
    cap = pd.read_csv(out / "capacity.csv")
    assert {"week", "queue_length_patients", "utilisation", "mean_wait_days"} <= set(cap.columns)
