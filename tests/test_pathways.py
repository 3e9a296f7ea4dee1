"""Issue 12 integration: who is followed, the other pathways, infants, subgroups, durations, loss."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.cohort import draw_cohort
from fupsim.engine import simulate_arm
from fupsim.experiment import run_replicate
from fupsim.health import add_health, context_for, draw_death_months, with_deaths
from fupsim.infants import infant_months, poor_outcome
from fupsim.metrics import arm_outcomes
from fupsim.natural_history import draw_history
from fupsim.protocol import draw_visits, plan_visits
from fupsim.rng import replicate_streams
from fupsim.scenario import ScenarioError, scenario_from_dict, with_overrides
from fupsim.workup import PATHWAYS, index_workup

Z = 4.0  # Monte Carlo tolerance in standard errors


@pytest.fixture(scope="module")
def sc(baseline: fupsim.Scenario) -> fupsim.Scenario:
    return baseline


def _old_pipeline(scenario: fupsim.Scenario, seed: int, replicate: int, n: int) -> pd.DataFrame:
    """The replicate as it was before the work-up was wired in: every person, every protocol."""
    streams = replicate_streams(seed, replicate)
    cohort = draw_cohort(scenario, streams, n)
    latent = draw_history(scenario, cohort, streams)
    death = draw_death_months(scenario, cohort, streams)
    history = with_deaths(latent, death, scenario.simulation.horizon_months)
    health = context_for(scenario, cohort, latent, death)
    draws = draw_visits(scenario, cohort.size, streams)
    outs = []
    for protocol in scenario.protocol:
        arm = simulate_arm(scenario, cohort, history, plan_visits(scenario, protocol, draws))
        outs.append(
            add_health(arm_outcomes(scenario, cohort, history, arm, replicate), health, arm)
        )
    return pd.concat(outs, ignore_index=True)


def test_without_the_work_up_results_equal_the_pipeline_without_it(sc: fupsim.Scenario) -> None:
    off = with_overrides(sc, {"index_workup.enabled": False, "prenatal.screened_per_adult": 0})
    got, _ = run_replicate(off, 1, seed=7, patients=800, events=False)
    pd.testing.assert_frame_equal(got, _old_pipeline(off, 7, 1, 800))


def test_only_the_followed_adults_are_played_and_keep_their_draws(sc: fupsim.Scenario) -> None:
    on, _ = run_replicate(sc, 0, seed=3, patients=1500, events=False)
    off_sc = with_overrides(sc, {"index_workup.enabled": False})
    off, _ = run_replicate(off_sc, 0, seed=3, patients=1500, events=False)
    streams = replicate_streams(3, 0)
    cohort = draw_cohort(sc, streams, 1500)
    followed = np.flatnonzero(index_workup(sc, cohort, streams).followed)
    assert 0 < followed.size < 1500
    first = on[on["protocol"] == sc.protocol[0].name]
    assert np.array_equal(np.sort(first["patient_id"].to_numpy()), followed)
    assert (on["stream"] == "adult").all() and (off["stream"] == "adult").all()
    # a followed person's outcome does not depend on who else is followed
    same = off[off["patient_id"].isin(followed)].reset_index(drop=True)
    pd.testing.assert_frame_equal(on.reset_index(drop=True), same)


def test_events_carry_the_people_s_own_ids(sc: fupsim.Scenario) -> None:
    outcomes, events = run_replicate(sc, 0, seed=4, patients=600)
    assert events is not None and len(events)
    assert set(events["patient_id"]) <= set(outcomes["patient_id"])


def _small_run(sc: fupsim.Scenario, **over: object) -> fupsim.RunResult:
    return fupsim.run(with_overrides(sc, dict(over)), seed=11, replications=2, patients=1200,
                      workers=1, events=False)  # fmt: skip


def test_pathway_table_counts_everyone_and_costs_the_other_pathways(sc: fupsim.Scenario) -> None:
    r = _small_run(sc, **{"health.background_mortality": False, "analysis.outcome_horizon_years": 3,
                          "harms.ct_dose_msv": 0.0, "harms.false_diagnosis_cost": 0.0})  # fmt: skip
    assert r.pathways is not None
    t = r.pathways.set_index(["pathway", "cause"])
    adults = t.drop(index="infant", level="pathway")["people"].sum()
    assert adults == pytest.approx(1200.0)
    followed = t.xs("follow_up", level="pathway")["people"].sum()
    assert r.summary()["patients"].iloc[0] == pytest.approx(followed)
    other = r.pathways[r.pathways["pathway"].isin(["biliary", "oncology", "treatment"])]
    costs = r.scenario.costs
    # by hand: every person costs the treatment at month 0, and the index CT where done
    assert other["cost"].sum() == pytest.approx(
        costs.early_treatment * other["people"].sum() + costs.ct * other["index_ct"].sum()
    )
    # a cause without health consequences keeps background life: utility 1 for 3 years
    rho = math.log1p(r.scenario.health.discount_rate)
    scar = other[other["cause"] == "inactive_scar"]
    assert np.allclose(scar["qalys_per_person"], (1 - math.exp(-3 * rho)) / rho, rtol=1e-9)


def test_infants_have_their_own_table_and_never_enter_adult_figures(
    sc: fupsim.Scenario,
) -> None:
    r = _small_run(sc, **{"prenatal.screened_per_adult": 60.0})  # about 41 infants a replicate
    assert (r.outcomes["stream"] == "adult").all()
    assert r.infants is not None
    infants = r.infants.set_index("group")
    assert infants.loc["all", "infants"] > 20
    in_pathways = r.pathways[r.pathways["pathway"] == "infant"]["people"].sum()
    assert infants.loc["all", "infants"] == pytest.approx(in_pathways)
    # expected scans: each of the K scheduled scans is attended with probability a
    k = len(infant_months(r.scenario))
    a = r.scenario.attendance.per_visit
    n = infants.loc["all", "infants"] * 2
    se = math.sqrt(k * a * (1 - a) / n)
    assert abs(infants.loc["all", "scans_per_infant"] - k * a) < Z * se


def test_infants_scale_with_the_adults_simulated(sc: fupsim.Scenario) -> None:
    pn = sc.prenatal
    assert pn.pregnancies(1000) == 2000 and pn.pregnancies(5000) == 10_000
    n = [draw_cohort(sc, replicate_streams(1, r), 20_000).stream.sum() for r in range(4)]
    mean = pn.pregnancies(20_000) * pn.fetal_rate
    assert abs(np.mean(n) - mean) < Z * math.sqrt(mean / 4)


def test_poor_outcome_combines_the_flags_as_independent_risks(sc: fupsim.Scenario) -> None:
    streams = replicate_streams(2, 0)
    cohort = draw_cohort(with_overrides(sc, {"prenatal.screened_per_adult": 500.0}), streams, 200)
    p = poor_outcome(sc, cohort)
    o = sc.prenatal.outcomes
    kid = cohort.stream == 1
    both = (
        kid & cohort.associated_anomaly & cohort.abnormal_karyotype & ~cohort.congenital_infection
    )
    assert both.any()
    want = 1 - (1 - o.associated_anomaly) * (1 - o.abnormal_karyotype)
    assert p[both] == pytest.approx(want)
    none = kid & ~(
        cohort.associated_anomaly | cohort.abnormal_karyotype | cohort.congenital_infection
    )
    assert (p[none] == o.isolated).all() and (p[~kid] == 0).all()


def test_subgroup_tables_add_up_to_the_totals(sc: fupsim.Scenario) -> None:
    r = _small_run(sc)
    t = r.by_subgroup()
    total = t[t["subgroup"] == "all"].set_index("protocol")
    for name in ("age_band", "sex", "n_foci", "lobe", "cause"):
        parts = t[t["subgroup"] == name].groupby("protocol")
        for col in ("patients", "screen_detected", "interval_cases", "scans", "cost", "qalys"):
            assert parts[col].sum().reindex(total.index).to_numpy() == pytest.approx(
                total[col].to_numpy()
            ), (name, col)
    ref = r.scenario.analysis.reference_protocol
    assert t.loc[t["protocol"] == ref, "diff_cost_per_patient"].isna().all()
    other = t[(t["protocol"] != ref) & (t["subgroup"] == "all")]
    assert (other["diff_cost_per_patient_lo"] <= other["diff_cost_per_patient"]).all()


def _scalar(sc: fupsim.Scenario) -> fupsim.Scenario:
    """The scenario with one ultrasound sensitivity for every cause (and no uncertainty on one)."""
    data = sc.model_dump(by_alias=True, exclude_none=True)
    data["ultrasound"]["sensitivity_by_cause"] = {}
    data["uncertainty"] = {
        k: v for k, v in data["uncertainty"].items() if "sensitivity_by_cause" not in k
    }
    return scenario_from_dict(data)


def test_cause_specific_sensitivity_at_one_common_value_equals_the_scalar(
    sc: fupsim.Scenario,
) -> None:
    causes = list(sc.cohort.causes)
    base = with_overrides(_scalar(sc), {"ct.sensitivity": 0.9})
    common = with_overrides(
        base,
        {
            "ultrasound.sensitivity_by_cause": {c: sc.ultrasound.sensitivity for c in causes},
            "ct.sensitivity_by_cause": {c: 0.9 for c in causes},
        },
    )
    a, _ = run_replicate(base, 0, seed=5, patients=800, events=False)
    b, _ = run_replicate(common, 0, seed=5, patients=800, events=False)
    pd.testing.assert_frame_equal(a, b)


def test_cause_specific_sensitivity_zero_finds_nothing_of_that_cause(sc: fupsim.Scenario) -> None:
    zero = with_overrides(_scalar(sc), {"ultrasound.sensitivity_by_cause": {"malignant": 0.0},
                               "index_workup.enabled": False})  # fmt: skip
    out, _ = run_replicate(zero, 0, seed=5, patients=3000, events=False)
    assert not out.loc[out["cause"] == "malignant", "screen_detected"].any()
    assert out.loc[out["cause"] != "malignant", "screen_detected"].any()


def _quiet(sc: fupsim.Scenario, **over: object) -> fupsim.Scenario:
    """No change ever begins, no death, perfect attendance: only the schedule and the loss act."""
    data: dict[str, object] = {
        f"natural_history.{c}.progressive_share": 0.0 for c in sc.natural_history
    }
    data |= {"health.background_mortality": False, "attendance.per_visit": 1.0,
             "attendance.jitter_sd_days": 0.0, "index_workup.enabled": False,
             "prenatal.screened_per_adult": 0, "analysis.reference_protocol": None}  # fmt: skip
    return with_overrides(sc, data | dict(over))


@pytest.mark.parametrize("interval", [3.0, 4.5, 6.0, 12.0])
def test_time_based_loss_by_month_36_is_the_same_for_every_interval(
    sc: fupsim.Scenario, interval: float
) -> None:
    yearly = 0.1
    q = _quiet(sc, **{"attendance.loss_basis": "time", "attendance.loss_per_year": yearly,
                      "protocol": [{"name": "p", "interval_months": interval}]})  # fmt: skip
    out, _ = run_replicate(q, 0, seed=8, patients=20_000, events=False)
    k = len(q.protocol[0].visit_months(36))
    reached = (out["n_scans"] == k).mean()  # still followed at the visit at month 36
    want = (1 - yearly) ** 3
    assert abs(reached - want) < Z * math.sqrt(want * (1 - want) / len(out))


def test_visit_based_loss_is_today_s_behaviour(sc: fupsim.Scenario) -> None:
    loss = 0.05
    q = _quiet(sc, **{"attendance.loss_basis": "visit", "attendance.loss_per_visit": loss,
                      "protocol": [{"name": "p", "interval_months": 3.0}]})  # fmt: skip
    out, _ = run_replicate(q, 0, seed=8, patients=20_000, events=False)
    want = (1 - loss) ** 11  # lost after none of the 11 visits before month 36
    got = (out["n_scans"] == 12).mean()
    assert abs(got - want) < Z * math.sqrt(want * (1 - want) / len(out))


def test_a_protocol_s_duration_bounds_its_scans(sc: fupsim.Scenario) -> None:
    q = _quiet(sc, **{"attendance.loss_per_year": 0.0, "ultrasound.specificity": 1.0, "protocol": [
        {"name": "two-years", "interval_months": 3, "duration_months": 24},
        {"name": "three-years", "interval_months": 3}]})  # fmt: skip
    out, _ = run_replicate(q, 0, seed=2, patients=300, events=False)
    by = out.groupby("protocol")
    assert by["n_scans"].max().to_dict() == {"two-years": 8, "three-years": 12}
    assert (by["n_scans"].min() == by["n_scans"].max()).all()
    assert out.loc[out["protocol"] == "two-years", "followup_end_month"].max() <= 24.0


def test_repeat_ultrasound_before_ct_matches_its_closed_form(sc: fupsim.Scenario) -> None:
    spec, completion = 0.9, 0.8
    q = _quiet(sc, **{"ultrasound.specificity": spec, "ct.completion": completion,
                      "ct.workup": "repeat_us_then_ct", "ct.repeat_us_delay_days": 14,
                      "protocol": [{"name": "p", "interval_months": 6}]})  # fmt: skip
    out, _ = run_replicate(q, 0, seed=6, patients=20_000, events=False)
    scans = out["n_scans"].sum()
    p_ct = (1 - spec) ** 2 * completion  # two false positives in a row, then the recall
    assert abs(out["n_ct"].sum() / scans - p_ct) < Z * math.sqrt(p_ct * (1 - p_ct) / scans)
    p_rep = 1 - spec
    assert abs(out["n_repeat_scans"].sum() / scans - p_rep) < Z * math.sqrt(
        p_rep * (1 - p_rep) / scans
    )
    unit = q.costs.ultrasound + q.costs.visit
    assert (out["programme_cost"] >= unit * out["n_repeat_scans"] * 0.9).all()


def test_cause_mix_keeps_its_shares_when_it_depends_on_age(sc: fupsim.Scenario) -> None:
    odds = with_overrides(sc, {"cohort.cause_odds": {"malignant": {"per_decade": 3.0}}})
    cohort = draw_cohort(odds, replicate_streams(9, 0), 200_000)
    adult = cohort.stream == 0
    mal = cohort.cause[adult] == cohort.causes.index("malignant")
    share = sc.cohort.causes["malignant"]
    assert abs(mal.mean() - share) < Z * math.sqrt(share * (1 - share) / adult.sum())
    age = cohort.age_years[adult]
    assert mal[age >= 50].mean() > 2 * mal[age < 35].mean()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"protocol.us-3m.duration_months": 48}, "duration_months"),
        ({"prenatal.follow_up.visits_months": [6, 48]}, "prenatal.follow_up.*horizon_months = 24"),
        ({"ultrasound.sensitivity_by_cause": {"gallstone": 0.5}}, "sensitivity_by_cause.gallstone"),
        ({"ultrasound.sensitivity_by_cause": {"malignant": 1.3}}, "sensitivity_by_cause"),
        ({"attendance.loss_basis": "month"}, "loss_basis"),
        ({"ct.workup": "repeat_us_then_ct", "ct.repeat_us_delay_days": 60}, "repeat_us_delay"),
        ({"cohort.cause_odds": {"gallstone": {"per_decade": 2}}}, "cause_odds.gallstone"),
    ],
)
def test_bad_input_names_the_field(sc: fupsim.Scenario, over: dict, field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        with_overrides(sc, over)


@pytest.mark.parametrize(
    "setting",
    [
        "prenatal.follow_up.visits_months=[6, 48]",
        "index_workup.features.symptomatic.malignant=1.5",
        "index_workup.routes.symptomatic=surgery",
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    out = tmp_path / "run"
    argv = ["run", str(baseline_path), "--out", str(out), "--quiet", "--set", setting]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert all(part in err for part in setting.split("=")[0].split("."))
    assert not out.exists()


def test_pathway_names_are_the_work_up_s() -> None:
    assert PATHWAYS == ("follow_up", "biliary", "oncology", "treatment", "infant")
