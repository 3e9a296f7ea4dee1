"""Tests of the paired comparison (fupsim.paired, fupsim.stats) and time to detection
(fupsim.survival), each against an independent route: scipy, lifelines, statsmodels OLS,
or a hand count."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy import stats as sps

import fupsim
from fupsim.scenario import ScenarioError
from fupsim.statistics.compare import OUTPUT_FILES, gee_model, noninferiority
from fupsim.statistics.paired import HEALTH_METRICS, METRICS, align, contrast_table, to_halve
from fupsim.statistics.survival import NEEDED, detection_curves, detection_times, logrank

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = list(dict.fromkeys([c for _, c, _, _ in METRICS] + list(NEEDED) + ["n_missed"]))


@pytest.fixture(scope="module")
def result() -> fupsim.RunResult:
    scenario = fupsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    return fupsim.run(scenario, seed=7, replications=2, patients=4000, workers=1, events=False)


@pytest.fixture(scope="module")
def paired(result: fupsim.RunResult):  # type: ignore[no-untyped-def]
    return align(result.outcomes, ["us-3m", "us-4.5m", "us-6m", "no-follow-up"], COLUMNS)


@pytest.fixture(scope="module")
def comparison(result: fupsim.RunResult) -> fupsim.Comparison:
    return fupsim.compare(result)


def arm(result: fupsim.RunResult, protocol: str, column: str) -> np.ndarray:
    """One protocol's column in (replicate, patient_id) order, by pandas (not by align)."""
    o = result.outcomes
    return o[o["protocol"] == protocol].sort_values(["replicate", "patient_id"])[column].to_numpy()


def row(table: pd.DataFrame, comparison: str, metric: str) -> pd.Series:
    hit = table[(table["comparison"] == comparison) & (table["metric"] == metric)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.mark.parametrize(
    ("metric", "column", "scale"),
    [
        ("cost_per_patient", "cost", 1.0),
        ("scans_per_patient", "n_scans", 1.0),
        ("screen_detected_per_1000", "screen_detected", 1000.0),
    ],
)
def test_paired_interval_matches_scipy_and_is_narrower_than_unpaired(
    result: fupsim.RunResult, comparison: fupsim.Comparison, metric: str, column: str, scale: float
) -> None:
    a = arm(result, "us-6m", column).astype(float) * scale
    b = arm(result, "us-3m", column).astype(float) * scale
    got = row(comparison.table, "us-6m vs us-3m", metric)
    rel = sps.ttest_rel(a, b)
    ci = rel.confidence_interval(0.95)
    assert got["estimate"] == pytest.approx(a.mean() - b.mean(), rel=1e-9)
    assert got["ci_low"] == pytest.approx(ci.low, rel=1e-9)
    assert got["ci_high"] == pytest.approx(ci.high, rel=1e-9)
    if metric != "screen_detected_per_1000":  # binary metrics take McNemar's p-value instead
        assert got["p_value"] == pytest.approx(rel.pvalue, rel=1e-6, abs=1e-300)
    unpaired = sps.ttest_ind(a, b).confidence_interval(0.95)
    assert got["ci_high"] - got["ci_low"] < 0.9 * (unpaired.high - unpaired.low)


def test_mcnemar_against_hand_counts() -> None:
    # 7 pairs detected only under A, 2 only under B, 5 under both, 86 under neither.
    a = np.array([1] * 7 + [0] * 2 + [1] * 5 + [0] * 86, dtype=bool)
    b = np.array([0] * 7 + [1] * 2 + [1] * 5 + [0] * 86, dtype=bool)
    outcomes = _two_arm_frame(a, b)
    p = align(outcomes, ["B", "A"], ["screen_detected", *COLUMNS[1:]])
    got = row(contrast_table(p, [("A", "B")]), "A vs B", "screen_detected_per_1000")
    # exact McNemar: 2 * P(X <= 2), X ~ Binomial(9, 1/2) = 2 * (1 + 9 + 36) / 512
    assert got["p_value"] == pytest.approx(2 * 46 / 512)
    assert got["estimate"] == pytest.approx(1000 * (7 - 2) / 100)
    assert (got["discordant_a_only"], got["discordant_b_only"]) == (7, 2)
    # 40 vs 10 discordant pairs: chi-square with continuity correction (|40-10|-1)^2/50
    a = np.array([1] * 40 + [0] * 10 + [0] * 50, dtype=bool)
    b = np.array([0] * 40 + [1] * 10 + [0] * 50, dtype=bool)
    p = align(_two_arm_frame(a, b), ["B", "A"], ["screen_detected", *COLUMNS[1:]])
    got = row(contrast_table(p, [("A", "B")]), "A vs B", "screen_detected_per_1000")
    assert got["p_value"] == pytest.approx(sps.chi2.sf(29**2 / 50, 1))
    assert "chi-square" in got["method"]


def _two_arm_frame(a: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    """Outcomes of protocols A and B for len(a) patients in one replicate (other columns 0)."""
    n = len(a)
    parts = []
    for name, y in (("A", a), ("B", b)):
        part = pd.DataFrame({c: np.zeros(n) for c in COLUMNS})
        part["screen_detected"] = y
        part["delay_months"] = np.where(y, 1.0, np.nan)
        part["replicate"], part["protocol"], part["patient_id"] = 0, name, np.arange(n)
        parts.append(part)
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=3)


def test_holm_adjustment_by_formula(comparison: fupsim.Comparison) -> None:
    t = comparison.table
    for _, g in t.groupby("metric"):
        p = g["p_value"].to_numpy()
        order = np.argsort(p)
        m = len(p)
        holm = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
        expected = np.empty(m)
        expected[order] = holm
        np.testing.assert_allclose(g["p_adjusted"].to_numpy(), expected, rtol=1e-12)


def test_holm_matches_statsmodels_with_ties_and_clipping() -> None:
    from statsmodels.stats.multitest import multipletests

    from fupsim.statistics.paired import holm

    rng = np.random.default_rng(11)
    for m in (1, 2, 7, 40):
        p = rng.uniform(0.0, 0.6, m)
        p[: m // 3] = p[0]  # ties
        np.testing.assert_array_equal(holm(p), multipletests(p, method="holm")[1])
    np.testing.assert_array_equal(holm(np.array([0.7, 0.6])), [1.0, 1.0])  # 2 x 0.6 > 1


def test_delay_contrast_matches_cluster_robust_ols(
    result: fupsim.RunResult, comparison: fupsim.Comparison
) -> None:
    ya, yb = arm(result, "us-6m", "delay_months"), arm(result, "us-3m", "delay_months")
    ids = np.arange(len(ya))
    ok_a, ok_b = np.isfinite(ya), np.isfinite(yb)
    y = np.concatenate([ya[ok_a], yb[ok_b]])
    x = sm.add_constant(np.concatenate([np.ones(ok_a.sum()), np.zeros(ok_b.sum())]))
    groups = np.concatenate([ids[ok_a], ids[ok_b]])
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    got = row(comparison.table, "us-6m vs us-3m", "mean_delay_months")
    assert got["estimate"] == pytest.approx(fit.params[1], rel=1e-9)
    assert got["se"] == pytest.approx(fit.bse[1], rel=1e-3)  # ddof 1 vs 0 over ~8,000 pairs


def test_noninferiority_against_scipy(result: fupsim.RunResult) -> None:
    p = align(result.outcomes, ["us-3m", "us-6m"], COLUMNS)
    d = 1000 * (
        arm(result, "us-6m", "screen_detected") * 1.0 - arm(result, "us-3m", "screen_detected")
    )
    for margin in (0.0, 5.0, 1000.0):
        got = noninferiority(p, "us-3m", ["us-6m"], margin).iloc[0]
        test = sps.ttest_1samp(d, popmean=-margin, alternative="greater")
        assert got["p_value"] == pytest.approx(test.pvalue, rel=1e-6, abs=1e-300)
        lower = sps.ttest_1samp(d, popmean=0.0).confidence_interval(0.95).low
        assert got["lower_bound"] == pytest.approx(lower, rel=1e-9)
        assert (got["conclusion"] == "non-inferior") == (lower > -margin)
    assert noninferiority(p, "us-3m", ["us-6m"], 1000.0).iloc[0]["conclusion"] == "non-inferior"


def test_gee_coefficients_are_risk_differences_with_paired_se(paired, result) -> None:  # type: ignore[no-untyped-def]
    text, coef = gee_model(paired)
    ref = arm(result, "us-3m", "screen_detected").astype(float)
    six = arm(result, "us-6m", "screen_detected").astype(float)
    c = coef.set_index("term")
    assert c.loc["Intercept", "estimate_per_1000"] == pytest.approx(1000 * ref.mean(), rel=1e-6)
    assert c.loc["protocol[us-6m]", "estimate_per_1000"] == pytest.approx(
        1000 * (six.mean() - ref.mean()), rel=1e-6
    )
    paired_se = 1000 * (six - ref).std(ddof=0) / math.sqrt(len(ref))
    assert c.loc["protocol[us-6m]", "se_per_1000"] == pytest.approx(paired_se, rel=1e-3)
    assert "exchangeable" in text and "Joint Wald test" in text
    sub_text, _ = gee_model(paired, max_patients=500, seed=1)
    assert "random subsample of 500" in sub_text


def test_align_refuses_unpaired_outcomes(result: fupsim.RunResult) -> None:
    o = result.outcomes
    broken = o[~((o["protocol"] == "us-6m") & (o["patient_id"] == 3))]
    with pytest.raises(ScenarioError, match="same \\(replicate, patient_id\\) pairs"):
        align(broken, ["us-3m", "us-6m"], COLUMNS)
    with pytest.raises(ScenarioError, match="no rows for protocol"):
        align(o, ["us-3m", "us-2m"], COLUMNS)


def test_to_halve_quadruples_large_samples_and_solves_small_ones() -> None:
    assert to_halve(1_000_000) == pytest.approx(4_000_000, rel=1e-4)
    m = to_halve(10)  # t quantile shrinks too, so fewer than 40 are needed
    width = lambda k: sps.t.ppf(0.975, k - 1) / math.sqrt(k)  # noqa: E731
    assert width(m) <= 0.5 * width(10) < width(m - 1)
    assert m < 40


def hand_arm(times: list[float], status: list[int], last_scan: float) -> pd.DataFrame:
    """An arm whose changes all begin at month 0; status 0 = lost after the last scan."""
    t, s = np.array(times), np.array(status)
    return pd.DataFrame(
        {
            "progressive": True,
            "onset_month": 0.0,
            "presentation_month": np.where(s == 2, t, np.inf),
            "screen_detected": s == 1,
            "interval_case": s == 2,
            "detection_month": np.where(s == 1, t, np.nan),
            "last_scan_month": last_scan,
            "end_reason": np.where(s == 0, "lost_to_follow_up", "horizon"),
        }
    )


def test_curves_by_hand() -> None:
    # times 1..5, endings detected, presented, detected, lost (last scan month 4), detected.
    # Aalen-Johansen: F1 = 1/5 at 1; S = .8 then .6 after the presentation at 2; F1 += .6/3
    # at 3 -> .4; S = .4; the loss at 4 leaves one at risk; F1 += .4 at 5 -> .8.
    # Kaplan-Meier (presentation censored): 1 - S = .2, then 1 - .8 * 2/3, then 1.
    a = hand_arm([1, 2, 3, 4, 5], [1, 2, 1, 0, 1], last_scan=4.0)
    curves = detection_curves({"p": a}, horizon_months=10, points=11)
    aj = curves[curves["estimator"] == "cumulative-incidence"]["cumulative_detection"].to_numpy()
    np.testing.assert_allclose(aj, [0, 0.2, 0.2, 0.4, 0.4, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    km = curves[curves["estimator"] == "kaplan-meier"]["cumulative_detection"].to_numpy()
    np.testing.assert_allclose(
        km[[0, 1, 2, 3, 4, 5, 9]], [0, 0.2, 0.2, 1 - 0.8 * 2 / 3, 1 - 0.8 * 2 / 3, 1, 1]
    )
    assert (curves["ci_low"] <= curves["cumulative_detection"] + 1e-12).all()
    assert (curves["ci_high"] >= curves["cumulative_detection"] - 1e-12).all()


def test_detection_times_censor_loss_at_last_scan_and_others_at_horizon() -> None:
    a = hand_arm([5.0, 7.0, 9.0, 1.0], [0, 0, 1, 0], last_scan=3.0)
    a["onset_month"] = [1.0, 2.0, 1.0, 5.0]
    a.loc[1, "end_reason"] = "horizon"
    time, status = detection_times(a, horizon_months=36.0)
    # lost: 3 - 1 = 2; followed to horizon: 36 - 2 = 34; detected: 9 - 1 = 8; lost before
    # the change began (3 - 5 < 0): left out.
    np.testing.assert_allclose(time, [2.0, 34.0, 8.0])
    np.testing.assert_array_equal(status, [0, 0, 1])


def test_kaplan_meier_and_logrank_match_lifelines(result: fupsim.RunResult) -> None:
    horizon = result.scenario.simulation.horizon_months
    arms = {
        name: g.sort_values(["replicate", "patient_id"])
        for name, g in result.outcomes.groupby("protocol", sort=False)
        if name in ("us-3m", "us-6m")
    }
    curves = detection_curves(arms, horizon, points=37)
    t6, s6 = detection_times(arms["us-6m"], horizon)
    kmf = KaplanMeierFitter().fit(t6, s6 == 1)
    grid = np.linspace(0, horizon, 37)
    ours = curves[(curves["protocol"] == "us-6m") & (curves["estimator"] == "kaplan-meier")]
    np.testing.assert_allclose(
        ours["cumulative_detection"],
        1 - kmf.survival_function_at_times(grid).to_numpy(),
        atol=1e-10,
    )
    ci = kmf.confidence_interval_survival_function_
    idx = np.searchsorted(ci.index.to_numpy(), grid, side="right") - 1
    lo = 1 - ci.iloc[:, 1].to_numpy()[idx]
    hi = 1 - ci.iloc[:, 0].to_numpy()[idx]
    np.testing.assert_allclose(ours["ci_low"], lo, atol=1e-6)
    np.testing.assert_allclose(ours["ci_high"], hi, atol=1e-6)
    t3, s3 = detection_times(arms["us-3m"], horizon)
    ref = logrank_test(t6, t3, event_observed_A=s6 == 1, event_observed_B=s3 == 1)
    got = logrank(arms, horizon, "us-3m").set_index("comparison").loc["us-6m vs us-3m"]
    assert got["statistic"] == pytest.approx(ref.test_statistic, rel=1e-6)
    assert got["p_value"] == pytest.approx(ref.p_value, rel=1e-6, abs=1e-300)


def test_compare_tables_and_files(
    result: fupsim.RunResult, comparison: fupsim.Comparison, tmp_path: Path
) -> None:
    t = comparison.table
    k = len(result.scenario.protocol_names)
    health = [m for m in HEALTH_METRICS if m[1] in result.outcomes.columns]
    assert len(t) == (len(METRICS) + len(health)) * k * (k - 1) // 2  # every pair, every metric
    assert set(t["comparison"]) >= {"us-6m vs us-3m", "no-follow-up vs us-6m"}
    for col in (
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "method",
        "se_replicates",
    ):
        assert col in t.columns
    assert set(comparison.noninferiority["comparison"]) >= {
        "us-4.5m vs us-3m",
        "us-6m vs us-3m",
        "no-follow-up vs us-3m",
    }
    icer = comparison.icer.set_index("protocol")
    assert icer.loc["no-follow-up", "status"] == "frontier"  # cheapest
    assert icer["currency"].iloc[0] == "USD 2026"
    assert f"nmb_{int(result.scenario.analysis.willingness_to_pay[0])}" in icer.columns
    summary = result.summary().set_index("protocol")
    assert icer.loc["us-6m", "cost_per_patient"] == pytest.approx(
        summary.loc["us-6m", "cost_per_patient"]
    )
    (tmp_path / "keep.txt").write_text("mine")
    comparison.write(tmp_path)
    assert {f.name for f in tmp_path.iterdir()} == {*OUTPUT_FILES, "keep.txt"}
    back = pd.read_csv(tmp_path / "comparison.csv")
    assert list(back.columns) == list(t.columns)
    assert "us-6m vs us-3m" in comparison.summary().columns
    assert "halving it needs about" in comparison.widest().lower()


def test_replicate_level_intervals_match_scipy_on_replicate_means(
    result: fupsim.RunResult, paired
) -> None:  # type: ignore[no-untyped-def]
    # With a shared service the replicate is the independent unit: the interval is a
    # one-sample t over the replicate means of the paired differences.
    o = result.outcomes
    a = o[o["protocol"] == "us-6m"].groupby("replicate")["cost"].mean()
    b = o[o["protocol"] == "us-3m"].groupby("replicate")["cost"].mean()
    ci = sps.ttest_1samp(a - b, 0.0).confidence_interval(0.95)
    table = contrast_table(paired, [("us-6m", "us-3m")], by_replicate=True)
    got = row(table, "us-6m vs us-3m", "cost_per_patient")
    # the centre is the pooled mean over patients (replicates differ slightly in size); the
    # half-width is scipy's
    pooled = arm(result, "us-6m", "cost").mean() - arm(result, "us-3m", "cost").mean()
    assert got["estimate"] == pytest.approx(pooled, rel=1e-9)
    half = (ci.high - ci.low) / 2
    assert got["ci_high"] - got["estimate"] == pytest.approx(half, rel=1e-9)
    assert got["estimate"] - got["ci_low"] == pytest.approx(half, rel=1e-9)
    assert "replicate means" in got["method"]
    assert got["patients_to_halve_ci"] == 4 * round(paired.n / paired.replicates)
    d = 1000 * (
        arm(result, "us-6m", "screen_detected") - arm(result, "us-3m", "screen_detected") * 1.0
    )
    rep_means = (
        pd.Series(d).groupby(np.sort(o[o["protocol"] == "us-3m"]["replicate"].to_numpy())).mean()
    )
    ni = noninferiority(paired, "us-3m", ["us-6m"], 5.0, by_replicate=True).iloc[0]
    se = rep_means.std(ddof=1) / math.sqrt(len(rep_means))
    expected = sps.t.sf((d.mean() + 5.0) / se, len(rep_means) - 1)
    assert ni["p_value"] == pytest.approx(expected, rel=1e-9)


def test_single_protocol_run_compares_without_contrasts() -> None:
    base = fupsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    one = fupsim.with_overrides(base, {"protocol": [{"name": "us-3m", "interval_months": 3}]})
    c = fupsim.compare(
        fupsim.run(one, seed=3, replications=2, patients=300, workers=1, events=False)
    )
    assert c.table.empty and "ci_low" in c.table.columns
    assert c.noninferiority.empty and c.logrank.empty
    assert list(c.icer["status"]) == ["frontier"]
    assert c.widest() == "No interval to halve."
    assert "not fitted" in c.models_text


def test_identical_arms_give_zero_difference_and_p_one() -> None:
    y = np.array([1] * 6 + [0] * 44, dtype=bool)
    p = align(_two_arm_frame(y, y.copy()), ["B", "A"], ["screen_detected", *COLUMNS[1:]])
    got = row(contrast_table(p, [("A", "B")]), "A vs B", "screen_detected_per_1000")
    assert (got["estimate"], got["ci_low"], got["ci_high"], got["p_value"]) == (0.0, 0.0, 0.0, 1.0)
    assert "no discordant pairs" in got["method"]


def test_protocol_rates_match_hand_wilson_and_exact_intervals() -> None:
    from scipy import stats as sps

    from fupsim.statistics.rates import protocol_rates

    # 7 events in 400 people under "a", none in 400 under "b"
    outcomes = pd.DataFrame(
        {
            "protocol": ["a"] * 400 + ["b"] * 400,
            "screen_detected": [True] * 7 + [False] * 793,
            "interval_case": False,
            "undetected_at_horizon": False,
            "false_diagnosis": False,
            "progressive": True,
        }
    )
    got = protocol_rates(outcomes, ["a", "b"]).set_index(["protocol", "metric"])
    row = got.loc[("a", "screen_detected_per_1000")]
    k, n, z = 7, 400, sps.norm.ppf(0.975)
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4)
    assert row["rate_per_1000"] == pytest.approx(17.5)
    assert row["wilson_low_per_1000"] == pytest.approx(1000 * (centre - half))
    assert row["wilson_high_per_1000"] == pytest.approx(1000 * (centre + half))
    assert row["exact_low_per_1000"] == pytest.approx(1000 * sps.beta.ppf(0.025, k, n - k + 1))
    assert row["exact_high_per_1000"] == pytest.approx(1000 * sps.beta.ppf(0.975, k + 1, n - k))
    zero = got.loc[("b", "screen_detected_per_1000")]
    assert zero["exact_low_per_1000"] == 0
    assert zero["exact_high_per_1000"] == pytest.approx(1000 * (1 - 0.025 ** (1 / n)))
    assert got.loc[("a", "progressive_per_1000"), "rate_per_1000"] == 1000
