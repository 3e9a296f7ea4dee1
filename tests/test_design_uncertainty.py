"""Schedule search, second part (issue 14): PSA over designs, stepped schedules, ties, the
[design] block in the scenario, and the report section."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.design import design_spec
from fupsim.design.candidates import generate_candidates, stepped_visits
from fupsim.design.psa import ceaf_from_draws
from fupsim.report.sections import design as section
from fupsim.scenario import ScenarioError, with_overrides
from fupsim.sensitivity.psa import draw_overrides, draw_parameters
from fupsim.validation import analytic_scenario

BASELINE = "scenarios/baseline.toml"


def test_ceaf_from_draws_matches_a_hand_count() -> None:
    # 1 WTP, 4 draws, 3 candidates: winners by row are 0, 2, 0, 1
    nb = np.array([[[5.0, 1.0, 2.0], [0.0, 1.0, 3.0], [4.0, 3.0, 1.0], [1.0, 6.0, 2.0]]])
    ceaf = ceaf_from_draws(nb, ["a", "b", "c"], [100.0])
    assert list(ceaf["probability_optimal"]) == [0.5, 0.25, 0.25]
    assert list(ceaf["expected_nb"]) == [2.5, 2.75, 2.0]
    assert list(ceaf["on_frontier"]) == [False, True, False]
    # EVPI = mean of the per-draw maxima (5 + 3 + 4 + 6)/4 minus the best mean 2.75
    assert ceaf["evpi"].iloc[0] == pytest.approx(4.5 - 2.75)


def test_ceaf_from_draws_shares_a_tied_draw_as_every_acceptability_curve_does() -> None:
    # 2 draws: in the first, a and b tie at 3 (half a draw each); in the second c wins.
    nb = np.array([[[3.0, 3.0, 1.0], [0.0, 0.0, 2.0]]])
    ceaf = ceaf_from_draws(nb, ["a", "b", "c"], [0.0])
    assert list(ceaf["probability_optimal"]) == [0.25, 0.25, 0.5]


def test_psa_over_designs_agrees_with_run_on_each_draw() -> None:
    """Each draw's numbers come from fupsim.run on the drawn scenario (an independent code
    path); the probability that each candidate is optimal is then a hand count of winners."""
    sc = fupsim.load_scenario(BASELINE)
    draws, seed, n = 3, 11, 300
    spec = design_spec(
        families=["article"],
        refine=False,
        psa_draws=draws,
        psa_top=len(sc.protocol),  # every candidate
        psa_patients=n,
        willingness_to_pay=[0.0, 50_000.0, 200_000.0],
    )
    res = fupsim.design(sc, spec, seed=seed, replications=2, patients=n, workers=1, progress=False)
    assert res.ceaf is not None and res.psa is not None
    sums = res.ceaf.groupby("wtp")["probability_optimal"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    params = draw_parameters(sc, draws, seed)
    wins: dict[float, list[str]] = {w: [] for w in spec.willingness_to_pay or []}
    for d, ov in enumerate(draw_overrides(sc, params)):
        summary = fupsim.run(
            with_overrides(sc, ov), seed=seed, replications=1, patients=n, workers=1,
            events=False, progress=False,
        ).summary().set_index("protocol")  # fmt: skip
        mine = res.psa[res.psa["draw"] == d].set_index("candidate").loc[summary.index]
        np.testing.assert_allclose(mine["cost_per_patient"], summary["cost_per_patient"], rtol=1e-9)
        np.testing.assert_allclose(
            mine["effect_per_patient"], summary["qalys_per_patient"], rtol=1e-9
        )
        for w in wins:
            nmb = w * summary["qalys_per_patient"] - summary["cost_per_patient"]
            wins[w].append(str(nmb.idxmax()))
    for w, names in wins.items():
        got = res.ceaf[res.ceaf["wtp"] == w].set_index("candidate")["probability_optimal"]
        for name in got.index:
            assert got[name] == pytest.approx(names.count(name) / draws)


def test_a_psa_without_psa_distributions_is_refused_before_any_work() -> None:
    sc = analytic_scenario(patients=100)
    assert not any(u.psa is not None for u in sc.uncertainty.values())
    with pytest.raises(ScenarioError, match=r"design\.psa_draws = 5"):
        fupsim.design(sc, design_spec(psa_draws=5), replications=2, workers=1, progress=False)


def test_stepped_visits_by_hand() -> None:
    assert stepped_visits(3, 2, 12, 36) == [3.0, 6.0, 18.0, 30.0]
    assert stepped_visits(6, 1, 12, 30) == [6.0, 18.0, 30.0]
    sc = fupsim.load_scenario(BASELINE)
    spec = design_spec(
        families=["stepped"], durations_months=[24, 36], stop_after_stable=[],
        stepped_first_months=[3, 12], stepped_after_scans=[2], stepped_then_months=[12],
    )  # fmt: skip
    names = [c.name for c in generate_candidates(sc, spec)]
    # 12 -> 12 is no step; 3 x 2 then yearly to 24 and to 36
    assert names == ["s3m-x2-12m-24m", "s3m-x2-12m-36m"]


def _scans(events: pd.DataFrame) -> pd.DataFrame:
    kinds = ["scan_negative", "scan_positive", "scan_missed"]
    return events[events["event"].isin(kinds)].sort_values(["patient_id", "time_months"])


def test_stepped_list_is_the_results_dependent_rule_when_a_positive_scan_ends_follow_up() -> None:
    """'After two stable scans move to yearly' as a fixed list: exact when every positive scan
    ends follow-up (perfect specificity, CT and attendance: analytic_scenario), so everyone
    still scanned after the step had two negative scans. With false positives a CT-negative
    positive scan keeps someone in follow-up, and the fixed list then differs from the rule."""
    visits = stepped_visits(3, 2, 12, 36)
    sc = analytic_scenario(mean_sojourn_months=6.0, onset_window_months=24.0, patients=3000)
    sc = with_overrides(sc, {"protocol": [{"name": "stepped", "visits_months": visits}]})
    scans = _scans(fupsim.run(sc, replications=1, workers=1, progress=False).events)
    after = scans[scans["time_months"] > 6.5]
    first_two = scans[scans["time_months"] < 6.5]
    reached = set(after["patient_id"])
    assert reached  # people do reach the yearly phase
    stable = first_two.groupby("patient_id")["event"].agg(lambda e: (e == "scan_negative").all())
    assert stable.loc[sorted(reached)].all()
    assert (first_two.groupby("patient_id").size().loc[sorted(reached)] == 2).all()
    noisy = with_overrides(sc, {"ultrasound.specificity": 0.7})
    scans = _scans(fupsim.run(noisy, replications=1, workers=1, progress=False).events)
    first_two = scans[scans["time_months"] < 6.5]
    positive = set(first_two.loc[first_two["event"] == "scan_positive", "patient_id"])
    later = set(scans.loc[scans["time_months"] > 6.5, "patient_id"])
    assert positive & later  # a positive (CT-negative) scan, yet on to the yearly phase


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[fupsim.DesignResult, Path]:
    sc = fupsim.load_scenario(BASELINE)
    spec = design_spec(
        intervals_months=[3, 6, 12], durations_months=[24, 36], visit_lists_months=[[3, 6, 12, 24]],
        stop_after_stable=[2], stepped_first_months=[3], refine=False, psa_draws=4, psa_top=3,
        psa_patients=200,
    )  # fmt: skip
    res = fupsim.design(sc, spec, replications=2, patients=300, workers=1, progress=False)
    out = tmp_path_factory.mktemp("report") / "r"
    res.write(out)
    return res, out


def test_ties_are_listed_and_the_default_indifference_zone_follows_the_wtp(
    small: tuple[fupsim.DesignResult, Path],
) -> None:
    res, _ = small
    best = res.best_by_wtp
    sc = res.scenario
    scan = sc.costs.ultrasound + sc.costs.visit
    np.testing.assert_allclose(best["indifference_per_patient"], best["wtp"] * 0.001 + 0.1 * scan)
    assert (best["probability_best_or_tied"] >= best["probability_best"] - 1e-12).all()
    assert (best["probability_best_or_tied"] <= 1 + 1e-12).all()
    everyone_tied = fupsim.design(
        sc,
        res.spec.model_copy(update={"indifference_per_patient": 1e9, "psa_draws": 0}),
        replications=2,
        patients=300,
        workers=1,
        progress=False,
    ).best_by_wtp
    k = len(res.candidates)
    assert (everyone_tied["tied_with"].str.split("; ").map(len) == k - 1).all()
    np.testing.assert_allclose(everyone_tied["probability_best_or_tied"], 1.0)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_section_renders_the_design_result(small: tuple[fupsim.DesignResult, Path]) -> None:
    res, out = small
    assert section.render(out / "figures" / "nothing", out / "figures") is None
    html = section.render(out, out / "figures")
    assert html is not None
    parser = _Parser()
    parser.feed(str(html))
    assert ("section", {"id": "design"}) in parser.tags
    images = [a["src"] for t, a in parser.tags if t == "img"]
    assert images == [
        "figures/design_frontier.png",
        "figures/design_best_by_wtp.png",
        "figures/design_ceaf.png",
    ]
    assert all((out / str(src)).is_file() for src in images)
    text = "".join(parser.text)
    middle = res.best_by_wtp.iloc[len(res.best_by_wtp) // 2]
    assert f"best designed schedule is {middle['best']}" in text
    assert ", ".join(res.scenario.protocol_names) in text  # the article's protocols, named
    assert "Best schedule by willingness to pay" in text and "Statistically tied with" in text
    assert [t for t, _ in parser.tags].count("table") == 2  # best by WTP; P(optimal) by WTP


def test_design_block_lives_in_the_scenario(tmp_path: Path) -> None:
    text = Path(BASELINE).read_text() + "\n[design]\nintervals_months = [6]\npsa_top = 3\n"
    path = tmp_path / "s.toml"
    path.write_text(text)
    sc = fupsim.load_scenario(path)
    assert sc.design is not None and sc.design.intervals_months == [6.0]
    assert "design" in fupsim.scenario.Scenario.model_json_schema()["properties"]
    path.write_text(text.replace("psa_top = 3", "psa_top = 1"))
    with pytest.raises(ScenarioError, match=r"design\.psa_top = 1"):
        fupsim.load_scenario(path)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--psa-top", "1"], "design.psa_top"),
        (["--set", "design.stepped_after_scans=[]"], "design.stepped_after_scans"),
        (["--set", "design.indifference_per_patient=-1"], "design.indifference_per_patient"),
        (["--set", "design.families=['stepped']", "--durations", "6"], "design.stepped_then"),
    ],
)
def test_bad_design_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    out = tmp_path / "d"
    code = main(["design", BASELINE, "--out", str(out), "--patients", "200", "--quiet", *args])
    assert code == 2
    err = capsys.readouterr().err
    assert field in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_summary_sentence_names_the_best_designed_schedule(
    small: tuple[fupsim.DesignResult, Path], tmp_path: Path
) -> None:
    res, out = small
    assert section.summary_sentence(tmp_path) is None  # no design result: nothing added
    html = section.summary_sentence(out)
    assert html is not None
    parser = _Parser()
    parser.feed(str(html))
    text = "".join(parser.text)
    middle = res.best_by_wtp.iloc[len(res.best_by_wtp) // 2]
    assert "Schedule design" in text
    assert f"best designed schedule is {middle['best']}" in text
