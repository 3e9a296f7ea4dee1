"""Per-candidate results from the evaluated sums: the one place that turns sums into the
per-person columns of ``candidates.csv`` and ``design_psa.csv``."""

from __future__ import annotations

import numpy as np

from fupsim.design.evaluate import Q

__all__ = ["METRICS", "means", "metrics"]

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
