"""Regenerate the golden back-test file — only on purpose, when a model change is intended.

    make golden            (or: .venv/bin/python tests/golden/regenerate.py)

Then read the diff of ``baseline_small_summary.csv`` and say in the commit why it changed.
``baseline_small_summary_without_health.csv`` is the same run with every health outcome and
harm switched off (:data:`NO_HEALTH`): the follow-up model alone, as it was before health
outcomes existed (tests/test_health.py checks that switching them off reproduces it).
``versions.json`` records the package versions and git revision that produced the file.
"""

from __future__ import annotations

from pathlib import Path

import fupsim
from fupsim.output import git_revision, package_versions, write_json

HERE = Path(__file__).resolve().parent
ARGS = {"seed": 5, "replications": 2, "patients": 2000, "workers": 1, "events": False}


NO_HEALTH = {
    "health.background_mortality": False,
    "analysis.outcome_horizon_years": 3,
    "analysis.effect": "screen_detected",
    "harms.false_positive_qaly_loss": 0.0,
    "harms.false_diagnosis_qaly_loss": 0.0,
    "harms.false_diagnosis_cost": 0.0,
    "harms.ct_dose_msv": 0.0,
}


def summary(overrides: dict | None = None):  # type: ignore[no-untyped-def]
    sc = fupsim.load_scenario(HERE.parents[1] / "scenarios" / "baseline.toml", overrides or {})
    return fupsim.run(sc, **ARGS).summary()


if __name__ == "__main__":
    summary().to_csv(HERE / "baseline_small_summary.csv", index=False, float_format="%.12g")
    summary(NO_HEALTH).to_csv(
        HERE / "baseline_small_summary_without_health.csv", index=False, float_format="%.12g"
    )
    write_json(
        HERE / "versions.json",
        {"packages": package_versions(), "git_revision_before": git_revision(), "run": ARGS},
    )
    print(f"wrote {HERE / 'baseline_small_summary.csv'} and versions.json")
