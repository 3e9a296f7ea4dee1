"""The one door to the disk: users' files are never moved, folders are all or nothing,
permissions follow the umask, dead runs' temporary folders are cleaned (issue 9)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fupsim import output
from fupsim.cli import main

TINY = ["--patients", "300", "--replications", "2", "--workers", "1", "--quiet"]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and "tmp" in p.name)


@pytest.mark.parametrize("out", [".", ".."])
def test_out_dot_or_dotdot_keeps_the_users_files(
    out: str, baseline_path: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "keep.txt").write_text("x")
    monkeypatch.chdir(work)
    assert main(["run", str(baseline_path), "--out", out, *TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert "--out" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt"]
    assert (work / "keep.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_report_out_dot_is_refused_and_copies_nothing(
    baseline_path: Path, tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(baseline_path), "--out", ".", *TINY]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_folder_of_someone_elses_files_needs_force_and_keeps_them(
    baseline_path: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    assert main(["run", str(baseline_path), "--out", str(out), *TINY]) == 2
    assert "thesis.docx" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]
    assert main(["run", str(baseline_path), "--out", str(out), "--force", *TINY]) == 0
    assert (out / "thesis.docx").read_text() == "years of work"
    assert (out / "summary.csv").is_file()
    assert _hidden(tmp_path) == []
    # the folder is now fupsim's: writing again needs no --force
    assert main(["run", str(baseline_path), "--out", str(out), *TINY]) == 0


def test_a_symlinked_out_stays_a_link_and_its_target_receives_the_files(
    baseline_path: Path, tmp_path: Path
) -> None:
    real = tmp_path / "store" / "real"
    real.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main(["run", str(baseline_path), "--out", str(link), *TINY]) == 0
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert (real / "summary.csv").is_file()
    assert _hidden(tmp_path) == [] and _hidden(real.parent) == []


def test_files_and_folders_follow_the_umask(baseline_path: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        assert main(["run", str(baseline_path), "--out", str(out), *TINY]) == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o755
        for f in out.iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name
        cmp_file = out / "comparison.csv"
        assert main(["compare", str(out), "--quiet"]) == 0
        assert stat.S_IMODE(cmp_file.stat().st_mode) == 0o644
        # an existing folder keeps the mode its owner gave it
        os.chmod(out, 0o750)
        assert main(["run", str(baseline_path), "--out", str(out), *TINY]) == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o750
    finally:
        os.umask(old)


def test_a_permission_error_is_bad_input_and_leaves_nothing(
    baseline_path: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    # (the suite runs as root in CI, which ignores file modes, so the refusal is simulated)
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkdtemp", refuse)
    out = tmp_path / "run"
    assert main(["run", str(baseline_path), "--out", str(out), *TINY]) == 2
    assert "Permission denied" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_temporary_folders_of_a_dead_run_are_removed(baseline_path: Path, tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    pid = int(dead.stdout)  # a process that has exited
    stale = tmp_path / f".run.tmp-{pid}-abc123"
    stale.mkdir()
    (stale / "summary.csv").write_text("half")
    live = tmp_path / f".run.tmp-{os.getppid()}-xyz"  # a running process's: kept
    live.mkdir()
    assert main(["run", str(baseline_path), "--out", str(tmp_path / "run"), *TINY]) == 0
    assert not stale.exists()
    assert live.exists()


def test_an_interrupt_inside_a_folder_write_keeps_the_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "psa"
    with output.atomic_directory(out) as tmp:
        (tmp / "psa.csv").write_text("draws\n8\n")
        (tmp / "psa_manifest.json").write_text('{"draws": 8}')
    with pytest.raises(KeyboardInterrupt), output.atomic_directory(out) as tmp:
        (tmp / "psa.csv").write_text("draws\n12\n")
        raise KeyboardInterrupt
    assert (out / "psa.csv").read_text() == "draws\n8\n"
    assert json.loads((out / "psa_manifest.json").read_text()) == {"draws": 8}
    assert _hidden(tmp_path) == []


def test_one_manifest_shape(baseline) -> None:
    record = output.manifest("run", baseline.resolved(), seed=7, sizes={"patients": 10})
    for key in (
        "analysis",
        "fupsim_command",
        "scenario",
        "scenario_sha256",
        "seed",
        "patients",
        "packages",
        "git_revision",
        "wall_time_seconds",
    ):
        assert key in record
    same = output.manifest("psa", baseline.resolved(), seed=1, sizes={})
    assert same["scenario_sha256"] == record["scenario_sha256"]
    changed = dict(baseline.resolved(), meta={"name": "other"})
    assert output.scenario_hash(changed) != record["scenario_sha256"]


def test_a_damaged_run_folder_names_the_file(baseline_path: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["run", str(baseline_path), "--out", str(run), *TINY]) == 0
    (run / "outcomes.parquet").write_bytes(b"not parquet at all")
    assert main(["compare", str(run), "--quiet"]) == 2
    assert "outcomes.parquet" in capsys.readouterr().err


def test_a_manifest_from_another_run_is_refused(
    baseline_path: Path, tmp_path: Path, capsys
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(baseline_path), "--out", str(a), *TINY]) == 0
    assert (
        main(
            [
                "run",
                str(baseline_path),
                "--out",
                str(b),
                "--patients",
                "200",
                "--replications",
                "3",
                "--workers",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    (a / "manifest.json").write_bytes((b / "manifest.json").read_bytes())
    assert main(["compare", str(a), "--quiet"]) == 2
    assert "does not belong" in capsys.readouterr().err
    summary = pd.read_csv(b / "summary.csv")
    assert len(summary) > 0


def test_a_point_file_missing_a_column_is_simulated_again(
    baseline_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        str(baseline_path),
        "--out",
        str(out),
        "--vary",
        "ultrasound.specificity=0.9,0.95",
        "--patients",
        "200",
        "--replications",
        "1",
        "--workers",
        "1",
        "--quiet",
    ]
    assert main(argv) == 0
    first = pd.read_csv(out / "sweep.csv")
    point = sorted((out / "points").glob("*/*.json"))[0]
    record = json.loads(point.read_text())
    record["columns"].remove("cost_per_patient")  # parses, but lacks a column
    del record["data"]["cost_per_patient"]
    point.write_text(json.dumps(record))
    assert main(argv) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), first)
    assert "cost_per_patient" in json.loads(point.read_text())["columns"]


def test_a_notebook_write_gives_the_folder_the_cli_writes(
    baseline_path: Path, tmp_path: Path
) -> None:
    import hashlib

    import fupsim

    cli, nb = tmp_path / "cli", tmp_path / "notebook"
    assert main(["run", str(baseline_path), "--out", str(cli), "--seed", "4", *TINY]) == 0
    scenario = fupsim.load_scenario(baseline_path)
    fupsim.run(scenario, seed=4, replications=2, patients=300, workers=1).write(nb)
    assert sorted(p.name for p in cli.iterdir()) == sorted(p.name for p in nb.iterdir())
    for f in sorted(cli.iterdir()):
        if f.name == "manifest.json":  # command line and wall time differ by design
            a, b = json.loads(f.read_text()), json.loads((nb / f.name).read_text())
            for key in ("scenario_sha256", "seed", "replications", "patients", "protocols"):
                assert a[key] == b[key], key
            continue
        digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (f, nb / f.name)]
        assert digest[0] == digest[1], f.name


def test_validate_checks_writes_the_validation_table(tmp_path: Path, capsys) -> None:
    assert main(["validate", "--checks"]) == 2  # no --out: refused, nothing written
    assert "--out" in capsys.readouterr().err
    out = tmp_path / "checks"
    assert main(["validate", "--checks", "--out", str(out)]) == 0
    table = pd.read_csv(out / "validation.csv")
    # each row states its own tolerance and whether the simulation met it
    assert len(table) >= 8
    assert ((table["z"].abs() <= table["tolerance_se"]) == table["passed"]).all()
