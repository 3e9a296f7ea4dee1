"""PSA at scale: 1,000 draws × 10,000 adults × 4 protocols on 2 local workers (issue 13).

The scenario is the shipped baseline cut to four protocols (3- and 6-monthly ultrasound, the
6-monthly schedule stopped at 24 months, no follow-up), with every parameter that has a psa
distribution drawn and EVPPI estimated for the named groups and every parameter, as
``fupsim psa`` does. Reported beside it, measured in the same run:

- the reference: pure simulation seconds per draw at one worker, in this process, on the
  first ``SUBSAMPLE`` draws (timed before and after the parallel run and averaged), and the
  wall time the 1,000 draws would take on 2 workers if nothing but simulation cost time
  (``ideal_wall_seconds``);
- the PSA's own split of its wall time: drawing and validating the variants, hashing and
  storing points, simulating, and deriving the tables (decision table, curves, EVPPI);
- CPU seconds of the main process and of the workers, which other jobs on the machine
  inflate far less than wall time.

Target (issue 13): the whole PSA in under 60 s on 2 cores.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from fupsim import load_scenario
from fupsim.scenario import Scenario, scenario_from_dict
from fupsim.sensitivity import PointSize, PointStore, simulate_point
from fupsim.sensitivity.grid import build_points
from fupsim.sensitivity.psa import draw_overrides, draw_parameters, psa

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
PROTOCOLS = ("us-3m", "us-6m", "us-6m-24m", "no-follow-up")
DRAWS, PATIENTS, WORKERS, SUBSAMPLE = 1000, 10_000, 2, 12


def four_protocols() -> Scenario:
    """The baseline with only :data:`PROTOCOLS` (in that order)."""
    data = load_scenario(SCENARIO).resolved()
    data["protocol"] = [p for p in data["protocol"] if p["name"] in PROTOCOLS]
    return scenario_from_dict(data)


def _simulation_per_draw(scenario: Scenario, size: PointSize) -> float:
    """Seconds of pure simulation per draw at one worker (the first draws, in this process)."""
    params = draw_parameters(scenario, SUBSAMPLE, size.seed)
    points = build_points(scenario, draw_overrides(scenario, params), "psa draw")
    start = time.perf_counter()
    for point in points:
        simulate_point(point, size)
    return (time.perf_counter() - start) / SUBSAMPLE


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def run() -> dict[str, Any]:
    """Measure the PSA at scale; returns the figures for ``bench.json``."""
    load = os.getloadavg()[0]
    scenario = four_protocols()
    size = PointSize(seed=scenario.simulation.seed, replications=1, patients=PATIENTS)
    before = _simulation_per_draw(scenario, size)
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = _cpu()
        start = time.perf_counter()
        result = psa(scenario, DRAWS, size, PointStore(tmp), workers=WORKERS, progress=False)
        wall = time.perf_counter() - start
        cpu1 = _cpu()
    after = _simulation_per_draw(scenario, size)
    per_draw = (before + after) / 2
    stats = result.stats
    phases = {k: round(float(v), 2) for k, v in (stats.get("phase_seconds") or {}).items()}
    return {
        "draws": DRAWS,
        "patients_per_draw": PATIENTS,
        "protocols": len(scenario.protocol_names),
        "workers": WORKERS,
        "drawn_parameters": sum(u.psa is not None for u in scenario.uncertainty.values()),
        "wall_seconds": round(wall, 2),
        "reference_simulation_seconds_per_draw_1_worker": round(per_draw, 4),
        "ideal_wall_seconds": round(DRAWS * per_draw / WORKERS, 1),
        "wall_over_ideal": round(wall / (DRAWS * per_draw / WORKERS), 3),
        "simulation_seconds_summed_over_workers": round(stats["simulation_seconds"], 1),
        "run_points_wall_seconds": round(stats["wall_seconds"], 2),
        "hash_seconds": round(stats["hash_seconds"], 2),
        "store_seconds": round(stats["store_seconds"], 2),
        "phase_seconds": phases,
        # CPU seconds do not grow with other jobs' load the way wall time does: the main
        # process's share is serial work (validation, storing, tables), the workers' is
        # simulation and EVPPI, shared by 2 cores on a quiet machine
        "cpu_seconds_main_process": round(cpu1[0] - cpu0[0], 1),
        "cpu_seconds_workers": round(cpu1[1] - cpu0[1], 1),
        "load_average_at_start": round(load, 2),
        "target": "wall_seconds < 60 on 2 cores",
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
