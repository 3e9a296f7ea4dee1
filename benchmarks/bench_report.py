"""Report benchmark (issue 10): ``make report`` without PSA, and re-rendering a report folder.

Times, as subprocesses from a cold interpreter like a user's shell:

- ``fupsim report scenarios/baseline.toml --out DIR --quiet --no-psa`` (the shipped
  baseline: simulation, comparison without the appendix GEE, validation checks, figures,
  page) — target under 10 s once set up;
- ``fupsim report DIR --out DIR2 --quiet`` (re-render of that folder: reads files only);
- the same full report with ``--gee`` (the appendix GEE the report used to always fit),
  measured in the same run as the reference for what making it opt-in saved.

Each is the best of two runs. The machine is shared, so read the ratio, not only the times.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUPSIM = [sys.executable, "-m", "fupsim.cli"]
TARGET_SECONDS = 10.0


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def run() -> dict:
    baseline = str(ROOT / "scenarios" / "baseline.toml")
    with tempfile.TemporaryDirectory() as tmp:
        out, again, gee = (str(Path(tmp) / n) for n in ("r", "again", "gee"))
        full = [*FUPSIM, "report", baseline, "--quiet", "--no-psa", "--force"]
        report_s = min(_time([*full, "--out", out]) for _ in range(2))
        rerender_s = min(
            _time([*FUPSIM, "report", out, "--out", again, "--quiet", "--force"]) for _ in range(2)
        )
        gee_s = min(_time([*full, "--gee", "--out", gee]) for _ in range(2))
    return {
        "report_seconds": round(report_s, 2),
        "rerender_seconds": round(rerender_s, 2),
        "report_with_gee_seconds_reference": round(gee_s, 2),
        "target_seconds": TARGET_SECONDS,
        "meets_target": report_s < TARGET_SECONDS,
    }
