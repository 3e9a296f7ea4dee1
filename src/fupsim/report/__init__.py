"""The report: one folder an analyst can open, read in ten minutes and forward.

:func:`render_report` renders a folder that already holds a run's files and its analyses
(``fupsim.pipeline.build_report`` writes them: the comparison, ``validation.csv``,
``capacity_limits.csv``; the PSA's ``decision.csv`` when present). It only reads files and
writes ``index.html``, ``report-standalone.html``, ``figures/*`` and ``tables/parameters.csv``;
it never simulates, never reads the clock, and rendering the same folder twice gives
byte-identical files. Sections appear in the order of :data:`fupsim.report.sections.ORDER`;
plug-in sections are added when their modules and result files exist.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.labels import effect as effect_of
from fupsim.report import body, health, methods
from fupsim.report.figures import FORMATS, write_figures
from fupsim.report.html import markup, page, section, standalone
from fupsim.report.sections import ORDER, plugin_sections
from fupsim.report.sections.design import summary_sentence as design_summary
from fupsim.report.summary import summary_html
from fupsim.scenario import ScenarioError, scenario_from_dict
from fupsim.statistics import load_comparison

__all__ = ["TITLES", "gather_files", "gather_folders", "render_report"]

TITLES: dict[str, str] = {
    "summary": "Summary and recommendation",
    "methods": "Methods",
    "parameters": "Parameters",
    "cohort": "Simulated cohort",
    "results": "Results per protocol",
    "health": "Benefits and harms",
    "comparison": "Comparison with the reference protocol",
    "economics": "Cost-effectiveness",
    "validation": "Validation",
}
STEPS = 11  # progress ticks: 8 figures, plug-ins, page, standalone


def _heading(fragment: str, default: str) -> str:
    """The text of a section fragment's first ``<h2>`` (for the contents), else ``default``."""
    found = re.search(r"<h2[^>]*>(.*?)</h2>", fragment, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""
    return html_lib.unescape(text) or default.capitalize()


def _progress(show: bool | None) -> Any:
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if show is None else not show
    return tqdm(total=STEPS, desc="report", unit="step", disable=disable, file=sys.stderr)


def _missing(
    tmp: Path, sources: Iterable[Path], skip: Iterable[str], *, folders: bool
) -> Iterator[tuple[Path, Path]]:
    """Top-level files (or sub-folders) of ``sources`` that ``tmp`` lacks, first source first;
    hidden ones and ``skip`` are left out. Yields (source item, its place in ``tmp``)."""
    skipped = set(skip)
    for src in sources:
        if not src.is_dir():
            continue
        for item in sorted(src.iterdir()):
            name = item.name
            wanted = item.is_dir() if folders else item.is_file()
            if wanted and not name.startswith(".") and name not in skipped:
                if not (tmp / name).exists():
                    yield item, tmp / name


def gather_files(tmp: Path, sources: Iterable[Path], *, skip: Iterable[str] = ()) -> None:
    """Copy top-level files of earlier runs or analyses that ``tmp`` lacks (not ``skip``)."""
    for item, dest in _missing(tmp, sources, skip, folders=False):
        shutil.copy2(item, dest)


REGENERATED = frozenset({"figures", "tables", "points"})
"""Sub-folders a render rewrites (figures, tables) or never reads (the PSA's point store)."""


def _link_or_copy(src: str, dst: str) -> str:
    """Hard-link a file (fupsim replaces files by renaming, never in place), else copy it."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def gather_folders(
    tmp: Path, sources: Iterable[Path], *, skip: Iterable[str] = REGENERATED
) -> None:
    """Bring the sub-folders of earlier reports (e.g. ``design/``) that ``tmp`` lacks into it.

    So a report folder being rebuilt beside its target sees, while it is rendered, the
    sub-folders the target already holds (a ``fupsim design --out REPORT/design`` result).
    Files are hard-linked where the file system allows (they are never modified in place),
    else copied; hidden folders and ``skip`` (default :data:`REGENERATED`) are left out.
    """
    for item, dest in _missing(tmp, sources, skip, folders=True):
        shutil.copytree(item, dest, copy_function=_link_or_copy)


def _json(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def render_report(
    folder: str | Path,
    *,
    command: str | None = None,
    progress: bool | None = None,
    figure_formats: Sequence[str] = ("png",),
    validation_skipped: bool = False,
) -> Path:
    """Render the report page of a folder that holds a run and its analyses, in place.

    Parameters
    ----------
    folder : str or Path
        Holds ``manifest.json``, ``summary.csv``, ``outcomes.parquet`` and the comparison
        files (``fupsim.statistics.OUTPUT_FILES``); optionally ``validation.csv``,
        ``by_cause.csv``, ``decision.csv`` and plug-in sections' files.
    command : str, optional
        The command that rendered the page, shown under the command that produced the
        results (the manifest's ``fupsim_command``).
    progress : bool, optional
        Progress bar on stderr (default: only on a terminal).
    figure_formats : sequence of str
        ``png`` (always written, shown on the page) plus ``svg`` and/or ``pdf``.
    validation_skipped : bool
        Say "not run: --no-validation" when ``validation.csv`` is absent.

    Returns
    -------
    Path
        ``folder``.
    """
    folder = Path(folder)
    bad = [f for f in figure_formats if f not in FORMATS]
    if bad:
        raise ScenarioError(
            f"--figure-format {bad[0]!r}: not a figure format; allowed: {', '.join(FORMATS)}"
        )
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        sc = scenario_from_dict(m["scenario"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ScenarioError(
            f"{folder / 'manifest.json'}: not a fupsim run manifest ({err})"
        ) from None
    summary = pd.read_csv(folder / "summary.csv")
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    comparison = load_comparison(folder)
    checks = _csv(folder / "validation.csv")
    by_cause = _csv(folder / "by_cause.csv")
    decision = _csv(folder / "decision.csv")
    reference = sc.analysis.reference_protocol or sc.protocol_names[0]
    eff = effect_of(getattr(sc.analysis, "effect", None))
    cur, year = sc.costs.currency, sc.costs.year
    bar = _progress(progress)
    tick: Callable[[], None] = lambda: bar.update(1)  # noqa: E731
    try:
        figs = {
            f.name: f
            for f in write_figures(
                sc,
                outcomes,
                summary,
                comparison,
                folder / "figures",
                by_cause=by_cause,
                formats=figure_formats,
                tick=tick,
            )
        }
        tables = folder / "tables"
        tables.mkdir(exist_ok=True)
        methods.parameter_rows(sc).to_csv(tables / "parameters.csv", index=False)
        plugins = plugin_sections(folder, folder / "figures")
        tick()
        diffs = comparison.against(reference)
        own = {
            "summary": summary_html(
                comparison.icer,
                diffs,
                summary,
                reference=reference,
                noninferiority=comparison.noninferiority,
                margin_per_1000=sc.analysis.noninferiority_margin_per_1000,
                currency=cur,
                year=year,
                replicates=int(m.get("replications", 0)),
                patients=int(m.get("patients", 0)),
                effect=eff,
                decision=decision,
            )
            + (design_summary(folder) or markup("")),
            "methods": methods.methods_html(sc, m, summary),
            "parameters": methods.parameters_html(sc),
            "cohort": body.cohort_html(figs),
            "results": body.results_html(summary, figs, cur, year),
            "health": health.benefit_harm_html(summary, comparison, figs),
            "comparison": body.comparison_html(diffs, comparison, cur),
            "economics": body.economics_html(
                comparison.icer, summary, figs, cur, year, list(sc.analysis.willingness_to_pay)
            ),
            "validation": body.validation_html(
                checks, " (not run: --no-validation)" if validation_skipped else ""
            ),
        }
        sections = []
        for name in ORDER:
            if own.get(name):
                sections.append(
                    (name, TITLES[name], section(name, TITLES[name], own[name] or markup("")))
                )
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
        banner = methods.overrides_banner(m, sc)
        html = page(
            "Ultrasound follow-up of incidental intrahepatic calcification",
            subtitle + banner if banner else subtitle,
            sections,
            methods.footer_html(m, command, psa=_json(folder / "psa_manifest.json")),
        )
        (folder / "index.html").write_text(html, encoding="utf-8")
        tick()
        # the same page as one file, figures embedded, for e-mailing to a committee
        (folder / "report-standalone.html").write_text(standalone(html, folder), encoding="utf-8")
        tick()
    finally:
        bar.close()
    return folder
