"""Latent natural history: who progresses, when a detectable change begins, when it presents.

Each person gets three uniforms from the ``natural_history`` stream, turned into times by the
cause's distributions through their quantile functions. Using quantiles (rather than a fresh
draw per parameter set) couples scenarios: a longer mean sojourn lengthens every person's
sojourn, which makes sensitivity analyses far less noisy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fupsim.cohort import Cohort
from fupsim.rng import ReplicateStreams
from fupsim.scenario import Scenario

__all__ = ["History", "draw_history"]

_EPS = 1e-12


@dataclass(frozen=True)
class History:
    """Latent timelines (months from the index scan); ``inf`` where a change never begins."""

    progressive: np.ndarray  # bool: carries a relevant change at some time
    onset_month: np.ndarray  # float: start of the ultrasound-detectable phase
    sojourn_months: np.ndarray  # float: detectable phase length
    presentation_month: np.ndarray  # float: clinical presentation (onset + sojourn)
    death_month: np.ndarray | None = None  # float: background death (fupsim.health); None: none

    def take(self, idx: np.ndarray) -> History:
        """The timelines of the people at positions ``idx``."""
        return History(
            progressive=self.progressive[idx],
            onset_month=self.onset_month[idx],
            sojourn_months=self.sojourn_months[idx],
            presentation_month=self.presentation_month[idx],
            death_month=None if self.death_month is None else self.death_month[idx],
        )


def draw_history(scenario: Scenario, cohort: Cohort, streams: ReplicateStreams) -> History:
    """Draw each person's latent timeline from their cause's natural history."""
    n = cohort.size
    u = streams["natural_history"].random((3, n))
    u_on = np.clip(u[1], _EPS, 1 - _EPS)
    u_so = np.clip(u[2], _EPS, 1 - _EPS)
    progressive = np.zeros(n, dtype=bool)
    onset = np.full(n, np.inf)
    sojourn = np.full(n, np.inf)
    for code, name in enumerate(cohort.causes):
        idx = np.flatnonzero(cohort.cause == code)
        if idx.size == 0:
            continue
        nh = scenario.natural_history[name]
        prog = u[0, idx] < nh.progressive_share
        progressive[idx] = prog
        onset[idx] = np.where(prog, np.maximum(nh.onset.ppf(u_on[idx]), 0.0), np.inf)
        sojourn[idx] = np.maximum(nh.sojourn.ppf(u_so[idx]), 0.0)
    return History(
        progressive=progressive,
        onset_month=onset,
        sojourn_months=sojourn,
        presentation_month=onset + sojourn,
    )
