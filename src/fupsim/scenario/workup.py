"""Scenario block ``[index_workup]``: what the index ultrasound shows, by cause, and where it sends people.

The index ultrasound (the scan that found the calcification) shows each of :data:`FEATURES`
with a probability that depends on the person's true cause
(``[index_workup.features.<feature>] <cause> = p``; a cause not listed never shows the
feature). Each feature sends the person to a pathway (``[index_workup.routes]``; a feature
routed to ``follow_up`` is recorded but keeps the person in follow-up). A suspected mass or
metastasis may be characterised by CT first (``[index_workup.ct]``): a CT that rules
malignancy out returns the person to the other features' verdict. Someone with several
features goes to the first pathway of :data:`PRECEDENCE`; someone with none is followed up.

``enabled = false`` (the default) skips the work-up: every adult is followed up, as before
the work-up existed. The calculations live in :mod:`fupsim.workup`; values and sources are
in ``scenarios/baseline.toml`` and ``docs/workup.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from fupsim.scenario.base import Block, Probability

__all__ = [
    "ADULT_PATHWAYS",
    "FEATURES",
    "PATHWAYS",
    "PRECEDENCE",
    "FeatureProbabilities",
    "IndexCT",
    "IndexWorkup",
    "Routes",
    "check_workup",
]

FEATURES: tuple[str, ...] = (
    "ductal_dilatation",
    "intraductal_position",
    "mass_or_metastasis_suspected",
    "active_infection_signs",
    "symptomatic",
)
"""Index-ultrasound features, in the order they are drawn (one uniform per person each)."""

PATHWAYS: tuple[str, ...] = ("follow_up", "biliary", "oncology", "treatment", "infant")
"""Pathway codes (the position is the code): where the index work-up sends a person."""

ADULT_PATHWAYS: tuple[str, ...] = PATHWAYS[:4]
"""Pathways a feature can route an adult to (``infant`` is the prenatal stream's alone)."""

PRECEDENCE: tuple[str, ...] = ("oncology", "treatment", "biliary")
"""With features routed to several pathways, the first of these wins."""

DEFAULT_ROUTES: dict[str, str] = {
    "ductal_dilatation": "biliary",
    "intraductal_position": "biliary",
    "mass_or_metastasis_suspected": "oncology",
    "active_infection_signs": "treatment",
    "symptomatic": "treatment",
}

MALIGNANT = "malignant"
"""The cause name CT's sensitivity applies to unless ``ct.malignant_causes`` says otherwise."""


_Pathway = Literal["follow_up", "biliary", "oncology", "treatment"]
_ByCause = dict[str, Probability]


class FeatureProbabilities(Block):
    """Probability that the index ultrasound shows each feature, by true cause (unlisted: 0)."""

    ductal_dilatation: _ByCause = Field(default_factory=dict)
    intraductal_position: _ByCause = Field(default_factory=dict)
    mass_or_metastasis_suspected: _ByCause = Field(default_factory=dict)
    active_infection_signs: _ByCause = Field(default_factory=dict)
    symptomatic: _ByCause = Field(default_factory=dict)


class Routes(Block):
    """The pathway each feature sends a person to (``follow_up``: the feature is ignored)."""

    ductal_dilatation: _Pathway = "biliary"
    intraductal_position: _Pathway = "biliary"
    mass_or_metastasis_suspected: _Pathway = "oncology"
    active_infection_signs: _Pathway = "treatment"
    symptomatic: _Pathway = "treatment"


class IndexCT(Block):
    """CT when the index ultrasound suggests a mass or metastasis.

    A malignant cause (``malignant_causes``) is confirmed with ``sensitivity``; any other
    cause is (falsely) not ruled out with probability ``1 - specificity``. Without CT
    (``enabled = false``) a suspected mass is never ruled out.
    """

    enabled: StrictBool = True
    sensitivity: Probability = 0.90
    specificity: Probability = 0.98
    malignant_causes: list[str] = Field(default_factory=lambda: [MALIGNANT])
    source: str | None = None


class IndexWorkup(Block):
    """``[index_workup]``: index-ultrasound features by cause, CT for a suspected mass, routes."""

    enabled: StrictBool = False
    features: FeatureProbabilities = Field(default_factory=FeatureProbabilities)
    routes: Routes = Field(default_factory=Routes)
    ct: IndexCT = Field(default_factory=IndexCT)
    source: str | None = None

    def probability(self, feature: str, cause: str) -> float:
        """P(the index ultrasound shows ``feature`` | true ``cause``)."""
        by_cause: dict[str, float] = getattr(self.features, feature)
        return float(by_cause.get(cause, 0.0))


def check_workup(workup: IndexWorkup, causes: set[str]) -> None:
    """Cross-block check: every cause named in ``[index_workup]`` is an adult cause.

    ``ct.malignant_causes`` is checked only when the work-up is enabled, so a scenario
    without a ``malignant`` cause needs no ``[index_workup]`` block.
    """
    allowed = ", ".join(sorted(causes))
    for feature in FEATURES:
        for cause in getattr(workup.features, feature):
            if cause not in causes:
                why = (
                    "the prenatal stream goes to the infant pathway, so no feature is drawn for it"
                    if cause == "congenital"
                    else "not a cause in cohort.causes"
                )
                raise ValueError(
                    f"index_workup.features.{feature}.{cause}: {why} (allowed: {allowed})"
                )
    if workup.enabled:
        for cause in workup.ct.malignant_causes:
            if cause not in causes:
                raise ValueError(
                    f"index_workup.ct.malignant_causes: {cause!r} is not a cause in "
                    f"cohort.causes (allowed: {allowed}; [] if none is malignant)"
                )
