"""The report's figures drawn side by side: the same files as drawn one by one, in page order,
and a failing figure stops the report with its own error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import fupsim
from fupsim.report.figures import write_figures
from fupsim.report.workers import run_jobs
from fupsim.statistics import compare


def _pid_after(n: int) -> tuple[int, int]:
    return n, os.getpid()


def test_jobs_return_in_order_from_worker_processes() -> None:
    jobs = [lambda n=n: _pid_after(n) for n in range(5)]  # lambdas: workers are forked
    ticks: list[int] = []
    out = run_jobs(jobs, workers=2, done=lambda: ticks.append(1))
    assert [n for n, _ in out] == list(range(5))
    assert all(pid != os.getpid() for _, pid in out)
    assert len(ticks) == 5
    assert [n for n, _ in run_jobs(jobs, workers=1)] == list(range(5))
    assert {pid for _, pid in run_jobs(jobs, workers=1)} == {os.getpid()}


def test_a_failing_job_raises_its_own_error() -> None:
    def broken() -> None:
        raise ValueError("figure 2 failed")

    with pytest.raises(ValueError, match="figure 2 failed"):
        run_jobs([lambda: 1, broken, lambda: 3], workers=2)


def test_figures_drawn_in_workers_are_the_files_drawn_here(tmp_path: Path) -> None:
    sc = fupsim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")
    result = fupsim.run(sc, patients=400, replications=2, workers=1, seed=5)
    comparison = compare(result)
    args = (result.scenario, result.outcomes, result.summary(), comparison)
    here = write_figures(*args, tmp_path / "here", by_cause=result.by_cause(), workers=1)
    apart = write_figures(*args, tmp_path / "apart", by_cause=result.by_cause(), workers=2)
    assert here == apart  # same names, captions and page order
    assert [f.name for f in here][:2] == ["cohort.png", "yield.png"]
    for f in here:
        assert (tmp_path / "here" / f.name).read_bytes() == (
            tmp_path / "apart" / f.name
        ).read_bytes()
