"""Risk strata: the groups a stratified policy may schedule differently.

A stratum is a cell of the product of the chosen cohort attributes (:data:`STRATIFIERS`).
Each attribute maps a cohort to integer levels with labels; new attributes (the index
work-up's features, when that stage exists) plug in by adding one function to
:data:`_LEVELS`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fupsim.cohort import LOBES, Cohort
from fupsim.design.spec import DesignSpec
from fupsim.scenario import ScenarioError

__all__ = ["Strata", "check_strata", "strata_of"]


def _age(cohort: Cohort, spec: DesignSpec) -> tuple[np.ndarray, list[str]]:
    cuts = list(spec.age_bands_years)
    edges = [0.0, *cuts]
    labels = [f"age {a:g}-{b:g}" for a, b in itertools.pairwise(edges)]
    labels.append(f"age {cuts[-1]:g}+" if cuts else "all ages")
    return np.searchsorted(np.asarray(cuts), cohort.age_years, side="right"), labels


def _foci(cohort: Cohort, spec: DesignSpec) -> tuple[np.ndarray, list[str]]:
    return (cohort.n_foci > 1).astype(np.int64), ["single focus", "multiple foci"]


def _lobe(cohort: Cohort, spec: DesignSpec) -> tuple[np.ndarray, list[str]]:
    return cohort.lobe.astype(np.int64), [f"{name} lobe" for name in LOBES]


_LEVELS: dict[str, Callable[[Cohort, DesignSpec], tuple[np.ndarray, list[str]]]] = {
    "age_band": _age,
    "n_foci": _foci,
    "lobe": _lobe,
}


@dataclass(frozen=True)
class Strata:
    """Each person's stratum (``code``, index into ``labels``)."""

    code: np.ndarray
    labels: list[str]


def strata_of(cohort: Cohort, spec: DesignSpec) -> Strata:
    """The product strata of ``spec.strata`` (one stratum, "all", when none are chosen)."""
    code = np.zeros(cohort.size, dtype=np.int64)
    labels = ["all"]
    for name in spec.strata:
        levels, names = _LEVELS[name](cohort, spec)
        code = code * len(names) + levels
        labels = [f"{a} | {b}" if a != "all" else b for a in labels for b in names]
    return Strata(code, labels)


def check_strata(cohort: Cohort, spec: DesignSpec) -> None:
    """Every level of every chosen attribute must hold someone in ``cohort``.

    Raises
    ------
    ScenarioError
        Naming ``design.strata`` (or ``design.age_bands_years``) and the empty level.
    """
    for name in spec.strata:
        levels, names = _LEVELS[name](cohort, spec)
        counts = np.bincount(levels, minlength=len(names))
        empty = [names[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            field = "design.age_bands_years" if name == "age_band" else "design.strata"
            given = spec.age_bands_years if name == "age_band" else spec.strata
            raise ScenarioError(
                f"{field} = {given}: the stratum {empty[0]!r} matches nobody in the first "
                f"replicate's {cohort.size:,} people; choose bands or attributes that split "
                "the cohort"
            )
