"""Sensitivity commands through ``main(argv)``: outputs, [sweep] tables, bad input, report section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.report.sections.sensitivity import render
from fupsim.sensitivity import OwsaResult, PointStore, SobolResult

SMALL = ["--patients", "300", "--replications", "1", "--quiet"]


def test_sweep_cli_writes_table_and_rerun_is_identical(baseline_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    argv = [
        "sweep",
        str(baseline_path),
        "--vary",
        "ultrasound.sensitivity=0.5:0.9:3",
        "--out",
        str(out),
        *SMALL,
    ]
    assert main([*argv, "--workers", "2"]) == 0
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:3]) == ["point", "ultrasound.sensitivity", "protocol"]
    assert len(table) == 3 * len(fupsim.load_scenario(baseline_path).protocol)
    first = (out / "sweep.csv").read_bytes()
    assert main([*argv, "--workers", "1"]) == 0
    assert (out / "sweep.csv").read_bytes() == first
    assert (out / "sweep_manifest.json").is_file()


def test_sweep_table_in_the_scenario(baseline_path: Path, tmp_path: Path) -> None:
    text = baseline_path.read_text() + (
        "\n[sweep]\nreplications = 1\npatients = 300\n"
        'vary = { "attendance.per_visit" = [0.6, 0.9], "protocol.us-6m.interval_months" = "4:6:3" }\n'
    )
    scen = tmp_path / "with-sweep.toml"
    scen.write_text(text)
    out = tmp_path / "sw"
    assert main(["sweep", str(scen), "--out", str(out), "--quiet", "--workers", "2"]) == 0
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[1:3]) == ["attendance.per_visit", "protocol.us-6m.interval_months"]
    assert table["point"].nunique() == 6
    assert sorted(table["protocol.us-6m.interval_months"].unique()) == [4.0, 5.0, 6.0]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["sweep", "--vary", "nope.key=1,2"], "nope.key"),
        (["sweep"], "--vary"),
        (["sweep", "--vary", "ultrasound.sensitivity=0.2,1.2"], "ultrasound.sensitivity"),
        (["owsa", "--protocol", "us-2m"], "--protocol 'us-2m'"),
        (["sobol", "--samples", "12"], "power of 2"),
        (["psa", "--draws", "2", "--set", "uncertainty={}"], "psa distribution"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    argv: list[str],
    words: str,
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    cmd, rest = argv[0], argv[1:]
    assert main([cmd, str(baseline_path), "--out", str(out), *rest, *SMALL]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_owsa_and_sobol_cli_and_report_section(baseline_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    keys = ["--parameter", "costs.late_treatment", "--parameter", "ultrasound.sensitivity"]
    assert (
        main(["owsa", str(baseline_path), "--out", str(out), *keys, "--points", "3", *SMALL]) == 0
    )
    tornado = pd.read_csv(out / "owsa_tornado.csv")
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    assert (
        main(["sobol", str(baseline_path), "--out", str(out), *keys, "--samples", "4", *SMALL]) == 0
    )
    for name in (*OwsaResult.FILES, *OwsaResult.FIGURES, *SobolResult.FILES, *SobolResult.FIGURES):
        assert (out / name).is_file(), name
    figures = tmp_path / "figures"
    html = render(out, figures)
    assert html is not None and html.startswith('<section id="sensitivity">')
    assert 'src="figures/tornado.png"' in html and 'src="figures/sobol.png"' in html
    assert "figures/ceac.png" not in html  # no PSA results in this folder
    assert (figures / "tornado.png").is_file() and (figures / "sobol.png").is_file()


def test_report_section_absent_without_results(tmp_path: Path) -> None:
    assert render(tmp_path, tmp_path / "figures") is None
    assert not (tmp_path / "figures").exists()


def test_report_section_with_psa(baseline_path: Path, tmp_path: Path) -> None:
    from fupsim.report.sections import uncertainty

    out = tmp_path / "psa"
    assert main(["psa", str(baseline_path), "--out", str(out), "--draws", "24", *SMALL]) == 0
    # A whole PSA folder belongs to the uncertainty section, not this one.
    assert render(out, tmp_path / "figures") is None
    html = uncertainty.render(out, tmp_path / "figures")
    assert html is not None
    for name in ("psa_ceac", "psa_ceaf", "psa_expected_loss", "psa_ce_plane", "psa_evppi"):
        assert f'src="figures/{name}.png"' in html
        assert (tmp_path / "figures" / f"{name}.png").is_file()
    assert "parameter uncertainty (PSA), 24 draws" in html


def test_ctrl_c_keeps_finished_points_and_rerun_completes(
    baseline_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vary = ["--vary", "ultrasound.sensitivity=0.5:0.9:3", "--vary", "attendance.per_visit=0.7,0.9"]
    base = ["sweep", str(baseline_path), *vary, *SMALL, "--workers", "2"]
    assert main([*base, "--out", str(tmp_path / "clean")]) == 0
    real_save = PointStore.save
    calls = {"n": 0}

    def save_then_ctrl_c(self: PointStore, key: str, encoded: dict[str, Any], **extra: Any) -> Path:
        if calls["n"] == 3:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real_save(self, key, encoded, **extra)

    monkeypatch.setattr(PointStore, "save", save_then_ctrl_c)
    out = tmp_path / "run"
    assert main([*base, "--out", str(out)]) == 130
    assert "3 finished point(s) are kept" in capsys.readouterr().err
    assert not (out / "sweep.csv").exists()
    monkeypatch.setattr(PointStore, "save", real_save)
    assert main([*base, "--out", str(out)]) == 0
    assert (out / "sweep.csv").read_bytes() == (tmp_path / "clean" / "sweep.csv").read_bytes()


def test_report_section_survives_foreign_tables(tmp_path: Path) -> None:
    (tmp_path / "owsa.csv").write_text("parameter,low,high\nx,1,2\n")
    (tmp_path / "owsa_tornado.csv").write_text("a,b\n1,2\n")
    html = render(tmp_path, tmp_path / "figures")
    # the loader refuses the folder, and the section says which file is missing
    assert html is not None and "one-way analysis is not shown" in html
    assert "owsa_manifest.json" in html and "missing" in html
