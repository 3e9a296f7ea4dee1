"""Report section "Who is followed": the index work-up's pathways, the infants, the subgroups.

A plug-in section (see :mod:`fupsim.report.sections`). It reads three tables a run writes
(``pathways.csv``, ``infants.csv`` and ``by_subgroup.csv``, see ``docs/model.md``) and renders
them, with a flow figure; it computes nothing but shares and sums of those tables. Returns None when none of
them is in the report folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from fupsim.report.html import Html, join, markup, section, table

__all__ = ["render"]

PATHWAY_WORDS = {
    "follow_up": "ultrasound follow-up (the protocols compared)",
    "biliary": "biliary pathway (stones with dilatation or an intraductal echo)",
    "oncology": "oncological work-up (suspected mass or metastasis)",
    "treatment": "treatment (active infection or symptoms)",
    "infant": "infants from the prenatal stream (their own schedule)",
}


def _currency(report_dir: Path) -> str:
    try:
        record = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
        costs = record["scenario"]["costs"]
        return f"{costs['currency']} {costs['year']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "scenario currency"


def _flow(pathways: pd.DataFrame, currency: str) -> Html:
    """People per pathway (mean per replicate) with their share, cost and QALYs per person."""
    by = pathways.groupby("pathway", sort=False)
    flow = by[["people", "share_of_adults"]].sum()
    for col in ("cost", "qalys", "deaths"):
        if col in pathways:
            flow[col] = by[col].sum(min_count=1)
    flow["cost_per_person"] = flow.get("cost") / flow["people"]
    flow["qalys_per_person"] = flow.get("qalys") / flow["people"]
    flow = flow.reset_index()
    flow["pathway"] = flow["pathway"].map(lambda p: PATHWAY_WORDS.get(str(p), str(p)))
    return table(
        flow,
        {
            "pathway": "Pathway after the index work-up",
            "people": "People per replicate (mean)",
            "share_of_adults": "Share of adults (fraction of those simulated)",
            "cost_per_person": f"Cost per person ({currency}, discounted)",
            "qalys_per_person": "Lifetime QALYs per person (discounted)",
            "deaths": "Deaths per replicate (mean)",
        },
        caption="Index work-up: where people go (the same under every protocol)",
        digits={"people": 1, "share_of_adults": 3, "cost_per_person": 0, "deaths": 2},
        table_id="pathway-flow",
    )


def _flow_figure(pathways: pd.DataFrame, figures_dir: Path) -> Html:
    """The flow from latent cause to pathway, per 1,000 adults (:mod:`fupsim.plots.pathways`)."""
    from fupsim.plots.pathways import plot_pathway_flow
    from fupsim.report.figures import section_figure

    return section_figure(
        lambda ax: plot_pathway_flow(pathways, ax=ax),
        figures_dir,
        "pathway_flow",
        "Index work-up flow: people per 1,000 adults by latent cause and the pathway the "
        "work-up sends them to (the blue part of 'all causes' is the followed group)",
        figsize=(7.5, 4.2),
    )


def _mix(pathways: pd.DataFrame) -> Html:
    """Cause mix per pathway: people per replicate by cause."""
    wide = pathways.pivot_table(
        index="cause", columns="pathway", values="people", aggfunc="sum", fill_value=0.0
    ).reset_index()
    columns = {"cause": "Latent cause"}
    columns.update({str(p): f"{p} (people per replicate)" for p in wide.columns if p != "cause"})
    wide.columns = [str(c) for c in wide.columns]
    return table(
        wide,
        columns,
        caption="Cause mix of each pathway (the followed group's mix is what the protocols face)",
        digits={c: 1 for c in columns if c != "cause"},
        table_id="pathway-causes",
    )


def _infants(infants: pd.DataFrame, currency: str) -> Html:
    return table(
        infants,
        {
            "group": "Infants by prenatal finding",
            "infants": "Infants per replicate (mean)",
            "scheduled_scans_per_infant": "Scheduled scans per infant",
            "scans_per_infant": "Attended scans per infant",
            "cost_per_infant": f"Cost per infant ({currency}, discounted)",
            "poor_outcomes_per_1000": "Poor outcomes per 1,000 infants",
        },
        caption="Infants: their own pathway, never counted in the adults' per-1,000 figures",
        digits={"infants": 1, "scans_per_infant": 2, "cost_per_infant": 0},
        table_id="infants",
    )


def _subgroups(sub: pd.DataFrame, currency: str) -> Html:
    """Per subgroup level and protocol: QALY and cost differences against the reference."""
    shown = sub[(sub["subgroup"] != "all") & sub["diff_qalys_per_patient"].notna()].copy()
    if shown.empty:
        return markup("")

    def interval(row: pd.Series, col: str, digits: int) -> str:
        return (
            f"{row[col]:,.{digits}f} ({row[col + '_lo']:,.{digits}f} to "
            f"{row[col + '_hi']:,.{digits}f})"
        )

    shown["qalys"] = shown.apply(lambda r: interval(r, "diff_qalys_per_patient", 4), axis=1)
    shown["cost"] = shown.apply(lambda r: interval(r, "diff_cost_per_patient", 0), axis=1)
    shown["found"] = shown.apply(lambda r: interval(r, "diff_screen_detected_per_1000", 1), axis=1)
    return table(
        shown,
        {
            "subgroup": "Subgroup",
            "level": "Level",
            "protocol": "Protocol",
            "patients": "Followed adults per replicate (mean)",
            "found": "Screen detections per 1,000 vs reference (95% simulation-error interval)",
            "qalys": "QALYs per person vs reference (95% simulation-error interval)",
            "cost": f"Cost per person vs reference ({currency}; 95% simulation-error interval)",
        },
        caption="By subgroup (by_subgroup.csv): paired contrasts against the reference protocol",
        digits={"patients": 1},
        table_id="subgroups",
    )


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """The section, or None when the run wrote none of its tables."""
    files = {n: report_dir / f"{n}.csv" for n in ("pathways", "infants", "by_subgroup")}
    if not any(p.is_file() for p in files.values()):
        return None
    currency = _currency(report_dir)
    parts = [
        markup(
            "<p>Before follow-up, the index ultrasound (and CT where a mass is suspected) sorts "
            "people into pathways; only isolated, asymptomatic calcifications are followed, and "
            "only they are played against the protocols. Figures are means per replicate; the "
            "other pathways are valued with the same health-outcome model and are identical "
            "under every protocol.</p>"
        )
    ]
    if files["pathways"].is_file():
        pathways = pd.read_csv(files["pathways"])
        parts += [_flow(pathways, currency), _flow_figure(pathways, figures_dir), _mix(pathways)]
    if files["infants"].is_file():
        parts.append(_infants(pd.read_csv(files["infants"]), currency))
    if files["by_subgroup"].is_file():
        parts.append(_subgroups(pd.read_csv(files["by_subgroup"]), currency))
    return section("pathways", "Who is followed: pathways, infants and subgroups", join(parts))
