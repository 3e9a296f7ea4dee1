"""Report section "Decision uncertainty and value of information", from a PSA folder.

A plug-in section (see :mod:`fupsim.report.sections`): :func:`render` reads the files
:class:`fupsim.sensitivity.psa_result.PsaResult` writes (``decision.csv``,
``frontier_psa.csv``, ``ceac.csv``, ``ceaf.csv``, ``expected_loss.csv``, ``evpi.csv``,
``evppi.csv``, ``psa.csv``, ``psa_manifest.json``), draws the figures and returns the
fragment, or None when there is no PSA. The decision table gives the preferred protocol's
incremental net benefit over a comparator (:func:`fupsim.voi.tables.incremental_decision`),
not absolute net benefit. The interval convention (PSA percentiles: parameter uncertainty) is
stated once, at the top of the section; tables and figures name only the PSA size.

:func:`provenance` compares a sensitivity result's manifest with the run's (scenario hash,
seed, size) and returns a visible note when they differ; the sensitivity section uses it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fupsim.report.figures import section_figure
from fupsim.report.html import Html, join, markup, section, table
from fupsim.report.summary import DECISION_DIGITS, decision_headers

__all__ = ["comparator_hints", "incremental", "provenance", "render"]

UNITS = {
    "qalys_per_patient": "QALY",
    "life_years_per_patient": "life-year",
    "screen_detected_per_patient": "screen-detected change",
}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def provenance(report_dir: Path, manifest_name: str, what: str) -> tuple[bool, Html]:
    """Check a result's manifest against the run's ``manifest.json``.

    Parameters
    ----------
    report_dir : Path
        The report folder.
    manifest_name : str
        The result's manifest (``psa_manifest.json``, ``owsa_manifest.json``, ...).
    what : str
        The analysis, for the note ("probabilistic analysis", "one-way analysis").

    Returns
    -------
    (bool, Html)
        ``True`` when the result is from another scenario (its numbers do not describe this
        report), and a note (empty when everything matches). A different seed or size is
        noted but not a mismatch of scenario.
    """
    mine = _read(report_dir / manifest_name)
    run = _read(report_dir / "manifest.json")
    if mine is None:
        return True, markup(
            '<p class="warning mismatch"><b>Unverified:</b> the {} has no readable {}; '
            "its scenario, seed and size cannot be checked against this report's run.</p>",
            what,
            manifest_name,
        )
    if run is None:
        return False, markup("")
    notes = []
    a, b = mine.get("scenario_sha256"), run.get("scenario_sha256")
    other = bool(a and b and a != b)
    if other:
        notes.append(
            markup(
                '<p class="warning mismatch"><b>Mismatched result:</b> the {} was computed for '
                "another scenario (content hash {}…, this run {}…); its numbers do not describe "
                "this report's scenario. Rerun it on this scenario.</p>",
                what,
                str(a)[:12],
                str(b)[:12],
            )
        )
    if mine.get("seed") != run.get("seed"):
        notes.append(
            markup(
                '<p class="note mismatch">The {} used seed {}; the main results seed {}.</p>',
                what,
                mine.get("seed"),
                run.get("seed"),
            )
        )
    per_point = mine.get("patients_per_point")
    run_size = (run.get("patients"), run.get("replications"))
    if per_point is not None and (per_point, mine.get("replications_per_point")) != run_size:
        notes.append(
            markup(
                '<p class="note size">The {} simulates {} × {:,} adults per point; the main '
                "results {} × {:,}. Its base-case values differ from the main results by "
                "Monte Carlo error.</p>",
                what,
                mine.get("replications_per_point"),
                int(per_point),
                run_size[1],
                int(run_size[0] or 0),
            )
        )
    return other, join(notes, "\n")


def comparator_hints(report_dir: Path) -> tuple[str | None, list[str]]:
    """The run's reference protocol (None when the scenario sets none) and its protocols
    without scheduled scans, from ``manifest.json``; (None, []) when it cannot be read."""
    from fupsim.scenario import scenario_from_dict

    run = _read(report_dir / "manifest.json")
    try:
        sc = scenario_from_dict(run["scenario"]) if run else None
    except (ValueError, KeyError, TypeError):
        sc = None
    if sc is None:
        return None, []
    horizon = sc.simulation.horizon_months
    return sc.analysis.reference_protocol, [
        p.name for p in sc.protocol if not p.visit_months(horizon)
    ]


def incremental(
    decision: pd.DataFrame, psa_table: pd.DataFrame, effect: str, report_dir: Path
) -> pd.DataFrame:
    """``decision.csv`` with the preferred protocol's incremental net benefit over the
    comparator and its PSA percentiles (:data:`fupsim.voi.tables.INCREMENTAL_COLUMNS`).

    Taken from ``decision.csv`` when it already holds them, else computed from ``psa.csv``
    at the decision's WTP values.
    """
    from fupsim.voi.tables import INCREMENTAL_COLUMNS, incremental_decision

    if all(c in decision for c in INCREMENTAL_COLUMNS):
        return decision
    reference, absent = comparator_hints(report_dir)
    inc = incremental_decision(
        psa_table, decision["wtp"], effect=effect, reference=reference, no_follow_up=absent
    )
    keep = [c for c in decision.columns if c not in INCREMENTAL_COLUMNS[2:]]
    out = decision[keep].merge(inc, on=["wtp", "best_protocol"], how="left", validate="1:1")
    return out


def _comparators(inc: pd.DataFrame) -> str:
    """The comparator(s) of the decision table, for its caption."""
    names = list(dict.fromkeys(str(c) for c in inc.get("comparator", pd.Series(dtype=str))))
    return ", ".join(names) if names else "the comparator"


def _fig(plot: Any, data: Any, figures_dir: Path, name: str, caption: str, **kw: Any) -> Html:
    size = kw.pop("figsize", (7.5, 4.8))
    return section_figure(
        lambda ax: plot(data, ax=ax, **kw), figures_dir, name, caption, figsize=size
    )


def _size_text(m: dict[str, Any], decision: pd.DataFrame) -> Html:
    rule = m.get("size_rule") or {}
    share = decision["noise_share"] if "noise_share" in decision else pd.Series(dtype=float)
    worst = float(share.max()) if len(share) else float("nan")
    parts = [
        markup(
            "<p>Size: {:,} draws × {:,} adults per draw ({:,.0f} people with the prenatal "
            "stream), seed {}. ",
            int(m.get("draws", 0)),
            int(m.get("patients_per_point", 0)),
            float(m.get("people_per_draw", 0)),
            m.get("seed"),
        )
    ]
    if rule:
        parts.append(
            markup(
                "Rule: {}; it asked for {:,} adults per draw{}. ",
                rule.get("rule", ""),
                int(rule.get("rule_patients", 0)),
                ", capped by the time budget" if rule.get("capped_by_budget") else "",
            )
        )
    if np.isfinite(worst):
        flagged = bool(decision.get("noise_flag", pd.Series([False])).astype(bool).any())
        parts.append(
            markup(
                "Observed noise share (within-draw / between-draw variance of incremental net "
                "benefit, worst protocol): up to {:.0%} over the decision WTP values{}.",
                worst,
                " - above 10 %, so EVPI is also shown corrected for Monte Carlo noise "
                "(EVPI corrected); scale up with --psa-patients for a final analysis"
                if flagged
                else "",
            )
        )
    parts.append(markup("</p>"))
    return join(parts)


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """The section's HTML, or None when the report folder holds no PSA (``decision.csv``)."""
    from fupsim.plots.sensitivity import plot_ceac
    from fupsim.plots.voi import plot_ce_plane, plot_ceaf, plot_evppi, plot_expected_loss
    from fupsim.sensitivity.psa_result import load_psa

    report_dir, figures_dir = Path(report_dir), Path(figures_dir)
    if not (report_dir / "decision.csv").is_file():
        return None
    try:
        res = load_psa(report_dir)
    except Exception as err:
        return section(
            "uncertainty",
            "Decision uncertainty and value of information",
            markup('<p class="warning">Could not read the PSA files: {}</p>', err),
        )
    m = res.manifest
    cur = str(m.get("currency", "USD"))
    unit = UNITS.get(res.effect, res.effect)
    draws, people = int(m.get("draws", 0)), int(m.get("patients_per_point", 0))
    label = f"PSA, {draws:,} draws × {people:,} people"
    other, note = provenance(report_dir, "psa_manifest.json", "probabilistic analysis")
    dec = res.decision
    ref_w = float(m.get("reference_wtp") or dec["wtp"].iloc[len(dec) // 2])
    parts: list[Html] = [
        note,
        markup(
            '<p class="convention"><b>Intervals in this section</b> are the 2.5th and 97.5th '
            "percentiles over the draws of the probabilistic analysis: parameter uncertainty "
            "(PSA), {} draws × {} people, not simulation error alone. Every parameter with a "
            "PSA distribution was drawn together; each draw simulated every protocol against "
            "the same people. Effect: {} per person; net benefit = WTP × effect − cost, {} per "
            "person.</p>",
            f"{draws:,}",
            f"{people:,}",
            unit,
            cur,
        ),
        _size_text(m, dec),
    ]
    if other:
        parts.append(markup('<p class="warning">The tables below are not shown.</p>'))
        return section("uncertainty", "Decision uncertainty and value of information", join(parts))
    inc = incremental(dec, res.table, res.effect, report_dir)
    parts.append(
        table(
            inc,
            decision_headers(cur, unit),
            caption=f"Decision at each willingness to pay: the preferred protocol's net benefit "
            f"over {_comparators(inc)}, with its PSA percentiles ({draws:,} draws)",
            digits=DECISION_DIGITS,
            table_id="psa-decision-table",
        )
    )
    front = res.tables["frontier_psa.csv"]
    eff_col = res.effect
    parts.append(
        table(
            front,
            {
                "protocol": "Protocol",
                "cost_per_patient": f"Mean cost ({cur}/person)",
                eff_col: f"Mean effect ({unit}s/person)",
                "status": "Status",
                "compared_with": "Compared with",
                "icer": f"ICER ({cur} per {unit})",
                "icer_p2_5": "ICER 2.5th percentile",
                "icer_p97_5": "ICER 97.5th percentile",
                "share_effect_not_positive": "Share of draws with no gain",
            },
            caption="Efficient frontier of the PSA means, with percentile ICER intervals from "
            f"the draws ({label}); ∞ = fewer than 97.5 % of draws favour the step at any WTP",
            digits={eff_col: 4, "icer": 0, "icer_p2_5": 0, "icer_p97_5": 0},
            table_id="frontier-psa",
        )
    )
    curves = res.ceac.merge(res.tables["expected_loss.csv"], on=["wtp", "protocol"])
    curves = curves.rename(columns={"protocol": "option"})
    order = list(m.get("protocols") or [])
    parts += [
        _fig(
            plot_ceac,
            res.ceac,
            figures_dir,
            "psa_ceac",
            f"Acceptability curves ({label})",
            order=order or None,
            currency=cur,
        ),
        _fig(
            plot_ceaf,
            curves,
            figures_dir,
            "psa_ceaf",
            f"Acceptability frontier: the protocol with the highest expected net benefit and "
            f"its probability of being cost-effective ({label})",
            currency=cur,
            effect_unit=unit,
        ),
        _fig(
            plot_expected_loss,
            curves,
            figures_dir,
            "psa_expected_loss",
            f"Expected loss of each protocol; the lowest equals the EVPI ({label})",
            currency=cur,
            effect_unit=unit,
        ),
        _fig(
            plot_ce_plane,
            res.table,
            figures_dir,
            "psa_ce_plane",
            f"Incremental cost-effectiveness plane against {m.get('reference_protocol')}, "
            f"with 95 % ellipses and the WTP line at {ref_w:,.0f} ({label})",
            reference=m.get("reference_protocol"),
            effect=eff_col,
            currency=cur,
            effect_unit=unit,
            wtp=ref_w,
        ),
    ]
    ev = res.tables["evppi.csv"]
    if len(ev):
        levels = np.unique(ev["wtp"].astype(float))
        at_w = float(levels[np.argmin(np.abs(levels - ref_w))])
        at = ev[ev["wtp"].astype(float) == at_w].sort_values("evppi_per_person", ascending=False)
        named = list(m.get("parameter_groups") or [])
        groups = at[at["group"].isin(named)]
        singles = at[~at["group"].isin(named)].head(10)
        shown = pd.concat([groups, singles])
        parts.append(
            _fig(
                plot_evppi,
                ev[ev["group"].isin(shown["group"])],
                figures_dir,
                "psa_evppi",
                f"EVPPI by parameter group and for the 10 most valuable parameters at WTP "
                f"{at_w:,.0f}; bars: ±1.96 standard errors of the regression estimate ({label})",
                wtp=at_w,
                currency=cur,
                effect_unit=unit,
                figsize=(7.5, 5.6),
            )
        )
        horizon = m.get("decision_horizon_years")
        pop = m.get("population_per_year")
        parts.append(
            table(
                shown,
                {
                    "group": "Group or parameter",
                    "evppi_per_person": f"EVPPI ({cur}/person)",
                    "se": "Standard error",
                    "population_evppi": f"Population EVPPI ({cur})",
                    "method": "Regression",
                },
                caption=f"Expected value of partial perfect information at WTP {at_w:,.0f} "
                f"{cur} per {unit}; population: {pop if pop is not None else 'not set'} people a "
                f"year over {horizon} years, discounted ({label})",
                digits={"population_evppi": 0},
                table_id="evppi-table",
            )
        )
    if m.get("population_factor") is None:
        parts.append(
            markup(
                '<p class="note">Population values need analysis.population_per_year in the '
                "scenario.</p>"
            )
        )
    return section("uncertainty", "Decision uncertainty and value of information", join(parts))
