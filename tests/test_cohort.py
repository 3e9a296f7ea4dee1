"""Demographics of drawn cohorts against the scenario's stated shares (fixed seeds, 4 SE)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import fupsim
from fupsim.cohort import LOBES, draw_cohort
from fupsim.rng import replicate_streams
from fupsim.scenario import with_overrides

N = 200_000
Z = 4.0  # tolerance in standard errors


def _within(observed: float, p: float, n: int) -> bool:
    return abs(observed - p) <= Z * np.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def big(baseline: fupsim.Scenario):
    sc = with_overrides(baseline, {"prenatal.screened_per_adult": 0})
    return sc, draw_cohort(sc, replicate_streams(11, 0), N)


def test_sex_ratio(big) -> None:
    sc, c = big
    assert _within(c.female.mean(), sc.cohort.female_share, N)


def test_age_band_20_to_50(big) -> None:
    sc, c = big
    a = sc.cohort.age
    ref = stats.truncnorm((a.low - a.mean_) / a.sd, (a.high - a.mean_) / a.sd, a.mean_, a.sd)
    p = ref.cdf(50) - ref.cdf(20)
    share = ((c.age_years >= 20) & (c.age_years <= 50)).mean()
    assert _within(share, p, N)
    assert p > 0.7  # 'mostly 20-50'
    assert c.age_years.min() >= 18 and c.age_years.max() <= 85


def test_lobe_shares(big) -> None:
    sc, c = big
    for code, name in enumerate(LOBES):
        assert _within((c.lobe == code).mean(), getattr(sc.cohort.lobe, name), N)


def test_cause_shares(big) -> None:
    sc, c = big
    for name, share in sc.cohort.causes.items():
        code = c.causes.index(name)
        assert _within((c.cause == code).mean(), share, N)


def test_cause_order_in_the_file_does_not_change_the_people(baseline: fupsim.Scenario) -> None:
    shuffled = dict(reversed(list(baseline.cohort.causes.items())))
    other = with_overrides(baseline, {"cohort.causes": shuffled})
    assert list(other.cohort.causes) != list(baseline.cohort.causes)
    a = draw_cohort(baseline, replicate_streams(3, 0), 2000)
    b = draw_cohort(other, replicate_streams(3, 0), 2000)
    np.testing.assert_array_equal(np.array(a.causes)[a.cause], np.array(b.causes)[b.cause])


def test_foci(big) -> None:
    sc, c = big
    multiple = c.n_foci > 1
    assert _within(multiple.mean(), sc.cohort.multiple_foci_share, N)
    # among multiple foci: 2 + Poisson(mean - 2), so the mean is multiple_foci_mean, variance mean - 2
    m = c.n_foci[multiple]
    lam = sc.cohort.multiple_foci_mean - 2
    assert abs(m.mean() - sc.cohort.multiple_foci_mean) <= Z * np.sqrt(lam / m.size)


def test_prenatal_stream_rate_and_flags(baseline: fupsim.Scenario) -> None:
    screened = 5_000_000
    sc = with_overrides(baseline, {"prenatal.screened_per_adult": screened / 10})
    c = draw_cohort(sc, replicate_streams(5, 0), 10)
    pre = c.stream == 1
    k = int(pre.sum())
    mean, sd = screened * 0.00057, np.sqrt(screened * 0.00057 * (1 - 0.00057))
    assert abs(k - mean) <= Z * sd
    assert set(np.array(c.causes)[c.cause[pre]]) == {"congenital"}
    assert (c.age_years[pre] == 0).all()
    assert _within(c.associated_anomaly[pre].mean(), sc.prenatal.associated_anomaly, k)
    iso = pre & ~c.associated_anomaly
    assert _within(
        c.abnormal_karyotype[iso].mean(), sc.prenatal.karyotype_if_isolated, int(iso.sum())
    )
    assert not c.associated_anomaly[~pre].any()


def test_cohort_frame_columns(baseline: fupsim.Scenario) -> None:
    frame = draw_cohort(baseline, replicate_streams(1, 0), 500).to_frame()
    for col in ["patient_id", "stream", "age_years", "sex", "lobe", "n_foci", "cause"]:
        assert col in frame.columns
    assert set(frame["stream"].astype(str)) <= {"adult", "prenatal"}
    assert set(frame["sex"].astype(str)) == {"female", "male"}
    assert set(frame["lobe"].astype(str)) <= {"right", "left", "both"}
    assert frame["patient_id"].is_unique


def test_same_seed_same_people_other_seed_other_people(baseline: fupsim.Scenario) -> None:
    a = draw_cohort(baseline, replicate_streams(1, 0), 1000)
    b = draw_cohort(baseline, replicate_streams(1, 0), 1000)
    c = draw_cohort(baseline, replicate_streams(2, 0), 1000)
    d = draw_cohort(baseline, replicate_streams(1, 1), 1000)
    np.testing.assert_array_equal(a.age_years, b.age_years)
    assert not np.array_equal(a.age_years, c.age_years)
    assert not np.array_equal(a.age_years, d.age_years)
