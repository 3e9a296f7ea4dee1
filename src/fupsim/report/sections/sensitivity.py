"""Report section "Sensitivity analysis": tornado, PSA cloud, acceptability, EVPI, Sobol.

A plug-in section (see :mod:`fupsim.report.sections`): :func:`render` looks in the report
folder for the tables written by ``fupsim owsa`` / ``psa`` / ``sobol`` (``owsa.csv`` with
``owsa_tornado.csv``, ``psa.csv``, ``ceac.csv``, ``evpi.csv``, ``sobol.csv``), draws their
figures into the figures folder and returns the HTML fragment, or None when none is there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.plots.sensitivity import (
    plot_ceac,
    plot_evpi,
    plot_psa_scatter,
    plot_sobol,
    plot_tornado,
)
from fupsim.report.figures import section_figure
from fupsim.report.html import Html, join, markup
from fupsim.report.sections.uncertainty import provenance

__all__ = ["INPUTS", "render"]

INPUTS = ("owsa.csv", "psa.csv", "ceac.csv", "evpi.csv", "sobol.csv")
"""Any of these files in the report folder turns the section on."""


def _num(value: Any, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    return f"{v:,.{digits}f}"


def _table(frame: pd.DataFrame, columns: dict[str, str], caption: str, digits: int = 2) -> Html:
    head = join(markup("<th>{}</th>", h) for h in columns.values())
    rows = []
    for rec in frame.to_dict(orient="records"):
        cells = []
        for c in columns:
            v = rec.get(c)
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            cells.append(
                markup('<td class="num">{}</td>', _num(v, digits))
                if numeric
                else markup("<td>{}</td>", v)
            )
        rows.append(markup("<tr>{}</tr>", join(cells)))
    return markup(
        "<table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        caption,
        head,
        join(rows),
    )


def _figure(
    plot: Callable[..., Any], data: Any, figures_dir: Path, name: str, caption: str, **kw: Any
) -> Html:
    size = kw.pop("figsize", (7.5, 4.8))
    return section_figure(
        lambda ax: plot(data, ax=ax, **kw), figures_dir, name, caption, figsize=size
    )


def _context(report_dir: Path) -> tuple[str, list[str] | None]:
    """Currency and protocol order from any sensitivity manifest (or a run manifest)."""
    for name in ("psa_manifest.json", "owsa_manifest.json", "sobol_manifest.json", "manifest.json"):
        try:
            scenario = json.loads((report_dir / name).read_text())["scenario"]
            return str(scenario["costs"]["currency"]), [p["name"] for p in scenario["protocol"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "USD", None


def _owsa(report_dir: Path, figures_dir: Path, currency: str) -> Html:
    path = report_dir / "owsa_tornado.csv"
    if not path.is_file():
        return markup(
            '<p class="note">owsa.csv is present but owsa_tornado.csv is not; rerun fupsim owsa.</p>'
        )
    tornado = pd.read_csv(path)
    if tornado.empty:
        return markup("")
    out = tornado.iloc[0]
    parts = [
        markup("<h3>One-way sensitivity</h3>"),
        markup(
            "<p>Each parameter with a range was moved alone from low to high; bars show "
            "{} of {} at the two ends, widest swing first. The threshold is where the protocol "
            "with the highest net monetary benefit changes.</p>",
            out["outcome"],
            out["protocol"],
        ),
        _figure(
            plot_tornado,
            tornado,
            figures_dir,
            "tornado",
            "Tornado diagram",
            currency=currency,
            figsize=(7.5, max(2.5, 0.35 * min(15, len(tornado)) + 1.4)),
        ),
        _table(
            tornado.head(15),
            {
                "parameter": "Parameter",
                "low_value": "Low",
                "high_value": "High",
                "outcome_at_low": "Outcome at low",
                "outcome_at_high": "Outcome at high",
                "swing": "Swing",
                "threshold_value": "Threshold value",
                "threshold_switch": "Preferred protocol changes",
                "confidence": "Confidence",
            },
            f"Parameters ranked by swing of {out['outcome']} ({out['protocol']})",
        ),
    ]
    return join(parts, "\n")


def _psa(report_dir: Path, figures_dir: Path, currency: str, order: list[str] | None) -> Html:
    parts = [markup("<h3>Probabilistic sensitivity analysis</h3>")]
    if (report_dir / "psa.csv").is_file():
        draws = pd.read_csv(report_dir / "psa.csv")
        effect = next(
            (
                c
                for c in (
                    "qalys_per_patient",
                    "life_years_per_patient",
                    "screen_detected_per_patient",
                )
                if c in draws
            ),
            "screen_detected_per_1000",
        )
        parts.append(
            markup(
                "<p>{:,} parameter draws; every protocol simulated per draw "
                "against the same simulated people.</p>",
                draws["draw"].nunique(),
            )
        )
        parts.append(
            _figure(
                plot_psa_scatter,
                draws,
                figures_dir,
                "psa_scatter",
                "Cost and effect of each PSA draw",
                effect=effect,
                order=order,
                currency=currency,
            )
        )
    if (report_dir / "ceac.csv").is_file():
        acc = pd.read_csv(report_dir / "ceac.csv")
        parts.append(
            _figure(
                plot_ceac,
                acc,
                figures_dir,
                "ceac",
                "Acceptability: probability that each protocol has the highest net benefit "
                "(grey band: protocol with the highest expected net benefit)",
                order=order,
                currency=currency,
            )
        )
        wide = acc.pivot(index="wtp", columns="protocol", values="probability").reset_index()
        names = [p for p in (order or list(wide.columns[1:])) if p in wide.columns]
        cols = {"wtp": f"WTP ({currency} per unit of effect)"}
        cols.update({p: f"P(highest net benefit): {p}" for p in names})
        parts.append(
            _table(wide, cols, "Probability of highest net benefit by willingness to pay", 3)
        )
    if (report_dir / "evpi.csv").is_file():
        info = pd.read_csv(report_dir / "evpi.csv")
        parts.append(
            _figure(
                plot_evpi,
                info,
                figures_dir,
                "evpi",
                "Expected value of perfect information per person",
                currency=currency,
            )
        )
        parts.append(
            _table(
                info,
                {"wtp": f"WTP ({currency})", "evpi": f"EVPI per person ({currency})"},
                "Expected value of perfect information",
            )
        )
    return join(parts, "\n")


def _sobol(report_dir: Path, figures_dir: Path) -> Html:
    idx = pd.read_csv(report_dir / "sobol.csv")
    if idx.empty:
        return markup("")
    return join(
        [
            markup("<h3>Sobol indices</h3>"),
            markup(
                "<p>Share of the outcome's variance due to each parameter alone (S1) and with "
                "its interactions (ST), each uniform over its range; bars show 95% bootstrap "
                "intervals.</p>"
            ),
            _figure(
                plot_sobol,
                idx,
                figures_dir,
                "sobol",
                "First-order and total Sobol indices",
                figsize=(7.5, max(2.5, 0.35 * min(15, len(idx)) + 1.4)),
            ),
            _table(
                idx,
                {
                    "parameter": "Parameter",
                    "S1": "S1",
                    "S1_conf": "S1 ±95%",
                    "ST": "ST",
                    "ST_conf": "ST ±95%",
                },
                "Sobol indices",
                3,
            ),
        ],
        "\n",
    )


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """The section's HTML, or None when no sensitivity result is in ``report_dir``.

    Parameters
    ----------
    report_dir : Path
        The report folder, which may hold ``owsa.csv``, ``psa.csv``, ``ceac.csv``,
        ``evpi.csv``, ``sobol.csv`` (written there by the sensitivity commands).
    figures_dir : Path
        Where to write ``tornado.png``, ``psa_scatter.png``, ``ceac.png``, ``evpi.png``,
        ``sobol.png`` (referred to as ``figures/<name>.png``).
    """
    report_dir, figures_dir = Path(report_dir), Path(figures_dir)
    present = {name for name in INPUTS if (report_dir / name).is_file()}
    if not present:
        return None
    currency, order = _context(report_dir)
    parts: list[tuple[str, Callable[[], Html]]] = []
    if "decision.csv" in (p.name for p in report_dir.iterdir()):
        present -= {"psa.csv", "ceac.csv", "evpi.csv"}  # the uncertainty section shows the PSA
    if not present:
        return None
    notes = []
    for name, manifest_name, what in (
        ("owsa.csv", "owsa_manifest.json", "one-way analysis"),
        ("psa.csv", "psa_manifest.json", "probabilistic analysis"),
        ("sobol.csv", "sobol_manifest.json", "Sobol analysis"),
    ):
        if name in present:
            notes.append(provenance(report_dir, manifest_name, what)[1])
    if "owsa.csv" in present:
        parts.append(("owsa_tornado.csv", lambda: _owsa(report_dir, figures_dir, currency)))
    if present & {"psa.csv", "ceac.csv", "evpi.csv"}:
        parts.append(
            (
                "psa.csv / ceac.csv / evpi.csv",
                lambda: _psa(report_dir, figures_dir, currency, order),
            )
        )
    if "sobol.csv" in present:
        parts.append(("sobol.csv", lambda: _sobol(report_dir, figures_dir)))
    body = []
    for files, build in parts:
        try:
            body.append(build())
        except (KeyError, ValueError, TypeError, IndexError) as err:  # e.g. a table from elsewhere
            body.append(
                markup(
                    '<p class="note">Could not read {} ({}: {}); rerun the sensitivity command '
                    "that writes it.</p>",
                    files,
                    type(err).__name__,
                    err,
                )
            )
    inner = join((b for b in [*notes, *body] if b), "\n")
    return markup('<section id="sensitivity"><h2>Sensitivity analysis</h2>\n{}\n</section>', inner)
