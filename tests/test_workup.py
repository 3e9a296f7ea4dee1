"""The index work-up: hand counts, the followed share and mix against closed forms (4 SE), switches.

Expected values are computed here from the scenario's inputs (hand counts; Σ_c share_c ×
Π_f (1 − p_fc) and Bayes' rule), never from the module's own output.
"""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pytest

import fupsim
import fupsim.workup as workup_module
from fupsim.cli import main
from fupsim.cohort import Cohort, draw_cohort
from fupsim.rng import STREAMS, replicate_streams
from fupsim.scenario import ScenarioError, scenario_from_dict, with_overrides
from fupsim.workup import FEATURES, PATHWAYS, index_workup, workup_frame

ROOT = Path(__file__).resolve().parents[1]
WORKUP = ROOT / "scenarios" / "baseline.toml"
Z = 4.0  # tolerance in standard errors
N = 40_000  # adults for the closed-form checks (one uniform draw per feature each: fast)


@pytest.fixture(scope="module")
def with_workup() -> fupsim.Scenario:
    return fupsim.load_scenario(WORKUP)


@pytest.fixture(scope="module")
def baseline() -> fupsim.Scenario:
    """baseline.toml without its [index_workup] block (nor the uncertainty about it)."""
    data = fupsim.load_scenario(WORKUP).model_dump(by_alias=True, exclude_none=True)
    data.pop("index_workup")
    data["uncertainty"] = {
        k: v for k, v in data["uncertainty"].items() if not k.startswith("index_workup.")
    }
    return scenario_from_dict(data)


def _people(causes: tuple[str, ...], cause: list[str], infant: list[bool]) -> Cohort:
    """A hand-made cohort: one person per entry, the given cause and stream."""
    n = len(cause)
    zeros = np.zeros(n)
    no = np.zeros(n, dtype=bool)
    return Cohort(
        causes=causes,
        stream=np.array(infant, dtype=np.int8),
        age_years=zeros,
        female=no,
        lobe=np.zeros(n, np.int8),
        n_foci=np.ones(n, np.int16),
        cause=np.array([causes.index(c) for c in cause], dtype=np.int16),
        associated_anomaly=no,
        abnormal_karyotype=no,
        congenital_infection=no,
        limited_visualisation=no,
    )


# Probabilities 0 or 1, so every person's pathway can be worked out by hand.
CERTAIN = {
    "index_workup.enabled": True,
    "index_workup.features": {
        "ductal_dilatation": {"bile_duct_stone": 1.0},
        "intraductal_position": {"active_infection": 1.0},
        "mass_or_metastasis_suspected": {"malignant": 1.0, "haemangioma": 1.0},
        "active_infection_signs": {"active_infection": 1.0},
        "symptomatic": {"parasitic": 1.0, "malignant": 1.0},
    },
    "index_workup.ct": {"enabled": True, "sensitivity": 1.0, "specificity": 1.0},
}
# By hand: scar has no feature -> follow_up; stone: dilatation -> biliary; parasitic: symptoms ->
# treatment; haemangioma: mass suspected, CT (specificity 1) rules it out -> follow_up;
# malignant: mass confirmed by CT and symptoms -> oncology (before treatment); active
# infection: intraductal (biliary) and infection signs (treatment) -> treatment (before
# biliary); every infant -> infant, whatever their cause.
BY_HAND = {
    "inactive_scar": "follow_up",
    "bile_duct_stone": "biliary",
    "parasitic": "treatment",
    "haemangioma": "follow_up",
    "malignant": "oncology",
    "active_infection": "treatment",
}


def test_flow_on_a_small_cohort_matches_a_hand_count(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(baseline, CERTAIN)
    causes = (*sorted(sc.cohort.causes), "congenital")
    cause = ["inactive_scar", "bile_duct_stone", "parasitic", "haemangioma", "malignant"]
    cause += ["active_infection", "malignant", "inactive_scar", "congenital", "congenital"]
    infant = [False] * 8 + [True] * 2
    w = index_workup(sc, _people(causes, cause, infant), replicate_streams(5, 0))
    got = [PATHWAYS[k] for k in w.pathway]
    assert got == [BY_HAND[c] for c in cause[:8]] + ["infant", "infant"]
    counts = dict(zip(w.summary()["pathway"], w.summary()["people"], strict=True))
    assert counts == {"follow_up": 3, "biliary": 1, "oncology": 2, "treatment": 2, "infant": 2}
    # CT only where a mass was suspected (haemangioma, both malignant); positive only if malignant
    assert (
        w.ct_done.tolist() == [c in ("haemangioma", "malignant") for c in cause[:8]] + [False] * 2
    )
    assert w.ct_positive.tolist() == [c == "malignant" for c in cause[:8]] + [False, False]
    assert not w.features[:, 8:].any()


def test_without_ct_a_suspected_mass_is_never_ruled_out(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(baseline, {**CERTAIN, "index_workup.ct.enabled": False})
    causes = (*sorted(sc.cohort.causes), "congenital")
    w = index_workup(sc, _people(causes, ["haemangioma"], [False]), replicate_streams(5, 0))
    assert PATHWAYS[w.pathway[0]] == "oncology" and not w.ct_done.any()


def test_a_feature_routed_to_follow_up_keeps_the_person_followed(
    baseline: fupsim.Scenario,
) -> None:
    sc = with_overrides(baseline, {**CERTAIN, "index_workup.routes.symptomatic": "follow_up"})
    causes = (*sorted(sc.cohort.causes), "congenital")
    w = index_workup(sc, _people(causes, ["parasitic"], [False]), replicate_streams(5, 0))
    assert w.feature("symptomatic")[0] and PATHWAYS[w.pathway[0]] == "follow_up"


def _p_followed(sc: fupsim.Scenario, cause: str) -> float:
    """P(followed | cause) = Π_f (1 − p_fc), the mass feature counting only if CT keeps it."""
    cfg = sc.index_workup
    q = 1.0
    for feature, by_cause in cfg.features.model_dump().items():
        p = by_cause.get(cause, 0.0)
        if feature == "mass_or_metastasis_suspected" and cfg.ct.enabled:
            p *= cfg.ct.sensitivity if cause == "malignant" else 1.0 - cfg.ct.specificity
        q *= 1.0 - p
    return q


@pytest.mark.parametrize("ct", [False, True])
def test_followed_share_and_mix_match_bayes_rule(with_workup: fupsim.Scenario, ct: bool) -> None:
    sc = with_overrides(
        with_workup, {"prenatal.screened_per_adult": 0, "index_workup.ct.enabled": ct}
    )
    streams = replicate_streams(20261126, 3)
    cohort = draw_cohort(sc, streams, N)
    w = index_workup(sc, cohort, streams)
    shares = sc.cohort.causes
    joint = {c: s * _p_followed(sc, c) for c, s in shares.items()}
    followed = sum(joint.values())  # Σ_c share_c × P(no feature | c)
    if not ct:  # the brief's closed form, written out with independent features
        plain = sum(
            s * math.prod(1.0 - sc.index_workup.probability(f, c) for f in FEATURES)
            for c, s in shares.items()
        )
        assert followed == pytest.approx(plain)
    observed = w.followed.mean()
    assert abs(observed - followed) <= Z * math.sqrt(followed * (1 - followed) / N)
    n_followed = int(w.followed.sum())
    for c in shares:
        mix = joint[c] / followed  # Bayes: P(c | followed)
        got = (cohort.cause[w.followed] == cohort.causes.index(c)).mean()
        assert abs(got - mix) <= Z * math.sqrt(mix * (1 - mix) / n_followed) + 1e-12, c


def test_the_shipped_values_give_the_followed_mix_stated_in_the_scenario(
    with_workup: fupsim.Scenario,
) -> None:
    """The table in baseline.toml's comments (and docs/workup.md), to 3 decimals."""
    joint = {c: s * _p_followed(with_workup, c) for c, s in with_workup.cohort.causes.items()}
    total = sum(joint.values())
    assert total == pytest.approx(0.713, abs=5e-4)
    stated = {"inactive_scar": 0.926, "bile_duct_stone": 0.020, "parasitic": 0.032}
    stated |= {"haemangioma": 0.021, "malignant": 0.0012, "active_infection": 0.0003}
    for cause, share in stated.items():
        assert joint[cause] / total == pytest.approx(share, abs=5e-4), cause


def _state(gen: np.random.Generator) -> dict:
    return gen.bit_generator.state


@pytest.mark.parametrize("enabled", [False, True])
def test_other_streams_are_untouched(with_workup: fupsim.Scenario, enabled: bool) -> None:
    sc = with_overrides(with_workup, {"index_workup.enabled": enabled})
    used, fresh = replicate_streams(7, 1), replicate_streams(7, 1)
    cohort = draw_cohort(sc, used, 500)
    draw_cohort(sc, fresh, 500)
    index_workup(sc, cohort, used)
    for name in STREAMS:
        if name != "workup":
            assert _state(used[name]) == _state(fresh[name]), name
    assert (_state(used["workup"]) == _state(fresh["workup"])) is not enabled


def test_workup_stream_is_appended_after_the_existing_ones() -> None:
    before = ("cohort", "prenatal", "natural_history", "visit_attendance", "visit_loss")
    before += ("visit_ultrasound", "visit_ct", "visit_recall", "visit_jitter", "capacity")
    assert STREAMS[: len(before) + 1] == (*before, "visualisation")
    assert STREAMS[len(before) + 1 :] == ("mortality", "workup", "visit_repeat", "infant")
    # a stream's generator is child i of the replicate's SeedSequence, whatever comes after it
    child = np.random.SeedSequence(11, spawn_key=(2,)).spawn(3)[0]
    assert np.array_equal(
        replicate_streams(11, 2)["cohort"].random(4), np.random.default_rng(child).random(4)
    )


def test_disabled_work_up_follows_every_adult(baseline: fupsim.Scenario) -> None:
    assert not baseline.index_workup.enabled  # the default keeps today's scenarios as they are
    streams = replicate_streams(3, 0)
    cohort = draw_cohort(baseline, streams, 2000)
    w = index_workup(baseline, cohort, streams)
    adult = cohort.stream == 0
    assert not w.enabled and w.followed[adult].all() and not w.features.any()
    assert (w.pathway[~adult] == PATHWAYS.index("infant")).all()


@pytest.mark.parametrize("enabled", [False, True])
def test_infants_are_never_followed(with_workup: fupsim.Scenario, enabled: bool) -> None:
    sc = with_overrides(
        with_workup, {"prenatal.screened_per_adult": 100.0, "index_workup.enabled": enabled}
    )
    streams = replicate_streams(13, 0)
    cohort = draw_cohort(sc, streams, 1000)
    infant = cohort.stream == 1
    assert infant.sum() > 20  # about 57 expected
    w = index_workup(sc, cohort, streams)
    assert (w.pathway[infant] == PATHWAYS.index("infant")).all()
    assert not w.followed[infant].any() and not w.features[:, infant].any()
    assert (w.pathway[~infant] != PATHWAYS.index("infant")).all()


def test_workup_frame_lines_up_with_the_cohort(with_workup: fupsim.Scenario) -> None:
    streams = replicate_streams(4, 0)
    cohort = draw_cohort(with_workup, streams, 300)
    w = index_workup(with_workup, cohort, streams)
    frame = workup_frame(w)
    assert list(frame.columns) == [
        "patient_id",
        "index_pathway",
        *FEATURES,
        "index_ct_done",
        "index_ct_positive",
    ]
    assert frame["patient_id"].tolist() == cohort.to_frame()["patient_id"].tolist()
    assert list(frame["index_pathway"].cat.categories) == list(PATHWAYS)
    assert (frame["index_pathway"] == "follow_up").sum() == w.followed.sum()
    assert frame["symptomatic"].tolist() == w.feature("symptomatic").tolist()


BAD = [
    ("index_workup.features.ductal_dilatation.bile_duct_stone", 1.5, "less than or equal to 1"),
    ("index_workup.features.symptomatic.malignant", -0.1, "greater than or equal to 0"),
    ("index_workup.features.symptomatic.malignant", True, "not true"),
    ("index_workup.features.symptomatic.gallstone", 0.1, "allowed: active_infection"),
    ("index_workup.features.symptomatic.congenital", 0.1, "infant pathway"),
    ("index_workup.features.calcified_rim", {"malignant": 0.1}, "allowed keys here"),
    ("index_workup.routes.symptomatic", "icu", "'follow_up', 'biliary', 'oncology'"),
    ("index_workup.routes.symptomatic", "infant", "'treatment'"),
    ("index_workup.ct.specificity", 2.0, "less than or equal to 1"),
    ("index_workup.ct.malignant_causes", ["cancer"], "'cancer' is not a cause"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), BAD)
def test_bad_input_names_the_field(
    with_workup: fupsim.Scenario, key: str, value: object, allowed: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(with_workup, {key: value})
    message = str(info.value)
    assert key in message and allowed in message


def test_bad_input_exits_2_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    key = "index_workup.features.ductal_dilatation.bile_duct_stone"
    assert main(["validate", str(WORKUP), "--set", f"{key}=1.5"]) == 2
    assert key in capsys.readouterr().err


def test_a_scenario_without_a_malignant_cause_needs_no_workup_block(
    baseline: fupsim.Scenario,
) -> None:
    data = baseline.model_dump(by_alias=True, exclude_none=True)
    data.pop("health", None)  # per-cause health entries would name the dropped causes
    data |= {"uncertainty": {}}
    data["analysis"].pop("parameter_groups", None)  # groups name uncertainty keys
    data["cohort"].pop("cause_odds", None)  # it names the dropped malignant cause
    data["cohort"]["causes"] = {"inactive_scar": 0.9, "bile_duct_stone": 0.1}
    sc = scenario_from_dict(data)
    assert sc.index_workup.ct.malignant_causes == ["malignant"] and not sc.index_workup.enabled
    with pytest.raises(ScenarioError, match="index_workup.ct.malignant_causes"):
        with_overrides(sc, {"index_workup.enabled": True})
    assert with_overrides(
        sc, {"index_workup.enabled": True, "index_workup.ct.malignant_causes": []}
    ).index_workup.enabled


def test_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(workup_module)
    assert result.attempted > 0 and result.failed == 0
