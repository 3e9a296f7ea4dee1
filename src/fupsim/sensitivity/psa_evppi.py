"""EVPPI of a PSA's parameter groups, spread over local processes with a stream per group.

:func:`evppi_by_group` runs :func:`fupsim.voi.evppi_table` once per group. Each group draws
its randomness (the Gaussian-process subsample and the standard errors' posterior draws)
from its own stream, ``SeedSequence(seed, spawn_key=(EVPPI_STREAM, crc32(group name)))``, so
a group's row does not depend on which other groups are estimated, on how many workers run
them, or on how they are split; groups are independent, so they run in parallel through
:func:`fupsim.experiment.map_tasks`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fupsim import voi

__all__ = ["EVPPI_STREAM", "evppi_by_group"]


EVPPI_STREAM = 0x45565050
"""First spawn-key element of each EVPPI group's random stream."""


def _group_stream(seed: int | None, name: str) -> np.random.Generator:
    """A group's own generator: ``SeedSequence(seed, spawn_key=(EVPPI_STREAM, crc32(name)))``,
    so its EVPPI does not depend on which other groups are estimated, or where."""
    key = (EVPPI_STREAM, zlib.crc32(name.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class _EvppiTask:
    table: pd.DataFrame
    groups: dict[str, list[str]]
    wtp: np.ndarray
    effect: str
    reference: str
    seed: int | None
    options: dict[str, Any]


def _evppi_task(task: _EvppiTask) -> pd.DataFrame:
    frames = [
        voi.evppi_table(
            task.table,
            {name: members},
            task.wtp,
            effect=task.effect,
            population_per_year=1.0,
            decision_horizon_years=1.0,
            discount_rate=0.0,
            reference=task.reference,
            rng=_group_stream(task.seed, name),
            **task.options,
        )
        for name, members in task.groups.items()
    ]
    return pd.concat(frames, ignore_index=True)


def evppi_by_group(
    table: pd.DataFrame,
    groups: Mapping[str, Sequence[str]],
    wtp: np.ndarray,
    *,
    effect: str,
    reference: str,
    workers: int | None = 1,
    rng: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """EVPPI of every group (:func:`fupsim.voi.evppi_table`), groups spread over ``workers``.

    Each group draws from its own stream (:func:`_group_stream` of the seed ``rng``), so the
    table is the same for any number of workers and any split of the groups. Rows are in
    :func:`fupsim.voi.evppi_table`'s order: by WTP, then group in the order given.
    """
    from fupsim.experiment import map_tasks

    named = {str(k): list(v) for k, v in groups.items()}
    n = max(1, min(len(named), workers or os.cpu_count() or 1))
    # several small tasks per worker: groups differ in cost (a GP fit for a large group)
    names = list(named)
    chunks = [names[i :: 3 * n] for i in range(min(len(names), 3 * n))] if n > 1 else [names]
    base = ["draw", "protocol", "cost_per_patient", effect]
    tasks = [
        _EvppiTask(
            table[base + list(dict.fromkeys(m for g in chunk for m in named[g]))],
            {g: named[g] for g in chunk},
            np.asarray(wtp, dtype=float),
            effect,
            reference,
            rng,
            dict(options),
        )
        for chunk in chunks
    ]
    parts = map_tasks(_evppi_task, tasks, workers=n, progress=False, desc="evppi")
    out = pd.concat(parts, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=names, ordered=True)
    out = out.sort_values(["wtp", "group"], kind="stable").reset_index(drop=True)
    out["group"] = out["group"].astype(str)
    return out
