"""Parallel execution: the same tasks on a local process pool or a Dask cluster, in task order.

Local workers never outlive the run: on any exception in the parent (an error, Ctrl-C, or the
CLI's SIGTERM handler) the pool is shut down with its pending tasks cancelled and its worker
processes terminated, and on Linux each worker also asks the kernel to end it if the parent
dies without cleaning up (``SIGKILL``). Workers ignore Ctrl-C themselves; the parent stops them.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fupsim.errors import ParameterError

__all__ = ["map_tasks"]

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_STOP_SECONDS = 5.0  # grace for terminated workers before they are killed


def _die_with_parent(parent: int) -> None:
    """End this worker with SIGTERM when the parent process dies (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no usable libc
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _worker_init(parent: int) -> None:
    """Set up a worker process: signals, parent watch, one numeric thread.

    A forked worker inherits the parent's signal handlers, so the CLI's TERM handler is reset
    (TERM ends a worker at once) and Ctrl-C, which a terminal sends to every process of the
    group, is ignored: the parent handles it and stops the workers.

    Workers are forked after numpy has loaded its BLAS, so environment variables alone come
    too late; threadpoolctl changes the loaded libraries' thread counts directly.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    threadpool_limits(1)


def _stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the workers now, killing any that linger.

    ``ProcessPoolExecutor.shutdown`` alone waits for running tasks (minutes for a large
    replicate), and without it the workers outlive an interrupted parent.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + _STOP_SECONDS
    for proc in processes:
        proc.join(max(deadline - time.monotonic(), 0.0))
        if proc.is_alive():  # pragma: no cover - TERM is not ignored by workers
            proc.kill()
            proc.join(1.0)


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
            pool = cf.ProcessPoolExecutor(
                max_workers=n, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
            )
            try:
                futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
                for fut in cf.as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    if on_result is not None:
                        on_result(i, results[i])
                    bar.update(1)
            except BaseException:
                _stop_pool(pool)
                raise
            pool.shutdown(wait=True)
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
        raise ParameterError("scheduler", repr(address), "needs the 'distributed' package") from err
    try:
        client = Client(address, timeout="10s")
    except OSError as err:
        raise ParameterError(
            "scheduler", repr(address), f"no Dask scheduler answered ({err})"
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
