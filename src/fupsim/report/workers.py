"""Independent jobs of the report (its figures) run side by side in forked worker processes.

Drawing a figure is CPU-bound Python (matplotlib lays out text and ticks), so the report's
figures are drawn by one worker per core. Workers are forked: they inherit the data already
in memory, and each job writes its own files and returns a small value. Where fork is not
available, or with one core or one job, the jobs run here in turn; the files are the same.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["cores", "run_jobs"]

_JOBS: Sequence[Callable[[], Any]] = ()
"""The jobs of the current :func:`run_jobs` call, read by forked workers."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _job(index: int) -> Any:
    return _JOBS[index]()


def _worker_init() -> None:
    """A forked worker leaves Ctrl-C to the parent (which stops it) and ends at once on TERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_jobs(
    jobs: Sequence[Callable[[], Any]],
    *,
    workers: int | None = None,
    done: Callable[[], None] = lambda: None,
) -> list[Any]:
    """Call every job, in worker processes when there is more than one core; results in order.

    Parameters
    ----------
    jobs : sequence of callables
        Independent jobs taking no arguments; the first ones start first, so put the longest
        first. They need not be picklable (workers are forked), but their results must be.
    workers : int, optional
        Processes (default: one per core, at most one per job); 1 runs the jobs here.
    done : callable
        Called in this process after each job finishes (progress display).
    """
    global _JOBS
    n = min(workers or cores(), len(jobs))
    if n <= 1 or "fork" not in mp.get_all_start_methods():
        results = []
        for job in jobs:
            results.append(job())
            done()
        return results
    out: list[Any] = [None] * len(jobs)
    _JOBS = jobs
    pool = cf.ProcessPoolExecutor(
        max_workers=n, mp_context=mp.get_context("fork"), initializer=_worker_init
    )
    try:
        futures = {pool.submit(_job, i): i for i in range(len(jobs))}
        for fut in cf.as_completed(futures):
            out[futures[fut]] = fut.result()
            done()
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()
        raise
    finally:
        _JOBS = ()
    pool.shutdown(wait=True)
    return out
