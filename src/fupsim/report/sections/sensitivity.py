"""Report section "Sensitivity analysis": grid sweep, tornado and Sobol indices.

A plug-in section (see :mod:`fupsim.report.sections`): :func:`render` reads the results that
``fupsim sweep`` / ``owsa`` / ``sobol`` wrote into the report folder, only through their
loaders (:func:`fupsim.sensitivity.load_sweep`, ``load_owsa``, ``load_sobol``; the file names
are the results' own ``FILES``), draws their figures into the figures folder and returns the
HTML fragment, or None when none is there. A folder that is not whole gives a visible note
naming the file, not an error. A whole PSA belongs to the uncertainty section; a partial one
is noted here. Each result's manifest is checked against the run's (scenario hash, seed,
size) and a mismatch is shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.errors import ScenarioError
from fupsim.plots.sensitivity import outcome_label, plot_sobol, plot_sweep, plot_tornado
from fupsim.report.figures import section_figure
from fupsim.report.html import Html, join, markup
from fupsim.report.sections.uncertainty import provenance
from fupsim.sensitivity.psa_result import EFFECT_UNITS, PsaResult, load_psa
from fupsim.sensitivity.results import (
    OwsaResult,
    SobolResult,
    SweepResult,
    load_owsa,
    load_sobol,
    load_sweep,
)

__all__ = ["render"]

MAX_SWEEP_ROWS = 60
"""Most grid points listed in the sweep's table (all are in its file)."""


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


def _manifest_name(files: dict[str, str]) -> str:
    return next(n for n in files if n.endswith(".json"))


def _currency(manifest: dict[str, Any]) -> str:
    scenario = manifest.get("scenario") or {}
    return str(manifest.get("currency") or (scenario.get("costs") or {}).get("currency", "USD"))


def _sweep(res: SweepResult, figures_dir: Path) -> Html:
    m, st = res.manifest, res.settings
    currency = _currency(m)
    unit = EFFECT_UNITS.get(st.effect, st.effect)
    parts = [
        markup("<h3>Grid sweep</h3>"),
        markup(
            "<p>Every combination of {} simulated ({:,} points, {} × {:,} adults per point, "
            "same seed). Net monetary benefit uses {} at {:,.0f} {} per {}.</p>",
            ", ".join(res.varied),
            int(res.table["point"].nunique()),
            m.get("replications_per_point"),
            int(m.get("patients_per_point") or 0),
            st.effect,
            st.wtp,
            currency,
            unit,
        ),
    ]
    if len(res.varied) <= 2:
        parts.append(
            _figure(
                plot_sweep,
                res.table,
                figures_dir,
                "sweep",
                f"Incremental net benefit of each protocol against {st.comparator} over the "
                "varied parameter"
                if len(res.varied) == 1
                else "Protocol with the highest net monetary benefit over the two varied "
                "parameters",
                varied=res.varied,
                wtp=st.wtp,
                comparator=st.comparator,
                effect_unit=unit,
                order=m.get("protocols"),
                currency=currency,
            )
        )
    best = res.table[res.table["protocol"] == res.table["preferred_protocol"]]
    cols = {k: k for k in res.varied}
    cols["preferred_protocol"] = "Protocol with the highest net benefit"
    cols["net_monetary_benefit"] = outcome_label("net_monetary_benefit", currency)
    shown = best.sort_values("point").head(MAX_SWEEP_ROWS)
    caption = "Preferred protocol at each grid point"
    if len(best) > MAX_SWEEP_ROWS:
        caption += f" (first {MAX_SWEEP_ROWS} of {len(best)}; all in the sweep's table)"
    parts.append(_table(shown, cols, caption))
    return join(parts, "\n")


def _owsa(res: OwsaResult, figures_dir: Path) -> Html:
    tornado = res.tornado
    if tornado.empty:
        return markup("")
    currency = _currency(res.manifest)
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
                "outcome_at_low": f"Outcome at low ({currency})",
                "outcome_at_high": f"Outcome at high ({currency})",
                "swing": "Swing",
                "threshold_value": "Threshold value",
                "threshold_switch": "Preferred protocol changes",
                "confidence": "Confidence",
            },
            f"Parameters ranked by swing of {out['outcome']} ({out['protocol']})",
        ),
    ]
    return join(parts, "\n")


def _sobol(res: SobolResult, figures_dir: Path) -> Html:
    idx = res.indices
    if idx.empty:
        return markup("")
    return join(
        [
            markup("<h3>Sobol indices</h3>"),
            markup(
                "<p>Share of the variance of {} ({}) due to each parameter alone (S1) and with "
                "its interactions (ST), each uniform over its range; bars show 95% bootstrap "
                "intervals.</p>",
                res.settings.outcome,
                res.settings.protocol,
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


ANALYSES: tuple[tuple[str, dict[str, str], Callable[[Path], Any], Callable[..., Html]], ...] = (
    ("grid sweep", SweepResult.FILES, load_sweep, _sweep),
    ("one-way analysis", OwsaResult.FILES, load_owsa, _owsa),
    ("Sobol analysis", SobolResult.FILES, load_sobol, _sobol),
)
"""What the section shows, in order: (name, the result's files, its loader, its renderer)."""


def _present(report_dir: Path, files: dict[str, str]) -> bool:
    return any((report_dir / name).is_file() for name in files)


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """The section's HTML, or None when no sweep, one-way or Sobol result is in ``report_dir``.

    Parameters
    ----------
    report_dir : Path
        The report folder, which may hold the files of a sweep, one-way or Sobol result
        (written there by the sensitivity commands with ``--out`` the report folder).
    figures_dir : Path
        Where to write ``sweep.png``, ``tornado.png``, ``sobol.png`` (referred to as
        ``figures/<name>.png``).
    """
    report_dir, figures_dir = Path(report_dir), Path(figures_dir)
    notes, body = [], []
    if _present(report_dir, PsaResult.FILES):
        try:
            load_psa(report_dir)  # a whole PSA is the uncertainty section's
        except ScenarioError as err:
            notes.append(
                markup('<p class="note">The probabilistic analysis is not shown: {}</p>', err)
            )
    for what, files, load, show in ANALYSES:
        if not _present(report_dir, files):
            continue
        try:
            result = load(report_dir)
        except ScenarioError as err:
            body.append(markup('<p class="note">The {} is not shown: {}</p>', what, err))
            continue
        notes.append(provenance(report_dir, _manifest_name(files), what)[1])
        try:
            body.append(show(result, figures_dir))
        except (KeyError, ValueError, TypeError, IndexError) as err:  # a table from elsewhere
            body.append(
                markup(
                    '<p class="note">Could not show the {} ({}: {}); rerun the command that '
                    "writes it.</p>",
                    what,
                    type(err).__name__,
                    err,
                )
            )
    if not notes and not body:
        return None
    inner = join((b for b in [*notes, *body] if b), "\n")
    return markup('<section id="sensitivity"><h2>Sensitivity analysis</h2>\n{}\n</section>', inner)
