"""The report's opening: the recommendation the numbers support, in plain words.

Nothing here is hard-coded: the text is derived from the ICER table (the efficiency frontier
and its ICERs with intervals) and from the paired differences of each protocol against the
reference protocol, judged against the scenario's non-inferiority margin.
"""

from __future__ import annotations

import math

import pandas as pd

from fupsim.report.html import Html, join, markup

__all__ = ["noninferiority_verdict", "summary_html"]


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


def _frontier_sentences(icer: pd.DataFrame, currency: str) -> list[Html]:
    front = icer[icer["status"] == "frontier"].sort_values("cost_per_patient")
    names = [str(n) for n in front["protocol"]]
    if len(names) == 1:
        return [
            markup(
                "<b>{}</b> costs least and finds at least as much as every other "
                "protocol: it is the efficient choice at any willingness to pay.",
                names[0],
            )
        ]
    out = []
    steps = front.iloc[1:]
    r1 = float(steps.iloc[0]["icer"])
    out.append(
        markup(
            "If the service values one additional screen-detected change at less than "
            "{}, <b>{}</b> is the efficient choice.",
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
            else f" (95% interval {_money(lo, currency)} to {_money(hi, currency)})"
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
                "At {} per additional change, <b>{}</b> is worth its extra cost over {}.",
                band,
                row["protocol"],
                row["compared_with"],
            )
        )
    for _, row in icer[icer["status"] != "frontier"].iterrows():
        out.append(
            markup(
                "<b>{}</b> is {}: another protocol, or a mix of two, finds more for the same "
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
    """
    parts = [markup('<p class="lead">{}</p>', join(_frontier_sentences(icer, currency), " "))]
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
    lead = markup("<b>In short:</b> {}. ", join(short, "; ")) if short else markup("")
    if (icer["status"] == "frontier").sum() > 1:
        lead += "The efficient choice depends on what an additional screen-detected change is "
        lead += "worth to the service:"
    if lead:
        parts.insert(0, markup("<p>{}</p>", lead))
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
            '<p class="note">Costs in {} {}, discounted. Intervals come from '
            "{} replicate{} of {:,} simulated adults and express simulation "
            "(Monte Carlo) error only; they do not include uncertainty about the parameters, many of "
            "which are assumptions (see the parameter table). A protocol is non-inferior when the "
            "lower 97.5% confidence bound of its paired difference in screen detections lies above "
            "minus the margin (fupsim.stats; see the comparison section).</p>",
            currency,
            year,
            replicates,
            "s" if replicates != 1 else "",
            patients,
        )
    )
    return join(parts)
