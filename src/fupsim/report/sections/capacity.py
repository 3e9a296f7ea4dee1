"""Report section "Capacity": scanner utilisation and waits over time, and what waiting costs.

A plug-in section (see :mod:`fupsim.report.sections`). When the report folder holds the
weekly service table ``capacity.csv`` (a run of a scenario with ``[capacity]``),
:func:`render` draws utilisation, waits and queue over service time, tabulates the service
metrics per protocol, and, when the folder holds ``capacity_limits.csv`` (written before
rendering by :func:`fupsim.pipeline.capacity_step`), compares the mean detection delay and
the scenario's effect (``analysis.effect``: QALYs by default, the file's ``effect`` column)
with the service's slots against the same people with unlimited slots. It only reads files.
Returns None when ``capacity.csv`` is absent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.labels import EFFECTS
from fupsim.metrics import CAPACITY_SUMMARY_COLUMNS
from fupsim.plots.capacity import (
    plot_delay_with_limits,
    plot_effect_lost_to_limits,
    plot_queue,
    plot_utilisation,
    plot_waits,
)
from fupsim.plots.style import protocol_colors
from fupsim.report.figures import section_figure
from fupsim.report.html import Html, join, markup

__all__ = ["LIMITS_FILE", "render"]

LIMITS_FILE = "capacity_limits.csv"
"""Detection with and without the slot limit (``fupsim.pipeline.capacity_limits``)."""


def _cell(value: Any, digits: int) -> Html:
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return markup('<td class="num">{}</td>', "–" if math.isnan(v) else f"{v:,.{digits}f}")
    return markup("<td>{}</td>", value)


def _table(frame: pd.DataFrame, columns: dict[str, str], caption: str, digits: int = 2) -> Html:
    head = join(markup("<th>{}</th>", h) for h in columns.values())
    body = join(
        markup("<tr>{}</tr>", join(_cell(rec.get(c), digits) for c in columns))
        for rec in frame.to_dict(orient="records")
    )
    return markup(
        "<table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        caption,
        head,
        body,
    )


def _figure(
    plot: Callable[..., Any], data: pd.DataFrame, figures_dir: Path, name: str, caption: str
) -> Html:
    colors = protocol_colors(list(dict.fromkeys(data["protocol"])))
    return section_figure(
        lambda ax: plot(data, ax=ax, colors=colors), figures_dir, name, caption, figsize=(7.5, 4.2)
    )


def _limits(delays: pd.DataFrame, figures_dir: Path) -> list[Html]:
    """Delay and effect with and without the slot limit, in the effect the file names."""
    name = str(delays["effect"].iloc[0]) if "effect" in delays and len(delays) else ""
    e = EFFECTS.get(name, EFFECTS["screen_detected"])
    if f"{e.summary}_with_limits" not in delays:  # a file from before the effect choice
        e = EFFECTS["screen_detected"]
    scale = 1000.0 / e.summary_scale  # summary unit -> per 1,000 people
    shown = delays.assign(
        effect_unlimited=delays[f"{e.summary}_unlimited"] * scale,
        effect_with_limits=delays[f"{e.summary}_with_limits"] * scale,
        effect_lost=delays[f"{e.summary}_unlimited"] * scale
        - delays[f"{e.summary}_with_limits"] * scale,
    )
    per = f"{e.plural} per 1,000 people"
    return [
        _figure(
            plot_delay_with_limits,
            delays,
            figures_dir,
            "capacity_delay",
            "Mean onset-to-diagnosis delay with unlimited slots and with the service's slots",
        ),
        section_figure(
            lambda ax: plot_effect_lost_to_limits(
                shown,
                column="effect_lost",
                ylabel=f"{e.plural} lost per 1,000 people",
                ax=ax,
                colors=protocol_colors(list(dict.fromkeys(delays["protocol"]))),
            ),
            figures_dir,
            "capacity_effect",
            f"{e.plural} lost per 1,000 people because scans wait for a slot "
            "(unlimited minus the service's slots)",
            figsize=(7.5, 4.2),
        ),
        _table(
            shown,
            {
                "protocol": "protocol",
                "mean_delay_months_unlimited": "delay, unlimited slots (months)",
                "mean_delay_months_with_limits": "delay, service slots (months)",
                "effect_unlimited": f"{per}, unlimited",
                "effect_with_limits": f"{per}, service slots",
                "effect_lost": f"{e.plural} lost per 1,000 to waiting",
            },
            f"Detection delay and {e.plural} with and without the slot limit "
            "(same people, arrivals and clinic days)",
        ),
    ]


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """HTML of the capacity section, or None when ``capacity.csv`` is not in ``report_dir``."""
    if not (report_dir / "capacity.csv").is_file():
        return None
    calendar = pd.read_csv(report_dir / "capacity.csv")
    summary = pd.read_csv(report_dir / "summary.csv")
    limits = report_dir / LIMITS_FILE
    delays = pd.read_csv(limits) if limits.is_file() else None
    metrics = {"protocol": "protocol"} | {
        c: c.replace("_", " ") for c in CAPACITY_SUMMARY_COLUMNS if c in summary.columns
    }
    parts = [
        markup('<section id="capacity"><h2>Capacity</h2>'),
        markup(
            "<p>Every follow-up scan waits for a slot on a clinic day (first free slot on or after "
            "its due date, in due-date order). Waits are counted from the first clinic day on or "
            "after the due date and measured after the run-in; utilisation is used over offered "
            "slots, other services' scans included. The detection happens at the scan actually "
            "done, so waiting lengthens delays and can turn a screen detection into an interval "
            "case.</p>"
        ),
        _table(summary, metrics, "Service metrics per protocol (means over replicates)"),
        _figure(
            plot_utilisation,
            calendar,
            figures_dir,
            "capacity_utilisation",
            "Weekly scanner utilisation per protocol",
        ),
        _figure(
            plot_waits,
            calendar,
            figures_dir,
            "capacity_waits",
            "Weekly mean wait for a follow-up scan per protocol (days)",
        ),
        _figure(
            plot_queue,
            calendar,
            figures_dir,
            "capacity_queue",
            "People still waiting after each clinic day (weekly mean)",
        ),
    ]
    if delays is not None:
        parts += _limits(delays, figures_dir)
    parts.append(markup("</section>"))
    return join(parts, "\n")
