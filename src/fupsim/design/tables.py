"""Per-candidate results from the evaluated sums: the one place that turns sums into the
per-person columns of ``candidates.csv`` and ``design_psa.csv``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fupsim.design.evaluate import Q, Sums

__all__ = ["METRICS", "PAIRED", "means", "metrics", "paired_means"]

METRICS: dict[str, tuple[str, float, str]] = {
    # output column: (numerator quantity, scale, meaning)
    "cost_per_patient": ("cost", 1.0, "discounted cost per person, scenario currency"),
    "effect_per_patient": ("effect", 1.0, "effect per person (manifest 'effect' names it)"),
    "screen_detected_per_1000": ("screen_detected", 1000.0, "yield: screen-detected changes"),
    "interval_cases_per_1000": ("interval_case", 1000.0, "changes presenting first"),
    "false_positive_workups_per_1000": (
        "n_false_positive_workups",
        1000.0,
        "harm: CT work-ups without a detectable change",
    ),
    "false_diagnoses_per_1000": (
        "false_diagnosis",
        1000.0,
        "harm: CT confirmed a change not there",
    ),
    "scans_per_patient": ("n_scans", 1.0, "attended scans per person"),
    "missed_scans_per_patient": ("n_missed", 1.0, "missed scans per person"),
    "ct_per_patient": ("n_ct", 1.0, "CT work-ups per person"),
}
"""Result columns of a candidate (``candidates.csv`` adds a ``_se`` to each)."""


def metrics(cube: np.ndarray, *, se: bool = True) -> dict[str, float]:
    """Pooled per-person :data:`METRICS` of one candidate from its sums ``(units, strata, Q)``.

    With ``se``, each also has ``<name>_se`` from the linearised unit residuals
    ``z_u = (scale·X_u − est·N_u) / N̄`` (NaN with one unit).
    """
    tot = cube.sum(axis=1)  # (U, Q)
    people = tot[:, Q["people"]]
    u = tot.shape[0]
    out: dict[str, float] = {}
    for name, (q, scale, _) in METRICS.items():
        est = scale * tot[:, Q[q]].sum() / people.sum()
        out[name] = float(est)
        if se:
            z = (scale * tot[:, Q[q]] - est * people) / people.mean()
            out[f"{name}_se"] = float(np.sqrt((z**2).sum() / (u * (u - 1)))) if u > 1 else np.nan
    return out


def means(cube: np.ndarray) -> dict[str, float]:
    """:func:`metrics` without standard errors."""
    return metrics(cube, se=False)


PAIRED = ("cost_per_patient", "effect_per_patient")
"""The columns :func:`paired_means` puts on a common footing (``paired_`` + name)."""


def paired_means(sums: Sums, cands: Sequence[int]) -> dict[str, np.ndarray]:
    """Cost and effect per person of every candidate, on the anchor's replicates.

    Refinement plays the contenders on more replicates than the candidates screened out, and
    under common random numbers most of a replicate's noise is shared by every candidate. Means
    over different replicate sets therefore differ by that shared noise, and can rank two
    candidates against their paired difference. The *anchor* is the candidate played on the
    most replicates (every other's replicates are a prefix of its own); each candidate's
    estimate is the anchor's mean over all its replicates plus the candidate's paired
    difference from the anchor over the candidate's own replicates (a control variate with
    coefficient 1). A candidate played on every replicate keeps its own mean.

    Returns
    -------
    dict
        ``paired_cost_per_patient`` and ``paired_effect_per_patient``, arrays in ``cands`` order.
    """
    own = [sums.replicates_of(c) for c in cands]
    a = int(np.argmax([len(r) for r in own]))
    anchor_all = means(sums.cube([cands[a]], own[a])[0])
    out = {f"paired_{name}": np.empty(len(cands)) for name in PAIRED}
    for i, c in enumerate(cands):
        both = sums.cube([c, cands[a]], own[i])
        mine, anchor_here = means(both[0]), means(both[1])
        for name in PAIRED:
            out[f"paired_{name}"][i] = anchor_all[name] + mine[name] - anchor_here[name]
    return out
