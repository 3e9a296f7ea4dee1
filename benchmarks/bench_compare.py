"""Comparison benchmark (issue 3): ``fupsim compare`` on 100,000 patients × 4 protocols × 10 replicates.

Simulates the baseline scenario (its four protocols) for 100,000 adults per replicate and 10
replicates without the event log (``workers=2``), writes the run folder to a temporary
directory, then in a fresh child process limited to one thread (BLAS and Arrow) loads the folder
(``fupsim.load_run``) and times ``fupsim.compare`` on it, then writes its tables. Peak memory
is the child's high-water resident set size (``VmHWM``; loading included); the peak during loading and the
resident size after it are reported beside it so the comparison's own share can be read off. Targets: compare under
60 s and the child under 2 GiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = 100_000
REPLICATIONS = 10

_CHILD = """
import os
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import json, sys, time
import pyarrow
pyarrow.set_cpu_count(1)  # one core: Arrow's own thread pool too
import fupsim

def status_mib(field):
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork + exec
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")

t = time.perf_counter()
result = fupsim.load_run(sys.argv[1], need=("manifest.json", "outcomes.parquet"))
load = time.perf_counter() - t
after_load = status_mib("VmRSS")
peak_load = status_mib("VmHWM")
t = time.perf_counter()
comparison = fupsim.compare(result)
compare = time.perf_counter() - t
t = time.perf_counter()
comparison.write(sys.argv[1])
write = time.perf_counter() - t
print(json.dumps({
    "rows": len(result.outcomes), "load_seconds": load, "compare_seconds": compare,
    "write_seconds": write, "rss_after_load_mib": after_load, "peak_rss_load_mib": peak_load,
    "peak_rss_mib": status_mib("VmHWM"),
}))
"""


def run() -> dict:
    """Measured figures: seconds and MiB for compare on the 4-million-row run."""
    import fupsim

    scenario = fupsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    with tempfile.TemporaryDirectory(prefix="fupsim-bench-compare-") as tmp:
        start = time.perf_counter()
        result = fupsim.run(
            scenario,
            replications=REPLICATIONS,
            patients=PATIENTS,
            workers=2,
            events=False,
            progress=False,
        )
        folder = Path(tmp) / "run"
        result.write(folder)
        simulate = time.perf_counter() - start
        del result
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(folder)], capture_output=True, text=True, check=True
        )
        child = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "patients_per_replicate": PATIENTS,
        "replications": REPLICATIONS,
        "protocols": len(scenario.protocol),
        "outcome_rows": child["rows"],
        "simulate_and_write_seconds": round(simulate, 1),
        "load_seconds": round(child["load_seconds"], 2),
        "compare_seconds": round(child["compare_seconds"], 2),
        "write_tables_seconds": round(child["write_seconds"], 2),
        "rss_after_load_mib": round(child["rss_after_load_mib"]),
        "peak_rss_during_load_mib": round(child["peak_rss_load_mib"]),
        "peak_rss_mib": round(child["peak_rss_mib"]),
        "target_compare_seconds": 60,
        "target_peak_mib": 2048,
        "meets_targets": child["compare_seconds"] < 60 and child["peak_rss_mib"] < 2048,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
