"""The report's benefit–harm table per 1,000 people followed, and the by-cause figure.

Like the tables of national screening-model reports: for each protocol against the least
intensive one (no follow-up when the scenario has it), changes found early, late
presentations averted, deaths averted, life-years and QALYs gained, scans, false-positive
work-ups, false diagnoses and radiation-induced cancers, all per 1,000 people followed. Every
number is a row of ``comparison.csv`` (paired, with its 95 % Monte Carlo interval: simulation
error only; :mod:`fupsim.statistics.intervals`), rescaled to per 1,000.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from fupsim.report.figures import FigureFile
from fupsim.report.html import Html, figure, join, markup, table

__all__ = ["ROWS", "benefit_harm", "benefit_harm_html"]

ROWS: tuple[tuple[str, str, float], ...] = (
    # (label per 1,000 followed, comparison.csv metric, factor to per 1,000)
    ("Changes found early (screen-detected)", "screen_detected_per_1000", 1.0),
    ("Late presentations averted", "late_presentations_per_1000", -1.0),
    ("Deaths from the change averted", "deaths_per_1000", -1.0),
    ("Life-years gained (discounted)", "life_years_per_patient", 1000.0),
    ("QALYs gained (discounted, net of harms)", "qalys_per_patient", 1000.0),
    ("Ultrasound scans", "scans_per_patient", 1000.0),
    ("False-positive CT work-ups", "false_positive_workups_per_1000", 1.0),
    ("False diagnoses", "false_diagnoses_per_1000", 1.0),
    ("Radiation-induced cancers", "radiation_cancers_per_100000", 0.01),
)


def _comparator(summary: pd.DataFrame) -> str:
    """The least intensive protocol: fewest attended plus missed scans per person."""
    sched = summary["scans_per_patient"] + summary.get("missed_scans_per_patient", 0.0)
    return str(summary.loc[sched.idxmin(), "protocol"])


def benefit_harm(summary: pd.DataFrame, comparison: Any) -> pd.DataFrame:
    """Per 1,000 people followed, each protocol minus the least intensive one.

    Returns
    -------
    DataFrame
        ``measure, protocol, comparator, estimate, ci_low, ci_high`` (per 1,000 people
        followed; a positive number is a benefit for "averted"/"gained" rows and a count
        otherwise); rows whose metric the run lacks are left out.
    """
    base = _comparator(summary)
    diffs = comparison.against(base)
    rows = []
    for label, metric, factor in ROWS:
        part = diffs[diffs["metric"] == metric]
        for rec in part.to_dict(orient="records"):
            lo, hi = float(rec["ci_low"]) * factor, float(rec["ci_high"]) * factor
            rows.append(
                {
                    "measure": label,
                    "protocol": rec["protocol"],
                    "comparator": base,
                    "estimate": float(rec["estimate"]) * factor,
                    "ci_low": min(lo, hi),
                    "ci_high": max(lo, hi),
                }
            )
    return pd.DataFrame(
        rows, columns=["measure", "protocol", "comparator", "estimate", "ci_low", "ci_high"]
    )


def _cell(est: float, lo: float, hi: float) -> str:
    digits = 2 if max(abs(est), abs(lo), abs(hi)) < 10 else 1
    if not math.isfinite(lo):
        return f"{est:,.{digits}f}"
    return f"{est:,.{digits}f} ({lo:,.{digits}f} to {hi:,.{digits}f})"


def benefit_harm_html(
    summary: pd.DataFrame, comparison: Any, figs: Mapping[str, FigureFile]
) -> Html | None:
    """The benefits-and-harms section body, or None without health outcomes in the run."""
    t = benefit_harm(summary, comparison)
    if t.empty or "qalys_per_patient" not in set(comparison.table["metric"]):
        return None
    base = str(t["comparator"].iloc[0])
    protocols = list(dict.fromkeys(t["protocol"]))
    wide = pd.DataFrame({"measure": list(dict.fromkeys(t["measure"]))})
    for name in protocols:
        part = t[t["protocol"] == name].set_index("measure")
        wide[name] = [
            _cell(*part.loc[m, ["estimate", "ci_low", "ci_high"]].astype(float))
            if m in part.index
            else "–"
            for m in wide["measure"]
        ]
    cols = {"measure": "Per 1,000 people followed"} | {
        n: f"{n} vs {base} (difference, 95% MC interval)" for n in protocols
    }
    parts = [
        markup(
            "<p>What each protocol does for 1,000 people followed, compared with <b>{}</b>: "
            "benefits first, then the work and harms that come with them. Each cell is a paired "
            "difference (the same simulated people under both protocols) with its 95% interval "
            "for <b>Monte Carlo error</b> (simulation error only, not parameter uncertainty).</p>",
            base,
        ),
        table(
            wide,
            cols,
            caption=f"Benefits and harms per 1,000 people followed, against {base}",
            formats={n: str for n in protocols},
            table_id="benefit-harm-table",
        ),
    ]
    if "by_cause.png" in figs:
        f = figs["by_cause.png"]
        parts.append(markup("<h3>By cause</h3>{}", figure(f.src, f.alt, f.caption)))
    return join(parts)
