"""How many people per PSA draw: a size rule based on Monte Carlo noise.

Each PSA draw simulates a finite cohort, so its incremental net benefit (INB) carries
within-draw Monte Carlo noise on top of the parameter-driven variation between draws. Noise
inflates EVPI (the maximum of noisy values is biased upwards) and blurs the acceptability
curves. The rule here: simulate a few *pilot* draws, estimate from their paired per-person
outcomes (every protocol is played against the same people) the per-person variance of each
protocol's incremental cost and effect against the reference, and from the spread of the
pilot draws' mean INB the between-draw (parameter) variance; then choose

    people per draw n ≥ σ²_within / (target × σ²_between)

at the reference WTP, for the protocol with the largest ratio, so that the within-draw noise
variance is at most ``target`` (10 % by default) of the between-draw variance. The pilot's
between-draw variance has the pilot's own noise (σ²_within / n_pilot) subtracted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fupsim.experiment import run_replicate
from fupsim.scenario import Scenario

__all__ = ["NOISE_TARGET", "OUTCOME_EFFECT", "NoiseEstimate", "estimate_noise"]

NOISE_TARGET = 0.10
"""Default largest within-draw / between-draw variance share of incremental net benefit."""

OUTCOME_EFFECT = {
    "qalys_per_patient": "qalys",
    "life_years_per_patient": "life_years",
    "screen_detected_per_patient": "screen_detected",
}
"""Per-person outcome column behind each per-person effect column."""


@dataclass(frozen=True)
class NoiseEstimate:
    """Per-person noise components and the between-draw variance, from pilot draws.

    Attributes
    ----------
    protocols : list of str
        Protocol order of the arrays.
    reference : str
        Protocol the increments are taken against.
    per_person : ndarray, shape (protocols, 3)
        Per-person var Δc, var Δe and cov(Δc, Δe) of each protocol against the reference
        (pooled over pilot draws); the reference's row is 0.
    between : ndarray, shape (protocols,)
        Between-draw variance of mean INB at ``wtp`` (pilot noise removed, floored at a tiny
        positive value), currency².
    wtp : float
        Reference WTP of the rule, currency per unit of effect.
    people_per_patient : float
        People per simulated adult (adults plus the prenatal stream).
    pilot_draws, pilot_patients : int
        Pilot size.
    """

    protocols: list[str]
    reference: str
    per_person: np.ndarray
    between: np.ndarray
    wtp: float
    people_per_patient: float
    pilot_draws: int
    pilot_patients: int

    def within(self, people: float) -> np.ndarray:
        """Within-draw noise variance of each protocol's mean INB at ``wtp`` with ``people``."""
        vc, ve, cce = self.per_person.T
        return np.clip(self.wtp**2 * ve - 2 * self.wtp * cce + vc, 0, None) / float(people)

    def share(self, people: float) -> float:
        """Largest noise share (within / between variance) over protocols with ``people``."""
        return float(np.max(self.within(people) / self.between))

    def patients_for(self, target: float = NOISE_TARGET, replications: int = 1) -> int:
        """Adults per replicate so that :meth:`share` is at most ``target``."""
        need = np.max(self.within(1.0) / self.between) / target
        return max(1, math.ceil(need / (self.people_per_patient * replications)))

    def record(self) -> dict[str, Any]:
        """JSON-ready summary for a manifest."""
        return {
            "reference_protocol": self.reference,
            "wtp": self.wtp,
            "pilot_draws": self.pilot_draws,
            "pilot_patients": self.pilot_patients,
            "people_per_patient": self.people_per_patient,
            "per_person_var_cost": self.per_person[:, 0].tolist(),
            "per_person_var_effect": self.per_person[:, 1].tolist(),
            "per_person_cov": self.per_person[:, 2].tolist(),
            "between_draw_var_inb": self.between.tolist(),
            "protocols": self.protocols,
        }


def estimate_noise(
    variants: Sequence[Scenario],
    *,
    effect: str,
    wtp: float,
    reference: str,
    patients: int,
    seed: int,
) -> NoiseEstimate:
    """Estimate per-person noise and between-draw variance from pilot draws.

    Parameters
    ----------
    variants : sequence of Scenario
        The pilot draws (scenario variants with drawn parameters), at least 3.
    effect : str
        Effect column per person (a key of :data:`OUTCOME_EFFECT`).
    wtp : float
        Reference WTP, currency per unit of effect.
    reference : str
        Reference protocol.
    patients : int
        Adults per pilot draw (one replicate each).
    seed : int
        Simulation seed (the PSA's own).

    Returns
    -------
    NoiseEstimate
    """
    if len(variants) < 3:
        raise ValueError("variants: give at least 3 pilot draws")
    column = OUTCOME_EFFECT[effect]
    names = variants[0].protocol_names
    comps, means, people = [], [], []
    for sc in variants:
        out = run_replicate(sc, 0, seed=seed, patients=patients, events=False)[0]
        out = out.sort_values(["protocol", "patient_id"], kind="stable")
        cost = {p: g["cost"].to_numpy(float) for p, g in out.groupby("protocol", sort=False)}
        eff = {p: g[column].to_numpy(float) for p, g in out.groupby("protocol", sort=False)}
        rows = np.zeros((len(names), 3))
        inb = np.zeros(len(names))
        for j, p in enumerate(names):
            dc, de = cost[p] - cost[reference], eff[p] - eff[reference]
            rows[j] = [dc.var(ddof=1), de.var(ddof=1), np.cov(dc, de)[0, 1]]
            inb[j] = wtp * de.mean() - dc.mean()
        comps.append(rows)
        means.append(inb)
        people.append(len(cost[reference]))
    per_person = np.mean(comps, axis=0)
    n = float(np.mean(people))
    est = NoiseEstimate(
        protocols=list(names),
        reference=reference,
        per_person=per_person,
        between=np.ones(len(names)),
        wtp=float(wtp),
        people_per_patient=n / patients,
        pilot_draws=len(variants),
        pilot_patients=patients,
    )
    observed = np.var(np.asarray(means), axis=0, ddof=1)
    between = observed - est.within(n)
    floor = 1e-12 + 1e-6 * np.maximum(observed, 0)
    between = np.where(np.arange(len(names)) == names.index(reference), 1.0, between)
    return NoiseEstimate(
        protocols=est.protocols,
        reference=reference,
        per_person=per_person,
        between=np.maximum(between, floor),
        wtp=est.wtp,
        people_per_patient=est.people_per_patient,
        pilot_draws=est.pilot_draws,
        pilot_patients=patients,
    )
