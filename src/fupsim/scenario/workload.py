"""Workload: how much simulation a command asks for, estimated before any of it runs.

A typo in a size (``--vary k=0.5:0.9:200000000``, ``--patients 100000000``, a service of a
million months) should be refused in a second, not after an hour or a ``MemoryError``. The
estimate counts *scheduled visits*: points × replicates × people per replicate × visits per
person summed over the protocols (each protocol counts one more per person for the work a
person costs even without scans). A scenario with a ``[capacity]`` service is weighted by
:data:`CAPACITY_WEIGHT`, because its clinic calendar is simulated event by event.

Two limits: the whole job (:data:`MAX_WORK`, a few hours on one core) and the memory of one
replicate (:data:`MAX_REPLICATE_CELLS`: people × distinct visit days, the size of each
per-replicate array of visit-level draws). Jobs above :data:`LARGE_WORK` run, with the
estimate printed to stderr first.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from fupsim.scenario.base import DAYS_PER_MONTH
from fupsim.scenario.blocks import Scenario
from fupsim.scenario.keys import ScenarioError

__all__ = [
    "CAPACITY_WEIGHT",
    "LARGE_WORK",
    "MAX_REPLICATE_CELLS",
    "MAX_WORK",
    "Workload",
    "check_workload",
    "workload",
]

MAX_WORK = 5e9
"""Most weighted scheduled visits one command may ask for (about 1.5 hours on one core at
the measured ~1 million visits per second, events kept)."""
LARGE_WORK = 5e8
"""Above this the estimate is printed to stderr before the work starts (several minutes; the
default PSA of `fupsim report`, about 2 x 10^8, stays below it)."""
MAX_REPLICATE_CELLS = 2.5e8
"""Most people × visit days in one replicate (six float32 draws each: about 6 GB)."""
CAPACITY_WEIGHT = 10.0
"""Cost of a scheduled visit on a ``[capacity]`` service relative to one without (measured)."""


@dataclass(frozen=True)
class Workload:
    """An estimate of the simulation a command asks for.

    Attributes
    ----------
    points : int
        Parameter sets simulated (1 for a plain run).
    replications : int
        Replicates per point.
    people : float
        Expected people per replicate (adults or arrivals, plus the prenatal stream).
    visits_per_person : float
        Scheduled visits per person summed over the protocols, plus one per protocol.
    visit_days : int
        Distinct nominal visit days over all protocols (rows of the per-replicate draws).
    weight : float
        1, or :data:`CAPACITY_WEIGHT` for a scenario with a ``[capacity]`` service.
    """

    points: int
    replications: int
    people: float
    visits_per_person: float
    visit_days: int
    weight: float = 1.0

    @property
    def visits(self) -> float:
        """Scheduled visits in the whole job."""
        return self.points * self.replications * self.people * self.visits_per_person

    @property
    def work(self) -> float:
        """Scheduled visits weighted by cost (what :data:`MAX_WORK` bounds)."""
        return self.visits * self.weight

    @property
    def replicate_cells(self) -> float:
        """People × visit days in one replicate (what :data:`MAX_REPLICATE_CELLS` bounds)."""
        return self.people * max(self.visit_days, 1)

    def describe(self) -> str:
        """One line: the factors and their product."""
        points = f"{self.points:,} points x " if self.points != 1 else ""
        service = " on a capacity service (x10 per visit)" if self.weight != 1.0 else ""
        return (
            f"{points}{self.replications:,} replicates x {self.people:,.0f} people x "
            f"{self.visits_per_person:.3g} visits per person = {_amount(self.visits)} "
            f"scheduled visits{service}"
        )


def _amount(x: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if x >= size:
            return f"{x / size:.3g} {word}"
    return f"{x:,.0f}"


def workload(
    scenario: Scenario,
    *,
    points: int = 1,
    replications: int | None = None,
    patients: int | None = None,
) -> Workload:
    """Estimate the work of simulating ``points`` variants of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        The base scenario (its protocols and horizon give the visits per person).
    points : int
        Parameter sets to simulate.
    replications, patients : int, optional
        Replicates per point and adults per replicate (default: the scenario's own
        ``simulation`` values). Poisson arrivals (``capacity.new_patients_per_year``) replace
        ``patients`` by the expected arrivals, as the simulation does.

    Returns
    -------
    Workload
    """
    sim = scenario.simulation
    reps = sim.replications if replications is None else replications
    people = float(sim.patients if patients is None else patients)
    cap = scenario.capacity
    if cap is not None and cap.new_patients_per_year is not None:
        people = cap.new_patients_per_year * (cap.run_in_months + cap.service_months) / 12.0
    people += scenario.prenatal.pregnancies(round(people)) * scenario.prenatal.fetal_rate
    horizon = sim.horizon_months
    per_person = 0.0
    days: set[int] = set()
    for protocol in scenario.protocol:
        months = np.asarray(protocol.visit_months(horizon), dtype=float)
        per_person += 1.0 + months.size
        days.update(np.rint(months * DAYS_PER_MONTH).astype(np.int64).tolist())
    return Workload(
        points=points,
        replications=reps,
        people=people,
        visits_per_person=per_person,
        visit_days=len(days),
        weight=CAPACITY_WEIGHT if cap is not None else 1.0,
    )


def check_workload(load: Workload, what: str, *, stream: TextIO | None = None) -> Workload:
    """Refuse a job that cannot fit; print the estimate of a merely large one to stderr.

    Parameters
    ----------
    load : Workload
        From :func:`workload`.
    what : str
        The options or keys that set the size, named in the message (e.g. ``"--vary"``).
    stream : text stream, optional
        Where a large job's estimate goes (default ``sys.stderr``).

    Raises
    ------
    ScenarioError
        If one replicate would not fit in memory or the whole job exceeds :data:`MAX_WORK`.
    """
    if load.replicate_cells > MAX_REPLICATE_CELLS:
        raise ScenarioError(
            f"{what}: one replicate would hold {load.people:,.0f} people x "
            f"{load.visit_days:,} visit days = {_amount(load.replicate_cells)} draws per stream; "
            f"at most {_amount(MAX_REPLICATE_CELLS)} fit in memory (fewer patients or arrivals)"
        )
    if load.work > MAX_WORK:
        raise ScenarioError(
            f"{what}: {load.describe()}; at most {_amount(MAX_WORK)} weighted scheduled visits "
            "are allowed (hours of work); use fewer points, patients or replications"
        )
    if load.work > LARGE_WORK:
        print(
            f"fupsim: a large job: {load.describe()} (refused above {_amount(MAX_WORK)})",
            file=stream or sys.stderr,
            flush=True,
        )
    return load
