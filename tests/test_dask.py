"""Sensitivity points on Dask: a LocalCluster, and a scheduler and workers as separate processes.

Both must give tables identical, to the last digit, to the local process pool.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.sensitivity import PointSize, PointStore, sweep

pytestmark = [pytest.mark.dask, pytest.mark.slow]

SIZE = PointSize(seed=21, replications=1, patients=300)
VARY = {"ultrasound.sensitivity": [0.5, 0.8], "attendance.per_visit": [0.7, 0.95]}
BIN = Path(sys.executable).parent


def _local(baseline: fupsim.Scenario, folder: Path) -> pd.DataFrame:
    return sweep(baseline, VARY, SIZE, PointStore(folder), workers=2).table


def test_local_cluster_matches_local_pool(baseline: fupsim.Scenario, tmp_path: Path) -> None:
    from distributed import LocalCluster

    expected = _local(baseline, tmp_path / "local")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        got = sweep(
            baseline, VARY, SIZE, PointStore(tmp_path / "dask"), scheduler=cluster.scheduler_address
        )
    pd.testing.assert_frame_equal(got.table, expected, check_exact=True)
    assert got.stats["simulated"] == 4


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture()
def loopback_cluster(tmp_path: Path) -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; always stopped."""
    info = tmp_path / "scheduler.json"
    procs = [
        _start(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() and time.monotonic() < deadline:
            if procs[0].poll() is not None:
                raise RuntimeError((tmp_path / "scheduler.log").read_text())
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for i in range(2):
            procs.append(
                _start(
                    [
                        str(BIN / "dask"),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--name",
                        f"w{i}",
                    ],
                    tmp_path / f"worker{i}.log",
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_separate_scheduler_and_workers_match_local_pool(
    baseline: fupsim.Scenario, baseline_path: Path, tmp_path: Path, loopback_cluster: str
) -> None:
    expected = _local(baseline, tmp_path / "local")
    got = sweep(baseline, VARY, SIZE, PointStore(tmp_path / "remote"), scheduler=loopback_cluster)
    pd.testing.assert_frame_equal(got.table, expected, check_exact=True)
    # The command line through the same cluster writes the same file as a local run.
    argv = [
        "sweep",
        str(baseline_path),
        "--vary",
        "ultrasound.sensitivity=0.5,0.8",
        "--vary",
        "attendance.per_visit=0.7,0.95",
        "--patients",
        "300",
        "--replications",
        "1",
        "--seed",
        "21",
        "--quiet",
    ]
    assert main([*argv, "--out", str(tmp_path / "cli-local"), "--workers", "2"]) == 0
    assert main([*argv, "--out", str(tmp_path / "cli-dask"), "--scheduler", loopback_cluster]) == 0
    assert (tmp_path / "cli-local" / "sweep.csv").read_bytes() == (
        tmp_path / "cli-dask" / "sweep.csv"
    ).read_bytes()


def test_unreachable_scheduler_is_bad_input(baseline_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = [
        "sweep",
        str(baseline_path),
        "--vary",
        "ultrasound.sensitivity=0.5,0.8",
        "--out",
        str(out),
        "--patients",
        "300",
        "--replications",
        "1",
        "--quiet",
        "--scheduler",
        "tcp://127.0.0.1:9",
    ]
    assert main(argv) == 2
    assert not out.exists()
