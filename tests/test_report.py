"""The report folder: every section and image present, tables with units, numbers that agree
with the run's own tables by another route, plug-in sections, re-rendering and bad input."""

from __future__ import annotations

import math
import sys
import types
from html.parser import HTMLParser
from importlib.machinery import ModuleSpec
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import fupsim
from fupsim.cli import main
from fupsim.report.sections import BUILTIN, ORDER
from fupsim.report.summary import noninferiority_verdict
from fupsim.statistics import replicates
from fupsim.statistics.intervals import ratio_interval

FIGURES = {"cohort", "yield", "detection", "workload", "costs", "cost_effect", "delay", "by_cause"}
"""The report's own figures; plug-in sections add theirs (the pathways section its flow)."""
SECTION_FIGURES = {"pathway_flow"}
UNIT_TOKENS = ("(", "per ", "%", "months", "p-value", "p, ", "Conclusion")


class _Page(HTMLParser):
    """Collects section ids, image sources and each table's headers and numeric columns."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[str] = []
        self.tables: list[dict[str, object]] = []
        self._cell: str | None = None
        self._text = ""
        self._col = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(str(a.get("id")))
        elif tag == "img":
            self.images.append(str(a.get("src")))
        elif tag == "table":
            self.tables.append({"id": a.get("id"), "headers": [], "numeric": set()})
        elif tag == "tr":
            self._col = 0
        elif tag in ("th", "td") and self.tables:
            self._cell, self._text = tag, ""
            if tag == "td" and a.get("class") == "num":
                self.tables[-1]["numeric"].add(self._col)  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell == tag:
            if tag == "th":
                self.tables[-1]["headers"].append(self._text.strip())  # type: ignore[union-attr]
            self._col += 1
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell:
            self._text += data


@pytest.fixture(scope="module")
def small_run() -> fupsim.RunResult:
    sc = fupsim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")
    return fupsim.run(sc, patients=2000, replications=3, workers=1, seed=11)


@pytest.fixture(scope="module")
def report(small_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rep") / "report"
    fupsim.build_report(small_run, out, progress=False)
    return out


@pytest.fixture(scope="module")
def page(report) -> _Page:
    p = _Page()
    p.feed((report / "index.html").read_text(encoding="utf-8"))
    return p


def test_every_builtin_section_is_present_in_order(page) -> None:
    own = [s for s in page.sections if s in BUILTIN]
    assert own == [s for s in ORDER if s in BUILTIN]


def test_every_image_exists_and_every_figure_is_shown(report, page) -> None:
    assert page.images, "no images"
    for src in page.images:
        assert not src.startswith(("/", "http")), src  # relative: the folder can be moved
        path = report / src
        assert path.is_file() and path.stat().st_size > 5000, src
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {Path(s).stem for s in page.images} == FIGURES | SECTION_FIGURES


def test_numeric_table_columns_carry_units(page) -> None:
    checked = 0
    for t in page.tables:
        headers = t["headers"]
        for col in sorted(t["numeric"]):  # type: ignore[arg-type]
            head = headers[col]  # type: ignore[index]
            assert any(tok in head for tok in UNIT_TOKENS), f"{t['id']}: {head!r} has no unit"
            checked += 1
    assert checked > 20


def test_run_files_and_tables_are_written(report) -> None:
    for name in (
        "summary.csv",
        "outcomes.parquet",
        "manifest.json",
        "comparison.csv",
        "icer.csv",
        "detection_curves_from_index.csv",
        "detection_curves_from_onset.csv",
        "validation.csv",
    ):
        assert (report / name).is_file(), name
    assert (report / "tables" / "parameters.csv").is_file()
    # one name, one definition: no second table of the same name anywhere in the folder
    names = [p.name for p in report.rglob("*.csv")]
    assert len(names) == len(set(names)), sorted(names)


def test_summary_states_the_icers_of_the_run(report) -> None:
    # the first frontier step's ICER recomputed by hand from summary.csv: extra cost over
    # extra effect (the scenario's effect, QALYs by default)
    from fupsim.labels import effect

    s = pd.read_csv(report / "summary.csv").set_index("protocol")
    e = effect(small_run_effect(report))
    cost, eff = s["cost_per_patient"], s[e.summary] / e.summary_scale
    icer = pd.read_csv(report / "icer.csv")
    front = icer[icer["status"] == "frontier"].sort_values("cost_per_patient")
    html = (report / "index.html").read_text(encoding="utf-8")
    summary = html[html.index('id="summary"') : html.index('id="methods"')]
    first = str(front.iloc[0]["protocol"])
    if len(front) == 1:  # one protocol dominates every other
        assert f"<b>{first}</b> costs least" in summary
        return
    second = str(front.iloc[1]["protocol"])
    assert eff[second] > eff[first] and cost[second] > cost[first]
    ratio = (cost[second] - cost[first]) / (eff[second] - eff[first])
    assert f"{ratio:,.0f}" in summary
    assert f"<b>{first}</b> is the efficient choice" in summary


def small_run_effect(report: Path) -> str:
    """The effect the report's ICERs are in (analysis.effect, from icer.csv)."""
    from fupsim.labels import EFFECTS

    col = str(pd.read_csv(report / "icer.csv")["effect"].iloc[0])
    return next(k for k, e in EFFECTS.items() if e.outcome == col)


def test_methods_are_filled_from_the_manifest(report, small_run) -> None:
    html = (report / "index.html").read_text(encoding="utf-8")
    methods = html[html.index('id="methods"') : html.index('id="parameters"')]
    sc = small_run.scenario
    for text in (
        "root seed 11",
        "3 replicates × 2,000 adults",
        f"{sc.simulation.horizon_months:g} months",
        f"{sc.costs.currency} {sc.costs.year}",
        f"{sc.costs.discount_rate:.1%} per year",
        "Health-care payer",
        "CHEERS",
        "STRESS-DES",
    ):
        assert text in methods, text


def test_parameter_table_flags_every_assumption(report, small_run) -> None:
    table = pd.read_csv(report / "tables" / "parameters.csv")
    unc = small_run.scenario.uncertainty
    assumed = {k for k, u in unc.items() if u.confidence == "A"}
    for key in assumed:
        rows = table[(table["parameter"] == key) | table["parameter"].str.startswith(key + ".")]
        assert len(rows) and rows["assumption"].all(), key
    html = (report / "index.html").read_text(encoding="utf-8")
    assert html.count('<tr class="assumption">') == int(table["assumption"].sum())
    assert "costs.early_treatment" in html and "ASSUMPTION" in html


def test_footer_has_versions_revision_and_command(report) -> None:
    html = (report / "index.html").read_text(encoding="utf-8")
    footer = html[html.index('<footer id="footer">') :]
    assert "fupsim report" in footer and "--seed 11" in footer
    assert "numpy" in footer and "Git revision" in footer


def test_validation_section_shows_the_checks(report) -> None:
    checks = pd.read_csv(report / "validation.csv")
    html = (report / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="validation"') :]
    assert f"{checks['passed'].sum()} of {len(checks)} checks" in section


def test_summary_quotes_the_comparison_tables_interval(report) -> None:
    # one interval convention: the summary's contrast is comparison.csv's row, to the digit
    t = pd.read_csv(report / "comparison.csv").set_index(["comparison", "metric"])
    row = t.loc[("us-6m vs us-3m", "screen_detected_per_1000")]
    html = (report / "index.html").read_text(encoding="utf-8")
    summary = html[html.index('id="summary"') : html.index('id="methods"')]
    bullet = summary[summary.index("<li><b>us-6m</b> against") :]
    bullet = bullet[: bullet.index("</li>")]
    assert f"{abs(row['ci_low']):.1f}" in bullet and f"{abs(row['ci_high']):.1f}" in bullet


def test_paired_differences_match_scipy_paired_t(small_run) -> None:
    # comparison.csv's cost contrast is a paired t interval over paired patients
    c = fupsim.compare(small_run, gee=False).against("us-3m")
    row = c[(c["protocol"] == "us-6m") & (c["metric"] == "cost_per_patient")].iloc[0]
    wide = small_run.outcomes.pivot_table(
        index=["replicate", "patient_id"], columns="protocol", values="cost"
    )
    ci = sps.ttest_rel(wide["us-6m"], wide["us-3m"]).confidence_interval(0.95)
    assert row["ci_low"] == pytest.approx(ci.low) and row["ci_high"] == pytest.approx(ci.high)


def _outcomes(cost: dict[str, list[float]], sd: dict[str, list[int]], n: int = 4) -> pd.DataFrame:
    """Outcomes with n people per replicate: costs and screen detections set per replicate."""
    rows = []
    for name in cost:
        for r, (c, k) in enumerate(zip(cost[name], sd[name], strict=True)):
            for i in range(n):
                rows.append(
                    {
                        "replicate": r,
                        "protocol": name,
                        "patient_id": i,
                        "cost": c,
                        "screen_detected": i < k,
                        "interval_case": False,
                        "undetected_at_horizon": False,
                        "n_scans": 0,
                        "detection_month": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def test_icer_interval_reduces_to_a_t_interval_when_the_effect_is_fixed() -> None:
    # every unit has the same effect difference, so ICER = mean(ΔC) / ΔE exactly and its
    # delta-method interval is the t interval of ΔC_i / ΔE
    dc = np.array([20.0, 23.0, 29.0, 31.0])
    de = np.full(4, 0.5)
    r, _, lo, hi = ratio_interval(dc, de)
    ratios = dc / 0.5
    elo, ehi = sps.t.interval(0.95, 3, loc=ratios.mean(), scale=sps.sem(ratios))
    assert r == pytest.approx(ratios.mean())
    assert lo == pytest.approx(elo) and hi == pytest.approx(ehi)


def test_detection_curve_is_a_hand_count() -> None:
    out = _outcomes({"a": [1.0, 1.0]}, {"a": [1, 3]})
    out["detection_month"] = np.where(out["patient_id"] == 0, 2.0, 5.0)
    c = replicates.detection_from_index(out, horizon_months=6.0, step_months=1.0)
    # replicate 0: one person at month 2; replicate 1: one at 2, two at 5 (of four people each)
    at = c.set_index("time_months")["cumulative_detection"]
    assert at[1.0] == 0 and at[2.0] == pytest.approx((1 / 4 + 1 / 4) / 2)
    assert at[5.0] == pytest.approx((1 / 4 + 3 / 4) / 2)


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (-4.0, 1.0, "non-inferior"),
        (-9.0, -6.0, "inferior"),
        (-7.0, -2.0, "inconclusive"),
        (math.nan, math.nan, "inconclusive"),
    ],
)
def test_noninferiority_verdict(low: float, high: float, verdict: str) -> None:
    assert noninferiority_verdict(low, high, 5.0) == verdict


def _plugin(monkeypatch, name: str, render) -> None:
    mod = types.ModuleType(f"fupsim.report.sections.{name}")
    mod.__spec__ = ModuleSpec(mod.__name__, loader=None)
    mod.render = render  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, mod.__name__, mod)


def test_plugin_sections_appear_in_order_with_their_figures(
    small_run, tmp_path, monkeypatch
) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    (out / "owsa.csv").write_text("parameter,low,high\nx,1,2\n")  # from an earlier analysis
    (out / ".fupsim-output").write_text("")  # ... that fupsim wrote

    def sensitivity(report_dir: Path, figures_dir: Path) -> str | None:
        if not (report_dir / "owsa.csv").is_file():
            return None
        (figures_dir / "tornado.png").write_bytes(
            (report_dir / "figures" / "yield.png").read_bytes()
        )
        return '<section id="sensitivity"><h2>Sensitivity</h2><img src="figures/tornado.png"></section>'

    _plugin(monkeypatch, "sensitivity", sensitivity)
    _plugin(monkeypatch, "capacity", lambda report_dir, figures_dir: None)
    fupsim.build_report(small_run, out, progress=False, validation=False)
    p = _Page()
    p.feed((out / "index.html").read_text(encoding="utf-8"))
    assert "sensitivity" in p.sections and "capacity" not in p.sections
    assert (
        p.sections.index("economics")
        < p.sections.index("sensitivity")
        < p.sections.index("validation")
    )
    assert (out / "figures" / "tornado.png").is_file() and (out / "owsa.csv").is_file()


def test_cli_rerenders_a_run_folder_without_simulating(small_run, tmp_path, monkeypatch) -> None:
    run_dir = small_run.write(tmp_path / "run")
    import fupsim.commands.report as cmd

    def no_simulation(*args, **kwargs):
        raise AssertionError("re-rendering must not simulate")

    monkeypatch.setattr(cmd, "run_from_args", no_simulation)
    out = tmp_path / "rendered"
    assert main(["report", str(run_dir), "--out", str(out), "--quiet", "--no-validation"]) == 0
    assert (out / "index.html").is_file() and (out / "figures" / "cost_effect.png").is_file()
    assert f"fupsim report {run_dir} --out {out}" in (out / "index.html").read_text(
        encoding="utf-8"
    )


def test_bad_input_writes_nothing(tmp_path, small_run, capsys) -> None:
    out = tmp_path / "never"
    assert main(["report", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2
    run_dir = small_run.write(tmp_path / "run")
    assert main(["report", str(run_dir), "--out", str(out), "--set", "ct.completion=0.5"]) == 2
    assert "--set" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(out)]) == 2  # a folder without a run
    assert not out.exists()


def test_a_failure_while_building_leaves_the_old_report(report, small_run, monkeypatch) -> None:
    import fupsim.report as rep

    before = (report / "index.html").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(rep, "write_figures", broken)
    with pytest.raises(RuntimeError):
        fupsim.build_report(small_run, report, progress=False, validation=False)
    assert (report / "index.html").read_bytes() == before
    assert not [p for p in report.parent.iterdir() if p.name.startswith(".report.tmp")]


def test_cli_report_of_a_scenario_records_its_overrides(tmp_path) -> None:
    toml = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    out = tmp_path / "rep"
    argv = [
        "report",
        str(toml),
        "--out",
        str(out),
        "--patients",
        "500",
        "--replications",
        "2",
        "--seed",
        "5",
        "--set",
        "ultrasound.specificity=0.95",
        "--workers",
        "1",
        "--quiet",
        "--no-validation",
        "--no-psa",
    ]
    assert main(argv) == 0
    manifest = (out / "manifest.json").read_text()
    assert '"specificity": 0.95' in manifest
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "--set ultrasound.specificity=0.95" in html and "--patients 500" in html
    assert "not run: --no-validation" in html
    parts = _reproduce_line(html)
    assert "--no-psa" in parts and "--psa-draws" not in parts  # what reproduces this page


def _summary_for(costs: dict[str, float], yields: dict[str, float]) -> str:
    from fupsim.economics import icer_table
    from fupsim.report.summary import summary_html

    frame = pd.DataFrame(
        {
            "protocol": list(costs),
            "cost_per_patient": list(costs.values()),
            "screen_detected_per_patient": [yields[p] for p in costs],
        }
    )
    icer = icer_table(frame).assign(icer_ci_low=np.nan, icer_ci_high=np.nan)
    summary = frame.assign(screen_detected_per_1000=frame["screen_detected_per_patient"] * 1000)
    diffs = pd.DataFrame(columns=["protocol", "metric", "estimate", "ci_low", "ci_high"])
    return summary_html(
        icer,
        diffs,
        summary,
        reference=next(iter(costs)),
        margin_per_1000=5,
        currency="EUR",
        year=2025,
        replicates=1,
        patients=100,
    )


def test_summary_names_dominated_protocols_and_the_band_edges() -> None:
    # b costs more than a and finds less: dominated; c over a: (300 - 100) / (0.04 - 0.02)
    html = _summary_for({"a": 100.0, "b": 200.0, "c": 300.0}, {"a": 0.02, "b": 0.01, "c": 0.04})
    assert "<b>b</b> is dominated" in html
    assert "less than EUR 10,000, <b>a</b> is the efficient choice" in html
    assert "At EUR 10,000 or more per additional screen-detected change, <b>c</b>" in html


def test_summary_when_one_protocol_dominates_all() -> None:
    html = _summary_for({"a": 100.0, "b": 200.0}, {"a": 0.05, "b": 0.01})
    assert "<b>a</b> costs least and gives at least as many" in html


def test_standalone_page_embeds_every_figure(report) -> None:
    import base64
    import re

    index = (report / "index.html").read_text()
    single = (report / "report-standalone.html").read_text()
    linked = re.findall(r'<img\b[^>]*?\bsrc="(figures/[^"]+)"', index)
    embedded = re.findall(r'<img\b[^>]*?\bsrc="data:image/png;base64,([^"]+)"', single)
    assert linked and len(embedded) == len(linked)
    assert 'src="figures/' not in single
    for data, name in zip(embedded, linked, strict=True):
        assert base64.b64decode(data) == (report / name).read_bytes()


def test_rerendering_a_folder_is_byte_identical_and_simulates_nothing(
    report, tmp_path, monkeypatch
) -> None:
    import fupsim.pipeline as pipeline

    def forbidden(*args, **kwargs):
        raise AssertionError("re-rendering must not simulate or recompute")

    for name in ("run", "analytic_checks", "compare"):
        monkeypatch.setattr(pipeline, name, forbidden)
    out = tmp_path / "again"
    pipeline.build_report(report, out, progress=False, command="fupsim report R --out A")
    first = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    pipeline.build_report(out, out, progress=False, command="fupsim report R --out A")
    second = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    html = (out / "index.html").read_text(encoding="utf-8")
    # the reproduce line is the command that produced the results, and survives re-rendering
    assert "This page rendered by:" in html and "fupsim report R --out A" in html


def test_figures_in_svg_too_when_asked(small_run, tmp_path) -> None:
    out = fupsim.build_report(
        small_run, tmp_path / "svg", progress=False, validation=False, figure_formats=("png", "svg")
    )
    for name in FIGURES:
        assert (out / "figures" / f"{name}.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert main(["report", str(out), "--out", str(tmp_path / "x"), "--figure-format", "gif"]) == 2
    assert not (tmp_path / "x").exists()


def test_overrides_banner_lists_the_manifest_overrides(small_run, tmp_path) -> None:
    import json

    run_dir = small_run.write(tmp_path / "run")
    m = json.loads((run_dir / "manifest.json").read_text())
    m["overrides"] = ["protocol.us-6m.interval_months=12"]
    (run_dir / "manifest.json").write_text(json.dumps(m))
    out = fupsim.build_report(run_dir, tmp_path / "rep", progress=False, validation=False)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Overrides applied:" in html and "protocol.us-6m.interval_months=12" in html


def test_benefit_harm_table_rows_are_comparison_rows(report) -> None:
    from fupsim.report.health import benefit_harm
    from fupsim.statistics import load_comparison

    t = benefit_harm(pd.read_csv(report / "summary.csv"), load_comparison(report))
    c = pd.read_csv(report / "comparison.csv").set_index(["comparison", "metric"])
    row = t[(t["measure"].str.startswith("QALYs")) & (t["protocol"] == "us-3m")].iloc[0]
    base = row["comparator"]

    # QALYs gained per 1,000 = 1,000 × the per-person paired difference
    def diff(metric: str) -> float:  # us-3m minus base, whichever way comparison.csv has it
        if (f"us-3m vs {base}", metric) in c.index:
            return float(c.loc[(f"us-3m vs {base}", metric), "estimate"])
        return -float(c.loc[(f"{base} vs us-3m", metric), "estimate"])

    assert row["estimate"] == pytest.approx(1000 * diff("qalys_per_patient"))
    deaths = t[(t["measure"].str.startswith("Deaths")) & (t["protocol"] == "us-3m")].iloc[0]
    assert deaths["estimate"] == pytest.approx(-diff("deaths_per_1000"))


@pytest.mark.slow
def test_rerendering_sees_a_design_subfolder(report, tmp_path) -> None:
    """A design result written into REPORT/design is on the page re-rendered into REPORT."""
    import shutil

    rep = tmp_path / "rep"
    shutil.copytree(report, rep)
    assert 'id="design"' not in (rep / "index.html").read_text(encoding="utf-8")
    argv = ["design", "scenarios/baseline.toml", "--out", str(rep / "design"), "--patients",
            "200", "--replications", "2", "--intervals", "6,12", "--durations", "24",
            "--workers", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    fupsim.build_report(rep, rep, progress=False, validation=False)
    p = _Page()
    p.feed((rep / "index.html").read_text(encoding="utf-8"))
    assert "design" in p.sections
    assert (rep / "figures" / "design_frontier.png").is_file()
    assert (rep / "design" / "candidates.csv").is_file()  # the sub-folder itself is kept


def _reproduce_line(html: str) -> list[str]:
    import re
    import shlex
    from html import unescape

    found = re.search(r"<b>Reproduce[^<]*</b> <code>(.*?)</code>", html, flags=re.S)
    assert found, "no reproduce line"
    return shlex.split(unescape(found.group(1)))


def _flag(parts: list[str], flag: str) -> str | None:
    return parts[parts.index(flag) + 1] if flag in parts else None


@pytest.mark.slow
def test_reproduce_line_records_the_psa_options(tmp_path, monkeypatch) -> None:
    """The footer's command states the PSA's draws and adults per draw (read back from the
    PSA's manifest, i.e. what was simulated); running it again gives the same PSA."""
    import json

    toml = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    base = ["report", str(toml), "--patients", "300", "--replications", "1", "--seed", "3",
            "--workers", "1", "--quiet", "--no-validation"]  # fmt: skip
    out = tmp_path / "psa"
    argv = [*base, "--out", str(out), "--psa-draws", "3", "--psa-patients", "150"]
    monkeypatch.setattr(sys, "argv", ["fupsim", *argv])  # as typed on the command line
    assert main(argv) == 0
    psa = json.loads((out / "psa_manifest.json").read_text())
    parts = _reproduce_line((out / "index.html").read_text(encoding="utf-8"))
    assert _flag(parts, "--psa-draws") == str(psa["draws"]) == "3"
    assert _flag(parts, "--psa-patients") == str(psa["patients_per_point"]) == "150"
    assert "--no-psa" not in parts
    # the line, run again into another folder, gives the same PSA draws
    again = tmp_path / "again"
    parts[parts.index("--out") + 1] = str(again)
    monkeypatch.setattr(sys, "argv", parts)
    assert main(parts[1:]) == 0
    a, b = (pd.read_csv(d / "psa.csv") for d in (out, again))
    pd.testing.assert_frame_equal(a, b)


def test_reproduce_command_replaces_stated_psa_options() -> None:
    from fupsim.report.methods import reproduce_command

    m = {"fupsim_command": "fupsim report a.toml --out r --psa-draws=50 --no-psa --seed 2"}
    assert reproduce_command(m, {"draws": 9, "patients_per_point": 40}) == (
        "fupsim report a.toml --out r --seed 2 --psa-draws 9 --psa-patients 40"
    )
    assert reproduce_command(m, None) == "fupsim report a.toml --out r --seed 2 --no-psa"
    run = {"fupsim_command": "fupsim run a.toml --out r"}  # not a report: shown as recorded
    assert reproduce_command(run, {"draws": 9}) == "fupsim run a.toml --out r"


def test_a_new_run_into_an_old_report_replaces_every_run_derived_file(small_run, tmp_path) -> None:
    """A new run written over an older report (``--force``) must not keep the older run's
    comparison: comparison.csv is the new run's own, the same as in a fresh folder."""
    sc = fupsim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")
    other = fupsim.run(sc, patients=2000, replications=3, workers=1, seed=12)
    out, fresh = tmp_path / "r", tmp_path / "fresh"
    fupsim.build_report(small_run, out, progress=False, validation=False)
    old = (out / "comparison.csv").read_bytes()
    fupsim.build_report(other, out, progress=False, validation=False, force=True)
    fupsim.build_report(other, fresh, progress=False, validation=False)
    assert (out / "comparison.csv").read_bytes() != old
    for name in ("comparison.csv", "icer.csv", "summary.csv", "pathways.csv", "by_subgroup.csv"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
