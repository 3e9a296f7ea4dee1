"""Capacity benchmark (issue 5): patient-protocols per second with scanner slots binding.

A service of 20,000 new patients a year arriving over 5 years (24 months' run-in plus 36
measured months), each followed for the baseline's 36 months under each of the baseline's
four protocols, on a scanner with 700 follow-up slots per weekday: binding for the
3-monthly protocol, not for the others. One replicate, one core, in memory (service draws,
cohort, histories, calendar engine, outcome, weekly and wait tables; no events, no files).
The rate is the best of three runs after a warm-up. A separate cProfile run gives the share
of time spent inside SimPy's own code (its scheduler: ``Environment.step``, event and
timeout objects) and the share under ``Environment.step`` including the day lists it runs.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

import fupsim
from fupsim.experiment import _simulate_replicate
from fupsim.metrics import capacity_summary

ROOT = Path(__file__).resolve().parents[1]
NEW_PER_YEAR = 20_000
SLOTS = 700
TARGET = 200_000


def _scenario() -> fupsim.Scenario:
    base = fupsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    service = {
        "new_patients_per_year": NEW_PER_YEAR,
        "run_in_months": 24.0,
        "service_months": 36.0,
        "slots_per_day": SLOTS,
        "clinic_days_per_week": 5,
    }
    return fupsim.with_overrides(base, {"capacity": service})


def _once(sc: fupsim.Scenario) -> tuple[float, int, object]:
    start = time.perf_counter()
    outcomes, _, calendar, waits = _simulate_replicate(sc, 0, seed=1, patients=None, events=False)
    elapsed = time.perf_counter() - start
    assert calendar is not None and waits is not None
    return elapsed, len(outcomes), capacity_summary(calendar, waits)


def run() -> dict:
    """Measure the calendar engine; returns the figures written to bench.json."""
    sc = _scenario()
    _once(sc)  # warm-up
    runs = [_once(sc) for _ in range(3)]
    best, rows, service = min(runs, key=lambda r: r[0])
    profiler = cProfile.Profile()
    profiler.enable()
    _once(sc)
    profiler.disable()
    st = pstats.Stats(profiler)
    table = st.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in table.values())
    own = sum(v[2] for k, v in table.items() if "/simpy/" in k[0])
    step = sum(v[3] for k, v in table.items() if "/simpy/" in k[0] and k[2] == "step")
    summary = service.set_index("protocol")  # type: ignore[attr-defined]
    rate = rows / best
    return {
        "new_patients_per_year": NEW_PER_YEAR,
        "slots_per_day": SLOTS,
        "patient_protocols": rows,
        "best_seconds": round(best, 3),
        "patient_protocols_per_second": round(rate),
        "target_patient_protocols_per_second": TARGET,
        "meets_target": rate >= TARGET,
        "simpy_own_code_share": round(own / total, 4),
        "under_environment_step_share": round(step / total, 4),
        "utilisation_by_protocol": _plain(summary["scanner_utilisation"].round(3).to_dict()),
        "p95_wait_days_by_protocol": _plain(summary["p95_wait_days"].to_dict()),
        "mean_wait_days_by_protocol": _plain(summary["mean_wait_days"].round(2).to_dict()),
    }


def _plain(values: dict) -> dict:
    """JSON-safe numbers: NaN (a protocol with no appointments) becomes null."""
    return {k: (None if v != v else float(v)) for k, v in values.items()}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
