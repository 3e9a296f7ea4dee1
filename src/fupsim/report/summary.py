"""The report's opening: the recommendation the numbers support, in plain words.

Nothing here is hard-coded: the text is derived from the ICER table (the efficiency frontier
and its ICERs with intervals) and from the paired differences of each protocol against the
reference protocol, judged against the scenario's non-inferiority margin.
"""

from __future__ import annotations

import math

import pandas as pd

from fupsim.labels import Effect
from fupsim.labels import effect as effect_of
from fupsim.report.html import Html, join, markup, table

__all__ = [
    "DECISION_DIGITS",
    "PLAUSIBILITY",
    "decision_headers",
    "decision_html",
    "noninferiority_verdict",
    "summary_html",
]

DECISION_DIGITS: dict[str, int] = {
    "wtp": 0,
    "probability_cost_effective": 2,
    "incremental_net_benefit": 0,
    "incremental_net_benefit_p2_5": 0,
    "incremental_net_benefit_p97_5": 0,
    "expected_net_benefit": 0,
    "net_benefit_p2_5": 0,
    "net_benefit_p97_5": 0,
    "evpi_per_person": 2,
    "evpi_corrected": 2,
    "population_evpi": 0,
}
"""Decimals of the decision table's columns (currency per person, rounded to whole units)."""

PLAUSIBILITY: dict[str, str] = {
    "qaly": (
        "For context, published cost-effectiveness analyses of ultrasound surveillance "
        "(PARAMETERS.md §7.6) report from about USD 2,100 per QALY (X3) to USD 171,000 per QALY "
        "(X11, surveillance of incidental pancreatic cysts), most between about USD 30,000 and "
        "105,000 (X1, X2, X5, X6, X8). They concern liver-cancer surveillance in cirrhosis and "
        "an incidental-finding analogue, not intrahepatic calcification."
    ),
    "life_years": (
        "For context, published surveillance analyses (PARAMETERS.md §7.6) report about "
        "USD 1,750 to 32,400 per life-year gained (X7) and USD 13,000 (X9), in liver-cancer "
        "surveillance, not intrahepatic calcification."
    ),
    "screen_detected": (
        "No published threshold exists for a screen-detected change; choose a health effect "
        '(analysis.effect = "qaly") for a ratio a committee can compare with its threshold.'
    ),
}
"""Per ``analysis.effect``: the plausibility range of published CEAs (PARAMETERS.md §7.6)."""


def _money(value: float, currency: str) -> str:
    """Plain text, e.g. 'USD 1,234' (escaped where it is put into markup)."""
    return f"{currency} {value:,.0f}"


def _names(names: list[str]) -> Html:
    shown = [markup("<b>{}</b>", n) for n in names]
    return shown[0] if len(shown) == 1 else markup("{} and {}", join(shown[:-1], ", "), shown[-1])


def _change(row: pd.Series, up: str, down: str, fmt: str, *, verb_first: bool = False) -> str:
    """'6.4 fewer (95% CI 5.1 to 7.7 fewer)' from a difference and its interval (plain text)."""
    est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    word = up if est >= 0 else down
    if math.isnan(lo):
        ci = "no interval: one replicate"
    elif lo * hi > 0:
        a, b = sorted((abs(lo), abs(hi)))
        ci = f"95% CI {fmt.format(a)} to {fmt.format(b)}"
    else:
        ci = f"95% CI from {fmt.format(abs(lo))} {down} to {fmt.format(abs(hi))} {up}"
    if verb_first:
        return f"{word} {fmt.format(abs(est))} ({ci})"
    return f"{fmt.format(abs(est))} {word} ({ci})"


def noninferiority_verdict(ci_low: float, ci_high: float, margin: float) -> str:
    """Verdict for a difference in screen detections per 1,000 (protocol − reference).

    Returns
    -------
    str
        "non-inferior" when the whole interval lies above −margin, "inferior" when it lies
        wholly below −margin, otherwise "inconclusive".
    """
    if math.isnan(ci_low) or math.isnan(ci_high):
        return "inconclusive"
    if ci_low > -margin:
        return "non-inferior"
    if ci_high < -margin:
        return "inferior"
    return "inconclusive"


def _frontier_sentences(icer: pd.DataFrame, currency: str, eff: Effect) -> list[Html]:
    front = icer[icer["status"] == "frontier"].sort_values("cost_per_patient")
    names = [str(n) for n in front["protocol"]]
    if len(names) == 1:
        return [
            markup(
                "<b>{}</b> costs least and gives at least as many {} as every other "
                "protocol: it is the efficient choice at any willingness to pay.",
                names[0],
                eff.plural,
            )
        ]
    out = []
    steps = front.iloc[1:]
    r1 = float(steps.iloc[0]["icer"])
    out.append(
        markup(
            "If the service values one additional {} at less than "
            "{}, <b>{}</b> is the efficient choice.",
            eff.singular,
            _money(r1, currency),
            names[0],
        )
    )
    for k in range(len(steps)):
        row = steps.iloc[k]
        lo, hi = float(row["icer_ci_low"]), float(row["icer_ci_high"])
        ci = (
            ""
            if math.isnan(lo)
            else f" (95% Monte Carlo interval {_money(lo, currency)} to {_money(hi, currency)})"
        )
        upper = (
            f" and {_money(float(steps.iloc[k + 1]['icer']), currency)}"
            if k + 1 < len(steps)
            else " or more"
        )
        band = f"{_money(float(row['icer']), currency)}{ci}{upper}"
        out.append(
            markup(
                "Between {}, <b>{}</b> is worth its extra cost over {}.",
                band,
                row["protocol"],
                row["compared_with"],
            )
            if k + 1 < len(steps)
            else markup(
                "At {} per additional {}, <b>{}</b> is worth its extra cost over {}.",
                band,
                eff.singular,
                row["protocol"],
                row["compared_with"],
            )
        )
    for _, row in icer[icer["status"] != "frontier"].iterrows():
        out.append(
            markup(
                "<b>{}</b> is {}: another protocol, or a mix of two, gives more for the same "
                "money, so it is never the efficient choice.",
                row["protocol"],
                row["status"],
            )
        )
    return out


def summary_html(
    icer: pd.DataFrame,
    differences: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    reference: str,
    margin_per_1000: float,
    noninferiority: pd.DataFrame | None = None,
    currency: str,
    year: int,
    replicates: int,
    patients: int,
    effect: Effect | None = None,
    decision: pd.DataFrame | None = None,
) -> Html:
    """The summary section's body: recommendation, trade-offs against the reference, caveats.

    Parameters
    ----------
    icer : DataFrame
        :func:`fupsim.report.analysis.icer_with_intervals`.
    differences : DataFrame
        :func:`fupsim.report.analysis.paired_differences` against ``reference``.
    summary : DataFrame
        ``RunResult.summary()``.
    margin_per_1000 : float
        Non-inferiority margin: screen detections per 1,000 people one may give up.
    noninferiority : DataFrame, optional
        ``fupsim.stats`` non-inferiority tests (``comparison``, ``conclusion``); where a
        protocol has a row there, its conclusion is used instead of the replicate interval.
    effect : Effect, optional
        The effect the ICERs are in (``analysis.effect``; default screen-detected changes).
    decision : DataFrame, optional
        ``decision.csv`` from the PSA; when given, the headline comes from it.
    """
    eff = effect or effect_of(None)
    key = next((k for k, v in _effects().items() if v == eff), "screen_detected")
    head = [
        markup(
            '<p class="lead">Headline, in {} ({}): {}</p>',
            eff.plural,
            eff.ratio_unit,
            join(_frontier_sentences(icer, currency, eff), " "),
        ),
        markup('<p class="note">{}</p>', PLAUSIBILITY[key]),
    ]
    if decision is not None and len(decision):
        head.insert(0, decision_html(decision, currency, eff.singular))
    parts = [join(head)]
    bullets = []
    found: dict[str, str] = {}
    for name in dict.fromkeys(differences["protocol"]):
        d = differences[differences["protocol"] == name].set_index("metric")
        sd = d.loc["screen_detected_per_1000"]
        cost = d.loc["cost_per_patient"]
        scans = d.loc["scans_per_patient"]
        verdict = noninferiority_verdict(float(sd["ci_low"]), float(sd["ci_high"]), margin_per_1000)
        tested = (
            {}
            if noninferiority is None
            else dict(zip(noninferiority["comparison"], noninferiority["conclusion"], strict=True))
        )
        verdict = tested.get(f"{name} vs {reference}", verdict)
        found[str(name)] = verdict
        money = currency.replace("{", "{{").replace("}", "}}") + " {:,.0f}"
        bullets.append(
            markup(
                "<li><b>{}</b> against {}: finds {} changes per 1,000 people, needs {} scans per "
                "person and {} per person. Against a tolerated loss of {:g} screen detections "
                "per 1,000, the verdict is <b>{}</b>.</li>",
                name,
                reference,
                _change(sd, "more", "fewer", "{:.1f}"),
                _change(scans, "more", "fewer", "{:.2f}"),
                _change(cost, "costs", "saves", money, verb_first=True),
                margin_per_1000,
                verdict,
            )
        )
    verdicts = {v: [n for n, vv in found.items() if vv == v] for v in set(found.values())}
    short = []
    if verdicts.get("non-inferior"):
        short.append(
            markup(
                "{} lose(s) less than the tolerated {:g} screen detections per 1,000 against {} "
                "(non-inferior)",
                _names(verdicts["non-inferior"]),
                margin_per_1000,
                reference,
            )
        )
    others = [n for n in found if found[n] != "non-inferior"]  # not shown, inferior, inconclusive
    if others:
        short.append(
            markup(
                "{} cannot be shown non-inferior to {} at a margin of {:g} screen detections "
                "per 1,000",
                _names(others),
                reference,
                margin_per_1000,
            )
        )
    if short:
        # Yield is a secondary view once the effect is QALYs or life-years: it comes after the
        # headline and says what it counts.
        label = "In short" if key == "screen_detected" else "On yield alone (screen detections)"
        lead = markup("<b>{}:</b> {}. ", label, join(short, "; "))
        if key == "screen_detected" and (icer["status"] == "frontier").sum() > 1:
            lead += "The efficient choice depends on what an additional screen-detected change "
            lead += "is worth to the service."
        parts.append(markup("<p>{}</p>", lead))
    ref = summary.set_index("protocol").loc[reference]
    if bullets:
        parts.append(
            markup(
                "<p>Against the reference protocol <b>{}</b> (which finds {:.1f} changes per "
                "1,000 people by a scheduled scan and costs {} per person):</p><ul>{}</ul>",
                reference,
                float(ref["screen_detected_per_1000"]),
                _money(float(ref["cost_per_patient"]), currency),
                join(bullets),
            )
        )
    parts.append(
        markup(
            '<p class="note">Costs in {} {}, discounted. Intervals labelled "PSA" are '
            "percentiles over the draws of the probabilistic analysis (parameter uncertainty; "
            "see the uncertainty section); all others are 95% Monte Carlo intervals from {} "
            "replicate{} of {:,} simulated "
            "adults, the same as in the comparison tables (paired per-patient differences; "
            "fupsim.statistics.intervals): they express simulation error only, not uncertainty "
            "about the parameters, many of which are assumptions (see the parameter table). A "
            "protocol is non-inferior when the lower 97.5% confidence bound of its paired "
            "difference in screen detections lies above minus the margin (see the comparison "
            "section).</p>",
            currency,
            year,
            replicates,
            "s" if replicates != 1 else "",
            patients,
        )
    )
    return join(parts)


def _effects() -> dict[str, Effect]:
    from fupsim.labels import EFFECTS

    return EFFECTS


def decision_headers(currency: str, unit: str) -> dict[str, str]:
    """Column headers of the PSA decision table, for the summary and the uncertainty section.

    The table shows the preferred protocol's incremental net benefit over the comparator when
    the decision table has it, else (an older ``decision.csv``) its absolute net benefit.
    """
    return {
        "wtp": f"Willingness to pay ({currency} per {unit})",
        "best_protocol": "Preferred protocol",
        "probability_cost_effective": "Probability cost-effective (share of draws)",
        "comparator": "Compared with",
        "incremental_net_benefit": f"Incremental net benefit ({currency} per person)",
        "incremental_net_benefit_p2_5": "PSA 2.5th percentile",
        "incremental_net_benefit_p97_5": "PSA 97.5th percentile",
        "evpi_per_person": f"EVPI ({currency} per person)",
        "evpi_corrected": f"EVPI corrected for noise ({currency} per person)",
        "population_evpi": f"Population EVPI ({currency})",
    }


def _absolute_headers(currency: str, unit: str) -> dict[str, str]:
    """Headers for a ``decision.csv`` without incremental columns (absolute net benefit)."""
    cols = decision_headers(currency, unit)
    absolute = {
        "expected_net_benefit": f"Expected net benefit, absolute ({currency} per person)",
        "net_benefit_p2_5": "PSA 2.5th percentile",
        "net_benefit_p97_5": "PSA 97.5th percentile",
    }
    out: dict[str, str] = {}
    for key, header in cols.items():
        if key == "comparator":
            out.update(absolute)
        elif not key.startswith("incremental"):
            out[key] = header
    return out


def _decision_sentence(row: pd.Series, currency: str, unit: str) -> Html:
    """The decision at one WTP in words: preferred protocol, its gain over the comparator."""
    best, versus = str(row["best_protocol"]), str(row["comparator"])
    lead = markup(
        "At {} per {}, <b>{}</b> has the highest expected net benefit (the best protocol in "
        "{:.0%} of PSA draws)",
        _money(float(row["wtp"]), currency),
        unit,
        best,
        float(row["probability_cost_effective"]),
    )
    if best == versus:
        gain = markup("; it is itself the comparator")
    else:
        gain = markup(
            "; against {} it gains {} per person in net benefit (PSA 2.5th to 97.5th "
            "percentile {} to {})",
            versus,
            _money(float(row["incremental_net_benefit"]), currency),
            _money(float(row["incremental_net_benefit_p2_5"]), currency),
            _money(float(row["incremental_net_benefit_p97_5"]), currency),
        )
    return markup(
        "{}{}. Perfect information about the parameters would be worth {} per person (EVPI).",
        lead,
        gain,
        f"{currency} {float(row['evpi_per_person']):,.2f}",
    )


def decision_html(decision: pd.DataFrame, currency: str, unit: str = "unit of effect") -> Html:
    """The PSA decision headline: at each willingness to pay, the preferred protocol.

    Parameters
    ----------
    decision : DataFrame
        ``decision.csv``: ``wtp, best_protocol, probability_cost_effective, evpi_per_person,
        population_evpi`` and the incremental columns of
        :data:`fupsim.voi.tables.INCREMENTAL_COLUMNS` (``comparator``,
        ``incremental_net_benefit`` and its PSA percentiles). Without them (an older
        ``decision.csv``) the table shows absolute expected net benefit, labelled so.
    """
    incremental = "incremental_net_benefit" in decision and "comparator" in decision
    if incremental:
        middle = decision.iloc[len(decision) // 2]
        text = markup(
            "<p><b>Decision under parameter uncertainty (PSA).</b> {} At each willingness to "
            "pay: the protocol with the highest expected net benefit, the share of PSA draws in "
            "which it is the best, its incremental net benefit over the comparator (willingness "
            "to pay × difference in effect − difference in cost, per person) with the PSA 2.5th and 97.5th "
            "percentiles, and the expected value of perfect information.</p>",
            _decision_sentence(middle, currency, unit),
        )
        cols = decision_headers(currency, unit)
    else:
        text = markup(
            "<p><b>Decision under parameter uncertainty (PSA).</b> At each willingness to pay, "
            "the protocol with the highest expected net benefit, how often it is the best "
            "across the PSA draws, its expected net benefit with the PSA 2.5th and 97.5th "
            "percentiles and the expected value of perfect information. Net benefit here is "
            "absolute (willingness to pay × lifetime effect − cost, per person), so every "
            "protocol's figure is large; differences between protocols are what matter: the "
            "decision table of the uncertainty section gives the preferred protocol's "
            "incremental net benefit over the comparator.</p>"
        )
        cols = _absolute_headers(currency, unit)
    return markup(
        "{}{}",
        text,
        table(
            decision,
            {k: v for k, v in cols.items() if k in decision},
            caption="Decision headline (PSA percentiles: parameter uncertainty)",
            digits=DECISION_DIGITS,
            table_id="decision-table",
        ),
    )
