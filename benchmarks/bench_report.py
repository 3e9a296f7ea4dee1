"""Report benchmark (issue 10): ``make report`` without PSA, and re-rendering a report folder.

Times, as subprocesses from a cold interpreter like a user's shell:

- ``fupsim report scenarios/baseline.toml --out DIR --quiet --no-psa`` (the shipped
  baseline: simulation, comparison without the appendix GEE, validation checks, figures,
  page) — target under 10 s once set up. Each run writes a **new** folder: a run into an
  existing report folder reuses the analysis files it finds there, which would time less work;
- ``fupsim report DIR --out DIR2 --quiet`` (re-render of that folder: reads files only);
- the same full report with ``--gee`` (the appendix GEE the report used to always fit),
  measured in the same run as the reference for what making it opt-in saved.

Each is the best of two runs, with its CPU time (user + system, the command and its worker
processes) beside it. The machine is shared, so the load average at the start is recorded
too; read the ratio to the same-run reference and the CPU time, not only the wall time.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUPSIM = [sys.executable, "-m", "fupsim.cli"]
TARGET_SECONDS = 10.0


def _time(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (CPU: user + system of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The run with the shortest wall time."""
    return min(runs)


def run() -> dict:
    baseline = str(ROOT / "scenarios" / "baseline.toml")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        full = [*FUPSIM, "report", baseline, "--quiet", "--no-psa"]
        report = _best([_time([*full, "--out", str(folder / f"r{i}")]) for i in range(2)])
        rerender = _best(
            [
                _time(
                    [
                        *FUPSIM,
                        "report",
                        str(folder / "r0"),
                        "--out",
                        str(folder / f"again{i}"),
                        "--quiet",
                    ]
                )
                for i in range(2)
            ]
        )
        gee = _best([_time([*full, "--gee", "--out", str(folder / f"gee{i}")]) for i in range(2)])
    return {
        "report_seconds": round(report[0], 2),
        "report_cpu_seconds": round(report[1], 2),
        "rerender_seconds": round(rerender[0], 2),
        "rerender_cpu_seconds": round(rerender[1], 2),
        "report_with_gee_seconds_reference": round(gee[0], 2),
        "report_with_gee_cpu_seconds_reference": round(gee[1], 2),
        "load_average_at_start": round(load, 2),
        "target_seconds": TARGET_SECONDS,
        "meets_target": report[0] < TARGET_SECONDS,
    }
