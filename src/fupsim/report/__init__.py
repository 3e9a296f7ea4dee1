"""The report: one folder an analyst can open, read in ten minutes and forward.

:func:`build_report` takes a run (or a run folder) and writes, all or nothing, ``index.html``,
``figures/*.png``, the run files (``summary.csv``, ``outcomes.parquet``, ``events.parquet``,
``manifest.json``) and the report's tables in ``tables/*.csv``. Sections appear in the order
of :data:`fupsim.report.sections.ORDER`; plug-in sections (sensitivity, capacity) are added
when their modules and result files exist.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fupsim.experiment import RunResult, load_run
from fupsim.output import atomic_directory
from fupsim.report import body, methods
from fupsim.report.analysis import detection_curves, icer_with_intervals, paired_differences
from fupsim.report.figures import write_figures
from fupsim.report.html import markup, page, section, standalone
from fupsim.report.sections import ORDER, plugin_sections
from fupsim.report.summary import summary_html
from fupsim.stats import compare
from fupsim.validation import analytic_checks

__all__ = ["TITLES", "build_report", "reproduce_command"]

TITLES: dict[str, str] = {
    "summary": "Summary and recommendation",
    "methods": "Methods",
    "parameters": "Parameters",
    "cohort": "Simulated cohort",
    "results": "Results per protocol",
    "comparison": "Comparison with the reference protocol",
    "economics": "Cost-effectiveness",
    "validation": "Validation",
}
STEPS = 12  # progress ticks: comparison, 7 figures, validation, tables, plug-ins, page


def reproduce_command(
    result: RunResult,
    out: str | Path,
    scenario_path: str | None = None,
    overrides: list[str] | None = None,
) -> str:
    """The ``fupsim report`` command that rebuilds this report (same seed, size and overrides)."""
    m = result.manifest
    src = scenario_path or "SCENARIO.toml"
    sets = "".join(f" --set {o}" for o in overrides or [])
    return (
        f"fupsim report {src} --out {out} --seed {m.get('seed')} "
        f"--replications {m.get('replications')} --patients {m.get('patients')}{sets}"
    )


def _heading(fragment: str, default: str) -> str:
    """The text of a section fragment's first ``<h2>`` (for the contents), else ``default``."""
    found = re.search(r"<h2[^>]*>(.*?)</h2>", fragment, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""
    return html_lib.unescape(text) or default.capitalize()


def _progress(show: bool | None) -> Any:
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if show is None else not show
    return tqdm(total=STEPS, desc="report", unit="step", disable=disable, file=sys.stderr)


def _gather_files(tmp: Path, sources: list[Path]) -> None:
    """Copy top-level result files of earlier runs or analyses that the new build lacks."""
    for src in sources:
        if not src.is_dir():
            continue
        for item in src.iterdir():
            if item.is_file() and not item.name.startswith(".") and not (tmp / item.name).exists():
                shutil.copy2(item, tmp / item.name)


def build_report(
    run: RunResult | str | Path,
    out: str | Path,
    *,
    command: str | None = None,
    progress: bool | None = None,
    validation: bool = True,
    force: bool = False,
) -> Path:
    """Write the report folder for a run.

    Parameters
    ----------
    run : RunResult, str or Path
        A finished run (``fupsim.run``) or the folder of one (``fupsim run --out``); a folder
        is re-rendered without simulating.
    out : str or Path
        The report folder. It appears whole or not at all; files already in it that the
        report does not replace (e.g. ``owsa.csv``) are kept and feed the plug-in sections.
    command : str, optional
        The command that reproduces the report, shown in the footer (default: a
        ``fupsim report`` command with this run's seed, replicates and patients).
    progress : bool, optional
        Progress bar on stderr (default: only on a terminal).
    validation : bool
        Run the closed-form validation checks (about 2 s) and show them.
    force : bool
        Write into an existing folder that holds files fupsim did not write (they are kept).

    Returns
    -------
    Path
        ``out``.
    """
    source_dir = None if isinstance(run, RunResult) else Path(run)
    result = run if isinstance(run, RunResult) else load_run(run)
    sc = result.scenario
    out = Path(out)
    reference = sc.analysis.reference_protocol or sc.protocol_names[0]
    cmd = command or reproduce_command(result, out)
    bar = _progress(progress)
    tick: Callable[[], None] = lambda: bar.update(1)  # noqa: E731
    try:
        with atomic_directory(out, force=force) as tmp:
            if source_dir is None:
                result.write_into(tmp)
            _gather_files(tmp, [p for p in (source_dir, out) if p is not None])
            summary = result.summary()
            comparison = compare(result)
            comparison.write(tmp)
            tick()
            icer = icer_with_intervals(result.outcomes, sc.analysis.willingness_to_pay)
            diffs = paired_differences(result.outcomes, reference)
            curves = detection_curves(result.outcomes, sc.simulation.horizon_months)
            figs = {
                f.name: f
                for f in write_figures(
                    result,
                    summary,
                    icer,
                    curves,
                    tmp / "figures",
                    onset_curves=comparison.detection_curves,
                    tick=tick,
                )
            }
            checks = analytic_checks() if validation else None
            tick()
            tables = tmp / "tables"
            tables.mkdir(exist_ok=True)
            icer.to_csv(tables / "icer.csv", index=False)
            diffs.to_csv(tables / "differences.csv", index=False)
            curves.to_csv(tables / "detection_curves.csv", index=False)
            methods.parameter_rows(sc).to_csv(tables / "parameters.csv", index=False)
            if checks is not None:
                checks.to_csv(tables / "validation.csv", index=False)
            tick()
            plugins = plugin_sections(tmp, tmp / "figures")
            tick()
            cur, year = sc.costs.currency, sc.costs.year
            m = result.manifest
            own = {
                "summary": summary_html(
                    icer,
                    diffs,
                    summary,
                    reference=reference,
                    noninferiority=comparison.noninferiority,
                    margin_per_1000=sc.analysis.noninferiority_margin_per_1000,
                    currency=cur,
                    year=year,
                    replicates=int(m.get("replications", 0)),
                    patients=int(m.get("patients", 0)),
                ),
                "methods": methods.methods_html(sc, m, summary),
                "parameters": methods.parameters_html(sc),
                "cohort": body.cohort_html(figs),
                "results": body.results_html(summary, figs, cur, year),
                "comparison": body.comparison_html(diffs, comparison, cur),
                "economics": body.economics_html(
                    icer, summary, figs, cur, year, list(sc.analysis.willingness_to_pay)
                ),
                "validation": body.validation_html(checks, " (not run: --no-validation)"),
            }
            sections = []
            for name in ORDER:
                if name in own:
                    sections.append((name, TITLES[name], section(name, TITLES[name], own[name])))
                elif name in plugins:
                    sections.append((name, _heading(plugins[name], name), plugins[name]))
            subtitle = markup(
                "Scenario <b>{}</b>: {} — {} replicates × {:,} adults, seed {}, {:g} months of "
                "follow-up, costs in {} {}.",
                sc.meta.name,
                sc.meta.description,
                m.get("replications"),
                int(m.get("patients", 0)),
                m.get("seed"),
                sc.simulation.horizon_months,
                cur,
                year,
            )
            html = page(
                "Ultrasound follow-up of incidental intrahepatic calcification",
                subtitle,
                sections,
                methods.footer_html(m, cmd),
            )
            (tmp / "index.html").write_text(html, encoding="utf-8")
            # the same page as one file, figures embedded, for e-mailing to a committee
            (tmp / "report-standalone.html").write_text(standalone(html, tmp), encoding="utf-8")
            tick()
    finally:
        bar.close()
    return out
