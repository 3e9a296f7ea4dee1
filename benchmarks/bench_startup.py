"""Start-up benchmark (issue 10): ``fupsim --version`` and ``fupsim --help`` in fresh processes.

Each command is run REPEATS times as a new ``python -m fupsim.cli`` process (the console script
does the same), timed from spawn to exit; the median and the fastest are reported beside a
reference measured in the same run, ``python -c pass`` (the interpreter's own start-up), so the
figures can be read on a loaded machine too. ``python -X importtime`` of the parser's imports
gives the cumulative import time of ``fupsim.cli`` and its largest import. Also timed: the
first use of a public name (``from fupsim import load_scenario``), which loads the scenario
models. Target: ``--version`` and ``--help`` under 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = 7
TARGET_SECONDS = 0.5


def _times(args: list[str]) -> list[float]:
    out = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def _import_profile() -> tuple[float, str, float]:
    """Cumulative import time of fupsim.cli (s), and its largest single import (name, s)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import fupsim.cli"],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        head, cumulative_us, name = line.split("|", 2)
        self_us = head.removeprefix("import time:")
        try:
            rows.append((name.strip(), int(self_us), int(cumulative_us)))
        except ValueError:
            continue  # the header line
    total = next(c for n, _, c in rows if n == "fupsim.cli")
    name, own, _ = max(rows, key=lambda r: r[1])
    return total / 1e6, name, own / 1e6


def run() -> dict[str, object]:
    """Measure start-up; returns the figures for ``reports/bench/bench.json``."""
    reference = _times(["-c", "pass"])
    version = _times(["-m", "fupsim.cli", "--version"])
    help_ = _times(["-m", "fupsim.cli", "--help"])
    first_use = _times(["-c", "from fupsim import load_scenario"])
    cli_import, largest, largest_s = _import_profile()
    med = statistics.median
    return {
        "python_pass_median_s": round(med(reference), 3),
        "version_median_s": round(med(version), 3),
        "version_fastest_s": round(min(version), 3),
        "help_median_s": round(med(help_), 3),
        "help_fastest_s": round(min(help_), 3),
        "version_minus_python_median_s": round(med(version) - med(reference), 3),
        "load_scenario_first_use_median_s": round(med(first_use), 3),
        "cli_import_cumulative_s": round(cli_import, 3),
        "largest_single_import": f"{largest} ({largest_s * 1000:.1f} ms)",
        "target_s": TARGET_SECONDS,
        "meets_target": max(med(version), med(help_)) < TARGET_SECONDS,
        "repeats": REPEATS,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
