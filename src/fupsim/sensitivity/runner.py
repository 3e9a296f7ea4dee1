"""Running many sensitivity points: hash, skip the finished ones, batch the rest, store each.

Every analysis (grid sweep, one-way, PSA, Sobol) reduces to a list of scenario variants,
*points*, all simulated with the same seed, replications and cohort size (common random
numbers across points: the natural history uses quantile coupling, so changing a parameter
moves each simulated person's times monotonically and sweeps come out smooth).
:func:`run_points` keys each point (:func:`~fupsim.sensitivity.store.point_key`), skips the
ones already stored, sends the rest in batches through :func:`fupsim.experiment.map_tasks`
(local processes or a Dask scheduler, one code path) and stores each point as soon as its
batch returns. The final tables are assembled from the stored records (read back, or for
points just run, decoded from exactly what was written), so a resumed run and an
uninterrupted one give identical tables, for any worker count or executor.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fupsim.errors import ParameterError
from fupsim.experiment import map_tasks, run_replicate
from fupsim.metrics import SUMMARY_COLUMNS, summarise
from fupsim.output import manifest
from fupsim.scenario import Scenario, ScenarioError, check_workload, with_overrides, workload
from fupsim.sensitivity.store import PointStore, decode_summary, encode_summary, point_key

REQUIRED_COLUMNS = frozenset(["protocol", *SUMMARY_COLUMNS])
"""Columns a stored point must hold to be reused; one that lacks any is simulated again."""

__all__ = [
    "PointRun",
    "PointSize",
    "build_points",
    "check_points",
    "points_manifest",
    "run_points",
    "simulate_point",
]

MAX_BATCH = 4
"""Most points per task: bounds the work lost to an interrupt at ``MAX_BATCH`` × workers."""


@dataclass(frozen=True)
class PointSize:
    """Seed and size shared by every point of an analysis."""

    seed: int
    replications: int
    patients: int

    def __post_init__(self) -> None:
        for name in ("replications", "patients"):
            if getattr(self, name) < 1:
                raise ParameterError(name, str(getattr(self, name)), "must be at least 1")
        if self.seed < 0:
            raise ParameterError("seed", str(self.seed), "must be 0 or more")


def check_points(
    scenario: Scenario, points: int, size: PointSize, parameter: str, value: str
) -> None:
    """Refuse a sensitivity job too large to run, before any point is built or simulated.

    ``parameter`` is the library's name of what set the number of points (``vary``,
    ``points``, ``draws``, ``samples``) and ``value`` its value as shown; the refusal is a
    :class:`ParameterError` naming it (the command line words it as the option).
    """
    load = workload(scenario, points=points, replications=size.replications, patients=size.patients)
    try:
        check_workload(load, parameter)
    except ParameterError:
        raise
    except ScenarioError as err:
        rule = str(err).removeprefix(f"{parameter}: ")
        shown = f"{value} (with patients {size.patients:,}, replications {size.replications})"
        raise ParameterError(parameter, shown, rule) from None


def build_points(
    scenario: Scenario, overrides: Sequence[Mapping[str, Any]], what: str
) -> list[Scenario]:
    """Validate every variant before anything runs; a bad one raises naming the point.

    Validation stays in this process: validating on workers and sending the variants back
    measured two to three times slower (unpickling a scenario costs about what validating it
    does).
    """
    out = []
    for i, ov in enumerate(overrides):
        try:
            out.append(with_overrides(scenario, ov))
        except ScenarioError as err:
            shown = ", ".join(f"{k}={v}" for k, v in ov.items())
            if len(shown) > 120:
                shown = shown[:117] + "..."
            raise ScenarioError(f"{what} {i} ({shown}): {err}") from None
    return out


@dataclass(frozen=True)
class PointRun:
    """Summaries of the points, in input order, and how the time was spent.

    Attributes
    ----------
    summaries : list of DataFrame
        One per input scenario: a row per protocol (:func:`fupsim.metrics.summarise`).
    keys : list of str
        Each point's store key.
    stats : dict
        ``points``, ``reused`` (already stored), ``simulated``, ``tasks``, ``wall_seconds``,
        ``simulation_seconds`` (summed over workers), ``hash_seconds``, ``store_seconds``.
    """

    summaries: list[pd.DataFrame]
    keys: list[str]
    stats: dict[str, Any] = field(default_factory=dict)


def simulate_point(scenario: Scenario, size: PointSize) -> pd.DataFrame:
    """Simulate one point: every protocol over ``size.replications`` replicates, summarised.

    Returns
    -------
    DataFrame
        One row per protocol, columns of :data:`fupsim.metrics.SUMMARY_COLUMNS` plus ``_se``.
    """
    outs = [
        run_replicate(scenario, r, seed=size.seed, patients=size.patients, events=False)[0]
        for r in range(size.replications)
    ]
    return summarise(pd.concat(outs, ignore_index=True), scenario.protocol_names)


@dataclass(frozen=True)
class _Batch:
    points: tuple[tuple[str, Scenario], ...]
    size: PointSize


def _run_batch(batch: _Batch) -> list[tuple[str, dict[str, Any], float]]:
    """Worker side: simulate each point of a batch; return (key, encoded summary, seconds)."""
    out = []
    for key, scenario in batch.points:
        start = time.perf_counter()
        summary = simulate_point(scenario, batch.size)
        seconds = time.perf_counter() - start
        out.append((key, encode_summary(summary), seconds))
    return out


def _chunks(items: list[Any], per_task: int, workers: int) -> list[tuple[Any, ...]]:
    """Tasks of ``per_task`` points, except the last few: one point each for the final
    ``2 × workers`` points, so that no worker sits idle long while another ends a batch
    (``workers=0``: equal batches throughout)."""
    tail = min(len(items), 2 * workers) if per_task > 1 else 0
    head = len(items) - tail
    out = [tuple(items[i : min(i + per_task, head)]) for i in range(0, head, per_task)]
    return out + [(item,) for item in items[head:]]


def _batch_size(n_points: int, workers: int) -> int:
    """Points per task: about eight tasks per worker, at most :data:`MAX_BATCH`."""
    return max(1, min(MAX_BATCH, math.ceil(n_points / (8 * max(workers, 1)))))


def run_points(
    scenarios: Sequence[Scenario],
    size: PointSize,
    store: PointStore,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    desc: str = "points",
    batch_size: int | None = None,
) -> PointRun:
    """Simulate every point not already in ``store``; return all summaries in input order.

    Parameters
    ----------
    scenarios : sequence of Scenario
        The points. Equal scenarios share one key and are simulated once.
    size : PointSize
        Seed, replications and adults per replicate for every point.
    store : PointStore
        Where finished points are kept; each is written as soon as its batch returns.
    workers : int, optional
        Local worker processes (default all cores).
    scheduler : str, optional
        Dask distributed scheduler address; used instead of local processes.
    progress : bool, optional
        Progress bar with time left (default: only on a terminal).
    batch_size : int, optional
        Points per task (default: about eight tasks per worker, at most :data:`MAX_BATCH`).

    Returns
    -------
    PointRun
    """
    start = time.perf_counter()
    keys = [
        point_key(s, seed=size.seed, replications=size.replications, patients=size.patients)
        for s in scenarios
    ]
    hash_seconds = time.perf_counter() - start
    todo: dict[str, Scenario] = {}
    loaded: dict[str, pd.DataFrame] = {}
    t0 = time.perf_counter()
    for key, scenario in zip(keys, scenarios, strict=True):
        if key in todo or key in loaded:
            continue
        frame = store.load(key)
        if frame is None or not REQUIRED_COLUMNS.issubset(frame.columns):
            todo[key] = scenario  # absent, unreadable, or a point file missing a column
        else:
            loaded[key] = frame
    spent_reading = time.perf_counter() - t0
    n_workers = workers or os.cpu_count() or 1
    per_task = batch_size or _batch_size(len(todo), n_workers)
    items = list(todo.items())
    tail = n_workers if batch_size is None else 0  # an explicit batch size is kept exactly
    batches = [_Batch(chunk, size) for chunk in _chunks(items, per_task, tail)]
    spent = {"simulation": 0.0, "store": spent_reading}

    def keep(_: int, result: list[tuple[str, dict[str, Any], float]]) -> None:
        t0 = time.perf_counter()
        for key, encoded, seconds in result:
            store.save(
                key,
                encoded,
                seed=size.seed,
                replications=size.replications,
                patients=size.patients,
                simulation_seconds=seconds,
            )
            # What was written reads back bit for bit (shortest round-trip floats), so the
            # fresh point is used as decoded here rather than read again.
            loaded[key] = decode_summary(encoded)
            spent["simulation"] += seconds
        spent["store"] += time.perf_counter() - t0

    if batches:
        map_tasks(
            _run_batch,
            batches,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            desc=f"{desc} ({len(items)} to run, {per_task}/task)",
            on_result=keep,
        )
    stats = {
        "points": len(keys),
        "distinct": len(set(keys)),
        "reused": len(set(keys)) - len(items),
        "simulated": len(items),
        "tasks": len(batches),
        "points_per_task": per_task,
        "wall_seconds": time.perf_counter() - start,
        "simulation_seconds": spent["simulation"],
        "hash_seconds": hash_seconds,
        "store_seconds": spent["store"],
    }
    return PointRun(summaries=[loaded[k].copy() for k in keys], keys=keys, stats=stats)


def points_manifest(
    analysis: str,
    scenario: Scenario,
    size: PointSize,
    *,
    sizes: Mapping[str, int],
    started: float,
    settings: Any,
    stats: Mapping[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """The manifest of a sensitivity analysis over points (sweep, owsa, sobol).

    It records the scenario (its content hash comes with it), the seed, ``sizes`` plus the
    replicates and adults of every point, the analysis settings, the currency and protocols
    the report labels with, the run statistics and any ``extra`` fields.
    """
    return manifest(
        analysis,
        scenario.resolved(),
        seed=size.seed,
        sizes={
            **sizes,
            "replications_per_point": size.replications,
            "patients_per_point": size.patients,
        },
        started=started,
        **extra,
        settings=vars(settings),
        currency=scenario.costs.currency,
        protocols=scenario.protocol_names,
        stats=stats,
    )
