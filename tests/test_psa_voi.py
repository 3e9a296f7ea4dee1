"""PSA decision tables recomputed by hand from a small psa.csv; provenance flags; bad input."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.output import manifest
from fupsim.sensitivity.psa_result import PsaResult, icer_interval, load_psa, psa_outputs

# 6 draws x 3 protocols, costs (USD) and QALYs per person chosen by hand.
COST = np.array(
    [
        [100, 301, 420],
        [110, 280, 500],
        [90, 331, 380],
        [105, 290, 460],
        [95, 310, 400],
        [100, 300, 450],
    ],
    dtype=float,
)
QALY = np.array(
    [
        [10.000, 10.010, 10.012],
        [10.000, 10.004, 10.015],
        [10.000, 10.012, 10.011],
        [10.000, 10.006, 10.009],
        [10.000, 10.009, 10.016],
        [10.000, 10.008, 10.010],
    ],
)
NAMES = ["none", "yearly", "half-yearly"]
WTP = [0.0, 20_000.0, 50_000.0]


def small_table() -> pd.DataFrame:
    rows = [
        {
            "draw": d,
            "protocol": p,
            "cost_per_patient": COST[d, j],
            "qalys_per_patient": QALY[d, j],
            "theta": float(d),
        }
        for d in range(6)
        for j, p in enumerate(NAMES)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def outputs() -> dict[str, pd.DataFrame]:
    return psa_outputs(
        small_table(),
        effect="qalys_per_patient",
        decision_wtp=WTP,
        curve_wtp_values=WTP,
        population=1000 + 1000 / 1.03 + 1000 / 1.03**2,  # 1,000 a year for 3 years at 3 %
        no_follow_up=["none"],
    )


def _nb(w: float) -> np.ndarray:
    return w * QALY - COST  # (draws, options)


def test_ceaf_and_expected_loss_by_hand(outputs) -> None:
    ceaf = outputs["ceaf.csv"].set_index("wtp")
    loss = outputs["expected_loss.csv"]
    for w in WTP:
        nb = _nb(w)
        means = [sum(nb[d, j] for d in range(6)) / 6 for j in range(3)]
        best = max(range(3), key=lambda j: means[j])
        wins = sum(1 for d in range(6) if max(range(3), key=lambda j: nb[d, j]) == best)
        assert ceaf.loc[w, "protocol"] == NAMES[best]
        assert ceaf.loc[w, "probability"] == pytest.approx(wins / 6)
        for j, p in enumerate(NAMES):
            by_hand = sum(max(nb[d]) - nb[d, j] for d in range(6)) / 6
            got = loss[(loss["wtp"] == w) & (loss["protocol"] == p)]["expected_loss"].item()
            assert got == pytest.approx(by_hand, rel=1e-12, abs=1e-9)


def test_decision_table_and_population_evpi_by_hand(outputs) -> None:
    dec = outputs["decision.csv"].set_index("wtp")
    assert list(outputs["decision.csv"].columns[:8]) == [
        "wtp",
        "best_protocol",
        "probability_cost_effective",
        "expected_net_benefit",
        "net_benefit_p2_5",
        "net_benefit_p97_5",
        "evpi_per_person",
        "population_evpi",
    ]
    people = 1000 * (1 + 1 / 1.03 + 1 / 1.03**2)
    for w in WTP:
        nb = _nb(w)
        best = int(np.argmax(nb.mean(axis=0)))
        evpi = np.mean([max(row) for row in nb]) - max(nb.mean(axis=0))
        row = dec.loc[w]
        assert row["best_protocol"] == NAMES[best]
        assert row["expected_net_benefit"] == pytest.approx(nb[:, best].mean())
        # numpy's linear percentile of the chosen protocol's net benefit over draws
        lo, hi = np.percentile(nb[:, best], [2.5, 97.5])
        assert (row["net_benefit_p2_5"], row["net_benefit_p97_5"]) == pytest.approx((lo, hi))
        assert row["evpi_per_person"] == pytest.approx(evpi, abs=1e-9)
        assert row["population_evpi"] == pytest.approx(evpi * people, abs=1e-6)
        ev = outputs["evpi.csv"].set_index("wtp").loc[w, "evpi_per_person"]
        assert ev == pytest.approx(evpi, abs=1e-9)
        # and the preferred protocol's incremental net benefit against no follow-up ("none",
        # the protocol without scans: no reference protocol is set)
        inb = nb[:, best] - nb[:, 0]
        assert row["comparator"] == "none"
        assert row["incremental_net_benefit"] == pytest.approx(inb.mean(), abs=1e-9)
        assert (row["incremental_net_benefit_p2_5"], row["incremental_net_benefit_p97_5"]) == (
            pytest.approx(tuple(np.percentile(inb, [2.5, 97.5])), abs=1e-9)
        )


def test_icer_interval_is_the_ratio_percentile_when_every_gain_is_positive() -> None:
    rng = np.random.default_rng(5)
    de = rng.uniform(0.001, 0.02, 400)
    dc = rng.normal(300, 80, 400)
    lo, hi = icer_interval(dc, de)
    ratios = dc / de
    ref = np.percentile(ratios[ratios >= 0], [2.5, 97.5], method="inverted_cdf")
    # share of all draws below λ: the negative ratios (cost-saving) count as accepted at λ = 0
    neg = (ratios < 0).mean()
    ref = np.percentile(ratios, [2.5, 97.5], method="inverted_cdf")
    assert lo == pytest.approx(max(ref[0], 0.0)) and hi == pytest.approx(ref[1])
    assert neg < 0.01


def test_frontier_psa_steps(outputs) -> None:
    front = outputs["frontier_psa.csv"].set_index("protocol")
    mean_c, mean_e = COST.mean(axis=0), QALY.mean(axis=0)
    # yearly against none: mean ICER by hand
    icer = (mean_c[1] - mean_c[0]) / (mean_e[1] - mean_e[0])
    assert front.loc["yearly", "icer"] == pytest.approx(icer)
    assert front.loc["yearly", "icer_p2_5"] <= icer <= front.loc["yearly", "icer_p97_5"]


def _run_manifest(folder: Path, scenario: fupsim.Scenario, seed: int) -> None:
    import json

    rec = manifest(
        "run", scenario.resolved(), seed=seed, sizes={"replications": 2, "patients": 500}
    )
    (folder / "manifest.json").write_text(json.dumps(rec))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.classes += [v or "" for k, v in attrs if k == "class"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _psa_folder(tmp_path: Path, scenario: fupsim.Scenario) -> Path:
    tables = psa_outputs(small_table(), effect="qalys_per_patient", decision_wtp=WTP)
    rec = manifest(
        "psa",
        scenario.resolved(),
        seed=7,
        sizes={"draws": 6, "replications_per_point": 1, "patients_per_point": 500},
    )
    rec.update(
        currency="USD",
        reference_wtp=20_000.0,
        protocols=NAMES,
        effect="qalys_per_patient",
        reference_protocol="none",
    )
    res = PsaResult(table=small_table(), tables=tables, effect="qalys_per_patient", manifest=rec)
    out = tmp_path / "report"
    res.write(out)
    return out


def test_mismatched_psa_is_flagged(tmp_path: Path, baseline: fupsim.Scenario) -> None:
    from fupsim.report.sections import uncertainty

    out = _psa_folder(tmp_path, baseline)
    assert load_psa(out).decision.equals(pd.read_csv(out / "decision.csv"))
    other = fupsim.with_overrides(baseline, {"ultrasound.specificity": 0.9})
    _run_manifest(out, other, seed=7)
    parsed = _Text()
    parsed.feed(str(uncertainty.render(out, tmp_path / "figs")))
    assert any("mismatch" in c for c in parsed.classes)
    assert "Mismatched result" in "".join(parsed.text)
    # the same scenario and seed: no flag
    _run_manifest(out, baseline, seed=7)
    parsed = _Text()
    parsed.feed(str(uncertainty.render(out, tmp_path / "figs")))
    assert "Mismatched result" not in "".join(parsed.text)
    assert "parameter uncertainty (PSA), 6 draws × 500 people" in "".join(parsed.text)


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ('analysis.parameter_groups={tests=["ultrasound.sensitivty"]}', "parameter_groups"),
        ("analysis.population_per_year=-5.0", "population_per_year"),
        ("analysis.decision_horizon_years=-1.0", "decision_horizon_years"),
        ("analysis.willingness_to_pay=[0, 50000, 20000]", "willingness_to_pay"),
    ],
)
def test_bad_voi_input_exits_2_naming_the_field(
    setting: str, field: str, baseline_path: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "psa"
    argv = ["psa", str(baseline_path), "--out", str(out), "--draws", "4", "--quiet"]
    assert main([*argv, "--set", setting]) == 2
    assert field in capsys.readouterr().err
    assert not out.exists()


def test_wtp_not_increasing_on_the_command_line(
    baseline_path: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "psa"
    argv = ["psa", str(baseline_path), "--out", str(out), "--draws", "4", "--wtp", "5,3"]
    assert main(argv) == 2
    assert "--wtp" in capsys.readouterr().err
    assert not out.exists()


def _linear_percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile by linear interpolation between order statistics, by hand."""
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    return v[lo] + (pos - lo) * (v[min(lo + 1, len(v) - 1)] - v[lo])


@pytest.mark.parametrize(
    ("reference", "no_follow_up", "versus"),
    [("yearly", ["none"], "yearly"), (None, ["none"], "none"), (None, [], "none")],
)
def test_incremental_net_benefit_by_hand_from_psa_csv(
    tmp_path: Path, reference: str | None, no_follow_up: list[str], versus: str
) -> None:
    from fupsim.voi.tables import incremental_decision

    small_table().to_csv(tmp_path / "psa.csv", index=False)
    psa = pd.read_csv(tmp_path / "psa.csv")
    got = incremental_decision(
        psa, WTP, effect="qalys_per_patient", reference=reference, no_follow_up=no_follow_up
    ).set_index("wtp")
    c = NAMES.index(versus)  # "none" is also the cheapest (mean cost 100)
    for w in WTP:
        nb = _nb(w)
        best = int(np.argmax(nb.mean(axis=0)))
        inb = nb[:, best] - nb[:, c]
        row = got.loc[w]
        assert (row["best_protocol"], row["comparator"]) == (NAMES[best], versus)
        assert row["incremental_net_benefit"] == pytest.approx(sum(inb) / 6, abs=1e-9)
        assert row["incremental_net_benefit_p2_5"] == pytest.approx(
            _linear_percentile(inb, 2.5), abs=1e-9
        )
        assert row["incremental_net_benefit_p97_5"] == pytest.approx(
            _linear_percentile(inb, 97.5), abs=1e-9
        )
    # at WTP 50,000 half-yearly is preferred: it gains over none in every draw
    assert got.loc[50_000.0, "best_protocol"] == "half-yearly"
    assert got.loc[50_000.0, "incremental_net_benefit_p2_5"] > 0 or versus == "yearly"


def test_comparator_prefers_reference_then_no_follow_up_then_cheapest() -> None:
    from fupsim.voi.tables import comparator

    names, cost = ["a", "b", "off"], [300.0, 200.0, 250.0]
    assert comparator(names, cost, reference="a", no_follow_up=["off"]) == "a"
    assert comparator(names, cost, reference="gone", no_follow_up=["off"]) == "off"
    assert comparator(names, cost) == "b"
    with pytest.raises(ValueError, match="mean_costs"):
        comparator(names, [1.0, 2.0])


def test_uncertainty_section_shows_incremental_net_benefit_once_labelled(
    tmp_path: Path, baseline: fupsim.Scenario
) -> None:
    from fupsim.report.sections import uncertainty

    out = _psa_folder(tmp_path, baseline)
    _run_manifest(out, baseline, seed=7)  # baseline's reference and no-follow-up are not here
    html = str(uncertainty.render(out, tmp_path / "figs"))
    parsed = _Text()
    parsed.feed(html)
    text = "".join(parsed.text)
    assert "Incremental net benefit (USD per person)" in text
    assert "Expected net benefit (USD" not in text  # no absolute net benefit in the table
    assert text.count("parameter uncertainty") == 1  # the convention, stated once
    assert "Compared with" in text and "over none" in text  # the cheapest: none
    inb = _nb(50_000.0)[:, 2] - _nb(50_000.0)[:, 0]
    assert f"{inb.mean():,.0f}" in text


def test_summary_headline_in_incremental_net_benefit() -> None:
    from fupsim.report.summary import decision_html
    from fupsim.voi.tables import incremental_decision

    inc = incremental_decision(
        small_table(), WTP, effect="qalys_per_patient", no_follow_up=["none"]
    )
    dec = inc.assign(probability_cost_effective=[1.0, 0.5, 0.75], evpi_per_person=[0, 3.5, 9.25])
    parsed = _Text()
    parsed.feed(str(decision_html(dec.iloc[[0, 2]], "USD", "QALY")))  # headline: WTP 50,000
    text = "".join(parsed.text)
    inb = _nb(50_000.0)[:, 2] - _nb(50_000.0)[:, 0]  # half-yearly minus none
    lo, hi = _linear_percentile(inb, 2.5), _linear_percentile(inb, 97.5)
    assert "At USD 50,000 per QALY, half-yearly has the highest" in text
    assert "in 75% of PSA draws" in text
    assert f"against none it gains USD {inb.mean():,.0f} per person" in text
    assert f"percentile USD {lo:,.0f} to USD {hi:,.0f}" in text
    assert "Incremental net benefit (USD per person)" in text
    assert "absolute" not in text
    # at WTP 20,000 no follow-up is preferred and is itself the comparator
    first = _Text()
    first.feed(str(decision_html(dec.iloc[[1]], "USD", "QALY")))
    assert "none has the highest" in "".join(first.text)
    assert "itself the comparator" in "".join(first.text)
    # an older decision.csv without the incremental columns: absolute, and said so
    old = _Text()
    old.feed(
        str(
            decision_html(
                dec.drop(columns=["comparator", "incremental_net_benefit"]).assign(
                    expected_net_benefit=1.0
                ),
                "USD",
            )
        )
    )
    assert "absolute" in "".join(old.text)
