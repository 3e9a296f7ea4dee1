"""Scenarios that compose: ``extends``, ``fupsim diff``, and overrides that keep protocols honest."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from fupsim.cli import main
from fupsim.scenario import (
    ScenarioError,
    diff_scenarios,
    load_scenario,
    merge_tables,
    read_scenario_data,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    """A full scenario (the shipped baseline) copied into a test folder."""
    return _write(tmp_path / "parent.toml", (SCENARIOS / "baseline.toml").read_text())


def test_merge_tables_by_hand() -> None:
    parent = {
        "a": {"x": 1, "y": {"p": 1, "q": 2}},
        "wtp": [1, 2, 3],
        "d": {"dist": "beta", "mean": 0.5, "se": 0.1},
        "protocol": [{"name": "a"}, {"name": "b"}],
    }
    child = {
        "a": {"y": {"q": 5}},
        "wtp": [9],
        "d": {"dist": "gamma", "shape": 2, "scale": 3},
        "protocol": [{"name": "c"}],
    }
    assert merge_tables(parent, child) == {
        "a": {"x": 1, "y": {"p": 1, "q": 5}},  # tables merge key by key
        "wtp": [9],  # arrays replace whole
        "d": {"dist": "gamma", "shape": 2, "scale": 3},  # distributions replace whole
        "protocol": [{"name": "c"}],  # [[protocol]] too
    }
    assert parent["a"] == {"x": 1, "y": {"p": 1, "q": 2}}  # inputs untouched


def test_extends_chain_states_only_differences(parent: Path, tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    _write(
        sub / "child.toml",
        'extends = "../parent.toml"\n[ultrasound]\nspecificity = 0.9\n'
        "[analysis]\nwillingness_to_pay = [1000.0]\n",
    )
    grandchild = _write(
        tmp_path / "grandchild.toml",
        'extends = "sub/child.toml"\n[meta]\nname = "gc"\n[analysis]\nreference_protocol = "only"\n'
        '[[protocol]]\nname = "only"\ninterval_months = 12\n',
    )
    full = load_scenario(parent)
    sc = load_scenario(grandchild)
    assert sc.meta.name == "gc"
    assert sc.ultrasound.specificity == 0.9  # from the middle file
    assert sc.ultrasound.sensitivity == full.ultrasound.sensitivity  # from the root
    assert list(sc.analysis.willingness_to_pay) == [1000.0]  # an array replaces the parent's
    assert sc.protocol_names == ["only"]  # so does [[protocol]]
    assert "extends" not in read_scenario_data(grandchild)


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'}, "cycle"),
        ({"a.toml": 'extends = "a.toml"\n'}, "cycle"),
        ({"a.toml": 'extends = "missing.toml"\n'}, "not found"),
        ({"a.toml": "extends = 3\n"}, "as a string"),
    ],
)
def test_bad_extends_is_refused_naming_the_file(
    tmp_path: Path, files: dict[str, str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    with pytest.raises(ScenarioError, match=needle):
        load_scenario(tmp_path / "a.toml")
    assert main(["validate", str(tmp_path / "a.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a.toml" in err and needle in err


def test_inactive_majority_is_baseline_plus_its_stated_differences() -> None:
    # the differences, written out from PARAMETERS.md section 1.2 (C1-C6 and a Dirichlet of
    # concentration 200), not read from the file under test
    mix = {
        "inactive_scar": 0.86,
        "bile_duct_stone": 0.08,
        "parasitic": 0.03,
        "haemangioma": 0.02,
        "malignant": 0.005,
        "active_infection": 0.005,
    }
    expected = load_scenario(SCENARIOS / "baseline.toml").resolved()
    expected["meta"]["name"] = "inactive-majority"
    expected["meta"]["description"] = (
        "Literature-anchored alternative: most calcifications are inactive scars "
        "(PARAMETERS.md section 1.2, C1-C6); same protocols"
    )
    expected["cohort"]["source"] = (
        "E2-E5; cause mix C1-C6 of PARAMETERS.md section 1.2 (ASSUMPTION)"
    )
    expected["cohort"]["causes"] = {**expected["cohort"]["causes"], **mix}
    expected["index_workup"]["enabled"] = False  # the mix is the followed group's own
    expected["uncertainty"]["cohort.causes"] = {
        "psa": {"dist": "dirichlet", "alpha": {k: round(200 * v, 9) for k, v in mix.items()}},
        "source": "C1-C6: Dirichlet with concentration 200 (PARAMETERS.md section 1.2)",
        "confidence": "A",
    }
    got = load_scenario(SCENARIOS / "inactive-majority.toml").resolved()
    assert got == expected


def test_inactive_majority_file_states_only_differences() -> None:
    data = tomllib.loads((SCENARIOS / "inactive-majority.toml").read_text())
    assert data["extends"] == "baseline.toml"
    assert set(data) == {"extends", "meta", "cohort", "index_workup", "uncertainty"}
    assert set(data["uncertainty"]) == {"cohort.causes"}


def test_diff_lists_changed_keys_with_sources(parent: Path, tmp_path: Path) -> None:
    child = _write(
        tmp_path / "child.toml",
        'extends = "parent.toml"\n[meta]\nname = "child"\n[ultrasound]\nspecificity = 0.9\n'
        '[uncertainty."ultrasound.specificity"]\nsource = "T9 test value"\nconfidence = "A"\n',
    )
    a, b = load_scenario(parent), load_scenario(child)
    rows = {r.key: r for r in diff_scenarios(a, b)}
    assert rows["meta.name"].a == a.meta.name and rows["meta.name"].b == "child"
    spec = rows["ultrasound.specificity"]
    assert (spec.a, spec.b) == (a.ultrasound.specificity, 0.9)
    assert (spec.source_b, spec.confidence_b) == ("T9 test value", "A")
    assert 'uncertainty."ultrasound.specificity".source' in rows
    assert diff_scenarios(a, a) == []


def test_diff_command(parent: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = _write(
        tmp_path / "child.toml", 'extends = "parent.toml"\n[ultrasound]\nspecificity = 0.9\n'
    )
    assert main(["diff", str(parent), str(child)]) == 0
    out = capsys.readouterr().out
    assert "1 differing key(s)" in out
    assert "  ultrasound.specificity\n" in out and "    B: 0.9\n" in out
    # the same override on both sides makes them equal
    assert main(["diff", str(parent), str(child), "--set", "ultrasound.specificity=0.5"]) == 0
    assert "no differences" in capsys.readouterr().out


def test_diff_of_the_shipped_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    base, alt = SCENARIOS / "baseline.toml", SCENARIOS / "inactive-majority.toml"
    assert main(["diff", str(base), str(alt)]) == 0
    out = capsys.readouterr().out
    assert "  meta.name\n    A: baseline\n    B: inactive-majority\n" in out


def test_set_on_a_schedule_updates_the_description(parent: Path) -> None:
    sc = load_scenario(parent, ["protocol.0.interval_months=12"])
    described = load_scenario(parent).protocol[0].description
    assert sc.protocol[0].description == (
        f"{described} (changed by --set protocol.0.interval_months=12)"
    )
    generated = parent.parent / "generated.toml"
    _write(
        generated,
        'extends = "parent.toml"\n[analysis]\nreference_protocol = "q6"\n'
        '[[protocol]]\nname = "q6"\ninterval_months = 6\n'
        'description = "Ultrasound every 6 months"\n'
        '[[protocol]]\nname = "none"\nvisits_months = []\n',
    )
    sc = load_scenario(generated, ["protocol.q6.interval_months=12"])
    assert sc.protocol[0].description == "Ultrasound every 12 months"
    assert sc.protocol[1].description == ""  # untouched: no description, no override


def test_run_manifest_records_the_overrides(parent: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    sets = ["--set", "ultrasound.specificity=0.9", "--set", "protocol.0.interval_months=12"]
    args = ["run", str(parent), "--out", str(out), "--patients", "200", "--replications", "1"]
    assert main([*args, "--workers", "1", "--quiet", "--no-events", *sets]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == ["ultrasound.specificity=0.9", "protocol.0.interval_months=12"]
    assert (
        "(changed by --set protocol.0.interval_months=12)"
        in (manifest["scenario"]["protocol"][0]["description"])
    )
