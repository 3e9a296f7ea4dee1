"""Evaluation: every candidate played against the same simulated people, reduced at once.

A task is one replicate and a chunk of candidates. It draws the replicate's cohort, latent
histories and visit-level uniforms once (the same calls, in the same order, as
:func:`fupsim.run`, so a candidate equal to a scenario protocol gives identical numbers) and
plays each candidate of the chunk against them with :func:`fupsim.engine.simulate_arm`.
Visit-level draws are keyed by nominal visit day (:mod:`fupsim.protocol`), so a chunk's draws
for a day equal every other chunk's: splitting candidates over tasks keeps common random
numbers exact. Each arm's per-person outcomes are reduced immediately to sums per
(stratum, batch of patients) of :data:`QUANTITIES`; no outcome table outlives its arm.

Finished tasks are kept in a :class:`fupsim.sensitivity.PointStore`, keyed by a hash of
everything that determines them, so an interrupted search resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pandas.api.types import is_numeric_dtype

from fupsim.capacity import unbounded_service
from fupsim.cohort import Cohort, draw_cohort
from fupsim.design.candidates import Candidate
from fupsim.design.spec import DesignSpec
from fupsim.design.strata import Strata, check_strata, followed_workup, strata_of
from fupsim.engine import simulate_arm
from fupsim.experiment import map_tasks
from fupsim.health import add_health, context_for, draw_death_months, with_deaths
from fupsim.metrics import arm_outcomes
from fupsim.natural_history import History, draw_history
from fupsim.protocol import VisitDraws, draw_visits, plan_visits
from fupsim.rng import ReplicateStreams, replicate_streams
from fupsim.scenario import Protocol, Scenario, ScenarioError
from fupsim.sensitivity.store import NOT_HASHED, PointStore
from fupsim.workup import Workup, index_workup

__all__ = ["QUANTITIES", "Execution", "Sums", "evaluate", "evaluate_many", "preflight"]

QUANTITIES: tuple[str, ...] = (
    "people",
    "cost",
    "effect",
    "screen_detected",
    "interval_case",
    "progressive",
    "n_scans",
    "n_missed",
    "n_ct",
    "n_false_positive_workups",
    "false_diagnosis",
)
"""Per-person outcome columns summed per (stratum, batch); ``people`` counts, ``effect`` is the
chosen effect column."""
Q = {name: i for i, name in enumerate(QUANTITIES)}


@dataclass(frozen=True)
class _Task:
    scenario: Scenario
    replicate: int
    seed: int
    patients: int
    protocols: tuple[Protocol, ...]
    spec: DesignSpec
    effect: str
    key: str


@dataclass(frozen=True)
class _People:
    """A replicate's followed people, drawn as :func:`fupsim.run` draws them."""

    streams: ReplicateStreams
    everyone: int  # people drawn (visit draws are made for all, then selected)
    followed: np.ndarray | None  # positions of the followed people (None: everyone)
    cohort: Cohort
    workup: Workup  # the followed people's index work-up (their findings, for strata)
    history: History
    health: Any

    def visit_draws(self, scenario: Scenario, protocols: Sequence[Protocol]) -> VisitDraws:
        """Visit-level draws of ``protocols`` for the followed people (keyed by nominal day,
        so the same as :func:`fupsim.run` draws for any protocol they share)."""
        chunk = scenario.model_copy(update={"protocol": list(protocols)})
        draws = draw_visits(chunk, self.everyone, self.streams)
        return draws if self.followed is None else draws.take(self.followed)


def _people(scenario: Scenario, replicate: int, seed: int, patients: int) -> _People:
    """The replicate's people in the order and streams of :func:`fupsim.run`: everyone is
    drawn, the index work-up decides who is followed, and only they are played."""
    streams = replicate_streams(seed, replicate)
    full = draw_cohort(scenario, streams, patients)
    latent = draw_history(scenario, full, streams)
    death = draw_death_months(scenario, full, streams)
    workup = index_workup(scenario, full, streams)
    followed = workup.followed
    idx = None if followed.all() else np.flatnonzero(followed)
    cohort = full if idx is None else full.take(idx)
    if idx is not None:
        latent, death = latent.take(idx), death[idx]
    history = with_deaths(latent, death, scenario.simulation.horizon_months)
    health = context_for(scenario, cohort, latent, death)
    return _People(streams, full.size, idx, cohort, followed_workup(workup, idx), history, health)


def _play(task: _Task) -> np.ndarray:
    """Worker: sums of :data:`QUANTITIES` per (candidate, stratum × batch), float64."""
    sc = task.scenario
    people = _people(sc, task.replicate, task.seed, task.patients)
    cohort, history, health = people.cohort, people.history, people.health
    strata = strata_of(cohort, people.workup, task.spec)
    b = task.spec.batches_per_replicate
    cells = len(strata.labels) * b
    group = strata.code * b + cohort.ids % b
    draws = people.visit_draws(sc, task.protocols)
    out = np.zeros((len(task.protocols), cells, len(QUANTITIES)))
    for i, protocol in enumerate(task.protocols):
        plan = plan_visits(sc, protocol, draws)
        service = unbounded_service(sc, cohort.size) if protocol.rebook_missed_after_days else None
        arm = simulate_arm(sc, cohort, history, plan, service)
        frame = add_health(arm_outcomes(sc, cohort, history, arm, task.replicate), health, arm)
        if task.effect not in frame:
            raise ScenarioError(_effect_message(task.effect, list(frame.columns)))
        out[i, :, 0] = np.bincount(group, minlength=cells)
        for name in QUANTITIES[1:]:
            column = task.effect if name == "effect" else name
            values = np.nan_to_num(frame[column].to_numpy(dtype=np.float64), nan=0.0)
            out[i, :, Q[name]] = np.bincount(group, weights=values, minlength=cells)
    return out


def _effect_message(effect: str, columns: list[str]) -> str:
    numeric = [c for c in columns if c not in ("replicate", "protocol", "patient_id", "stream")]
    return (
        f"design.effect = {effect!r}: not an outcome column; give qaly, life_years, "
        f"screen_detected or one of {', '.join(numeric)}"
    )


def preflight(
    scenario: Scenario, spec: DesignSpec, effect: str, seed: int, patients: int
) -> Strata:
    """Check, before anything is written, what only the people can tell.

    Draws the first replicate's people: every stratum level must hold someone, and the
    effect column must exist (one no-follow-up arm is played). Returns that replicate's strata.
    """
    if scenario.capacity is not None:
        raise ScenarioError(
            "capacity: design searches schedules with an unbounded scanner; remove [capacity] "
            "(or use 'fupsim capacity' for the chosen schedule)"
        )
    people = _people(scenario, 0, seed, patients)
    cohort, history = people.cohort, people.history
    check_strata(cohort, people.workup, spec, scenario)
    none = Protocol(name="no-follow-up", visits_months=[])
    plan = plan_visits(scenario, none, people.visit_draws(scenario, [none]))
    arm = simulate_arm(scenario, cohort, history, plan)
    frame = add_health(arm_outcomes(scenario, cohort, history, arm, 0), people.health, arm)
    if effect not in frame or not is_numeric_dtype(frame[effect]):
        raise ScenarioError(_effect_message(effect, list(frame.columns)))
    return strata_of(cohort, people.workup, spec)


def _version() -> str:
    import fupsim

    return str(fupsim.__version__)


def task_key(
    scenario: Scenario,
    protocols: Sequence[Protocol],
    *,
    replicate: int,
    seed: int,
    patients: int,
    spec: DesignSpec,
    effect: str,
) -> str:
    """Hex SHA-256 of everything that determines a task's sums."""
    skip = (*NOT_HASHED, "protocol", "design")  # the search's settings are not the model's
    params = {k: v for k, v in scenario.resolved().items() if k not in skip}
    payload = {
        "analysis": "design",
        "parameters": params,
        "protocols": [p.model_dump(mode="json") for p in protocols],
        "replicate": replicate,
        "seed": seed,
        "patients": patients,
        "effect": effect,
        "outcome_horizon_years": scenario.analysis.outcome_horizon_years,  # shapes the effect
        "strata": list(spec.strata),
        "age_bands_years": list(spec.age_bands_years),
        "batches": spec.batches_per_replicate,
        "fupsim": _version(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Sums:
    """Evaluated sums: ``by_replicate[r][c]`` is candidate ``c``'s (strata × batches, Q) array."""

    strata: list[str]
    batches: int
    by_replicate: dict[int, dict[int, np.ndarray]]

    def replicates_of(self, c: int) -> list[int]:
        """Replicates on which candidate ``c`` was evaluated, in order."""
        return sorted(r for r, cs in self.by_replicate.items() if c in cs)

    def cube(self, cands: Sequence[int], reps: Sequence[int]) -> np.ndarray:
        """``(len(cands), units, strata, Q)``; units are (replicate, batch) pairs."""
        s, b = len(self.strata), self.batches
        out = np.empty((len(cands), len(reps) * b, s, len(QUANTITIES)))
        for j, r in enumerate(reps):
            row = self.by_replicate[r]
            for i, c in enumerate(cands):
                out[i, j * b : (j + 1) * b] = row[c].reshape(s, b, -1).transpose(1, 0, 2)
        return out


@dataclass(frozen=True)
class Execution:
    """Where and on whom the search plays: the people (``seed``, ``patients`` per replicate),
    the point store that makes it resumable, and the workers or Dask scheduler."""

    seed: int
    patients: int
    store: PointStore | None = None
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None


def evaluate(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    which: Sequence[int],
    replicates: Sequence[int],
    sums: Sums,
    **kw: Any,
) -> dict[str, float]:
    """Play candidates ``which`` on ``replicates`` and add their sums to ``sums`` (in place).

    Keywords as :func:`evaluate_many` (one scenario). Returns counts of tasks run and reused.
    """
    return evaluate_many([(scenario, sums)], candidates, which, replicates, **kw)


def evaluate_many(
    jobs: Sequence[tuple[Scenario, Sums]],
    candidates: Sequence[Candidate],
    which: Sequence[int],
    replicates: Sequence[int],
    *,
    run: Execution,
    spec: DesignSpec,
    effect: str,
    desc: str | None = None,
) -> dict[str, float]:
    """Play candidates ``which`` on ``replicates`` under each job's scenario, in one pool.

    Each job is a scenario (e.g. one PSA draw) and the :class:`Sums` its results are added to
    (in place). Every job draws the same people (same seed, replicates and patients), so a
    PSA draw changes parameters, not people. Tasks are (job, replicate, chunk of candidates);
    a replicate is split into chunks only when there are fewer tasks than twice the workers.
    Returns counts of tasks run and reused.
    """
    seed, patients, store = run.seed, run.patients, run.store
    workers, scheduler = run.workers, run.scheduler
    n_workers = 1 if scheduler is None and workers == 1 else (workers or os.cpu_count() or 1)
    slots = max(len(replicates) * len(jobs), 1)
    chunks = max(1, min(len(which), math.ceil(2 * n_workers / slots)))
    size = math.ceil(len(which) / chunks)
    parts = [list(which[i : i + size]) for i in range(0, len(which), size)]
    todo: list[_Task] = []
    placed: list[tuple[Sums, int, list[int]]] = []
    reused = 0
    for scenario, sums in jobs:
        cells = len(sums.strata) * sums.batches
        for r in replicates:
            for part in parts:
                protos = tuple(candidates[c].protocol for c in part)
                key = task_key(
                    scenario,
                    protos,
                    replicate=r,
                    seed=seed,
                    patients=patients,
                    spec=spec,
                    effect=effect,
                )
                stored = store.load(key) if store is not None else None
                if stored is not None and len(stored) == len(part) * cells * len(QUANTITIES):
                    arr = stored["v"].to_numpy().reshape(len(part), cells, len(QUANTITIES))
                    _place(sums, r, part, arr)
                    reused += 1
                    continue
                todo.append(_Task(scenario, r, seed, patients, protos, spec, effect, key))
                placed.append((sums, r, part))

    def keep(i: int, arr: np.ndarray) -> None:
        sums, r, part = placed[i]
        if store is not None:
            store.save(
                todo[i].key,
                {"columns": ["v"], "data": {"v": [float(x) for x in arr.ravel()]}},
                replicate=r,
                candidates=[candidates[c].name for c in part],
            )
        _place(sums, r, part, arr)

    if todo:
        label = desc or f"design ({len(which)} candidates x {len(replicates)} replicates)"
        map_tasks(
            _play,
            todo,
            workers=workers,
            scheduler=scheduler,
            progress=run.progress,
            desc=label,
            on_result=keep,
        )
    return {"tasks": float(len(todo)), "reused": float(reused)}


def _place(sums: Sums, r: int, part: list[int], arr: np.ndarray) -> None:
    row = sums.by_replicate.setdefault(r, {})
    for i, c in enumerate(part):
        row[c] = arr[i]
