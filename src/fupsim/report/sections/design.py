"""Report section "Schedule design": the frontier of every candidate, the best schedule by WTP.

A plug-in section (see :mod:`fupsim.report.sections`). When the report folder, or its
``design/`` subfolder, holds a ``fupsim design`` result (``candidates.csv``, ``frontier.csv``,
``best_by_wtp.csv``, and ``design_manifest.json`` for the currency and effect), :func:`render`
draws the cost–effect frontier of every candidate and the best schedule by willingness to
pay, names the best designed schedule next to the article's protocols, lists the candidates
statistically tied with it and, with ``design_ceaf.csv``, the probability that each top
candidate is optimal under parameter uncertainty. Returns None when the files are absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.plots.design import plot_best_by_wtp, plot_design_ceaf, plot_design_frontier
from fupsim.report.figures import section_figure
from fupsim.report.html import Html, fmt_number, join, markup, section, table

__all__ = ["INPUTS", "design_folder", "render", "summary_sentence"]

INPUTS = ("candidates.csv", "frontier.csv", "best_by_wtp.csv")
"""The files of a design result; all three turn the section on."""

EFFECT_WORDS = {
    "qalys": "QALYs",
    "life_years": "life-years",
    "screen_detected": "screen-detected changes",
}


def design_folder(report_dir: Path) -> Path | None:
    """The folder holding a design result: the report folder or its ``design/``, else None."""
    for folder in (report_dir, report_dir / "design"):
        if all((folder / name).is_file() for name in INPUTS):
            return folder
    return None


def _context(folder: Path, report_dir: Path) -> tuple[str, str]:
    """Currency and effect wording, from the design manifest (or the run's)."""
    currency, effect = "", "effect"
    for path in (folder / "design_manifest.json", report_dir / "manifest.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        scenario = record.get("scenario", {}) if isinstance(record, dict) else {}
        currency = currency or str(scenario.get("costs", {}).get("currency", ""))
        if "effect" in record:
            effect = EFFECT_WORDS.get(str(record["effect"]), str(record["effect"]))
        if currency:
            break
    return currency, effect


def _found(report_dir: Path) -> tuple[Path, str, str] | None:
    """The design folder with its currency and effect wording, or None without a result."""
    folder = design_folder(report_dir)
    if folder is None:
        return None
    return (folder, *_context(folder, report_dir))


def _draw(plot: Callable[..., Any], figures_dir: Path, name: str, caption: str, **kw: Any) -> Html:
    return section_figure(lambda ax: plot(ax=ax, **kw), figures_dir, name, caption)


def _money(value: Any, currency: str) -> str:
    return f"{currency} {fmt_number(float(value))}".strip()


def _headline(best: pd.DataFrame, cands: pd.DataFrame, currency: str, effect: str) -> Html:
    """One sentence at the middle WTP: the best designed schedule next to the article's."""
    row = best.iloc[len(best) // 2]
    visits = cands.set_index("candidate")["visits_months"].astype(str).to_dict()
    article = [str(c) for c in cands.loc[cands["article"].astype(bool), "candidate"]]
    parts = [
        markup(
            "At a willingness to pay of {} per unit of effect ({}), the best designed schedule "
            "is <b>{}</b> (scans at months {}), with an expected net benefit of {} per person "
            "and a probability of {} of really being the best.",
            _money(row["wtp"], currency),
            effect,
            row["best"],
            visits.get(str(row["best"]), "").replace("nan", "") or "none",
            _money(row["expected_nb"], currency),
            fmt_number(float(row["probability_best"]), 2),
        )
    ]
    if article and isinstance(row.get("article_best"), str):
        gain, se = float(row["gain_over_article"]), float(row["gain_over_article_se"])
        parts.append(
            markup(
                " Of the article's protocols ({}), the best is <b>{}</b>; the designed schedule "
                "gains {} per person over it (paired SE {}).",
                ", ".join(article),
                row["article_best"],
                _money(gain, currency),
                fmt_number(se) if math.isfinite(se) else "–",
            )
        )
    stratified = _stratified_sentence(row, currency)
    if stratified is not None:
        parts.append(stratified)
    tied = row.get("tied_with")
    if isinstance(tied, str) and tied:
        parts.append(
            markup(
                " Statistically tied with it: {} (together best with probability {}).",
                tied,
                fmt_number(float(row["probability_best_or_tied"]), 2),
            )
        )
    return markup('<p class="lead">{}</p>', join(parts))


def _stratified_sentence(row: pd.Series, currency: str) -> Html | None:
    """The risk-stratified policy's honest gain at this WTP (None without strata)."""
    gain = row.get("stratified_gain")
    if gain is None or not math.isfinite(float(gain)):
        return None
    verdict = (
        "worth adopting"
        if bool(row.get("stratified_recommended"))
        else "not a reliable gain (below the indifference zone or not significant)"
    )
    return markup(
        " A risk-stratified policy (one schedule per stratum) gains {} per person over the best "
        "single schedule out of sample "
        "(cross-fitted, SE {}; {} in sample, which is optimistic): {}.",
        _money(gain, currency),
        fmt_number(float(row["stratified_gain_se"])),
        _money(row["stratified_gain_in_sample"], currency),
        verdict,
    )


def _strata(folder: Path, best: pd.DataFrame, currency: str) -> Html:
    """The risk-stratified policy: its schedule per stratum at the middle WTP, the honest and
    in-sample gains at every WTP."""
    strata = pd.read_csv(folder / "strata.csv")
    middle = float(best["wtp"].iloc[len(best) // 2])
    at = strata[strata["wtp"] == middle]
    money = f"({currency})".replace("()", "")
    return join(
        [
            markup("<h3>Risk-stratified policy</h3>"),
            markup(
                "<p>One schedule per stratum (what is known at the start: cohort attributes and "
                "the index work-up's findings), chosen from the same simulated people. Choosing "
                "and scoring on the same replicates overstates the gain (the best of noisy "
                "equals looks better than it is), so the gain is also estimated out of sample: "
                "chosen on one half of the first stage's people, scored on the other, and the "
                "halves swapped (docs/design.md). Only that honest gain decides whether to "
                "stratify.</p>"
            ),
            table(
                at,
                {
                    "stratum": "Stratum",
                    "people_share": "Share of people",
                    "schedule": "Schedule",
                    "uniform_schedule": "Best single schedule",
                    "halves_agree": "Both halves chose it",
                },
                caption=f"Schedule per stratum at a WTP of {_money(middle, currency)}",
                digits={"people_share": 3},
            ),
            table(
                best,
                {
                    "wtp": f"WTP ({currency} per unit of effect)".replace("( ", "("),
                    "stratified_gain": f"Gain out of sample per person {money}".strip(),
                    "stratified_gain_se": "SE",
                    "stratified_gain_in_sample": f"Gain in sample {money}".strip(),
                    "stratified_recommended": "Stratify",
                },
                caption="Gain of the stratified policy over the best single schedule",
            ),
        ],
        "\n",
    )


def _tied(value: Any, limit: int = 6) -> str:
    if not isinstance(value, str) or not value:
        return "none"
    names = value.split("; ")
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _ceaf(folder: Path, figures_dir: Path, currency: str) -> Html:
    ceaf = pd.read_csv(folder / "design_ceaf.csv")
    if ceaf.empty:
        return markup("")
    wide = ceaf.pivot(index="wtp", columns="candidate", values="probability_optimal")
    names = list(dict.fromkeys(ceaf["candidate"]))
    wide = wide[names].reset_index()
    frontier = ceaf[ceaf["on_frontier"].astype(bool)].set_index("wtp")["candidate"]
    wide["choice"] = wide["wtp"].map(frontier)
    cols = {"wtp": f"WTP ({currency} per unit of effect)".replace("( ", "(")}
    cols |= {n: f"P(optimal): {n}" for n in names}
    cols["choice"] = "Highest expected net benefit"
    return join(
        [
            markup("<h3>Under parameter uncertainty</h3>"),
            markup(
                "<p>The top candidates were played under each draw of the uncertain "
                "parameters (PSA distributions), all on the same simulated people; the "
                "probability that each is optimal is the share of draws in which it has the "
                "highest net benefit (each WTP's probabilities sum to 1).</p>"
            ),
            _draw(
                plot_design_ceaf,
                figures_dir,
                "design_ceaf",
                "Acceptability over designs: probability that each top candidate is optimal",
                ceaf=ceaf,
                currency=currency,
            ),
            table(
                wide,
                cols,
                caption="Probability that each top candidate is optimal, by willingness to pay",
                digits=dict.fromkeys(names, 3),
            ),
        ],
        "\n",
    )


def summary_sentence(report_dir: Path) -> Html | None:
    """For the report's summary: the best designed schedule next to the article's, or None.

    None when the report folder holds no design result (or an unreadable one, which the
    section itself reports).
    """
    found = _found(Path(report_dir))
    if found is None:
        return None
    folder, currency, effect = found
    try:
        cands = pd.read_csv(folder / "candidates.csv")
        best = pd.read_csv(folder / "best_by_wtp.csv")
    except (OSError, ValueError):
        return None
    if best.empty:
        return None
    return join(
        [
            markup("<p><b>Schedule design</b> (see the design section):</p>"),
            _headline(best, cands, currency, effect),
        ]
    )


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """The section's HTML, or None when no design result is in the report folder.

    Parameters
    ----------
    report_dir : Path
        The report folder; the design files may sit in it or in its ``design/`` subfolder.
    figures_dir : Path
        Where ``design_frontier.png``, ``design_best_by_wtp.png`` and ``design_ceaf.png``
        are written (referred to as ``figures/<name>.png``).
    """
    found = _found(Path(report_dir))
    if found is None:
        return None
    folder, currency, effect = found
    figures_dir = Path(figures_dir)
    try:
        cands = pd.read_csv(folder / "candidates.csv")
        front = pd.read_csv(folder / "frontier.csv")
        best = pd.read_csv(folder / "best_by_wtp.csv")
        if best.empty:
            raise ValueError("best_by_wtp.csv has no rows")
        best["tied"] = best["tied_with"].map(_tied) if "tied_with" in best else "–"
        on = int((front["status"] == "frontier").sum())
        body = [
            _headline(best, cands, currency, effect),
            markup(
                "<p>{} candidate schedules (regular intervals and durations, explicit and "
                "stepped visit lists, stop-after-stable rules, no follow-up and the article's "
                "protocols) were played against the same simulated people; {} lie on the "
                "efficient frontier of cost against {}. A candidate is <i>tied</i> with the "
                "best when their paired difference in net benefit is smaller than the "
                "indifference zone or not significant (docs/design.md).</p>",
                len(cands),
                on,
                effect,
            ),
            _draw(
                plot_design_frontier,
                figures_dir,
                "design_frontier",
                "Cost against effect of every candidate schedule; the efficient frontier drawn",
                frontier=front,
                candidates=cands,
                effect=effect,
                currency=currency,
            ),
            table(
                best,
                {
                    "wtp": f"WTP ({currency} per unit of effect)".replace("( ", "("),
                    "best": "Best schedule",
                    "expected_nb": f"Expected net benefit per person ({currency})",
                    "expected_nb_se": "SE",
                    "probability_best": "P(best)",
                    "tied": "Statistically tied with",
                    "probability_best_or_tied": "P(best or tied)",
                    "article_best": "Best of the article's",
                    "gain_over_article": f"Gain over it per person ({currency})",
                    "gain_over_article_se": "SE",
                },
                caption="Best schedule by willingness to pay",
            ),
            _draw(
                plot_best_by_wtp,
                figures_dir,
                "design_best_by_wtp",
                "Expected net benefit of the best schedule by willingness to pay (95% intervals)",
                best=best,
                currency=currency,
            ),
        ]
        if (folder / "strata.csv").is_file() and "stratified_gain" in best:
            body.append(_strata(folder, best, currency))
        if (folder / "design_ceaf.csv").is_file():
            body.append(_ceaf(folder, figures_dir, currency))
        inner = join(body, "\n")
    except (KeyError, ValueError, TypeError, IndexError) as err:  # e.g. files from elsewhere
        inner = markup(
            '<p class="note">Could not read the design result in {} ({}: {}); rerun fupsim '
            "design.</p>",
            folder.name,
            type(err).__name__,
            err,
        )
    return section("design", "Schedule design", inner)
