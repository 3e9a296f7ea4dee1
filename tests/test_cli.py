"""The command line through ``main(argv)``: outputs, bad input, reproducibility."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from fupsim.cli import main
from fupsim.metrics import HEALTH_SUMMARY_COLUMNS, SUMMARY_COLUMNS

SMALL = ["--patients", "1500", "--replications", "3", "--quiet"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_writes_the_four_files_with_every_summary_column(
    baseline_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert main(["run", str(baseline_path), "--out", str(out), "--workers", "1", *SMALL]) == 0
    assert sorted(p.name for p in out.iterdir() if p.name != ".fupsim-output") == [
        "by_cause.csv",
        "by_subgroup.csv",
        "events.parquet",
        "infants.csv",
        "manifest.json",
        "outcomes.parquet",
        "pathways.csv",
        "summary.csv",
    ]
    summary = pd.read_csv(out / "summary.csv")
    for col in {**SUMMARY_COLUMNS, **HEALTH_SUMMARY_COLUMNS}:
        assert col in summary.columns
        if col not in ("protocol", "patients"):
            assert f"{col}_se" in summary.columns
    assert list(summary["protocol"]) == [
        "us-3m",
        "us-4.5m",
        "us-6m",
        "us-3m-24m",
        "us-4.5m-24m",
        "us-6m-24m",
        "no-follow-up",
    ]
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    for col in [
        "replicate",
        "protocol",
        "patient_id",
        "screen_detected",
        "interval_case",
        "n_scans",
        "n_ct",
        "detection_month",
        "cost",
    ]:
        assert col in outcomes.columns
    sizes = outcomes.groupby(["replicate", "protocol"]).size().unstack()
    assert (sizes.nunique(axis=1) == 1).all()  # every protocol sees the same people
    # the followed adults: fewer than the 1,500 adults (the index work-up sends some elsewhere)
    assert (sizes.max(axis=1) < 1500).all() and (sizes.min(axis=1) > 750).all()
    pathways = pd.read_csv(out / "pathways.csv")
    adults = pathways.loc[pathways["pathway"] != "infant", "people"].sum()
    assert adults == pytest.approx(1500)
    manifest = json.loads((out / "manifest.json").read_text())
    for key in [
        "scenario",
        "seed",
        "replications",
        "packages",
        "git_revision",
        "wall_time_seconds",
    ]:
        assert key in manifest
    events = pd.read_parquet(out / "events.parquet")
    # every attended or missed scan is an event (hand count from the outcomes)
    scans = events["event"].isin(["scan_negative", "scan_positive", "scan_missed"]).sum()
    assert scans == outcomes["n_scans"].sum() + outcomes["n_missed"].sum()


@pytest.mark.slow
def test_same_seed_identical_files_for_one_and_two_workers(
    baseline_path: Path, tmp_path: Path
) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["run", str(baseline_path), "--out", str(a), "--workers", "1", *SMALL]) == 0
    assert main(["run", str(baseline_path), "--out", str(b), "--workers", "2", *SMALL]) == 0
    assert (
        main(["run", str(baseline_path), "--out", str(c), "--workers", "2", "--seed", "99", *SMALL])
        == 0
    )
    for name in ["summary.csv", "outcomes.parquet", "events.parquet"]:
        assert _digest(a / name) == _digest(b / name), name
        assert _digest(a / name) != _digest(c / name), name
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    for volatile in ("wall_time_seconds", "workers", "fupsim_command"):
        ma.pop(volatile), mb.pop(volatile)
    assert ma == mb


def test_manifest_reproduces_the_run(baseline_path: Path, tmp_path: Path) -> None:
    import fupsim
    from fupsim.experiment import load_run

    out = tmp_path / "run"
    assert main(["run", str(baseline_path), "--out", str(out), "--workers", "1", *SMALL]) == 0
    stored = load_run(out)
    m = stored.manifest
    again = fupsim.run(
        stored.scenario,
        seed=m["seed"],
        replications=m["replications"],
        patients=m["patients"],
        workers=1,
    )
    pd.testing.assert_frame_equal(
        again.summary(), pd.read_csv(out / "summary.csv"), check_dtype=False
    )


def test_cohort_command_writes_csv_and_parquet(baseline_path: Path, tmp_path: Path) -> None:
    for suffix in ("csv", "parquet"):
        f = tmp_path / f"cohort.{suffix}"
        assert main(["cohort", str(baseline_path), "--out", str(f), "--patients", "800"]) == 0
        frame = pd.read_csv(f) if suffix == "csv" else pd.read_parquet(f)
        assert {"patient_id", "stream", "age_years", "sex", "lobe", "n_foci", "cause"} <= set(
            frame.columns
        )
        assert (frame["stream"] == "adult").sum() == 800


def test_validate_prints_parameters_and_schema(
    baseline_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(baseline_path)]) == 0
    text = capsys.readouterr().out
    assert "ultrasound.sensitivity" in text and "ASSUMPTION" in text
    assert main(["validate", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "cohort" in schema["properties"]


BAD = [
    (["--set", "cohort.femal_share=0.4"], "cohort.femal_share: unknown key"),
    (["--set", "simulation.patients=lots"], "simulation.patients = 'lots'"),
    (["--set", "ultrasound.specificity=1.3"], "ultrasound.specificity = 1.3"),
    (["--set", "cohort.causes.malignant=0.3"], "cohort.causes"),
    (["--set", "protocol.us-3m.interval_months=0"], "protocol[us-3m].interval_months = 0"),
    (["--set", "simulation.horizon_months=-1"], "simulation.horizon_months = -1"),
    (
        ["--set", "natural_history.malignant.onset.mean=0"],
        "natural_history.malignant.onset.mean = 0",
    ),
    (["--set", "nodots"], "--set 'nodots'"),
    (["--set", "protocol.q9m.interval_months=9"], "protocol.q9m matches no list entry"),
    (["--replications", "0"], "--replications"),
    (["--workers", "-2"], "--workers"),
]


@pytest.mark.parametrize(("extra", "fragment"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_exit_2_one_line_nothing_written(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    fragment: str,
) -> None:
    out = tmp_path / "out"
    with (
        pytest.raises(SystemExit)
        if extra[0] in ("--replications", "--workers")
        else _nullcontext() as ctx
    ):
        code = main(["run", str(baseline_path), "--out", str(out), *extra, "--quiet"])
    if ctx is not None and hasattr(ctx, "value"):
        code = ctx.value.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert fragment in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


class _nullcontext:
    value = None

    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def test_missing_and_malformed_scenario_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    assert main(["run", str(tmp_path / "nope.toml"), "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("simulation = [unclosed\n")
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert not out.exists()


def test_cohort_rejects_unknown_suffix(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cohort", str(baseline_path), "--out", str(tmp_path / "c.xlsx")]) == 2
    assert ".parquet or .csv" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_rejected(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["run", str(baseline_path), "--out", str(f), "--quiet"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_interrupt_leaves_no_partial_output(
    baseline_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fupsim.experiment as ex

    def boom(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ex.RunResult, "summary", boom)  # fails while the folder is being written
    out = tmp_path / "run"
    assert main(["run", str(baseline_path), "--out", str(out), "--workers", "1", *SMALL]) == 130
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def _blas_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info()]


def test_worker_processes_limit_blas_to_one_thread() -> None:
    from fupsim.experiment import map_tasks

    per_task = map_tasks(_blas_threads, [0, 1, 2, 3], workers=2, progress=False)
    assert all(per_task), "no BLAS library seen in the workers"
    assert all(n == 1 for threads in per_task for n in threads)


def test_manifest_records_the_cohort_that_arrivals_produced(tmp_path: Path) -> None:
    import fupsim

    root = Path(__file__).resolve().parents[1]
    sc = fupsim.load_scenario(
        root / "scenarios" / "capacity.toml",
        ["capacity.new_patients_per_year=300", "simulation.patients=99"],
    )
    result = fupsim.run(sc, replications=2, workers=1, events=False)
    m = result.manifest
    first = result.outcomes[result.outcomes["protocol"] == sc.protocol[0].name]
    assert m["people_per_replicate"] == list(first.groupby("replicate").size())
    assert m["patients"] != 99  # the unused setting is not reported as the cohort size
    # Poisson arrivals over run-in + service (60 months = 5 years) at 300 a year: mean 1,500
    assert abs(m["patients"] - 1500) < 4 * (1500 / 2) ** 0.5
    assert "arrivals" in m["patients_from"]
