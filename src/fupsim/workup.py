"""The index work-up: what the index ultrasound (and CT for a suspected mass) shows, and who is followed.

Between drawing the cohort and its natural history, each adult's index ultrasound shows each
feature of :data:`FEATURES` with a probability given their true cause
(``[index_workup.features]``). The features route the person (``[index_workup.routes]``):
bile-duct stones with ductal dilatation or an intraductal position to a **biliary** pathway,
a suspected mass or metastasis (unless CT rules malignancy out) to **oncology**, signs of
active infection or symptoms to **treatment**; someone with several goes to the first of
:data:`PRECEDENCE`, and someone with none, an isolated asymptomatic calcification, to
**follow_up**. Children of the prenatal stream go to their own **infant** pathway and never
to the adults' follow-up.

With ``index_workup.enabled = false`` no random number is drawn and every adult is
``follow_up``. Draws use the ``workup`` stream only, as whole arrays: one uniform per person
per feature and one for the CT, so a change of one probability moves only the people at its
margin (common random numbers across scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fupsim.cohort import STREAM_NAMES, Cohort
from fupsim.rng import ReplicateStreams
from fupsim.scenario import Scenario
from fupsim.scenario.workup import FEATURES, PATHWAYS, PRECEDENCE, IndexWorkup

__all__ = ["FEATURES", "PATHWAYS", "Workup", "index_workup", "workup_frame"]

FOLLOW_UP = PATHWAYS.index("follow_up")
INFANT = PATHWAYS.index("infant")
_MASS = FEATURES.index("mass_or_metastasis_suspected")
_ADULT = STREAM_NAMES.index("adult")


@dataclass(frozen=True)
class Workup:
    """One replicate's index work-up as parallel arrays (index = ``patient_id``).

    Attributes
    ----------
    enabled : bool
        Whether the work-up was simulated (``index_workup.enabled``); if not, every feature
        is False and every adult is ``follow_up``.
    features : ndarray of bool, shape (len(FEATURES), n)
        Row ``k``: the index ultrasound showed ``FEATURES[k]`` (always False for infants).
    ct_done : ndarray of bool
        A CT characterised a suspected mass or metastasis.
    ct_positive : ndarray of bool
        That CT confirmed (or did not rule out) malignancy; False where no CT was done.
    pathway : ndarray of int8
        Code into :data:`PATHWAYS`.
    """

    enabled: bool
    features: np.ndarray
    ct_done: np.ndarray
    ct_positive: np.ndarray
    pathway: np.ndarray

    @property
    def size(self) -> int:
        """Number of people."""
        return int(self.pathway.shape[0])

    @property
    def followed(self) -> np.ndarray:
        """Bool mask of the people the work-up sends to follow-up."""
        return self.pathway == FOLLOW_UP

    def feature(self, name: str) -> np.ndarray:
        """Bool array: the index ultrasound showed feature ``name`` (one of :data:`FEATURES`)."""
        return self.features[FEATURES.index(name)]

    def summary(self) -> pd.DataFrame:
        """People and share per pathway, one row per :data:`PATHWAYS` entry."""
        counts = np.bincount(self.pathway, minlength=len(PATHWAYS))
        return pd.DataFrame(
            {
                "pathway": list(PATHWAYS),
                "people": counts,
                "share": counts / max(self.size, 1),
            }
        )


def _probabilities(cfg: IndexWorkup, causes: tuple[str, ...]) -> np.ndarray:
    """``(len(FEATURES), len(causes))`` feature probabilities (0 for unlisted causes)."""
    return np.array([[cfg.probability(f, c) for c in causes] for f in FEATURES], dtype=float)


def _pathways(cfg: IndexWorkup, features: np.ndarray, mass_not_ruled_out: np.ndarray) -> np.ndarray:
    """Pathway codes from the features: the first of :data:`PRECEDENCE` that any feature routes to."""
    routed = features.copy()
    routed[_MASS] = mass_not_ruled_out
    pathway = np.full(features.shape[1], FOLLOW_UP, dtype=np.int8)
    for name in reversed(PRECEDENCE):  # lowest priority first, so higher ones overwrite
        rows = [k for k, f in enumerate(FEATURES) if getattr(cfg.routes, f) == name]
        if rows:
            pathway[routed[rows].any(axis=0)] = PATHWAYS.index(name)
    return pathway


def index_workup(scenario: Scenario, cohort: Cohort, streams: ReplicateStreams) -> Workup:
    """Simulate the index work-up of one replicate's cohort.

    Parameters
    ----------
    scenario : Scenario
        ``[index_workup]``: feature probabilities by cause, routes, CT for a suspected mass.
    cohort : Cohort
        The people (their true ``cause`` and ``stream``).
    streams : ReplicateStreams
        Uses the ``workup`` stream only, and only when the work-up is enabled.

    Returns
    -------
    Workup
        Features, CT results and the pathway of every person.

    Examples
    --------
    >>> import fupsim
    >>> from fupsim.cohort import draw_cohort
    >>> from fupsim.rng import replicate_streams
    >>> sc = fupsim.load_scenario("scenarios/baseline.toml", ["prenatal.screened_per_adult=0"])
    >>> streams = replicate_streams(1, 0)
    >>> w = index_workup(sc, draw_cohort(sc, streams, 1000), streams)
    >>> bool(0.6 < w.followed.mean() < 0.8)  # about 71% are followed (docs/workup.md)
    True
    """
    cfg = scenario.index_workup
    n = cohort.size
    adult = cohort.stream == _ADULT
    no = np.zeros(n, dtype=bool)
    if not cfg.enabled:
        return Workup(
            enabled=False,
            features=np.zeros((len(FEATURES), n), dtype=bool),
            ct_done=no,
            ct_positive=no.copy(),
            pathway=np.where(adult, FOLLOW_UP, INFANT).astype(np.int8),
        )
    u = streams["workup"].random((len(FEATURES) + 1, n))
    p = _probabilities(cfg, cohort.causes)[:, cohort.cause]  # (features, people)
    features = (u[: len(FEATURES)] < p) & adult
    ct = cfg.ct
    mass = features[_MASS]
    ct_done = mass & ct.enabled
    malignant = np.isin(cohort.cause, [cohort.causes.index(c) for c in ct.malignant_causes])
    p_ct_positive = np.where(malignant, ct.sensitivity, 1.0 - ct.specificity)
    ct_positive = ct_done & (u[len(FEATURES)] < p_ct_positive)
    pathway = _pathways(cfg, features, mass & (ct_positive | ~ct_done))
    pathway[~adult] = INFANT
    return Workup(
        enabled=True, features=features, ct_done=ct_done, ct_positive=ct_positive, pathway=pathway
    )


def workup_frame(workup: Workup) -> pd.DataFrame:
    """One row per person: ``index_pathway``, one bool column per feature, and the CT result.

    Columns: ``patient_id``, ``index_pathway`` (categorical over :data:`PATHWAYS`), the
    :data:`FEATURES` (bool), ``index_ct_done`` and ``index_ct_positive`` (bool); rows line
    up with :meth:`fupsim.cohort.Cohort.to_frame`.
    """
    frame = pd.DataFrame(
        {
            "patient_id": np.arange(workup.size, dtype=np.int32),
            "index_pathway": pd.Categorical.from_codes(workup.pathway, categories=list(PATHWAYS)),
        }
    )
    for k, name in enumerate(FEATURES):
        frame[name] = workup.features[k]
    frame["index_ct_done"] = workup.ct_done
    frame["index_ct_positive"] = workup.ct_positive
    return frame
