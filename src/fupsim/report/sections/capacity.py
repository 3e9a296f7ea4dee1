"""Report section "Capacity": scanner utilisation and waits over time, and what waiting costs.

A plug-in section (see :mod:`fupsim.report.sections`). When the report folder holds the
weekly service table ``capacity.csv`` (a run of a scenario with ``[capacity]``),
:func:`render` draws utilisation, waits and queue over service time, tabulates the service
metrics per protocol, and compares the mean detection delay with the service's slots against
the same people, arrivals and clinic days with unlimited slots (a second run with the
manifest's seed, replicates and patients; its table is kept as
``tables/capacity_delay.csv``). Returns None when ``capacity.csv`` is absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.experiment import run
from fupsim.metrics import CAPACITY_SUMMARY_COLUMNS
from fupsim.plots.capacity import plot_delay_with_limits, plot_queue, plot_utilisation, plot_waits
from fupsim.plots.style import protocol_colors
from fupsim.report.html import Html, join, markup
from fupsim.scenario import scenario_from_dict, with_overrides

__all__ = ["UNLIMITED_SLOTS", "delay_with_and_without_limits", "render"]

UNLIMITED_SLOTS = 10**7
"""Slots per clinic day that stand for "no limit" in the comparison run."""


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
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    colors = protocol_colors(list(dict.fromkeys(data["protocol"])))
    plot(data, ax=fig.subplots(), colors=colors)
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / f"{name}.png", dpi=110)
    return markup(
        '<figure><img src="figures/{}.png" alt="{}"><figcaption>{}</figcaption></figure>',
        name,
        caption,
        caption,
    )


def delay_with_and_without_limits(report_dir: Path) -> pd.DataFrame:
    """Mean detection delay per protocol with the run's slots and with unlimited slots.

    Both are run again from the scenario, seed, replicates and patients recorded in the
    folder's ``manifest.json``; the unlimited one has ``capacity.slots_per_day`` set to
    :data:`UNLIMITED_SLOTS`, no other services' scans and no escalation, so the same people
    arrive on the same days and only waiting for a slot differs. (Both are rerun, rather than
    reading ``summary.csv``, so the pair is drawn from exactly the same scenario object.)

    Returns
    -------
    DataFrame
        ``protocol``, ``mean_delay_months_unlimited``, ``mean_delay_months_with_limits``
        (months), ``screen_detected_per_1000_unlimited``, ``screen_detected_per_1000_with_limits``.
    """
    manifest = json.loads((report_dir / "manifest.json").read_text())
    scenario = scenario_from_dict(manifest["scenario"])
    unlimited = {
        "capacity.slots_per_day": UNLIMITED_SLOTS,
        "capacity.background_scans_per_day": 0.0,
        "capacity.max_wait_days": None,
    }
    cols = ["protocol", "mean_delay_months", "screen_detected_per_1000"]
    tables = []
    for variant in (with_overrides(scenario, unlimited), scenario):
        result = run(
            variant,
            seed=manifest.get("seed"),
            replications=manifest.get("replications"),
            patients=manifest.get("patients"),
            events=False,
            progress=False,
        )
        tables.append(result.summary()[cols])
    table = tables[0].merge(tables[1], on="protocol", suffixes=("_unlimited", "_with_limits"))
    return table[
        [
            "protocol",
            "mean_delay_months_unlimited",
            "mean_delay_months_with_limits",
            "screen_detected_per_1000_unlimited",
            "screen_detected_per_1000_with_limits",
        ]
    ]


def render(report_dir: Path, figures_dir: Path) -> Html | None:
    """HTML of the capacity section, or None when ``capacity.csv`` is not in ``report_dir``."""
    if not (report_dir / "capacity.csv").is_file():
        return None
    calendar = pd.read_csv(report_dir / "capacity.csv")
    summary = pd.read_csv(report_dir / "summary.csv")
    delays = delay_with_and_without_limits(report_dir)
    tables = report_dir / "tables"
    tables.mkdir(exist_ok=True)
    delays.to_csv(tables / "capacity_delay.csv", index=False, float_format="%.10g")
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
        _figure(
            plot_delay_with_limits,
            delays,
            figures_dir,
            "capacity_delay",
            "Mean onset-to-diagnosis delay with unlimited slots and with the service's slots",
        ),
        _table(
            delays,
            {
                "protocol": "protocol",
                "mean_delay_months_unlimited": "delay, unlimited slots (months)",
                "mean_delay_months_with_limits": "delay, service slots (months)",
                "screen_detected_per_1000_unlimited": "screen-detected /1000, unlimited",
                "screen_detected_per_1000_with_limits": "screen-detected /1000, service slots",
            },
            "Detection with and without the slot limit (same people, arrivals and clinic days)",
        ),
        markup("</section>"),
    ]
    return join(parts, "\n")
