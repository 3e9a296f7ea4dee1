"""The cohort: people with an index finding, drawn as numpy arrays in one go.

Adults come from the scenario's demographics and cause mix; the prenatal stream adds the
children whose fetal hepatic calcification was found on a routine pregnancy scan
(``prenatal.screened`` scans, or ``prenatal.screened_per_adult`` per adult, each finding one
at ``prenatal.fetal_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from fupsim.rng import ReplicateStreams
from fupsim.scenario import Scenario

__all__ = ["LOBES", "SEXES", "STREAM_NAMES", "Cohort", "cause_names", "draw_cohort"]

LOBES: tuple[str, ...] = ("right", "left", "both")
SEXES: tuple[str, ...] = ("male", "female")
STREAM_NAMES: tuple[str, ...] = ("adult", "prenatal")
CONGENITAL = "congenital"


def cause_names(scenario: Scenario) -> tuple[str, ...]:
    """Cause labels in a fixed order: the adult causes sorted by name, then ``congenital``.

    Sorting makes the draws independent of the order in which a file (or a manifest written
    with sorted keys) lists the causes: the same shares always give the same people.
    """
    return (*sorted(scenario.cohort.causes), CONGENITAL)


@dataclass(frozen=True)
class Cohort:
    """One replicate's people as parallel arrays (index = ``patient_id``).

    Categorical columns are small integer codes into :data:`LOBES`, :data:`SEXES`,
    :data:`STREAM_NAMES` and ``causes``.
    """

    causes: tuple[str, ...]
    stream: np.ndarray  # int8 code into STREAM_NAMES
    age_years: np.ndarray  # float
    female: np.ndarray  # bool
    lobe: np.ndarray  # int8 code into LOBES
    n_foci: np.ndarray  # int16
    cause: np.ndarray  # int16 code into causes
    associated_anomaly: np.ndarray  # bool (prenatal only)
    abnormal_karyotype: np.ndarray  # bool (prenatal only)
    congenital_infection: np.ndarray  # bool (prenatal only)
    limited_visualisation: np.ndarray  # bool: ultrasound shows this person's liver poorly
    patient_id: np.ndarray | None = None  # int32 ids (None: 0..n-1, the whole cohort)

    @property
    def size(self) -> int:
        """Number of people."""
        return int(self.stream.shape[0])

    @property
    def ids(self) -> np.ndarray:
        """Each person's ``patient_id`` in the replicate's whole cohort."""
        if self.patient_id is None:
            return np.arange(self.size, dtype=np.int32)
        return self.patient_id

    def take(self, idx: np.ndarray) -> Cohort:
        """The people at positions ``idx``, keeping their ``patient_id``."""
        arrays = {
            f.name: getattr(self, f.name)[idx]
            for f in fields(self)
            if f.name not in ("causes", "patient_id")
        }
        return Cohort(causes=self.causes, patient_id=self.ids[idx], **arrays)

    def to_frame(self) -> pd.DataFrame:
        """One row per person with labelled categorical columns."""
        cat = pd.Categorical.from_codes
        return pd.DataFrame(
            {
                "patient_id": self.ids,
                "stream": cat(self.stream, categories=list(STREAM_NAMES)),
                "age_years": self.age_years,
                "sex": cat(self.female.astype(np.int8), categories=list(SEXES)),
                "lobe": cat(self.lobe, categories=list(LOBES)),
                "n_foci": self.n_foci,
                "cause": cat(self.cause, categories=list(self.causes)),
                "associated_anomaly": self.associated_anomaly,
                "abnormal_karyotype": self.abnormal_karyotype,
                "congenital_infection": self.congenital_infection,
                "limited_visualisation": self.limited_visualisation,
            }
        )


def _categorical(u: np.ndarray, shares: list[float]) -> np.ndarray:
    """Map uniforms to category codes with the given shares (inverse-CDF, vectorised)."""
    edges = np.cumsum(shares)[:-1]
    return np.searchsorted(edges, u, side="right").astype(np.int16)


_QUANTILES = 400  # age quantiles on which the covariate model is calibrated


def _covariate_causes(
    scenario: Scenario, names: tuple[str, ...], u: np.ndarray, age: np.ndarray, multiple: np.ndarray
) -> np.ndarray:
    """Adult cause codes; with ``cohort.cause_odds`` they depend on age and number of foci.

    Each person's cause probabilities are ``k_c * exp(x_i b_c)`` normalised, where ``x_i b_c``
    is the log odds ratio of their age (per decade) and of multiple foci; the constants
    ``k_c`` are fitted (iterative proportional fitting on the age quantiles and the
    multiple-foci share) so that the cohort's overall mix stays ``cohort.causes``. Without
    ``cause_odds`` this is the plain inverse-CDF draw, unchanged.
    """
    c = scenario.cohort
    shares = np.array([c.causes[name] for name in names])
    odds = [c.cause_odds.get(name) for name in names]
    if all(o is None or (o.per_decade == 1.0 and o.multiple_foci == 1.0) for o in odds):
        return _categorical(u, list(shares))
    b_age = np.array([np.log(o.per_decade) / 10 if o else 0.0 for o in odds])
    b_foci = np.array([np.log(o.multiple_foci) if o else 0.0 for o in odds])

    def relative(a: np.ndarray, m: np.ndarray) -> np.ndarray:
        x = np.outer(a - 40.0, b_age) + np.outer(m, b_foci)
        return np.exp(x - x.max(axis=1, keepdims=True))

    q_age = c.age.ppf((np.arange(_QUANTILES) + 0.5) / _QUANTILES)
    grid_a = np.concatenate([q_age, q_age])
    grid_m = np.repeat([0.0, 1.0], _QUANTILES)
    weight = np.where(grid_m > 0, c.multiple_foci_share, 1 - c.multiple_foci_share)
    weight = weight / weight.sum()
    rel = relative(grid_a, grid_m)
    k = shares.copy()
    for _ in range(500):
        p = k * rel
        p /= p.sum(axis=1, keepdims=True)
        mean = weight @ p
        if np.allclose(mean, shares, rtol=1e-10, atol=0.0):
            break
        k = np.where(mean > 0, k * shares / np.where(mean > 0, mean, 1.0), 0.0)
    # per person, in (cause, person) layout: the same arithmetic as relative() and the grid
    # above, element by element, without reductions over a short inner axis (slow in numpy)
    x = np.multiply.outer(b_age, age - 40.0) + np.multiply.outer(b_foci, multiple.astype(float))
    p = k[:, None] * np.exp(x - x.max(axis=0))
    cum = p / p.sum(axis=0)
    for row in range(1, cum.shape[0]):  # cumulative sum down the causes, a row at a time
        cum[row] += cum[row - 1]  # (the same additions as np.cumsum, faster on this layout)
    return (u >= cum[:-1]).sum(axis=0).astype(np.int16)


def draw_cohort(
    scenario: Scenario, streams: ReplicateStreams, patients: int | None = None
) -> Cohort:
    """Draw one replicate's cohort.

    Parameters
    ----------
    scenario : Scenario
        Demographics (``[cohort]``) and the prenatal stream (``[prenatal]``).
    streams : ReplicateStreams
        Uses the ``cohort`` and ``prenatal`` streams.
    patients : int, optional
        Number of adults; defaults to ``simulation.patients``.
    """
    c, pn = scenario.cohort, scenario.prenatal
    n_adult = scenario.simulation.patients if patients is None else patients
    rng = streams["cohort"]
    u = rng.random((6, n_adult))
    lobe_shares = [c.lobe.right, c.lobe.left, c.lobe.both]
    multiple = u[3] < c.multiple_foci_share
    extra = rng.poisson(c.multiple_foci_mean - 2.0, size=n_adult)
    adult_age = c.age.ppf(np.clip(u[0], 1e-12, 1 - 1e-12))
    adult_female = u[1] < c.female_share
    adult_lobe = _categorical(u[2], lobe_shares).astype(np.int8)
    adult_foci = np.where(multiple, 2 + extra, 1).astype(np.int16)

    prng = streams["prenatal"]
    pregnancies = pn.pregnancies(n_adult)
    n_pre = int(prng.binomial(pregnancies, pn.fetal_rate)) if pregnancies > 0 else 0
    v = prng.random((5, n_pre))
    anomaly = v[2] < pn.associated_anomaly
    karyotype = v[3] < np.where(anomaly, pn.karyotype_if_anomaly, pn.karyotype_if_isolated)
    infection = v[4] < np.where(anomaly, pn.infection_if_anomaly, pn.infection_if_isolated)
    causes = cause_names(scenario)
    adult_cause = _covariate_causes(scenario, causes[:-1], u[4], adult_age, multiple)
    no = np.zeros(n_adult, dtype=bool)
    limited = streams["visualisation"].random(n_adult + n_pre)
    return Cohort(
        causes=causes,
        stream=np.concatenate([np.zeros(n_adult, np.int8), np.ones(n_pre, np.int8)]),
        age_years=np.concatenate([adult_age, np.zeros(n_pre)]),
        female=np.concatenate([adult_female, v[0] < 0.5]),
        lobe=np.concatenate([adult_lobe, _categorical(v[1], lobe_shares).astype(np.int8)]),
        n_foci=np.concatenate([adult_foci, np.ones(n_pre, np.int16)]),
        cause=np.concatenate([adult_cause, np.full(n_pre, len(causes) - 1, np.int16)]),
        associated_anomaly=np.concatenate([no, anomaly]),
        abnormal_karyotype=np.concatenate([no, karyotype]),
        congenital_infection=np.concatenate([no, infection]),
        limited_visualisation=limited < scenario.ultrasound.limited_visualisation_share,
    )
