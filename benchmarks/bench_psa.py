"""PSA benchmark: 200 draws × 10,000 patients × 4 protocols on 2 local workers.

The scenario is the shipped baseline cut to four protocols (as in ``bench_psa_scale``).

Reports draws per second, parallel efficiency against one worker (measured on the first 50
draws, in this process, once before and once after the parallel run, averaged), and the
share of wall time spent outside simulation: parameter draws and validation, hashing,
scheduling, pickling, writing and reading points, CEAC/EVPI. The load average at the start
is reported too: on a shared machine other processes slow the parallel run most.
Targets (issue 6): efficiency ≥ 85 % on 2 cores, outside-simulation share < 10 %.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from fupsim import load_scenario
from fupsim.scenario import Scenario, scenario_from_dict
from fupsim.sensitivity import PointSize, PointStore
from fupsim.sensitivity.psa import psa

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
DRAWS, SERIAL_DRAWS, PATIENTS, WORKERS = 200, 50, 10_000, 2
PROTOCOLS = ("us-3m", "us-6m", "us-6m-24m", "no-follow-up")


def four_protocols() -> Scenario:
    """The baseline with only :data:`PROTOCOLS`."""
    data = load_scenario(SCENARIO).resolved()
    data["protocol"] = [p for p in data["protocol"] if p["name"] in PROTOCOLS]
    return scenario_from_dict(data)


def _timed(draws: int, workers: int) -> tuple[float, dict[str, float]]:
    scenario = four_protocols()
    size = PointSize(seed=scenario.simulation.seed, replications=1, patients=PATIENTS)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = psa(scenario, draws, size, PointStore(tmp), workers=workers, progress=False)
        wall = time.perf_counter() - start
    return wall, result.stats


def run() -> dict[str, object]:
    """Measure the PSA pipeline; returns the figures for ``bench.json``."""
    load = os.getloadavg()[0]
    before_wall, serial = _timed(SERIAL_DRAWS, 1)
    wall, stats = _timed(DRAWS, WORKERS)
    after_wall, _ = _timed(SERIAL_DRAWS, 1)
    serial_wall = (before_wall + after_wall) / 2
    serial_rate = SERIAL_DRAWS / serial_wall
    rate = DRAWS / wall
    busy = stats["simulation_seconds"] / (WORKERS * wall)
    return {
        "draws": DRAWS,
        "patients_per_draw": PATIENTS,
        "protocols": len(PROTOCOLS),
        "workers": WORKERS,
        "points_per_task": stats["points_per_task"],
        "wall_seconds": round(wall, 2),
        "draws_per_second": round(rate, 2),
        "draws_per_second_1_worker": round(serial_rate, 2),
        "parallel_efficiency": round(rate / (WORKERS * serial_rate), 3),
        "simulation_seconds_per_draw": round(stats["simulation_seconds"] / DRAWS, 4),
        "outside_simulation_share": round(1.0 - busy, 3),
        "outside_simulation_share_1_worker": round(
            1.0 - serial["simulation_seconds"] / before_wall, 3
        ),
        "load_average_at_start": round(load, 2),
        "hash_seconds": round(stats["hash_seconds"], 3),
        "store_seconds": round(stats["store_seconds"], 3),
        "targets": {"parallel_efficiency": ">= 0.85", "outside_simulation_share": "< 0.10"},
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
