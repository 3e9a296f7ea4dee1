"""`make bench`: run every benchmark module and write reports/bench/bench.json.

Each ``benchmarks/bench_*.py`` defines ``run() -> dict`` returning its measured figures; this
driver runs them in name order (or those named on the command line), prints each result and
writes them, keyed by module name, to ``reports/bench/bench.json``. Running only some
benchmarks keeps the others' last figures in that file; each entry records when it was
measured and the machine's load average then (the machine is shared, so read figures beside
their same-run references).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "reports" / "bench" / "bench.json"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    available = {p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py")}
    unknown = sorted(wanted - available)
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)}; allowed: {', '.join(sorted(available))}",
            file=sys.stderr,
        )
        return 2
    results: dict[str, object] = {}
    if wanted and OUT.is_file():
        try:
            results = json.loads(OUT.read_text())
        except ValueError:
            results = {}
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        figures = module.run()
        figures["bench_wall_seconds"] = round(time.perf_counter() - start, 2)
        figures["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        figures["load_average_1min"] = round(os.getloadavg()[0], 2)
        for key, value in figures.items():
            print(f"  {key}: {value}")
        results[name] = figures
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
