"""Scenario loading, validation, overrides and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import fupsim
from fupsim.scenario import (
    ScenarioError,
    get_value,
    key_parts,
    load_scenario,
    parse_overrides,
    with_overrides,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["baseline", "inactive-majority"])
def test_shipped_scenarios_load(name: str) -> None:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert sc.simulation.horizon_months == 36
    assert sc.prenatal.fetal_rate == pytest.approx(0.00057)


def test_baseline_encodes_the_source_article(baseline: fupsim.Scenario) -> None:
    # the index mix is PARAMETERS.md C1-C6; the work-up keeps the article's group for follow-up
    assert baseline.cohort.causes == {
        "inactive_scar": 0.86,
        "bile_duct_stone": 0.08,
        "parasitic": 0.03,
        "haemangioma": 0.02,
        "malignant": 0.005,
        "active_infection": 0.005,
    }
    assert baseline.index_workup.enabled
    # 2 to 3 years of follow-up: each interval for 24 and for 36 months
    durations = {
        (p.interval_months, p.duration_months) for p in baseline.protocol if p.interval_months
    }
    assert durations == {(i, d) for i in (3, 4.5, 6) for d in (24, 36)}
    assert baseline.cohort.female_share == 0.5
    lobe = baseline.cohort.lobe
    assert lobe.right > 0.5 > lobe.left and lobe.both < 0.2
    assert baseline.cohort.multiple_foci_share < 0.5
    assert any(p.visits_months == [] for p in baseline.protocol)


def test_article_ranking_gives_the_article_s_mix_to_everyone() -> None:
    sc = load_scenario(ROOT / "scenarios" / "article-ranking.toml")
    causes = sc.cohort.causes
    assert max(causes, key=causes.__getitem__) == "bile_duct_stone"
    assert not sc.index_workup.enabled


def test_inactive_majority_is_mostly_scars() -> None:
    sc = load_scenario(ROOT / "scenarios" / "inactive-majority.toml")
    assert sc.cohort.causes["inactive_scar"] > 0.8


def test_scenarios_are_frozen(baseline: fupsim.Scenario) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        baseline.simulation.patients = 5  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        baseline.protocol[0].interval_months = 2  # type: ignore[misc]


def test_overrides_by_name_and_index(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(
        baseline, {"protocol.us-6m.interval_months": 12, "protocol.0.stop_after_stable": 4}
    )
    assert get_value(sc, "protocol.us-6m.interval_months") == 12
    assert sc.protocol[0].stop_after_stable == 4
    assert baseline.protocol[2].interval_months == 6  # the original is untouched


def test_override_reaches_a_protocol_whose_name_has_a_dot(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(baseline, {"protocol.us-4.5m.interval_months": 5})
    assert sc.protocol[1].name == "us-4.5m" and sc.protocol[1].interval_months == 5
    assert get_value(sc, "protocol.us-4.5m.interval_months") == 5


def test_set_reaches_uncertainty_keys_with_quoted_dots(baseline_path: Path) -> None:
    sc = load_scenario(baseline_path, ['uncertainty."costs.ct".range=[200, 400]'])
    assert sc.uncertainty["costs.ct"].range == (200, 400)
    assert key_parts('uncertainty."costs.ct".range') == ["uncertainty", "costs.ct", "range"]
    assert key_parts("protocol.us-3m.interval_months") == ["protocol", "us-3m", "interval_months"]


def test_parse_overrides_reads_toml_values() -> None:
    got = parse_overrides(["a.b=3", "a.c=0.5", "a.d=true", "a.e=[1, 2]", "a.f=word"])
    assert got == {"a.b": 3, "a.c": 0.5, "a.d": True, "a.e": [1, 2], "a.f": "word"}


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        (
            "ultrasound.specificity=1.3",
            ["ultrasound.specificity", "1.3", "less than or equal to 1"],
        ),
        ("cohort.female_share=-0.1", ["cohort.female_share", "-0.1", "greater than or equal to 0"]),
        ("cohort.causes.malignant=0.5", ["cohort.causes", "sum to 1.495", "must sum to 1"]),
        (
            "protocol.us-3m.interval_months=0",
            ["protocol[us-3m].interval_months", "0", "greater than 0"],
        ),
        ("simulation.horizon_months=0", ["simulation.horizon_months", "0", "greater than 0"]),
        ("simulation.patients='many'", ["simulation.patients", "many", "expected a number"]),
        (
            "natural_history.malignant.sojourn.mean=-2",
            ["natural_history.malignant.sojourn.mean", "-2", "greater than 0"],
        ),
        ("cohort.lobe.right=0.9", ["cohort.lobe", "sum to", "must sum to 1"]),
        ("costs.discount_rate=1.5", ["costs.discount_rate", "1.5", "less than 1"]),
        ("cohort.femal_share=0.5", ["cohort.femal_share", "unknown key", "female_share"]),
        (
            "protocol.us-3m.visits_months=[3, 6]",
            ["protocol[us-3m]", "exactly one of interval_months or visits_months"],
        ),
        (
            "protocol.no-follow-up.visits_months=[6, 3]",
            ["protocol[no-follow-up].visits_months", "strictly increasing"],
        ),
    ],
)
def test_bad_values_name_field_value_and_rule(
    baseline_path: Path, override: str, fragments: list[str]
) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(baseline_path, [override])
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation\npatients = 3\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)


def test_missing_required_block(tmp_path: Path, baseline_path: Path) -> None:
    text = baseline_path.read_text().replace("[ultrasound]", "[ultrasound_typo]")
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match="ultrasound_typo: unknown key"):
        load_scenario(f)


def test_protocol_with_neither_schedule(tmp_path: Path, baseline_path: Path) -> None:
    text = baseline_path.read_text().replace(
        'name = "us-6m"\ninterval_months = 6', 'name = "us-6m"'
    )
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(
        ScenarioError, match=r"protocol\[us-6m\].*exactly one of interval_months or visits_months"
    ):
        load_scenario(f)


def test_malformed_set() -> None:
    for item in ["novalue", "=3", "a..b=1"]:
        with pytest.raises(ScenarioError, match="expected dotted.key=value"):
            parse_overrides([item])


def test_uncertainty_key_must_name_a_parameter(tmp_path: Path, baseline_path: Path) -> None:
    text = (
        baseline_path.read_text() + '\n[uncertainty."ultrasound.sensitivty"]\nrange = [0.1, 0.2]\n'
    )
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match="ultrasound.sensitivty.*names no parameter"):
        load_scenario(f)


def test_interval_longer_than_horizon_is_rejected(baseline_path: Path) -> None:
    # it would schedule no scan at all: refused, as a visit list past the horizon is
    with pytest.raises(ScenarioError, match=r"protocol\[us-3m\].interval_months = 48: longer"):
        load_scenario(baseline_path, ["protocol.us-3m.interval_months=48"])
    sc = load_scenario(baseline_path, ["protocol.us-3m.interval_months=36"])
    assert sc.protocol[0].visit_months(36) == [36]


def test_visits_on_the_horizon_are_kept(baseline: fupsim.Scenario) -> None:
    # 36 / 4.5 = 8 visits, the last exactly at month 36; 36 / 6 = 6 visits
    assert baseline.protocol[1].visit_months(36) == [4.5 * k for k in range(1, 9)]
    assert baseline.protocol[2].visit_months(36) == [6.0 * k for k in range(1, 7)]


def test_cause_without_history_is_rejected(baseline_path: Path) -> None:
    with pytest.raises(ScenarioError, match="natural_history has no entry for cause"):
        load_scenario(
            baseline_path,
            ["cohort.causes={bile_duct_stone = 0.5, mystery = 0.5}"],
        )


def test_visits_after_horizon_are_rejected(baseline_path: Path) -> None:
    with pytest.raises(ScenarioError, match="after simulation.horizon_months = 36"):
        load_scenario(baseline_path, ["protocol.no-follow-up.visits_months=[6, 40]"])
