"""The report's result sections: cohort, results, comparison, economics and validation."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from fupsim.labels import label
from fupsim.labels import unit as unit_of
from fupsim.report.figures import FigureFile
from fupsim.report.html import Html, figure, fmt_number, join, markup, table

__all__ = [
    "cohort_html",
    "comparison_html",
    "economics_html",
    "results_html",
    "validation_html",
]


def _fig(figs: Mapping[str, FigureFile], name: str) -> Html:
    f = figs[name]
    return figure(f.src, f.alt, f.caption)


def _pm(value: float, se: float) -> str:
    """'value ± se' with the SE to two significant figures and the value to the same place."""
    if not math.isfinite(value):
        return "–"
    if not math.isfinite(se) or se <= 0:
        return fmt_number(value, 2)
    places = min(max(0, 1 - math.floor(math.log10(se))), 4)
    return f"{fmt_number(value, places)} ± {fmt_number(se, places)}"


def _p(value: Any) -> str:
    """A p-value: four decimals, or '< 0.0001'."""
    v = float(value)
    if not math.isfinite(v):
        return "–"
    return "< 0.0001" if v < 0.0001 else f"{v:.4f}"


def cohort_html(figs: Mapping[str, FigureFile]) -> Html:
    """The simulated cohort against the source article."""
    return markup(
        "<p>Does the simulated cohort look like the people the source article describes? The "
        "article: most common at ages 20–50; men and women equally; usually a single focus; the "
        "right lobe far more often than the left, both lobes rarely; intrahepatic bile-duct stones "
        "the commonest named cause; fetal calcification in 0.057% of pregnancies scanned.</p>{}",
        _fig(figs, "cohort.png"),
    )


def results_html(
    summary: pd.DataFrame, figs: Mapping[str, FigureFile], currency: str, year: int
) -> Html:
    """Summary table and the yield, detection, workload and delay figures."""
    shown = [
        "scans_per_patient",
        "ct_per_patient",
        "false_positive_workups_per_1000",
        "progressive_per_1000",
        "screen_detected_per_1000",
        "interval_cases_per_1000",
        "undetected_at_horizon_per_1000",
        "program_sensitivity",
        "mean_delay_months",
        "mean_lead_time_months",
        "cost_per_patient",
        "qalys_per_patient",
        "life_years_per_patient",
    ]
    cols = {"protocol": "Protocol"} | {
        c: f"{label(c).capitalize()} ({unit_of(c, f'{currency} {year}')})" for c in shown
    }
    with_se = summary.copy()
    fmt: dict[str, Any] = {}
    for col in cols:
        if f"{col}_se" in summary.columns:
            with_se[col] = [
                _pm(float(v), float(s))
                for v, s in zip(summary[col], summary[f"{col}_se"], strict=True)
            ]
            fmt[col] = str
    return markup(
        "{}<h3>Yield</h3>{}<h3>Detection over time</h3>{}<h3>Scans and work-ups</h3>{}"
        "<h3>Detection delay and lead time</h3>{}",
        table(
            with_se,
            cols,
            caption="Results per protocol: mean ± Monte Carlo standard error over replicates",
            formats=fmt,
            table_id="summary-table",
        ),
        _fig(figs, "yield.png"),
        _fig(figs, "detection.png"),
        _fig(figs, "workload.png"),
        _fig(figs, "delay.png"),
    )


def comparison_html(differences: pd.DataFrame, comparison: Any | None, currency: str) -> Html:
    """Paired differences against the reference; the statistical comparison when available."""
    d = differences.assign(metric=differences["metric"].map(label))
    out = markup(
        "<p>Each protocol minus the reference, paired patient by patient (common random "
        "numbers), with 95% Monte Carlo intervals (simulation error only); the same rows as "
        "comparison.csv.</p>{}",
        table(
            d,
            {
                "protocol": "Protocol",
                "reference": "Reference",
                "metric": "Metric",
                "unit": "Unit",
                "estimate": "Difference (unit column)",
                "ci_low": "95% MC interval low (unit column)",
                "ci_high": "95% MC interval high (unit column)",
            },
            caption="Paired differences against the reference protocol",
            table_id="differences-table",
        ),
    )
    if comparison is None:
        return out + markup(
            '<p class="note">The statistical comparison (McNemar, GEE, Holm adjustment, '
            "log-rank) was not available in this installation.</p>"
        )
    tab = comparison.table
    metric_unit = {m: u for m, u in zip(tab["metric"], tab.get("unit", tab["metric"]), strict=True)}
    units = {m: label(m) for m in metric_unit}
    cols = {
        "comparison": "Comparison",
        "metric": "Metric",
        "unit": "Unit",
        "estimate": "Difference (unit column)",
        "ci_low": "95% CI low (unit column)",
        "ci_high": "95% CI high (unit column)",
        "p_value": "p-value",
        "p_adjusted": "p, Holm-adjusted",
    }
    shown = tab.assign(metric=tab["metric"].map(lambda m: units.get(m, str(m).replace("_", " "))))
    methods = (
        sorted({(str(m), str(x)) for m, x in zip(tab["metric"], tab["method"], strict=True)})
        if "method" in tab.columns
        else []
    )
    how = join(
        markup("<li>{} ({}): {}</li>", units.get(m, m.replace("_", " ")), metric_unit.get(m, ""), x)
        for m, x in methods
    )
    out += table(
        shown,
        cols,
        caption="Statistical comparison of every pair of protocols (fupsim.statistics)",
        formats={"p_value": _p, "p_adjusted": _p},
        table_id="comparison-table",
    )
    if how:
        out += markup('<p class="note">Methods by metric:</p><ul class="note">{}</ul>', how)
    ni = comparison.noninferiority
    if len(ni):
        out += markup("<h3>Non-inferiority against the reference</h3>") + table(
            ni,
            {
                "comparison": "Comparison",
                "estimate": "Difference in screen-detected per 1,000",
                "lower_bound": "Lower 97.5% bound (per 1,000)",
                "margin_per_1000": "Margin (per 1,000)",
                "p_value": "One-sided p-value",
                "conclusion": "Conclusion",
            },
            caption="One-sided non-inferiority tests on screen detection (fupsim.statistics)",
            formats={"p_value": _p},
            table_id="noninferiority-table",
        )
    lr = comparison.logrank
    if len(lr):
        out += markup("<h3>Time to screen detection</h3>") + table(
            lr,
            {
                "comparison": "Comparison",
                "statistic": "Log-rank statistic (chi-square, unitless)",
                "df": "Degrees of freedom (count)",
                "p_value": "p-value",
                "patients": "People with a change (count)",
                "screen_detected": "Screen-detected (count)",
            },
            caption="Log-rank tests of time from onset to screen detection (conservative under "
            "common random numbers)",
            formats={"p_value": _p},
            digits={"df": 0, "patients": 0, "screen_detected": 0},
            table_id="logrank-table",
        )
    return out


def economics_html(
    icer: pd.DataFrame,
    summary: pd.DataFrame,
    figs: Mapping[str, FigureFile],
    currency: str,
    year: int,
    wtp: list[float],
) -> Html:
    """ICER table, net benefit at each willingness to pay, and the cost figures."""
    from fupsim.labels import EFFECTS

    unit = f"{currency} {year}"
    col = str(icer["effect"].iloc[0]) if "effect" in icer and len(icer) else "screen_detected"
    eff = next((e for e in EFFECTS.values() if e.outcome == col), EFFECTS["screen_detected"])
    frame = icer.assign(
        effect_per_1000=icer[f"{col}_per_patient"] * 1000.0,
        incremental_effect_per_1000=icer["incremental_effect"] * 1000.0,
    )
    icer_tab = table(
        frame,
        {
            "protocol": "Protocol",
            "cost_per_patient": f"Cost per person ({unit})",
            "effect_per_1000": f"{eff.plural} per 1,000 people",
            "incremental_cost": f"Incremental cost per person ({unit})",
            "incremental_effect_per_1000": f"Incremental {eff.plural} per 1,000 people",
            "icer": f"ICER ({unit} per additional {eff.singular})",
            "icer_ci_low": "ICER 95% MC interval low (same unit)",
            "icer_ci_high": "ICER 95% MC interval high (same unit)",
            "status": "Status",
            "compared_with": "Compared with (protocol)",
        },
        caption="Incremental cost-effectiveness, ordered by cost (strong and extended dominance)",
        digits={
            "cost_per_patient": 0,
            "incremental_cost": 0,
            "icer": 0,
            "icer_ci_low": 0,
            "icer_ci_high": 0,
        },
        table_id="icer-table",
    )
    rows = []
    for w in wtp:
        col = f"nmb_{int(w)}" if float(w).is_integer() else f"nmb_{w!r}"
        if col not in icer.columns:
            continue
        best = icer.loc[icer[col].idxmax()]
        rows.append({"wtp": float(w), "best": best["protocol"], "nmb": float(best[col])})
    nmb_tab = (
        table(
            pd.DataFrame(rows),
            {
                "wtp": f"Willingness to pay ({unit} per {eff.singular})",
                "best": "Protocol with highest net monetary benefit",
                "nmb": f"Its net monetary benefit ({unit} per person)",
            },
            caption="Best protocol at each willingness to pay (Monte Carlo means)",
            digits={"wtp": 0, "nmb": 0},
            table_id="nmb-table",
        )
        if rows
        else markup("")
    )
    return markup(
        "{}{}<h3>Cost–effect plane</h3>{}<h3>Costs</h3>{}",
        icer_tab,
        nmb_tab,
        _fig(figs, "cost_effect.png"),
        _fig(figs, "costs.png"),
    )


def validation_html(checks: pd.DataFrame | None, note: str = "") -> Html:
    """The closed-form checks the test suite also asserts, with their numbers."""
    if checks is None:
        return markup(
            '<p class="note">The analytic validation checks were not available{}.</p>', note
        )

    def verdict(v: Any) -> Html:
        return (
            markup('<span class="pass">passed</span>')
            if bool(v)
            else markup('<span class="fail">FAILED</span>')
        )

    n_pass = int(checks["passed"].sum())
    return markup(
        "<p>The model is run in settings where screening theory gives the answer exactly, and "
        "the simulation is compared with the formula. {} of {} checks lie within "
        "the tolerance (in Monte Carlo standard errors). The test suite asserts the same checks.</p>"
        "{}",
        n_pass,
        len(checks),
        table(
            checks,
            {
                "check": "Check",
                "formula": "Closed form",
                "expected": "Expected by formula (share, or scans per person)",
                "simulated": "Simulated (same unit)",
                "se": "Monte Carlo SE (same unit)",
                "z": "z (SEs from formula)",
                "tolerance_se": "Tolerance (SEs)",
                "passed": "Result",
            },
            caption="Analytic validation: simulation against closed-form results",
            formats={"passed": verdict},
            digits={"expected": 4, "simulated": 4, "se": 4, "tolerance_se": 0},
            table_id="validation-table",
        ),
    )
