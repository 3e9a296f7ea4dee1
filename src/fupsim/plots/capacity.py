"""Figures of the ultrasound service: utilisation, waits and queue over time; delay with limits.

Each function takes the weekly service table (``capacity.csv``, :data:`fupsim.capacity.
CALENDAR_COLUMNS`) or a small delay table, averages over replicates, and draws one line or
bar per protocol in its fixed colour. The run-in (weeks before the measured period) is
shaded. Protocols that book no scans are left out of the time series.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from fupsim.plots.axes import colors_for, new_axes
from fupsim.scenario import DAYS_PER_MONTH

__all__ = [
    "plot_delay_with_limits",
    "plot_effect_lost_to_limits",
    "plot_queue",
    "plot_utilisation",
    "plot_waits",
]


def _weekly(calendar: pd.DataFrame, column: str) -> pd.DataFrame:
    """Replicate mean of ``column`` per protocol and week (wide: one column per protocol)."""
    busy = calendar.groupby("protocol", sort=False)["appointments"].transform("sum") > 0
    table = calendar[busy].pivot_table(
        index="week_start_day", columns="protocol", values=column, aggfunc="mean", sort=False
    )
    return table[[p for p in dict.fromkeys(calendar.loc[busy, "protocol"])]]


def _series(
    calendar: pd.DataFrame,
    column: str,
    ax: Axes | None,
    ylabel: str,
    colors: Mapping[str, str] | None,
) -> Axes:
    ax = new_axes(ax)
    wide = _weekly(calendar, column)
    palette = colors_for(list(dict.fromkeys(calendar["protocol"])), colors)
    months = wide.index.to_numpy(float) / DAYS_PER_MONTH
    for name in wide.columns:
        ax.plot(months, wide[name].to_numpy(float), color=palette[name], lw=1.4, label=name)
    measured = calendar.loc[calendar["measured"], "week_start_day"]
    if len(measured):
        start, end = measured.min() / DAYS_PER_MONTH, (measured.max() + 7) / DAYS_PER_MONTH
        if start > 0:
            ax.axvspan(0, start, color="0.9", zorder=0, label="run-in (not measured)")
        ax.axvline(end, color="0.5", lw=0.8, ls=":")
    active = calendar.loc[calendar["appointments"] + calendar["escalated_appointments"] > 0]
    last = (active["week_start_day"].max() + 7) / DAYS_PER_MONTH if len(active) else None
    ax.set_xlabel("service time, months")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, last)
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_utilisation(
    calendar: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Weekly scanner utilisation (used / offered slots) per protocol, mean over replicates."""
    ax = _series(calendar, "utilisation", ax, "scanner utilisation (share of slots)", colors)
    ax.axhline(1.0, color="0.3", lw=0.8)
    ax.set_ylim(0, 1.05)
    return ax


def plot_waits(
    calendar: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Weekly mean wait of follow-up appointments per protocol, days."""
    ax = _series(calendar, "mean_wait_days", ax, "mean wait for a follow-up scan, days", colors)
    ax.set_ylim(bottom=0)
    return ax


def plot_queue(
    calendar: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Weekly mean number of people still waiting after a clinic day, per protocol."""
    ax = _series(calendar, "queue_length_patients", ax, "people waiting after a clinic day", colors)
    ax.set_ylim(bottom=0)
    return ax


def plot_delay_with_limits(
    delays: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Mean onset-to-diagnosis delay per protocol, with and without the scanner's slot limit.

    ``delays`` has columns ``protocol``, ``mean_delay_months_unlimited`` and
    ``mean_delay_months_with_limits``; unlimited bars are hatched and pale.
    """
    ax = new_axes(ax)
    names = list(delays["protocol"])
    palette = colors_for(names, colors)
    x = np.arange(len(names))
    width = 0.38
    free = delays["mean_delay_months_unlimited"].to_numpy(float)
    held = delays["mean_delay_months_with_limits"].to_numpy(float)
    for i, name in enumerate(names):
        ax.bar(x[i] - width / 2, free[i], width, color=palette[name], alpha=0.35, hatch="//")
        ax.bar(x[i] + width / 2, held[i], width, color=palette[name])
    handles = [
        Patch(facecolor="0.6", alpha=0.35, hatch="//", label="unlimited slots"),
        Patch(facecolor="0.6", label="with the service's slots"),
    ]
    ax.set_xticks(x, names)
    ax.set_ylabel("mean delay from onset to diagnosis, months")
    ax.set_ylim(bottom=0)
    ax.legend(handles=handles, frameon=False, fontsize=8)
    return ax


def plot_effect_lost_to_limits(
    delays: pd.DataFrame,
    *,
    column: str,
    ylabel: str,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """One bar per protocol: the effect lost per 1,000 people because scans wait for a slot.

    ``column`` is the loss column of ``capacity_limits.csv`` (e.g.
    ``qalys_lost_to_limits_per_1000``, :func:`fupsim.capacity.limits_columns`) and ``ylabel``
    names it with its unit; a line marks zero (no loss).
    """
    ax = new_axes(ax)
    names = list(delays["protocol"])
    palette = colors_for(names, colors)
    x = np.arange(len(names))
    ax.bar(x, delays[column].to_numpy(float), 0.6, color=[palette[n] for n in names])
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xticks(x, names)
    ax.set_ylabel(ylabel)
    return ax
