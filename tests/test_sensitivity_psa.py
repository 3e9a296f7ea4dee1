"""PSA: parameter draws follow their distributions; CEAC and EVPI recomputed by hand from psa.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fupsim
from fupsim.cli import main
from fupsim.sensitivity.psa import draw_overrides, draw_parameters
from fupsim.sensitivity.psa_result import PsaResult


def test_draws_are_reproducible_and_independent_of_their_number(baseline: fupsim.Scenario) -> None:
    five = draw_parameters(baseline, 5, seed=3)
    ten = draw_parameters(baseline, 10, seed=3)
    pd.testing.assert_frame_equal(five, ten.head(5), check_exact=True)
    assert not draw_parameters(baseline, 5, seed=4).equals(five)


def test_draws_follow_their_distributions(baseline: fupsim.Scenario) -> None:
    n = 1500
    draws = draw_parameters(baseline, n, seed=1)
    # Expected moments from scipy (an independent implementation), tolerance 4 standard errors.
    refs = {
        "ultrasound.sensitivity": stats.beta(30, 10),
        "costs.ct": stats.gamma(25, scale=12.0108),
        "natural_history.malignant.onset.mean": stats.lognorm(s=0.5, scale=np.exp(2.4849)),
    }
    for key, ref in refs.items():
        se = ref.std() / np.sqrt(n)
        assert abs(draws[key].mean() - ref.mean()) < 4 * se, key
    alpha = baseline.uncertainty["cohort.causes"].psa.alpha  # type: ignore[union-attr]
    total = sum(alpha.values())
    shares = draws[[f"cohort.causes.{k}" for k in alpha]]
    assert np.allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    for k, a in alpha.items():
        p = a / total
        se = np.sqrt(p * (1 - p) / (total + 1) / n)  # Dirichlet marginal is Beta(a, total - a)
        assert abs(shares[f"cohort.causes.{k}"].mean() - p) < 4 * se, k


def test_draws_become_valid_overrides(baseline: fupsim.Scenario) -> None:
    params = draw_parameters(baseline, 3, seed=2)
    ov = draw_overrides(baseline, params)[1]
    s = fupsim.with_overrides(baseline, ov)
    assert s.ultrasound.sensitivity == params["ultrasound.sensitivity"].iloc[1]
    assert s.cohort.causes["malignant"] == params["cohort.causes.malignant"].iloc[1]


@pytest.fixture(scope="module")
def psa_dir(tmp_path_factory: pytest.TempPathFactory, baseline_path) -> object:
    out = tmp_path_factory.mktemp("psa")
    argv = ["psa", str(baseline_path), "--draws", "24", "--patients", "300", "--replications", "1"]
    assert main([*argv, "--out", str(out), "--workers", "2", "--quiet"]) == 0
    return out


def test_psa_files_and_columns(psa_dir, baseline: fupsim.Scenario) -> None:
    table = pd.read_csv(psa_dir / "psa.csv", float_precision="round_trip")
    assert list(table.columns[:4]) == ["draw", "protocol", "cost_per_patient", "qalys_per_patient"]
    wtps = baseline.analysis.willingness_to_pay
    assert [c for c in table.columns if c.startswith("nmb_")] == [f"nmb_{int(w)}" for w in wtps]
    assert len(table) == 24 * len(baseline.protocol)
    params = draw_parameters(baseline, 24, seed=baseline.simulation.seed)
    for key in ("ultrasound.sensitivity", "cohort.causes.malignant", "costs.late_treatment"):
        per_draw = table.groupby("draw")[key].first().to_numpy()
        assert np.array_equal(per_draw, params[key].to_numpy())
    # Draws differ, so the parameters really reached the simulation.
    assert table[table["protocol"] == "us-3m"]["cost_per_patient"].nunique() == 24
    for name in PsaResult.FILES:
        assert (psa_dir / name).is_file(), name
    for name in PsaResult.FIGURES:
        assert (psa_dir / "figures" / name).is_file(), name
    ev = pd.read_csv(psa_dir / "evppi.csv")
    assert list(ev.columns[:5]) == ["wtp", "group", "evppi_per_person", "se", "population_evppi"]
    assert set(baseline.analysis.parameter_groups) <= set(ev["group"])


def test_ceac_and_evpi_recomputed_by_hand(psa_dir, baseline: fupsim.Scenario) -> None:
    table = pd.read_csv(psa_dir / "psa.csv", float_precision="round_trip")
    ceac = pd.read_csv(psa_dir / "ceac.csv", float_precision="round_trip")
    evpi = pd.read_csv(psa_dir / "evpi.csv", float_precision="round_trip")
    protocols = baseline.protocol_names
    cost = table.pivot(index="draw", columns="protocol", values="cost_per_patient")[protocols]
    effect = table.pivot(index="draw", columns="protocol", values="qalys_per_patient")[protocols]
    cost, effect = cost.to_numpy(), effect.to_numpy()
    wtps = baseline.analysis.willingness_to_pay
    assert set(wtps) <= set(ceac["wtp"].unique())
    assert ceac["wtp"].nunique() >= 50
    for w in wtps:
        nmb = w * effect - cost
        winners = nmb.argmax(axis=1)
        rows = ceac[ceac["wtp"] == w].set_index("protocol")
        for j, p in enumerate(protocols):
            assert rows.loc[p, "probability"] == pytest.approx(np.mean(winners == j), abs=1e-12)
        best_mean = protocols[int(nmb.mean(axis=0).argmax())]
        assert rows.index[rows["on_frontier"]].tolist() == [best_mean]
        expected_evpi = nmb.max(axis=1).mean() - nmb.mean(axis=0).max()
        got = evpi.loc[evpi["wtp"] == w, "evpi_per_person"].iloc[0]
        assert got == pytest.approx(expected_evpi, rel=1e-9, abs=1e-9)


def test_psa_rerun_reuses_every_draw_and_rewrites_identical_tables(psa_dir, baseline_path) -> None:
    before = (psa_dir / "psa.csv").read_bytes(), (psa_dir / "ceac.csv").read_bytes()
    argv = ["psa", str(baseline_path), "--draws", "24", "--patients", "300", "--replications", "1"]
    assert main([*argv, "--out", str(psa_dir), "--workers", "1", "--quiet"]) == 0
    assert ((psa_dir / "psa.csv").read_bytes(), (psa_dir / "ceac.csv").read_bytes()) == before


def test_sweep_effect_is_superseded_by_analysis_effect(baseline: fupsim.Scenario) -> None:
    from fupsim.scenario import ScenarioError
    from fupsim.sensitivity.psa import effect_column

    assert effect_column(baseline) == "qalys_per_patient"
    ly = fupsim.with_overrides(baseline, {"analysis.effect": "life_years"})
    assert effect_column(ly) == "life_years_per_patient"
    old = fupsim.with_overrides(baseline, {"sweep": {"effect": "screen_detected_per_patient"}})
    with pytest.raises(ScenarioError, match="sweep.effect.*superseded by analysis.effect"):
        effect_column(old)
