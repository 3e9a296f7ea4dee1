"""Risk strata: the groups a stratified policy may schedule differently.

A stratum is a cell of the product of the chosen attributes (:data:`STRATIFIERS`). Each
attribute maps the followed people to integer levels with labels: cohort attributes (age band,
number of foci, lobe) and the index work-up's findings (:data:`WORKUP_STRATIFIERS`: each
index-ultrasound feature, whether a CT characterised a suspected mass, whether it was positive;
the columns of :func:`fupsim.workup.workup_frame`), two levels each. New attributes plug in
by adding one function to :data:`_LEVELS`.

Only the people the work-up sends to follow-up are played, so a finding that routes everyone
who has it elsewhere (``[index_workup.routes]``) leaves its "seen" level empty; so does any
finding with ``index_workup.enabled = false``. :func:`check_strata` refuses such a stratum.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fupsim.cohort import LOBES, Cohort
from fupsim.design.spec import DesignSpec
from fupsim.scenario import Scenario, ScenarioError
from fupsim.scenario.design import WORKUP_STRATIFIERS
from fupsim.workup import FEATURES, Workup

__all__ = ["Strata", "check_strata", "followed_workup", "strata_of"]


def followed_workup(workup: Workup, idx: np.ndarray | None) -> Workup:
    """The work-up of the people at positions ``idx`` (None: everyone), as a :class:`Workup`."""
    if idx is None:
        return workup
    return Workup(
        enabled=workup.enabled,
        features=workup.features[:, idx],
        ct_done=workup.ct_done[idx],
        ct_positive=workup.ct_positive[idx],
        pathway=workup.pathway[idx],
    )


Levels = tuple[np.ndarray, list[str]]


def _age(cohort: Cohort, workup: Workup, spec: DesignSpec) -> Levels:
    cuts = list(spec.age_bands_years)
    edges = [0.0, *cuts]
    labels = [f"age {a:g}-{b:g}" for a, b in itertools.pairwise(edges)]
    labels.append(f"age {cuts[-1]:g}+" if cuts else "all ages")
    return np.searchsorted(np.asarray(cuts), cohort.age_years, side="right"), labels


def _foci(cohort: Cohort, workup: Workup, spec: DesignSpec) -> Levels:
    return (cohort.n_foci > 1).astype(np.int64), ["single focus", "multiple foci"]


def _lobe(cohort: Cohort, workup: Workup, spec: DesignSpec) -> Levels:
    return cohort.lobe.astype(np.int64), [f"{name} lobe" for name in LOBES]


_CT_LABELS = {
    "index_ct_done": ["no index CT", "index CT done"],
    "index_ct_positive": ["index CT not positive", "index CT positive"],
}


def _finding(name: str) -> Callable[[Cohort, Workup, DesignSpec], Levels]:
    """Levels of one work-up finding: 0 not found, 1 found."""
    words = name.replace("_", " ")
    labels = _CT_LABELS.get(name, [f"index US: no {words}", f"index US: {words}"])

    def levels(cohort: Cohort, workup: Workup, spec: DesignSpec) -> Levels:
        if name in FEATURES:
            found = workup.feature(name)
        else:
            found = workup.ct_done if name == "index_ct_done" else workup.ct_positive
        return found.astype(np.int64), labels

    return levels


_LEVELS: dict[str, Callable[[Cohort, Workup, DesignSpec], Levels]] = {
    "age_band": _age,
    "n_foci": _foci,
    "lobe": _lobe,
    **{name: _finding(name) for name in WORKUP_STRATIFIERS},
}


@dataclass(frozen=True)
class Strata:
    """Each person's stratum (``code``, index into ``labels``)."""

    code: np.ndarray
    labels: list[str]


def strata_of(cohort: Cohort, workup: Workup, spec: DesignSpec) -> Strata:
    """The product strata of ``spec.strata`` (one stratum, "all", when none are chosen).

    ``workup`` is the work-up of the same people as ``cohort`` (:func:`followed_workup`).
    """
    code = np.zeros(cohort.size, dtype=np.int64)
    labels = ["all"]
    for name in spec.strata:
        levels, names = _LEVELS[name](cohort, workup, spec)
        code = code * len(names) + levels
        labels = [f"{a} | {b}" if a != "all" else b for a in labels for b in names]
    return Strata(code, labels)


def _why_empty(name: str, scenario: Scenario) -> str:
    """Why a work-up finding's level may hold nobody among the followed people."""
    cfg = scenario.index_workup
    if not cfg.enabled:
        return "; index_workup.enabled is false, so no finding is drawn"
    if name in FEATURES and getattr(cfg.routes, name) != "follow_up":
        route = getattr(cfg.routes, name)
        return (
            f"; index_workup.routes.{name} = {route!r} sends everyone with it out of follow-up "
            "(route it to 'follow_up' to stratify by it)"
        )
    if name in ("index_ct_done", "index_ct_positive"):
        return "; index_workup.ct and the mass feature's probability and route decide who has it"
    return ""


def check_strata(cohort: Cohort, workup: Workup, spec: DesignSpec, scenario: Scenario) -> None:
    """Every level of every chosen attribute must hold someone in ``cohort``.

    Raises
    ------
    ScenarioError
        Naming ``design.strata`` (or ``design.age_bands_years``) and the empty level; for a
        work-up finding, also the setting that empties it.
    """
    for name in spec.strata:
        levels, names = _LEVELS[name](cohort, workup, spec)
        counts = np.bincount(levels, minlength=len(names))
        empty = [names[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            field = "design.age_bands_years" if name == "age_band" else "design.strata"
            given = spec.age_bands_years if name == "age_band" else spec.strata
            why = _why_empty(name, scenario) if name in WORKUP_STRATIFIERS else ""
            raise ScenarioError(
                f"{field} = {given}: the stratum {empty[0]!r} ({name}) matches nobody in the "
                f"first replicate's {cohort.size:,} followed people{why}; choose bands or "
                "attributes that split them"
            )
