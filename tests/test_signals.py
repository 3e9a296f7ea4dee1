"""SIGTERM is handled like Ctrl-C: exit 143 with a message, workers stopped, no partial output.

``kill``, ``timeout`` and batch schedulers send TERM. Before issue 9 fupsim died of it silently,
left its local worker processes running, and could leave a half-written ``.out.tmp-*`` folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from fupsim.cli import main
from fupsim.experiment import map_tasks

ROOT = Path(__file__).resolve().parents[1]
FUPSIM = Path(sys.executable).parent / "fupsim"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc (Linux)"
)


def _children(pid: int) -> set[int]:
    """Direct children of ``pid``, from /proc/<pid>/task/*/children."""
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids.update(int(x) for x in (task / "children").read_text().split())
        except OSError:  # the thread ended meanwhile
            pass
    return kids


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    alive = {p for p in pids if _running(p)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {p for p in alive if _running(p)}
    return alive


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.slow
def test_sigterm_during_a_parallel_run_stops_workers_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    scenario = ROOT / "scenarios" / "baseline.toml"
    # big enough that the run is still simulating when the signal comes (it is cut short)
    size = ["--workers", "2", "--replications", "8", "--patients", "40000", "--quiet"]
    proc = subprocess.Popen(
        [str(FUPSIM), "run", str(scenario), "--out", str(out), *size],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, f"workers never started (exit {proc.poll()})"
        time.sleep(0.5)  # the workers are simulating
        assert proc.poll() is None, "the run finished before it could be terminated"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert not _wait_gone(workers, 5.0), "worker processes outlived the terminated run"
    assert _leftovers(tmp_path) == []  # neither the folder nor a .run.tmp-* beside it


def test_sigterm_while_the_folder_is_written_leaves_no_partial_output(
    baseline_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pd.DataFrame.to_parquet
    calls: list[str] = []

    def write_then_terminate(self: pd.DataFrame, path: object, *a: object, **k: object) -> None:
        real(self, path, *a, **k)  # type: ignore[arg-type]
        calls.append(str(path))
        # without fupsim's handler TERM would end the test process itself
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "no TERM handler"
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would, halfway through

    monkeypatch.setattr(pd.DataFrame, "to_parquet", write_then_terminate)
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "run"
    args = ["run", str(baseline_path), "--out", str(out), "--workers", "1", "--quiet"]
    code = main([*args, "--replications", "1", "--patients", "200"])
    assert calls, "the run never reached the parquet files"
    assert code == 143
    assert _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == before  # main() put the old handler back


def _sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_interrupting_map_tasks_terminates_busy_workers_at_once() -> None:
    seen: set[int] = set()
    before = _children(os.getpid())  # earlier tests' helpers (a Dask cluster...) are not ours

    def stop(i: int, pid: int) -> None:
        seen.update(_children(os.getpid()) - before)
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        # the first task ends at once; the others would keep the workers busy for a minute
        map_tasks(_sleep_then_pid, [0.0, 60.0, 60.0, 60.0], workers=2, on_result=stop)
    assert time.monotonic() - start < 20, "map_tasks waited for running tasks"
    assert len(seen) >= 2
    assert not _wait_gone(seen, 5.0), "workers outlived the interrupted map_tasks"
