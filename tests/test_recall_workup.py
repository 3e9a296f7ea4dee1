"""The recall work-up's confirmatory test: CT, MRI or biopsy (``ct.workup``, issue 12 item 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.experiment import run_replicate
from fupsim.scenario import ScenarioError, with_overrides
from fupsim.validation import analytic_scenario

# MRI given exactly CT's accuracy (the baseline's by-cause table too) and cost
SAME_AS_CT = {
    "ct.workup": "mri",
    "ct.mri_sensitivity": 0.90,
    "ct.mri_specificity": 0.98,
    "costs.mri": 300.27,
}


def _outcomes(sc: fupsim.Scenario, n: int = 4000) -> pd.DataFrame:
    return run_replicate(sc, 0, seed=5, patients=n, events=False)[0]


def test_mri_with_cts_accuracy_and_cost_changes_only_the_count_and_the_dose(
    baseline: fupsim.Scenario,
) -> None:
    """Same uniforms, same accuracy, same price: every person's pathway is the same; the
    work-ups move from n_ct to n_mri and carry no dose. With the CT dose set to 0 in both,
    nothing else may differ at all: the false-positive work-up's QALY loss is charged on every
    confirmatory test, so it is the same for MRI as for CT."""
    assert baseline.ct.sensitivity == 0.90 and baseline.ct.specificity == 0.98
    assert baseline.costs.ct == 300.27 and not baseline.ct.sensitivity_by_cause
    assert baseline.harms.false_positive_qaly_loss > 0
    no_dose = with_overrides(baseline, {"harms.ct_dose_msv": 0.0})
    ct = _outcomes(no_dose)
    mri = _outcomes(with_overrides(no_dose, SAME_AS_CT))
    assert ct["n_ct"].sum() > 0 and (mri["n_ct"] == 0).all()
    assert (mri["n_mri"] == ct["n_ct"]).all()
    pd.testing.assert_frame_equal(mri.drop(columns=["n_ct", "n_mri"]), ct.drop(columns="n_ct"))
    # with the default CT dose, CT work-ups give a dose and MRI work-ups none
    dosed = _outcomes(baseline)
    dosed_mri = _outcomes(with_overrides(baseline, SAME_AS_CT))
    assert dosed.loc[dosed["n_ct"] > 0, "ct_dose_msv"].gt(0).all()
    assert (dosed_mri["ct_dose_msv"] == 0).all() and (dosed_mri["radiation_cancers"] == 0).all()


def test_mri_summary_column_counts_mri_work_ups(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(baseline, SAME_AS_CT)
    result = fupsim.run(sc, replications=1, patients=2000, workers=1, events=False)
    summary = result.summary().set_index("protocol")
    out = result.outcomes
    for name, rows in out.groupby("protocol", sort=False):
        assert summary.loc[name, "mri_per_patient"] == pytest.approx(rows["n_mri"].mean())
        assert summary.loc[name, "ct_per_patient"] == 0.0
    assert "biopsy_per_patient" not in summary


def test_default_ct_work_up_adds_no_new_columns(baseline: fupsim.Scenario) -> None:
    out = _outcomes(baseline, 500)
    assert not {"n_mri", "n_biopsy", "n_repeat_scans"} & set(out.columns)


def test_biopsy_with_specificity_one_makes_no_false_diagnosis(baseline: fupsim.Scenario) -> None:
    """A biopsy never confirms a change that is not there; a worse one does (so the check can
    fail)."""
    biopsy = {
        "ct.workup": "biopsy",
        "ct.biopsy_sensitivity": 0.95,
        "costs.biopsy": 1500.0,
        "ultrasound.specificity": 0.90,  # plenty of false-positive recalls
    }
    perfect = _outcomes(with_overrides(baseline, {**biopsy, "ct.biopsy_specificity": 1.0}))
    assert perfect["n_biopsy"].sum() > 0 and (perfect["n_ct"] == 0).all()
    assert perfect["n_false_positive_workups"].sum() > 0  # biopsies of nothing, none confirmed
    assert not perfect["false_diagnosis"].any()
    worse = _outcomes(with_overrides(baseline, {**biopsy, "ct.biopsy_specificity": 0.7}))
    assert worse["false_diagnosis"].sum() > 0


@pytest.mark.parametrize(("workup", "repeats"), [("mri", 1), ("repeat_us_then_biopsy", 2)])
def test_screen_detected_share_is_the_product_of_the_tests(workup: str, repeats: int) -> None:
    """Everyone has a detectable change from month 0 that presents only after the horizon,
    and one scan at month 6: P(screen-detected) = S_us^r × completion × S_test (r = 2 with a
    repeat ultrasound), the draws being independent. Tolerance 4 binomial SEs."""
    test = workup.removeprefix("repeat_us_then_")
    n, s_us, done, s_test = 20_000, 0.8, 0.9, 0.7
    sc = with_overrides(
        analytic_scenario(sensitivity=s_us, horizon_months=12.0, patients=n),
        {
            "natural_history.test.onset": {"dist": "fixed", "value": 0.0},
            "natural_history.test.sojourn": {"dist": "fixed", "value": 1000.0},
            "protocol": [{"name": "once", "visits_months": [6.0]}],
            "ct.workup": workup,
            "ct.completion": done,
            "ct.delay_days": 30.0,
            f"ct.{test}_sensitivity": s_test,
            f"ct.{test}_specificity": 1.0,
            f"costs.{test}": 1.0,
        },
    )
    out = _outcomes(sc, n)
    p = s_us**repeats * done * s_test
    se = np.sqrt(p * (1 - p) / n)
    assert abs(out["screen_detected"].mean() - p) < 4 * se
    assert out[f"n_{test}"].sum() == pytest.approx(n * s_us**repeats * done, rel=0.05)


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["ct.workup=mri", "ct.mri_sensitivity=1.3", "ct.mri_specificity=0.9"], "mri_sensitivity"),
        (["ct.workup=biopsy", "ct.biopsy_sensitivity=0.9"], "biopsy_specificity"),
        (["ct.workup=mri", "ct.mri_sensitivity=0.9", "ct.mri_specificity=0.9"], "costs.mri"),
        (["ct.workup=pet"], "ct.workup"),
        (
            [*(f"{k}={v}" for k, v in SAME_AS_CT.items()), "ct.mri_sensitivity_by_cause.x=0.5"],
            "ct.mri_sensitivity_by_cause.x",
        ),
    ],
)
def test_bad_recall_input_exits_2_naming_the_field(
    sets: list[str], field: str, baseline_path: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "run"
    args = ["run", str(baseline_path), "--out", str(out), "--patients", "200", "--workers", "1"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert field in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_missing_cost_is_refused_before_simulating(baseline: fupsim.Scenario) -> None:
    # refused when the scenario is validated (so `fupsim validate` refuses it too)
    with pytest.raises(ScenarioError, match=r"^costs\.mri is missing: ct\.workup = 'mri'"):
        with_overrides(baseline, {k: v for k, v in SAME_AS_CT.items() if k != "costs.mri"})
