"""Experiments: replications × protocols under common random numbers, run in parallel.

A replicate is the unit of work: its cohort and histories are drawn once and every protocol
is played against them. Replicates run on a local process pool (or a Dask cluster through
:func:`map_tasks`), and results are gathered in replicate order, so the output is identical
for any number of workers.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fupsim.capacity import (
    calendar_table,
    draw_service,
    service_adults,
    unbounded_service,
    wait_table,
)
from fupsim.cohort import draw_cohort
from fupsim.engine import arm_events, simulate_arm
from fupsim.errors import ParameterError
from fupsim.experiment.parallel import map_tasks
from fupsim.health import add_health, by_cause, context_for, draw_death_months, with_deaths
from fupsim.infants import infant_sums, infant_table
from fupsim.metrics import arm_outcomes, capacity_summary, summarise
from fupsim.natural_history import draw_history
from fupsim.output import atomic_directory, manifest, write_json
from fupsim.pathways import pathway_sums, pathway_table
from fupsim.protocol import draw_visits, plan_visits
from fupsim.rng import replicate_streams
from fupsim.scenario import Scenario, ScenarioError
from fupsim.subgroups import by_subgroup
from fupsim.workup import index_workup

__all__ = ["RUN_FILES", "RUN_OUTPUTS", "RunResult", "load_run", "map_tasks", "run", "run_replicate"]

RUN_FILES = ("summary.csv", "outcomes.parquet", "events.parquet", "manifest.json")
RUN_OUTPUTS = (
    *RUN_FILES,
    "by_cause.csv",
    "by_subgroup.csv",
    "pathways.csv",
    "infants.csv",
    "capacity.csv",
    "waits.csv",
)
"""Every file :meth:`RunResult.write_into` may write (the first four always)."""


def run_replicate(
    scenario: Scenario,
    replicate: int,
    *,
    seed: int,
    patients: int | None = None,
    events: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Simulate every protocol of ``scenario`` for one replicate.

    Returns
    -------
    outcomes : DataFrame
        One row per (protocol, patient).
    events : DataFrame or None
        The event log, unless ``events=False``.
    """
    parts = _simulate_replicate(scenario, replicate, seed=seed, patients=patients, events=events)
    return parts[0], parts[1]


_Parts = tuple[
    pd.DataFrame,
    pd.DataFrame | None,
    pd.DataFrame | None,
    pd.DataFrame | None,
    pd.DataFrame,
    pd.DataFrame,
]


def _simulate_replicate(
    scenario: Scenario, replicate: int, *, seed: int, patients: int | None, events: bool
) -> _Parts:
    """One replicate: outcomes and events of the followed adults, (with ``[capacity]``)
    calendar and wait tables, and the sums of the other pathways and of the infants.

    Every random draw is made for the whole cohort, in the same streams as without the
    index work-up, and then the followed adults are selected: a person's draws do not depend
    on who else is followed, and with everyone followed nothing changes at all.
    """
    streams = replicate_streams(seed, replicate)
    adults = service_adults(scenario, streams)
    full = draw_cohort(scenario, streams, patients if adults is None else adults)
    latent_all = draw_history(scenario, full, streams)
    death_all = draw_death_months(scenario, full, streams)
    workup = index_workup(scenario, full, streams)
    all_draws = draw_visits(scenario, full.size, streams)
    service = draw_service(scenario, streams, full.size) if scenario.capacity else None
    pathways = pathway_sums(scenario, full, latent_all, death_all, workup, replicate)
    infants = infant_sums(scenario, full, streams, replicate)
    followed = workup.followed
    if followed.all():
        cohort, latent, death, draws = full, latent_all, death_all, all_draws
    else:
        idx = np.flatnonzero(followed)
        cohort, latent, death = full.take(idx), latent_all.take(idx), death_all[idx]
        draws = all_draws.take(idx)
        if service is not None:
            service = replace(service, arrival_day=service.arrival_day[idx])
    del all_draws  # the followed people's copy is all the protocols need
    history = with_deaths(latent, death, scenario.simulation.horizon_months)
    health = context_for(scenario, cohort, latent, death)
    outs, evs, cals, waits = [], [], [], []
    for protocol in scenario.protocol:
        plan = plan_visits(scenario, protocol, draws)
        arm_service = service
        if service is None and protocol.rebook_missed_after_days:
            arm_service = unbounded_service(scenario, cohort.size)
        arm = simulate_arm(scenario, cohort, history, plan, arm_service)
        outcomes = arm_outcomes(scenario, cohort, history, arm, replicate)
        outs.append(add_health(outcomes, health, arm))
        if service is not None and arm.service is not None:
            log = arm.service
            cals.append(
                calendar_table(
                    replicate,
                    protocol.name,
                    service,
                    log.appointments,
                    log.escalated,
                    log.overdue,
                    log.wait_sum,
                    log.queue,
                )
            )
            waits.append(wait_table(replicate, protocol.name, log.waits))
        if events:
            evs.append(
                arm_events(
                    arm,
                    history,
                    replicate,
                    scenario.simulation.horizon_months,
                    scenario.ct.delay_days,
                    cohort.patient_id,
                )
            )
    return (
        pd.concat(outs, ignore_index=True),
        pd.concat(evs, ignore_index=True) if events else None,
        pd.concat(cals, ignore_index=True) if cals else None,
        pd.concat(waits, ignore_index=True) if waits else None,
        pathways,
        infants,
    )


@dataclass(frozen=True)
class _Task:
    scenario: Scenario
    replicate: int
    seed: int
    patients: int | None
    events: bool


def _run_task(task: _Task) -> _Parts:
    return _simulate_replicate(
        task.scenario, task.replicate, seed=task.seed, patients=task.patients, events=task.events
    )


@dataclass(frozen=True)
class RunResult:
    """The result of :func:`run`: per-patient outcomes, events, and the manifest."""

    scenario: Scenario
    outcomes: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    capacity: pd.DataFrame | None = None  # weekly service table (capacity.csv), [capacity] only
    waits: pd.DataFrame | None = None  # appointments by wait in days (waits.csv), [capacity] only
    pathways: pd.DataFrame | None = None  # pathways.csv: people and outcomes per pathway, cause
    infants: pd.DataFrame | None = None  # infants.csv: the infants' own pathway

    def summary(self) -> pd.DataFrame:
        """One row per protocol with every summary metric and its Monte Carlo SE."""
        table = summarise(self.outcomes, self.scenario.protocol_names)
        if self.capacity is not None and self.waits is not None:
            service = capacity_summary(self.capacity, self.waits)
            table = table.merge(service, on="protocol", how="left")
        return table

    def by_cause(self) -> pd.DataFrame:
        """Yield, late presentations, deaths, QALYs and cost per protocol and cause
        (:func:`fupsim.health.by_cause`; empty for a run without health outcomes)."""
        if "qalys" not in self.outcomes:
            return pd.DataFrame()
        return by_cause(self.outcomes, self.scenario.protocol_names)

    def by_subgroup(self) -> pd.DataFrame:
        """Results by age band, sex, number of foci, lobe and cause, with paired contrasts
        against the reference protocol (:func:`fupsim.subgroups.by_subgroup`)."""
        names = self.scenario.protocol_names
        return by_subgroup(self.outcomes, names, self.scenario.analysis.reference_protocol)

    def write(self, out: str | Path, *, force: bool = False) -> Path:
        """Write ``summary.csv``, ``by_cause.csv``, ``by_subgroup.csv``, ``pathways.csv``,
        ``infants.csv``, ``outcomes.parquet``, ``events.parquet``, ``manifest.json`` (and
        ``capacity.csv``, ``waits.csv`` with ``[capacity]``).

        The folder appears whole or not at all (written beside it, then renamed); an existing
        folder holding files fupsim did not write is refused unless ``force``.
        """
        with atomic_directory(out, force=force) as tmp:
            self.write_into(tmp)
        return Path(out)

    def write_into(self, folder: Path) -> None:
        """Write the run's files into ``folder``, a folder being built (see :meth:`write`)."""
        self.summary().to_csv(folder / "summary.csv", index=False, float_format="%.10g")
        if "qalys" in self.outcomes:
            self.by_cause().to_csv(folder / "by_cause.csv", index=False, float_format="%.10g")
        self.outcomes.to_parquet(folder / "outcomes.parquet", index=False)
        self.events.to_parquet(folder / "events.parquet", index=False)
        write_json(folder / "manifest.json", self.manifest)
        if self.capacity is not None and self.waits is not None:
            self.capacity.to_csv(folder / "capacity.csv", index=False, float_format="%.10g")
            self.waits.to_csv(folder / "waits.csv", index=False)
        if len(self.outcomes):
            self.by_subgroup().to_csv(folder / "by_subgroup.csv", index=False, float_format="%.10g")
        if self.pathways is not None:
            self.pathways.to_csv(folder / "pathways.csv", index=False, float_format="%.10g")
        if self.infants is not None:
            self.infants.to_csv(folder / "infants.csv", index=False, float_format="%.10g")


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int | None = None,
    patients: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    events: bool = True,
    progress: bool | None = None,
    overrides: list[str] | None = None,
) -> RunResult:
    """Simulate every protocol of a scenario over its replications.

    Parameters
    ----------
    scenario : Scenario
        Parameters and protocols (``fupsim.load_scenario``).
    seed, replications, patients : int, optional
        Override ``simulation.seed``, ``simulation.replications`` and ``simulation.patients``.
    workers : int, optional
        Local processes (default all cores). Results do not depend on it.
    scheduler : str, optional
        A Dask distributed scheduler address to run replicates on instead.
    events : bool
        Keep the event log (turn off to save memory on very large runs).
    progress : bool, optional
        Progress bar; default only on a terminal.
    overrides : list of str, optional
        The ``key=value`` overrides the scenario was loaded with, recorded in the manifest.

    Returns
    -------
    RunResult
        ``.summary()``, ``.outcomes``, ``.events``, ``.manifest``.
    """
    sim = scenario.simulation
    seed = sim.seed if seed is None else seed
    reps = sim.replications if replications is None else replications
    n = sim.patients if patients is None else patients
    for name, value, least in (("seed", seed, 0), ("replications", reps, 1), ("patients", n, 1)):
        if value < least:
            raise ParameterError(name, str(value), f"must be a whole number of {least} or more")
    start = time.perf_counter()
    tasks = [_Task(scenario, r, seed, n, events) for r in range(reps)]
    parts = map_tasks(_run_task, tasks, workers=workers, scheduler=scheduler, progress=progress)
    outcomes = pd.concat([p[0] for p in parts], ignore_index=True)
    ev = (
        pd.concat([p[1] for p in parts if p[1] is not None], ignore_index=True)
        if events
        else pd.DataFrame()
    )
    cal = [p[2] for p in parts if p[2] is not None]
    waits = [p[3] for p in parts if p[3] is not None]
    record = manifest(
        "run",
        scenario.resolved(),
        seed=seed,
        sizes={"replications": reps, "patients": n},
        started=start,
        protocols=scenario.protocol_names,
        workers=workers or os.cpu_count(),
        overrides=list(overrides or []),
    )
    first = outcomes[outcomes["protocol"] == scenario.protocol[0].name]
    record["people_per_replicate"] = [int(x) for x in first.groupby("replicate").size()]
    cap = scenario.capacity
    if cap is not None and cap.new_patients_per_year is not None:
        # arrivals set the cohort size: record what was simulated, not the unused setting
        adults = first[first["stream"] == "adult"].groupby("replicate").size()
        record["patients"] = round(float(adults.mean()))
        record["patients_from"] = "Poisson arrivals (capacity.new_patients_per_year)"
    return RunResult(
        scenario=scenario,
        outcomes=outcomes,
        events=ev,
        manifest=record,
        capacity=pd.concat(cal, ignore_index=True) if cal else None,
        waits=pd.concat(waits, ignore_index=True) if waits else None,
        pathways=pathway_table(pd.concat([p[4] for p in parts], ignore_index=True), reps),
        infants=infant_table(pd.concat([p[5] for p in parts], ignore_index=True), reps),
    )


def load_run(
    directory: str | Path, *, need: Iterable[str] = RUN_FILES, events: bool = True
) -> RunResult:
    """Read a run folder written by :meth:`RunResult.write` (or ``fupsim run``).

    ``need`` lists the files that must be there; ``events=False`` skips the event log, the
    largest file, when the caller has no use for it.
    """
    from fupsim.scenario import scenario_from_dict

    d = Path(directory)
    if not d.is_dir():
        raise ScenarioError(
            f"run directory {str(d)!r}: not found (give the --out folder of 'fupsim run')"
        )
    missing = [f for f in need if not (d / f).is_file()]
    if missing:
        raise ScenarioError(
            f"run directory {str(d)!r}: missing {', '.join(missing)} (is it a 'fupsim run' output?)"
        )
    try:
        record = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        scenario = scenario_from_dict(record["scenario"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ScenarioError(
            f"run directory {str(d)!r}: manifest.json is not a fupsim manifest ({err})"
        ) from None
    outcomes = _read_parquet(d / "outcomes.parquet")
    events = (
        _read_parquet(d / "events.parquet")
        if events and (d / "events.parquet").is_file()
        else pd.DataFrame()
    )
    _check_manifest(d, record, outcomes)
    cal_file, waits_file = d / "capacity.csv", d / "waits.csv"
    both = cal_file.is_file() and waits_file.is_file()
    return RunResult(
        scenario=scenario,
        outcomes=outcomes,
        events=events,
        manifest=record,
        capacity=pd.read_csv(cal_file) if both else None,
        waits=pd.read_csv(waits_file) if both else None,
        pathways=pd.read_csv(d / "pathways.csv") if (d / "pathways.csv").is_file() else None,
        infants=pd.read_csv(d / "infants.csv") if (d / "infants.csv").is_file() else None,
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    """A run's Parquet table; a damaged file is bad input that names itself."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{str(path)!r}: not a readable Parquet table ({err})") from None


def _check_manifest(d: Path, record: dict[str, Any], outcomes: pd.DataFrame) -> None:
    """The manifest must describe these outcomes: same protocols, replicates and people."""
    problems = []
    if "protocol" in outcomes and record.get("protocols") is not None:
        found = sorted(map(str, outcomes["protocol"].unique()))
        if found != sorted(record["protocols"]):
            problems.append(f"protocols {record['protocols']} but outcomes hold {found}")
    if "replicate" in outcomes and record.get("replications") is not None:
        reps = int(outcomes["replicate"].nunique())
        if reps != record["replications"]:
            problems.append(f"{record['replications']} replications but outcomes hold {reps}")
    people = record.get("people_per_replicate")
    if people is not None and {"protocol", "replicate"} <= set(outcomes.columns) and len(outcomes):
        first = outcomes[outcomes["protocol"] == outcomes["protocol"].iloc[0]]
        found_people = [int(x) for x in first.groupby("replicate").size()]
        if found_people != list(people):
            problems.append("people per replicate differ from the outcomes")
    if problems:
        raise ScenarioError(
            f"run directory {str(d)!r}: manifest.json does not belong to these outcomes "
            f"({'; '.join(problems)})"
        )
