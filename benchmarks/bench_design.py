"""Design benchmark: about 500 candidate schedules × 10,000 people, common random numbers, 2 cores.

One replicate of the baseline scenario; every candidate is played against the same people.
Reports wall time, candidates and patient-protocols per second, and peak memory (largest
resident set of this process and of its worker processes). Targets (issue 14): under
5 minutes, peak memory under 2 GiB. No refinement rounds, so the number measured is the
evaluation itself.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from fupsim import load_scenario
from fupsim.design import design, design_spec

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
PATIENTS, WORKERS = 10_000, 2


def _spec() -> object:
    # 20 intervals x 11 durations, each also with stop rules 1-4, plus the default lists,
    # no follow-up and the article's: 509 distinct candidates once duplicates are merged.
    return design_spec(
        intervals_months=[
            1,
            1.5,
            2,
            2.5,
            3,
            3.5,
            4,
            4.5,
            5,
            5.5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            15,
            18,
            24,
        ],
        durations_months=[6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36],
        effect="screen_detected",
        refine=False,
    )


def run() -> dict[str, object]:
    """Measure one search; returns the figures for ``bench.json``."""
    scenario = load_scenario(SCENARIO)
    start = time.perf_counter()
    result = design(
        scenario,
        _spec(),
        replications=1,
        patients=PATIENTS,
        workers=WORKERS,
        progress=False,  # type: ignore[arg-type]
    )
    wall = time.perf_counter() - start
    k = len(result.candidates)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return {
        "candidates": k,
        "patients": PATIENTS,
        "replications": 1,
        "workers": WORKERS,
        "wall_seconds": round(wall, 2),
        "candidates_per_second": round(k / wall, 2),
        "patient_protocols_per_second": round(k * PATIENTS / wall),
        "peak_memory_gib_parent": round(peak_self, 3),
        "peak_memory_gib_worker": round(peak_children, 3),
        "target_wall_seconds": 300,
        "target_peak_memory_gib": 2.0,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
