"""Tests of ``fupsim compare`` through ``main(argv)``: outputs, printed table, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.statistics import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = fupsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    out = tmp_path_factory.mktemp("cmp") / "run"
    fupsim.run(scenario, seed=11, replications=2, patients=1500, workers=1).write(out)
    return out


def copy_run(run_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    return target


def test_compare_writes_tables_and_prints(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run(run_dir, tmp_path)
    assert main(["compare", str(d)]) == 0
    out = capsys.readouterr().out
    assert "us-6m vs us-3m" in out and "Non-inferiority" in out and "frontier" in out
    assert "Halving it needs about" in out
    for name in OUTPUT_FILES:
        assert (d / name).is_file(), name
    table = pd.read_csv(d / "comparison.csv")
    for col in (
        "comparison",
        "metric",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "method",
    ):
        assert col in table.columns
    assert (table["ci_low"] <= table["estimate"]).all() and (
        table["estimate"] <= table["ci_high"]
    ).all()
    icer = pd.read_csv(d / "icer.csv")
    assert set(icer["status"]) <= {"frontier", "dominated", "extendedly dominated"}
    assert "GEE" in (d / "models.txt").read_text()
    # the run files are untouched
    assert (d / "summary.csv").read_bytes() == (run_dir / "summary.csv").read_bytes()


def test_quiet_prints_nothing(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run(run_dir, tmp_path)
    assert main(["compare", str(d), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert (d / "comparison.csv").is_file()


def test_missing_directory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["compare", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not found" in err and "nowhere" in err
    assert not missing.exists()


def test_folder_without_a_run_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and "manifest.json" in err
    assert list(tmp_path.iterdir()) == []


def test_run_missing_outcomes_is_exit_2_and_writes_nothing(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run(run_dir, tmp_path)
    (d / "outcomes.parquet").unlink()
    before = sorted(p.name for p in d.iterdir())
    assert main(["compare", str(d)]) == 2
    err = capsys.readouterr().err.strip()
    assert "outcomes.parquet" in err and err.count("\n") == 0
    assert sorted(p.name for p in d.iterdir()) == before


def test_broken_manifest_is_exit_2(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run(run_dir, tmp_path)
    (d / "manifest.json").write_text("{not json")
    assert main(["compare", str(d)]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert not (d / "comparison.csv").exists()


def test_bad_gee_patients_is_exit_2(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_run(run_dir, tmp_path)
    assert main(["compare", str(d), "--gee-patients", "1"]) == 2
    assert "--gee-patients" in capsys.readouterr().err
    assert not (d / "comparison.csv").exists()
