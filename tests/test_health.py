"""Health outcomes: closed forms, hand counts and invariants (PARAMETERS.md §7, issue 11)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.experiment import run_replicate
from fupsim.health import BY_CAUSE_COLUMNS, by_cause, effect_columns
from fupsim.metrics import summarise
from fupsim.scenario import scenario_from_dict
from fupsim.validation import (
    analytic_scenario,
    expected_discounted_scan_cost,
    screen_detected_fraction,
    screen_detected_fraction_with_delay,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
NO_HARMS = {
    "harms.false_positive_qaly_loss": 0.0,
    "harms.false_diagnosis_qaly_loss": 0.0,
    "harms.false_diagnosis_cost": 0.0,
    "harms.ct_dose_msv": 0.0,
}


def _vary(sc: fupsim.Scenario, overrides: dict) -> fupsim.Scenario:
    """``sc`` with ``overrides``; blocks it leaves at their defaults stay unset."""
    data = sc.model_dump(by_alias=True, exclude_none=True)
    data.pop("index_workup", None)  # its default names causes an analytic scenario lacks
    return scenario_from_dict(data, overrides)


def _constant_table(tmp_path: Path, hazard: float) -> str:
    q = 1 - math.exp(-hazard)
    path = tmp_path / f"constant_{hazard}.csv"
    path.write_text("age,qx_male,qx_female\n" + "\n".join(f"{a},{q},{q}" for a in range(120)))
    return str(path)


def test_health_switched_off_reproduces_the_model_without_it() -> None:
    """No mortality, no harms, outcomes only to the follow-up horizon: the summary of the model
    before health outcomes existed (stored from that commit), column for column."""
    spec = importlib.util.spec_from_file_location("regenerate", GOLDEN / "regenerate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    got = module.summary(module.NO_HEALTH)
    want = pd.read_csv(GOLDEN / "baseline_small_summary_without_health.csv")
    shared = [c for c in want.columns if c in got.columns]
    assert len(shared) >= len(want.columns) - 2  # only cost_per_screen_detected(_se) was renamed
    pd.testing.assert_frame_equal(
        got[shared], want[shared], check_dtype=False, rtol=1e-9, atol=1e-12
    )


def test_constant_hazard_qalys_are_one_over_mu_plus_rho(tmp_path: Path) -> None:
    """Constant background hazard μ, utility 1, discount r, nobody scanned: E[QALYs] =
    (1 − e^{−(μ+ρ)(120 − a)}) / (μ + ρ), ρ = ln(1 + r) (the table ends at 120)."""
    mu, r, age = 0.04, 0.03, 40.0
    sc = _vary(
        analytic_scenario(patients=20_000),
        {
            **NO_HARMS,
            "health.background_mortality": True,
            "health.life_table": _constant_table(tmp_path, mu),
            "health.discount_rate": r,
            "cohort.age": {"dist": "fixed", "value": age},
            "simulation.horizon_months": 36,
            "natural_history.test.progressive_share": 0.0,
            "protocol": [{"name": "none", "visits_months": []}],
        },
    )
    out = run_replicate(sc, 0, seed=2, patients=20_000, events=False)[0]
    rho = math.log1p(r)
    expect = -math.expm1(-(mu + rho) * (120 - age)) / (mu + rho)
    q = out["qalys"].to_numpy()
    se = q.std(ddof=1) / math.sqrt(q.size)  # only deaths during follow-up are simulated
    assert abs(q.mean() - expect) < 4 * se + 1e-12
    np.testing.assert_allclose(out["life_years"], q)


def test_qaly_gain_of_a_schedule_is_screen_fraction_times_loss_difference() -> None:
    """One cause, exponential sojourn, no mortality, no discounting: every change is diagnosed,
    early with loss q_e or late with q_l, so QALY(schedule) − QALY(none) = P(SD)(q_l − q_e),
    with P(SD) = π(Δ, λ, S) of PARAMETERS.md §4.3."""
    q_early, q_late = 0.03, 0.25
    sc = _vary(
        analytic_scenario(interval_months=3.0, mean_sojourn_months=12.0, sensitivity=0.75),
        {
            **NO_HARMS,
            "health.discount_rate": 0.0,
            "health.test": {"early": {"qaly_loss": q_early}, "late": {"qaly_loss": q_late}},
            "protocol": [
                {"name": "q3", "interval_months": 3.0},
                {"name": "none", "visits_months": []},
            ],
        },
    )
    n = 20_000
    out = run_replicate(sc, 0, seed=7, patients=n, events=False)[0]
    gain = (
        out.loc[out["protocol"] == "q3", "qalys"].mean()
        - out.loc[out["protocol"] == "none", "qalys"].mean()
    )
    pi = screen_detected_fraction(3.0, 12.0, 0.75)
    se = math.sqrt(pi * (1 - pi) / n) * (q_late - q_early)
    assert abs(gain - pi * (q_late - q_early)) < 4 * se
    np.testing.assert_allclose(out["life_years"], 80.0)  # nobody dies before 120: 80 years each


def test_radiation_harm_by_hand() -> None:
    """cancers = n_CT × dose (Sv) × risk per Sv × age factor; age 27.5 lies midway 20–35: 1.15."""
    sc = fupsim.load_scenario(GOLDEN.parents[1] / "scenarios" / "baseline.toml")
    sc = fupsim.with_overrides(sc, {"cohort.age": {"dist": "fixed", "value": 27.5}})
    out = run_replicate(sc, 0, seed=3, patients=3000, events=False)[0]
    adults = out[out["stream"] == "adult"]
    expect = adults["n_ct"] * 0.008 * 0.055 * 1.15
    np.testing.assert_allclose(adults["radiation_cancers"], expect, rtol=1e-12)
    np.testing.assert_allclose(adults["ct_dose_msv"], adults["n_ct"] * 8.0)
    assert adults["radiation_cancers"].sum() > 0


def test_more_false_positives_never_raise_qalys(baseline: fupsim.Scenario) -> None:
    def qalys(spec: float) -> pd.Series:
        sc = fupsim.with_overrides(baseline, {"ultrasound.specificity": spec})
        out = run_replicate(sc, 0, seed=4, patients=4000, events=False)[0]
        return out.groupby("protocol", sort=False)["qalys"].mean()

    good, bad = qalys(0.99), qalys(0.85)
    assert (bad["us-3m"] < good["us-3m"]) and (bad["us-6m"] < good["us-6m"])
    assert bad["no-follow-up"] == good["no-follow-up"]


def test_higher_mortality_removes_presentations(tmp_path: Path, baseline: fupsim.Scenario) -> None:
    def run(mu: float) -> pd.DataFrame:
        sc = fupsim.with_overrides(baseline, {"health.life_table": _constant_table(tmp_path, mu)})
        return run_replicate(sc, 0, seed=6, patients=4000, events=False)[0]

    low, high = run(0.01), run(0.3)
    assert high["interval_case"].sum() < low["interval_case"].sum()
    assert not (high["interval_case"] & ~low["interval_case"]).any()  # same people, later deaths
    assert high["late_presentations"].sum() < low["late_presentations"].sum()
    assert (high["end_reason"] == "death").sum() > (low["end_reason"] == "death").sum() > 0
    dead = high[high["end_reason"] == "death"]
    assert (dead["death_month"] <= baseline.simulation.horizon_months).all()


def test_mortality_off_changes_no_draw(baseline: fupsim.Scenario) -> None:
    """The mortality stream is appended: switching deaths off leaves the rest of the model as it was."""
    off = fupsim.with_overrides(baseline, {"health.background_mortality": False})
    out = run_replicate(off, 0, seed=8, patients=2000, events=False)[0]
    assert out["death_month"].isna().all() and not (out["end_reason"] == "death").any()
    on = run_replicate(baseline, 0, seed=8, patients=2000, events=False)[0]
    pd.testing.assert_series_equal(
        on["onset_month"].where(on["onset_month"] <= 36),
        out["onset_month"].where(on["onset_month"] <= 36),
    )


def test_by_cause_adds_up_to_the_totals(baseline: fupsim.Scenario) -> None:
    result = fupsim.run(baseline, seed=9, replications=2, patients=2000, workers=1, events=False)
    table = by_cause(result.outcomes, baseline.protocol_names)
    summary = result.summary().set_index("protocol")
    sums = table.groupby("protocol", sort=False).sum(numeric_only=True)
    np.testing.assert_allclose(sums["patients"], summary["patients"])
    np.testing.assert_allclose(sums["qalys"] / sums["patients"], summary["qalys_per_patient"])
    np.testing.assert_allclose(
        1000 * sums["screen_detected"] / sums["patients"], summary["screen_detected_per_1000"]
    )
    np.testing.assert_allclose(sums["cost"] / sums["patients"], summary["cost_per_patient"])
    np.testing.assert_allclose(1000 * sums["deaths"] / sums["patients"], summary["deaths_per_1000"])


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("health.baseline_utility=1.5", "health.baseline_utility"),
        ("health.malignant.late.death=1.2", "health.malignant.late.death"),
        (
            "health.malignant.early.utility_multiplier=-0.1",
            "health.malignant.early.utility_multiplier",
        ),
        ("harms.ct_dose_msv=-8", "harms.ct_dose_msv"),
        ("analysis.outcome_horizon_years=2", "analysis.outcome_horizon_years"),
        ("analysis.effect=dalys", "analysis.effect"),
        ("health.life_table=nowhere.csv", "health.life_table"),
    ],
)
def test_bad_health_input_exits_2_naming_the_field(
    setting: str, field: str, baseline_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(baseline_path), "--set", setting]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0]


def test_life_table_with_a_missing_age_exits_2(
    tmp_path: Path, baseline_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(
        "age,qx_male,qx_female\n" + "\n".join(f"{a},0.01,0.01" for a in range(120) if a != 57)
    )
    assert main(["validate", str(baseline_path), "--set", f'health.life_table="{path}"']) == 2
    err = capsys.readouterr().err
    assert "health.life_table" in err and "age 57" in err


def test_run_folder_has_by_cause_csv(baseline_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(baseline_path), "--out", str(out), "--workers", "1"]
    assert main([*args, "--replications", "2", "--patients", "600"]) == 0
    table = pd.read_csv(out / "by_cause.csv")
    summary = pd.read_csv(out / "summary.csv").set_index("protocol")
    assert list(table.columns) == list(BY_CAUSE_COLUMNS)
    total = table.groupby("protocol", sort=False)["qalys"].sum() / summary["patients"]
    np.testing.assert_allclose(total[summary.index], summary["qalys_per_patient"], rtol=1e-9)


def test_new_closed_form_helpers_by_hand() -> None:
    """The formulas behind the validation rows added with this stage, evaluated by hand."""
    pi = screen_detected_fraction(3.0, 12.0, 0.75)
    assert screen_detected_fraction_with_delay(3.0, 12.0, 0.75, 0.0) == pytest.approx(pi)
    lam_d = 30 / (365.25 / 12) / 12.0  # 30 days at λ = 1/12 per month
    assert screen_detected_fraction_with_delay(3.0, 12.0, 0.75, 30.0) == pytest.approx(
        math.exp(-lam_d) * pi
    )
    # two scans at one and two years, attendance 0.5, loss 0.2 after the first, 3% a year
    hand = 0.5 / 1.03 + 0.5 * 0.8 / 1.03**2
    assert expected_discounted_scan_cost([365.25, 730.5], 0.5, 0.2, 0.03) == pytest.approx(hand)


def test_effect_choice_names_existing_columns(baseline: fupsim.Scenario) -> None:
    out = run_replicate(baseline, 0, seed=1, patients=300, events=False)[0]
    summary = summarise(out)
    for effect in ("qaly", "life_years", "screen_detected"):
        sc = fupsim.with_overrides(baseline, {"analysis.effect": effect})
        column, per_protocol, label = effect_columns(sc)
        assert column in out.columns and per_protocol in summary.columns and label


def test_late_diagnosis_with_a_limited_excess_hazard_end_to_end(tmp_path: Path) -> None:
    """Everyone presents at 3 months; constant background hazard μ; the episode kills p, then
    μ + h for 5 years and μ after. With k0 = μ + ρ and k1 = μ + h + ρ, expected life-years are
    (1 − e^{−k0 P})/k0 + e^{−k0 P}(1 − p)[(1 − e^{−5 k1})/k1 + e^{−5 k1}(1 − e^{−k0 T'})/k0],
    T' = 120 − 40 − P − 5, and deaths from the change e^{−μP}[p + (1 − p) h (1 − e^{−5(μ+h)})/(μ+h)]."""
    mu, h, p, r, age, t_p = 0.02, 0.3, 0.1, 0.03, 40.0, 0.25
    sc = _vary(
        analytic_scenario(patients=20_000),
        {
            **NO_HARMS,
            "health.background_mortality": True,
            "health.life_table": _constant_table(tmp_path, mu),
            "health.discount_rate": r,
            "health.test": {
                "late": {"death": p, "excess_hazard_per_year": h, "excess_hazard_years": 5.0}
            },
            "cohort.age": {"dist": "fixed", "value": age},
            "simulation.horizon_months": 36,
            "natural_history.test.onset": {"dist": "fixed", "value": 1.0},
            "natural_history.test.sojourn": {"dist": "fixed", "value": 2.0},
            "protocol": [{"name": "none", "visits_months": []}],
        },
    )
    out = run_replicate(sc, 0, seed=12, patients=20_000, events=False)[0]
    rho = math.log1p(r)
    k0, k1 = mu + rho, mu + h + rho
    rest = 120 - age - t_p - 5
    expect = -math.expm1(-k0 * t_p) / k0 + math.exp(-k0 * t_p) * (1 - p) * (
        -math.expm1(-5 * k1) / k1 + math.exp(-5 * k1) * -math.expm1(-k0 * rest) / k0
    )
    ly = out["life_years"].to_numpy()
    assert abs(ly.mean() - expect) < 4 * ly.std(ddof=1) / math.sqrt(ly.size) + 1e-9
    deaths = math.exp(-mu * t_p) * (p + (1 - p) * h * -math.expm1(-5 * (mu + h)) / (mu + h))
    d = out["change_deaths"].to_numpy()
    assert abs(d.mean() - deaths) < 4 * d.std(ddof=1) / math.sqrt(d.size) + 1e-9
