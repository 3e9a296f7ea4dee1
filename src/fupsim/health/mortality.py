"""Background mortality as a competing risk: each person's latent death time, and its effects.

Every person gets one uniform from the ``mortality`` stream, turned into a death time by the
life table at their age and sex (:meth:`Mortality.death_age`). A change cannot begin or
present after death; the engine ends follow-up at death.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from fupsim.cohort import Cohort
from fupsim.health.lifetable import Mortality
from fupsim.natural_history import History
from fupsim.rng import ReplicateStreams
from fupsim.scenario import Scenario
from fupsim.scenario.health import read_life_table

__all__ = ["draw_death_months", "mortality_of", "with_deaths"]


@functools.lru_cache(maxsize=8)
def _mortality(name_or_path: str, enabled: bool) -> Mortality:
    return Mortality(read_life_table(name_or_path), enabled=enabled)


def mortality_of(scenario: Scenario) -> Mortality:
    """The scenario's background mortality (``health.life_table``, ``health.background_mortality``)."""
    return _mortality(scenario.health.life_table, scenario.health.background_mortality)


def draw_death_months(scenario: Scenario, cohort: Cohort, streams: ReplicateStreams) -> np.ndarray:
    """Each person's latent background death, months after the index scan (``inf``: switched off).

    The ``mortality`` stream is drawn whether or not mortality is on, so switching it changes
    no other draw.
    """
    u = 1.0 - streams["mortality"].random(cohort.size)  # in (0, 1]
    if not scenario.health.background_mortality:
        return np.full(cohort.size, np.inf)
    sex = cohort.female.astype(np.intp)
    age = mortality_of(scenario).death_age(sex, cohort.age_years, u)
    return (age - cohort.age_years) * 12.0


def with_deaths(history: History, death_month: np.ndarray, horizon_months: float) -> History:
    """The history as lived during follow-up: nothing begins or presents after a death by the horizon.

    Deaths after the horizon leave the latent times alone: life after follow-up is valued in
    expectation (:func:`fupsim.health.arm_health`). With no finite death the history is
    returned unchanged.
    """
    if not np.isfinite(death_month).any():
        return history
    cut = np.where(death_month <= horizon_months, death_month, np.inf)
    onset = np.where(history.onset_month < cut, history.onset_month, np.inf)
    pres = np.where(history.presentation_month < cut, history.presentation_month, np.inf)
    return replace(history, onset_month=onset, presentation_month=pres, death_month=death_month)
