"""The page that sets scenarios side by side: structural uncertainty in one report.

:func:`render_scenarios` renders ``index.html`` of a folder whose sub-folders are whole
single-scenario reports (``fupsim report A.toml B.toml … --out DIR``;
``fupsim.pipeline.build_scenarios_report`` writes them first). Like the single report it only
reads files: the numbers come from :mod:`fupsim.report.scenario_tables`. The page shows one
headline per scenario, the efficient sequences side by side, the preferred protocol by
willingness to pay with a plain statement of where the scenarios disagree, the resolved
differences between the scenarios (:func:`fupsim.scenario.diff_scenarios`), a figure of every
frontier on one cost-effect plane and one of each acceptability frontier, and links to each
scenario's own report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fupsim.report.figures import section_figure
from fupsim.report.html import Html, join, markup, page, section, table
from fupsim.report.methods import reproduce_command
from fupsim.report.scenario_figures import plot_scenario_ceafs, plot_scenario_planes
from fupsim.report.scenario_tables import (
    PSA_BASIS,
    ScenarioFolder,
    disagreements,
    frontier_table,
    load_scenario_folder,
    plane_points,
    preferred_table,
    structural_differences,
)

__all__ = ["TABLES", "disagreement_sentences", "render_scenarios"]

TABLES = ("scenario_preferred.csv", "scenario_frontiers.csv", "scenario_differences.csv")
"""The page's tables, written under ``tables/``."""


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _prob(value: float) -> str:
    return "" if math.isnan(value) else f" (probability cost-effective {value:.2f})"


def _interval(row: pd.Series, currency: str) -> str:
    lo, hi = float(row["icer_low"]), float(row["icer_high"])
    if math.isnan(lo) or math.isnan(hi):
        return ""
    kind = "PSA 95% interval" if row["interval"] == PSA_BASIS else "95% Monte Carlo interval"
    top = "no upper bound" if math.isinf(hi) else f"{hi:,.0f}"
    return f"; {kind} {lo:,.0f} to {top}" if lo > 0 or hi > 0 else ""


def _sequence(front: pd.DataFrame, currency: str) -> str:
    """'no-follow-up → us-6m-24m (ICER USD 1,800; PSA 95% interval 1,500 to 2,300) → …'."""
    steps = []
    for _, r in front.iterrows():
        if int(r["position"]) == 1:
            steps.append(str(r["protocol"]))
        else:
            icer = float(r["icer"])
            shown = _money(icer, currency) if math.isfinite(icer) else str(icer)
            steps.append(f"{r['protocol']} (ICER {shown}{_interval(r, currency)})")
    return " → ".join(steps)


def _headline(sf: ScenarioFolder, preferred: pd.DataFrame, front: pd.DataFrame) -> Html:
    cur, eff = sf.currency, sf.effect
    mine = preferred[preferred["scenario"] == sf.name]
    at = join(
        (
            markup(
                "at {} per {}: <b>{}</b>{}",
                _money(float(r["wtp"]), cur),
                eff.singular,
                r["best_protocol"],
                _prob(float(r["probability_cost_effective"])),
            )
            for _, r in mine.iterrows()
        ),
        "; ",
    )
    psa = sf.psa_manifest
    basis = (
        markup(
            "Preferred protocol under parameter uncertainty (PSA, {} draws × {:,} adults)",
            psa.get("draws"),
            int(psa.get("patients_per_point") or 0),
        )
        if psa is not None
        else markup("Preferred protocol by the run's means (no PSA: no probability)")
    )
    mine_front = front[front["scenario"] == sf.name]
    return markup(
        '<div class="scenario-headline" id="headline-{}"><h3>{}</h3><p class="note">{}</p>'
        '<p class="lead">{}: {}. Efficient sequence ({} per {} gained): {}.</p>'
        '<p><a href="{}/index.html">Full report of {}</a></p></div>',
        sf.folder,
        sf.name,
        sf.scenario.meta.description,
        basis,
        at,
        cur,
        eff.singular,
        _sequence(mine_front, cur),
        sf.folder,
        sf.name,
    )


def disagreement_sentences(preferred: pd.DataFrame, currency: str, unit: str) -> list[str]:
    """Plain sentences on where the scenarios' preferred protocols differ (or that they agree).

    E.g. "At USD 50,000 per QALY, baseline prefers no-follow-up (probability cost-effective
    0.98); article-ranking prefers us-6m-24m (probability cost-effective 0.61)."
    """
    differ, agree = disagreements(preferred)
    out = []
    for d in differ:
        choices = "; ".join(f"{n} prefers {p}{_prob(q)}" for n, p, q in d["choices"])
        out.append(f"At {_money(d['wtp'], currency)} per {unit}, {choices}.")
    if agree:
        best = preferred.set_index(["wtp", "scenario"])["best_protocol"]
        same: dict[str, list[float]] = {}
        for w in agree:
            same.setdefault(str(best.loc[w].iloc[0]), []).append(w)
        for protocol, ws in same.items():
            shown = ", ".join(f"{w:,.0f}" for w in ws)
            out.append(f"Every scenario prefers {protocol} at {currency} {shown} per {unit}.")
    if not differ and not agree:
        out.append("The scenarios share no willingness-to-pay value, so none is compared.")
    return out


def _frontiers_wide(front: pd.DataFrame, folders: list[ScenarioFolder]) -> Html:
    cur = folders[0].currency
    cells: dict[str, dict[int, str]] = {}
    for _, r in front.iterrows():
        text = str(r["protocol"])
        if int(r["position"]) > 1 and math.isfinite(float(r["icer"])):
            text += f" — {cur} {float(r['icer']):,.0f}{_interval(r, cur)}"
        cells.setdefault(str(r["scenario"]), {})[int(r["position"])] = text
    depth = int(front["position"].max()) if len(front) else 0
    wide = pd.DataFrame(
        {"position": [str(k) for k in range(1, depth + 1)]}
        | {
            sf.name: [cells.get(sf.name, {}).get(k, "") for k in range(1, depth + 1)]
            for sf in folders
        }
    )
    cols = {"position": "Step on the efficient sequence (1 = least costly)"}
    cols |= {
        sf.name: f"{sf.name}: protocol — ICER ({cur} per {sf.effect.singular})" for sf in folders
    }
    return table(wide, cols, caption="Efficient sequences side by side", table_id="frontiers")


def _preferred_wide(preferred: pd.DataFrame, folders: list[ScenarioFolder]) -> Html:
    names = [sf.name for sf in folders]
    cur, unit = folders[0].currency, folders[0].effect.singular
    grid = preferred.pivot(index="wtp", columns="scenario", values="best_protocol")
    prob = preferred.pivot(index="wtp", columns="scenario", values="probability_cost_effective")
    wide = pd.DataFrame({"wtp": grid.index.astype(float)})
    for n in names:
        wide[n] = [
            "" if pd.isna(p) else f"{p}{'' if pd.isna(q) else f' ({q:.2f})'}"
            for p, q in zip(grid[n], prob[n], strict=True)
        ]
    wide["agree"] = [
        "yes" if len(set(row.dropna())) == 1 and not row.isna().any() else "no"
        for _, row in grid[names].iterrows()
    ]
    cols = {"wtp": f"Willingness to pay ({cur} per {unit})"}
    cols |= {n: f"{n}: preferred protocol (probability cost-effective)" for n in names}
    cols["agree"] = "Scenarios agree"
    return table(
        wide, cols, caption="Preferred protocol by willingness to pay", digits={"wtp": 0},
        table_id="preferred",
    )  # fmt: skip


def _differences(diffs: pd.DataFrame, folders: list[ScenarioFolder]) -> Html:
    first = folders[0].name
    if diffs.empty:
        return markup("<p>The scenarios resolve to the same parameters.</p>")
    structural = diffs[diffs["kind"].str.startswith("structural")]
    keys = ", ".join(dict.fromkeys(structural["key"].str.split(".").str[0]))
    return join(
        [
            markup(
                "<p>Each scenario against <b>{}</b>, key by key after <code>extends</code> and "
                "overrides (<code>fupsim.scenario.diff_scenarios</code>; the same as "
                "<code>fupsim diff</code>). Rows marked <i>structural</i> are the model inputs "
                "whose alternatives the comparison is about ({} in all, in the blocks {}); the "
                "others change labels, run settings or how uncertainty is described.</p>",
                first,
                len(structural),
                keys or "none",
            ),
            table(
                diffs,
                {
                    "scenario": "Scenario",
                    "key": "Parameter (dotted key; unit in its name)",
                    "kind": "Kind of difference",
                    "value_first": f"Value in {first}",
                    "value_scenario": "Value in the scenario",
                    "source": "Source (the scenario's)",
                    "confidence": "Confidence",
                },
                caption="Resolved differences between the scenarios",
                table_id="scenario-differences",
            ),
        ]
    )


def render_scenarios(
    folder: str | Path,
    names: Sequence[str],
    *,
    command: str | None = None,
) -> Path:
    """Render ``index.html`` of a folder whose sub-folders ``names`` are scenario reports.

    Parameters
    ----------
    folder : str or Path
        The folder; ``folder / name`` holds a whole single-scenario report for each name.
    names : sequence of str
        The sub-folders, in the order the scenarios were given (the first is the one the
        others are compared with in the differences table).
    command : str, optional
        The command that built the folder, shown in the footer.

    Returns
    -------
    Path
        ``folder``; it now holds ``index.html``, ``figures/scenarios_plane.png`` (and
        ``scenarios_ceaf.png`` when every scenario has a PSA) and :data:`TABLES` under
        ``tables/``.
    """
    folder = Path(folder)
    folders = [load_scenario_folder(folder / n) for n in names]
    cur, unit = folders[0].currency, folders[0].effect.singular
    preferred, front = preferred_table(folders), frontier_table(folders)
    diffs = structural_differences(folders)
    tables = folder / "tables"
    tables.mkdir(exist_ok=True)
    for name, frame in zip(TABLES, (preferred, front, diffs), strict=True):
        frame.to_csv(tables / name, index=False, float_format="%.10g")
    figures = folder / "figures"
    plane = section_figure(
        lambda ax: plot_scenario_planes(
            plane_points(folders), ax=ax, currency=cur, year=folders[0].scenario.costs.year,
            unit=folders[0].effect.plural,
        ), figures, "scenarios_plane",
        "Each scenario's efficient sequence on one cost-effect plane, drawn from its least "
        "costly efficient protocol (means; PSA means where a PSA ran)", figsize=(8, 5.2),
    )  # fmt: skip
    curves = {
        sf.name: pd.read_csv(folder / sf.folder / "ceaf.csv")
        for sf in folders
        if sf.has_psa and (folder / sf.folder / "ceaf.csv").is_file()
    }
    ceaf = (
        section_figure(
            lambda ax: plot_scenario_ceafs(curves, ax=ax, currency=cur, unit=unit),
            figures,
            "scenarios_ceaf",
            "Cost-effectiveness acceptability frontier of each scenario (parameter "
            "uncertainty, PSA): the optimal protocol's probability of being cost-effective",
        )
        if len(curves) == len(folders)
        else markup("")
    )
    notes = []
    if len({sf.currency for sf in folders}) > 1 or len({sf.effect for sf in folders}) > 1:
        notes.append(
            markup(
                '<p class="warning mismatch"><b>Not comparable as they stand:</b> the '
                "scenarios use different currencies or effects ({}); their willingness-to-pay "
                "values are not the same thing.</p>",
                "; ".join(f"{sf.name}: {sf.currency}, {sf.effect.plural}" for sf in folders),
            )
        )
    said = disagreement_sentences(preferred, cur, unit)
    headlines = join((_headline(sf, preferred, front) for sf in folders), "\n")
    summary = join(
        [
            *notes,
            markup(
                '<p class="lead" id="disagreement"><b>Where the scenarios disagree:</b> {}</p>',
                " ".join(said),
            ),
            headlines,
        ],
        "\n",
    )
    sections = [
        (
            "headlines",
            "Headline per scenario",
            section("headlines", "Headline per scenario", summary),
        ),
        (
            "frontiers",
            "Efficient sequences side by side",
            section(
                "frontiers",
                "Efficient sequences side by side",
                join(
                    [
                        _frontiers_wide(front, folders),
                        _preferred_wide(preferred, folders),
                        plane,
                        ceaf,
                    ],
                    "\n",
                ),
            ),
        ),
        (
            "differences",
            "What differs between the scenarios",
            section(
                "differences", "What differs between the scenarios", _differences(diffs, folders)
            ),
        ),
    ]
    psa_sizes = "; ".join(
        f"{sf.name}: {sf.psa_manifest['draws']} draws × {int(sf.psa_manifest['patients_per_point']):,} adults"
        if sf.psa_manifest
        else f"{sf.name}: none"
        for sf in folders
    )
    subtitle = markup(
        "{} scenarios side by side: {}. Each scenario's own report is in its sub-folder. "
        "Intervals labelled PSA cover parameter uncertainty (2.5th–97.5th percentiles of the "
        "draws); others cover simulation error only. PSA per scenario — {}.",
        len(folders),
        ", ".join(sf.name for sf in folders),
        psa_sizes,
    )
    footer = join(
        [
            markup("<p><b>This folder built by:</b> <code>{}</code></p>", command)
            if command
            else markup(""),
            markup(
                "<p><b>Reproduce each scenario's report:</b></p><ul>{}</ul>",
                join(
                    markup(
                        "<li><code>{}</code></li>", reproduce_command(sf.manifest, sf.psa_manifest)
                    )
                    for sf in folders
                ),
            ),
            markup(
                "<p>Generated by fupsim. Tables of this page: {}.</p>",
                ", ".join(f"tables/{t}" for t in TABLES),
            ),
        ]
    )
    html = page("Scenarios side by side: structural uncertainty", subtitle, sections, footer)
    (folder / "index.html").write_text(html, encoding="utf-8")
    return folder
