"""Figures of what each protocol finds and what it asks of patients and the clinic.

Inputs are the run's tables: ``summary`` (one row per protocol with ``_se`` columns, as
``RunResult.summary()``), ``outcomes`` (one row per replicate × protocol × patient) or a
long table of cumulative detection curves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from fupsim.labels import BY_CAUSE_COUNTS, METRICS
from fupsim.plots.axes import colors_for, new_axes

__all__ = [
    "YIELD_METRICS",
    "grouped_bars",
    "plot_by_cause",
    "plot_delay",
    "plot_detection_curves",
    "plot_lead_time",
    "plot_scans",
    "plot_workups",
    "plot_yield",
]

Z95 = 1.959963984540054

YIELD_METRICS: dict[str, str] = {
    name: METRICS[name].legend
    for name in (
        "screen_detected_per_1000",
        "interval_cases_per_1000",
        "undetected_at_horizon_per_1000",
    )
}
"""The yield bars' metrics and legend names (from :data:`fupsim.labels.METRICS`)."""


def plot_by_cause(
    by_cause: pd.DataFrame,
    column: str,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """Horizontal bars per cause, one per protocol: ``column`` per 1,000 people of the cause.

    Parameters
    ----------
    by_cause : DataFrame
        ``by_cause.csv``: ``protocol, cause, patients`` and counts summed over replicates.
    column : str
        A count column (``screen_detected``, ``late_presentations``, ``deaths``, ...).

    Returns
    -------
    Axes
        y: cause; x: count per 1,000 people of that cause.
    """
    ax = new_axes(ax, figsize=(7.0, 4.8))
    protocols = list(dict.fromkeys(by_cause["protocol"].astype(str)))
    causes = sorted(dict.fromkeys(by_cause["cause"].astype(str)))
    col = colors_for(protocols, colors)
    height = 0.8 / max(len(protocols), 1)
    y = np.arange(len(causes))
    for k, name in enumerate(protocols):
        part = by_cause[by_cause["protocol"].astype(str) == name].set_index("cause")
        part = part.reindex(causes)
        rate = 1000.0 * part[column].to_numpy(float) / part["patients"].to_numpy(float)
        ax.barh(
            y + (k - (len(protocols) - 1) / 2) * height,
            np.nan_to_num(rate),
            height,
            color=col[name],
            label=name,
        )
    ax.set_yticks(y, [c.replace("_", " ") for c in causes])
    ax.invert_yaxis()
    name = BY_CAUSE_COUNTS.get(column, column.replace("_", " "))
    ax.set_xlabel(f"{name[:1].upper()}{name[1:]} per 1,000 people")
    ax.set_ylabel("Cause of the calcification")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def grouped_bars(
    summary: pd.DataFrame,
    metrics: Mapping[str, str],
    *,
    ax: Axes,
    colors: Mapping[str, str] | None = None,
    scale: float = 1.0,
    fmt: str = "{:.1f}",
) -> Axes:
    """Bars grouped by metric, one bar per protocol, with 95% Monte Carlo intervals.

    Parameters
    ----------
    summary : DataFrame
        One row per protocol; for each metric an optional ``<metric>_se`` column.
    metrics : mapping
        Column → group label on the x axis.
    scale : float
        Multiplier applied to values and standard errors (e.g. 1000 for "per 1,000").
    """
    protocols = [str(p) for p in summary["protocol"]]
    col = colors_for(protocols, colors)
    n = len(protocols)
    width = 0.8 / max(n, 1)
    x = np.arange(len(metrics))
    for i, (_, row) in enumerate(summary.iterrows()):
        name = str(row["protocol"])
        vals = np.array([row[m] for m in metrics], dtype=float) * scale
        ses = np.array([row.get(f"{m}_se", np.nan) for m in metrics], dtype=float) * scale
        err = np.where(np.isfinite(ses), Z95 * ses, 0.0)
        bars = ax.bar(
            x - 0.4 + width * (i + 0.5),
            np.nan_to_num(vals),
            width,
            yerr=err,
            capsize=2,
            color=col[name],
            label=name,
            error_kw={"lw": 0.8},
        )
        ax.bar_label(
            bars, labels=[fmt.format(v) for v in np.nan_to_num(vals)], padding=2, fontsize=7
        )
    ax.set_xticks(x, list(metrics.values()))
    top = max(float(np.nanmax(summary[list(metrics)].to_numpy(dtype=float))) * scale, 1e-9)
    ax.set_ylim(0, top * 1.18)
    ax.legend(
        title="protocol",
        fontsize=8,
        title_fontsize=8,
        ncols=min(n, 4),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        frameon=False,
    )
    return ax


def plot_yield(
    summary: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Screen-detected changes, interval cases and changes undetected at the horizon per 1,000.

    Parameters
    ----------
    summary : DataFrame
        ``RunResult.summary()``: the three ``*_per_1000`` columns and their ``_se``.
    colors : mapping, optional
        Protocol → colour (default: :func:`fupsim.plots.style.protocol_colors` in row order).

    Returns
    -------
    Axes
        y: people per 1,000 followed; error bars are 95% Monte Carlo intervals.
    """
    ax = new_axes(ax)
    grouped_bars(summary, YIELD_METRICS, ax=ax, colors=colors)
    ax.set_ylabel("Changes per 1,000 people followed")
    ax.set_xlabel("How the relevant change came to light")
    ax.set_title("Yield per protocol (bars: 95% CI)", fontsize=10)
    return ax


def plot_scans(
    summary: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """Attended and missed ultrasound scans per person, per protocol.

    Returns
    -------
    Axes
        y: scans per person over the horizon.
    """
    ax = new_axes(ax)
    metrics = {"scans_per_patient": "attended scans", "missed_scans_per_patient": "missed scans"}
    grouped_bars(summary, metrics, ax=ax, colors=colors, fmt="{:.2f}")
    ax.set_ylabel("Ultrasound scans per person (count)")
    ax.set_xlabel("Scheduled ultrasound visits")
    ax.set_title("Scans per person", fontsize=10)
    return ax


def plot_workups(
    summary: pd.DataFrame, *, ax: Axes | None = None, colors: Mapping[str, str] | None = None
) -> Axes:
    """CT work-ups and false-positive work-ups per 1,000 people, per protocol.

    Returns
    -------
    Axes
        y: work-ups per 1,000 people over the horizon.
    """
    ax = new_axes(ax)
    frame = summary.assign(
        ct_per_1000=summary["ct_per_patient"] * 1000.0,
        ct_per_1000_se=summary.get("ct_per_patient_se", np.nan) * 1000.0,
    )
    metrics = {
        "ct_per_1000": "all CT work-ups",
        "false_positive_workups_per_1000": "false-positive work-ups",
    }
    grouped_bars(frame, metrics, ax=ax, colors=colors, fmt="{:.0f}")
    ax.set_ylabel("CT work-ups per 1,000 people (count)")
    ax.set_xlabel("CT work-ups after a positive scan")
    ax.set_title("CT work-ups per 1,000 people", fontsize=10)
    return ax


def plot_detection_curves(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    scale: float = 1000.0,
    ylabel: str = "Screen-detected changes per 1,000 people",
    horizon_months: float | None = None,
    xlabel: str = "Months since index scan",
    title: str = "Cumulative detection (bands: 95% CI)",
) -> Axes:
    """Cumulative detection over follow-up time, one step curve (and band) per protocol.

    Parameters
    ----------
    curves : DataFrame
        Long table: ``protocol``, ``time_months``, ``cumulative_detection`` (a proportion) and
        optionally ``ci_low``, ``ci_high``.
    scale : float
        Multiplier for the proportions (1000: per 1,000 people; 100: percent).
    ylabel : str
        y-axis label matching ``scale``.
    horizon_months : float, optional
        Draws a vertical line at the end of follow-up.
    xlabel, title : str
        Axis label (with its unit, months) and title.

    Returns
    -------
    Axes
        x: months (since the index scan by default).
    """
    ax = new_axes(ax)
    protocols = [str(p) for p in dict.fromkeys(curves["protocol"])]
    col = colors_for(protocols, colors)
    for name in protocols:
        c = curves[curves["protocol"].astype(str) == name].sort_values("time_months")
        t = c["time_months"].to_numpy(dtype=float)
        y = c["cumulative_detection"].to_numpy(dtype=float) * scale
        ax.step(t, y, where="post", color=col[name], lw=1.8, label=name)
        if {"ci_low", "ci_high"} <= set(c.columns) and c["ci_low"].notna().any():
            ax.fill_between(
                t,
                c["ci_low"].to_numpy(dtype=float) * scale,
                c["ci_high"].to_numpy(dtype=float) * scale,
                step="post",
                color=col[name],
                alpha=0.18,
                lw=0,
            )
    if horizon_months is not None:
        ax.axvline(horizon_months, color="0.5", ls=":", lw=1)
        ax.set_xlim(0, horizon_months * 1.02)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(title="protocol", fontsize=8, title_fontsize=8, loc="upper left")
    return ax


def _distribution(
    outcomes: pd.DataFrame,
    column: str,
    ax: Axes,
    colors: Mapping[str, str] | None,
    protocols: Sequence[str] | None,
    bin_months: float,
) -> Axes:
    """Step histograms (% of each protocol's cases per bin) with the mean marked."""
    names = [str(p) for p in (protocols or dict.fromkeys(outcomes["protocol"]))]
    col = colors_for(names, colors)
    values = outcomes[column].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        ax.text(0.5, 0.5, "no cases", transform=ax.transAxes, ha="center")
        return ax
    hi = float(np.quantile(finite, 0.995))
    lo = min(0.0, float(finite.min()))
    edges = np.arange(np.floor(lo / bin_months) * bin_months, hi + bin_months, bin_months)
    codes, uniques = pd.factorize(outcomes["protocol"].astype(str))
    code_of = {str(u): i for i, u in enumerate(uniques)}
    for name in names:
        v = values[codes == code_of.get(name, -1)]
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        w = np.full(v.size, 100.0 / v.size)
        ax.hist(
            np.clip(v, edges[0], edges[-1]),
            bins=edges.tolist(),
            weights=w,
            histtype="step",
            lw=1.6,
            color=col[name],
            label=f"{name} (mean {v.mean():.1f} mo, n={v.size:,})",
        )
        ax.axvline(float(v.mean()), color=col[name], ls="--", lw=0.9)
    ax.set_ylabel(f"Cases (% per {bin_months:g}-month bin)")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    return ax


def plot_delay(
    outcomes: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    protocols: Sequence[str] | None = None,
    bin_months: float = 1.0,
) -> Axes:
    """Distribution of detection delay (onset of the change → diagnosis) per protocol.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes with ``protocol`` and ``delay_months`` (months; NaN when the
        change was not diagnosed).
    protocols : sequence of str, optional
        Protocols to draw, in colour order (default: order of appearance).
    bin_months : float
        Histogram bin width, months.

    Returns
    -------
    Axes
        x: months from onset to diagnosis (screen or clinical); y: % of diagnosed changes.
    """
    ax = new_axes(ax)
    _distribution(outcomes, "delay_months", ax, colors, protocols, bin_months)
    ax.set_xlabel("Detection delay: onset to diagnosis (months)")
    ax.set_title("Detection delay (dashed: mean)", fontsize=10)
    return ax


def plot_lead_time(
    outcomes: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    protocols: Sequence[str] | None = None,
    bin_months: float = 2.0,
) -> Axes:
    """Distribution of lead time (screen diagnosis → when symptoms would have begun).

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes with ``protocol`` and ``lead_time_months`` (months; NaN unless
        screen-detected).

    Returns
    -------
    Axes
        x: lead time in months; y: % of screen-detected changes.
    """
    ax = new_axes(ax)
    _distribution(outcomes, "lead_time_months", ax, colors, protocols, bin_months)
    ax.set_xlabel("Lead time: screen diagnosis to expected symptoms (months)")
    ax.set_title("Lead time of screen-detected changes (dashed: mean)", fontsize=10)
    return ax
