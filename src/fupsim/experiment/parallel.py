"""Parallel execution: the same tasks on a local process pool or a Dask cluster, in task order."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fupsim.scenario import ScenarioError

__all__ = ["map_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def _worker_init() -> None:
    """Keep numeric libraries to one thread per worker process.

    Workers are forked after numpy has loaded its BLAS, so environment variables alone come
    too late; threadpoolctl changes the loaded libraries' thread counts directly.
    """
    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    threadpool_limits(1)


def _progress(total: int, desc: str, show: bool | None) -> Any:
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if show is None else not show
    return tqdm(total=total, desc=desc, unit="task", disable=disable, file=sys.stderr)


def map_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    desc: str = "simulating",
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """Apply ``fn`` to every task, in parallel, returning results in task order.

    Parameters
    ----------
    fn : callable
        A picklable top-level function.
    tasks : sequence
        Its arguments, one per call.
    workers : int, optional
        Local worker processes; default all cores; 1 runs in this process.
    scheduler : str, optional
        Address of a running Dask distributed scheduler (``tcp://host:8786``); when given,
        tasks go to that cluster instead of local processes.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).
    on_result : callable, optional
        Called as ``on_result(index, result)`` as each task finishes (in completion order),
        e.g. to store it at once.
    """
    results: list[Any] = [None] * len(tasks)
    bar = _progress(len(tasks), desc, progress)
    try:
        if scheduler is not None:
            _map_dask(fn, tasks, scheduler, results, bar, on_result)
        elif (workers or os.cpu_count() or 1) <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                results[i] = fn(task)
                if on_result is not None:
                    on_result(i, results[i])
                bar.update(1)
        else:
            n = min(workers or os.cpu_count() or 1, len(tasks))
            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
            with cf.ProcessPoolExecutor(
                max_workers=n, mp_context=ctx, initializer=_worker_init
            ) as pool:
                futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
                try:
                    for fut in cf.as_completed(futures):
                        i = futures[fut]
                        results[i] = fut.result()
                        if on_result is not None:
                            on_result(i, results[i])
                        bar.update(1)
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
    finally:
        bar.close()
    return results


def _map_dask(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    address: str,
    results: list[Any],
    bar: Any,
    on_result: Callable[[int, Any], None] | None,
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise ScenarioError("--scheduler needs the 'distributed' package") from err
    try:
        client = Client(address, timeout="10s")
    except OSError as err:
        raise ScenarioError(
            f"--scheduler {address!r}: no Dask scheduler answered ({err})"
        ) from None
    with client:
        futures = client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            if on_result is not None:
                on_result(i, results[i])
            bar.update(1)
