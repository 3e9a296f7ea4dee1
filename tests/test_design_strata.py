"""Schedule search, strata (issue 14): the index work-up's findings as strata, and the honest
(cross-fitted) gain of a stratified policy against the in-sample one."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.stats import norm

import fupsim
from fupsim.cli import main
from fupsim.cohort import draw_cohort
from fupsim.design import design_spec
from fupsim.design.evaluate import QUANTITIES, Q
from fupsim.design.policy import cross_fitted_gain, stratified_policy
from fupsim.rng import replicate_streams
from fupsim.workup import index_workup, workup_frame

BASELINE = "scenarios/baseline.toml"
SHADOW = "index_workup.routes.intraductal_position=follow_up"  # strong echo with a shadow


def _expected_max_of_normals(k: int) -> float:
    """E[max of k independent standard normals], by quadrature of x · k φ(x) Φ(x)^(k−1)."""
    value, _ = integrate.quad(lambda x: x * k * norm.pdf(x) * norm.cdf(x) ** (k - 1), -12, 12)
    return float(value)


def _identical_strata(rng: np.random.Generator, k: int, units: int, strata: int) -> np.ndarray:
    """Sums ``(k, units, strata, Q)`` where every candidate and stratum has the same true net
    benefit: ``m`` people per cell, cost 0, effect sum N(0, τ²) independent everywhere."""
    cube = np.zeros((k, units, strata, len(QUANTITIES)))
    cube[..., Q["people"]] = M
    cube[..., Q["effect"]] = rng.normal(0.0, TAU, size=(k, units, strata))
    return cube


K, UNITS, STRATA, M, TAU = 6, 20, 3, 100.0, 10.0


def test_honest_gain_is_zero_for_identical_strata_while_in_sample_is_biased_up() -> None:
    """With strata that do not differ, choosing per stratum cannot help. In-sample, Σ_s max_k
    X_ks ≥ max_k Σ_s X_ks always, and for K independent candidates of equal mean the expected
    gain is e_K τ/(√U m) (1 − 1/√S) (e_K the mean of the largest of K standard normals;
    stratum contributions have SD τ/(√U S m), their sum over S strata τ/(√U m √S)). The
    cross-fitted gain is zero in expectation, and its SE covers it."""
    rng = np.random.default_rng(20261202)
    honest, honest_se, in_sample = [], [], []
    names = [type("C", (), {"name": f"c{i}"})() for i in range(K)]
    for _ in range(400):
        cube = _identical_strata(rng, K, UNITS, STRATA)
        row, rows = stratified_policy(
            names, [f"s{s}" for s in range(STRATA)], cube, 1.0, delta=0.01, z_crit=1.645
        )
        # deterministic: a sum of maxima is at least the maximum of sums
        assert row["stratified_gain_in_sample"] >= -1e-12
        honest.append(row["stratified_gain"])
        honest_se.append(row["stratified_gain_se"])
        in_sample.append(row["stratified_gain_in_sample"])
        assert len(rows) == STRATA
    honest_a, se_a, in_a = map(np.asarray, (honest, honest_se, in_sample))
    expected_bias = _expected_max_of_normals(K) * TAU / (math.sqrt(UNITS) * M)
    expected_bias *= 1 - 1 / math.sqrt(STRATA)
    n = len(honest_a)
    # in-sample: positive and at the closed-form bias (tolerance 4 SEs of the mean over datasets)
    assert in_a.mean() > 0
    assert abs(in_a.mean() - expected_bias) < 4 * in_a.std(ddof=1) / math.sqrt(n)
    # honest: zero within 4 SEs of the mean over datasets, and far below the in-sample bias
    assert abs(honest_a.mean()) < 4 * honest_a.std(ddof=1) / math.sqrt(n)
    assert abs(honest_a.mean()) < 0.25 * expected_bias
    # the SE is a conservative bound: each dataset's honest gain is within its own 1.96 SE at
    # least 95% of the time (3 binomial SEs of slack), and the bound is not wildly loose
    covered = float(np.mean(np.abs(honest_a) < 1.96 * se_a))
    assert covered > 0.95 - 3 * math.sqrt(0.95 * 0.05 / n)
    assert honest_a.std(ddof=1) > 0.6 * math.sqrt(np.mean(se_a**2))


def test_honest_gain_finds_a_real_difference() -> None:
    """Two strata that want opposite schedules (candidate 0 best in stratum 0 by +Δ, candidate
    1 in stratum 1 by +Δ, with tiny noise): stratifying gains Δ per person of the stratum, i.e.
    Δ/2 per person of the cohort, in and out of sample."""
    rng = np.random.default_rng(5)
    cube = _identical_strata(rng, 2, 10, 2) * np.array([1.0] * (len(QUANTITIES)))
    cube[..., Q["effect"]] = rng.normal(0.0, 0.01, size=(2, 10, 2))
    delta = 5.0  # effect per person of the stratum
    cube[0, :, 0, Q["effect"]] += delta * M
    cube[1, :, 1, Q["effect"]] += delta * M
    names = [type("C", (), {"name": n})() for n in ("a", "b")]
    row, rows = stratified_policy(names, ["s0", "s1"], cube, 1.0, delta=0.1, z_crit=1.645)
    assert row["stratified_gain"] == pytest.approx(delta / 2, rel=1e-3)
    assert row["stratified_gain_in_sample"] == pytest.approx(delta / 2, rel=1e-3)
    assert row["stratified_recommended"] is True
    assert [r["schedule"] for r in rows] == ["a", "b"]
    assert all(r["halves_agree"] for r in rows)


def test_too_few_units_give_no_honest_gain() -> None:
    cube = _identical_strata(np.random.default_rng(1), 2, 3, 2)
    nb, gain, se, _ = cross_fitted_gain(cube, 1.0)
    assert math.isnan(nb) and math.isnan(gain) and math.isnan(se)


@pytest.fixture(scope="module")
def shadow(tmp_path_factory: pytest.TempPathFactory) -> tuple[fupsim.DesignResult, Path]:
    """The brief's policy: people whose index ultrasound showed an intraductal echo with an
    acoustic shadow get 6-monthly scans, others none (routed to follow-up so they are kept)."""
    sc = fupsim.load_scenario(BASELINE, [SHADOW])
    spec = design_spec(
        families=["regular", "none"],
        intervals_months=[6],
        durations_months=[24],
        stop_after_stable=[],
        strata=["intraductal_position", "index_ct_done"],
        effect="screen_detected",
        refine=False,
    )
    res = fupsim.design(sc, spec, seed=7, replications=2, patients=1500, workers=1, progress=False)
    out = tmp_path_factory.mktemp("shadow") / "design"
    res.write(out)
    return res, out


def test_workup_findings_split_the_followed_people_as_the_workup_frame_does(
    shadow: tuple[fupsim.DesignResult, Path],
) -> None:
    """Stratum shares against a hand count from fupsim.workup.workup_frame (a separate path:
    the cohort's frame, the followed rows by index_pathway, pandas counts)."""
    res, _ = shadow
    sc = fupsim.load_scenario(BASELINE, [SHADOW])
    frames = []
    for r in range(2):
        streams = replicate_streams(7, r)
        cohort = draw_cohort(sc, streams, 1500)
        frame = workup_frame(index_workup(sc, cohort, streams))
        frames.append(frame[frame["index_pathway"] == "follow_up"])
    followed = pd.concat(frames)
    counts = followed.groupby(["intraductal_position", "index_ct_done"]).size()
    expected = {
        f"index US: {'' if us else 'no '}intraductal position | "
        f"{'index CT done' if ct else 'no index CT'}": n / len(followed)
        for (us, ct), n in counts.items()
    }
    assert res.strata is not None
    got = res.strata[res.strata["wtp"] == res.strata["wtp"].iloc[0]]
    assert dict(zip(got["stratum"], got["people_share"], strict=True)) == pytest.approx(expected)
    assert set(got["schedule"]) <= {"q6m-24m", "no-follow-up"}
    best = res.best_by_wtp
    assert (best["stratified_gain_in_sample"] >= -1e-9).all()
    assert best["stratified_gain_se"].gt(0).all()


def test_the_report_names_the_stratified_policy(shadow: tuple[fupsim.DesignResult, Path]) -> None:
    from fupsim.report.sections import design as section

    _, out = shadow
    sentence = str(section.summary_sentence(out))
    assert "stratif" in sentence
    html = str(section.render(out.parent, out.parent / "figures"))
    assert "index US: intraductal position" in html
    assert "out of sample" in html


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ([], "index_workup.routes.intraductal_position"),
        (["--set", "index_workup.enabled=false"], "index_workup.enabled"),
    ],
)
def test_a_finding_that_no_followed_person_has_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], overrides: list[str], setting: str
) -> None:
    out = tmp_path / "d"
    code = main(
        ["design", BASELINE, "--out", str(out), "--patients", "300", "--quiet",
         "--strata", "intraductal_position", *overrides]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "design.strata" in err and setting in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
