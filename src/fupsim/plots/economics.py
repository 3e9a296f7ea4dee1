"""Figures of cost: cost per person, cost per screen-detected change, the cost–effect plane."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from fupsim.plots.axes import colors_for, new_axes, place_labels, thousands

__all__ = ["plot_cost_effect", "plot_cost_per_detected", "plot_costs"]

Z95 = 1.959963984540054


def _cost_bars(
    summary: pd.DataFrame,
    column: str,
    ax: Axes,
    colors: Mapping[str, str] | None,
    currency: str,
) -> Axes:
    """One bar per protocol with a 95% Monte Carlo interval and the value printed."""
    protocols = [str(p) for p in summary["protocol"]]
    col = colors_for(protocols, colors)
    vals = summary[column].to_numpy(dtype=float)
    ses = summary.get(f"{column}_se", pd.Series(np.nan, index=summary.index)).to_numpy(dtype=float)
    shown = np.nan_to_num(vals)
    err = np.where(np.isfinite(ses), Z95 * ses, 0.0)
    x = np.arange(len(protocols))
    bars = ax.bar(x, shown, yerr=err, capsize=3, color=[col[p] for p in protocols])
    labels = [f"{currency} {v:,.0f}" if np.isfinite(v) else "no detections" for v in vals]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.set_xticks(x, protocols)
    ax.set_xlabel("Protocol")
    ax.set_ylim(0, max(float(np.nanmax(shown + err)), 1.0) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    return ax


def plot_costs(
    summary: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    year: int | None = None,
) -> Axes:
    """Mean discounted cost per person followed, per protocol, with 95% Monte Carlo intervals.

    Parameters
    ----------
    summary : DataFrame
        ``RunResult.summary()`` with ``cost_per_patient`` and ``cost_per_patient_se``.
    currency, year : str, int
        Shown in the axis label (the scenario's ``costs.currency`` and ``costs.year``).

    Returns
    -------
    Axes
        y: cost per person in ``currency``.
    """
    ax = new_axes(ax)
    _cost_bars(summary, "cost_per_patient", ax, colors, currency)
    unit = f"{currency} {year}" if year is not None else currency
    ax.set_ylabel(f"Cost per person ({unit}, discounted)")
    ax.set_title("Cost per person followed (bars: 95% CI)", fontsize=10)
    return ax


def plot_cost_per_detected(
    summary: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    year: int | None = None,
) -> Axes:
    """Follow-up programme cost (scans, visits, CT) per screen-detected change (an average, not an ICER).

    Returns
    -------
    Axes
        y: programme cost per screen-detected change in ``currency``.
    """
    ax = new_axes(ax)
    _cost_bars(summary, "programme_cost_per_screen_detected", ax, colors, currency)
    unit = f"{currency} {year}" if year is not None else currency
    ax.set_ylabel(f"Programme cost per screen-detected change ({unit})")
    ax.set_title("Programme cost per screen-detected change (bars: 95% CI)", fontsize=10)
    return ax


def plot_cost_effect(
    icer: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    year: int | None = None,
    strategy: str = "protocol",
    cost: str = "cost_per_patient",
    effect: str = "screen_detected_per_patient",
    effect_scale: float = 1000.0,
    effect_label: str | None = None,
    ratio_label: str | None = None,
) -> Axes:
    """The cost–effect plane: every protocol, the efficiency frontier and its ICERs.

    Parameters
    ----------
    icer : DataFrame
        An ICER table (:func:`fupsim.economics.icer_table`): strategy, cost, effect,
        ``icer`` (currency per additional screen-detected change) and ``status``.
    strategy, cost, effect : str
        Its column names; cost per person in currency, effect per person.
    effect_scale : float
        Effect multiplier for the x axis (1000: screen-detected changes per 1,000 people).
    effect_label : str, optional
        x-axis label without unit brackets (default "Screen-detected changes per 1,000
        people"), e.g. "QALYs per 1,000 people".
    ratio_label : str, optional
        Unit of the ICERs (default "<currency> per screen-detected change").

    Returns
    -------
    Axes
        x: screen-detected changes per 1,000 people; y: cost per person. Frontier protocols
        are joined by a line; each frontier step is labelled with its ICER, and labels are
        placed so that none overlap.
    """
    ax = new_axes(ax, figsize=(7.0, 4.8))
    names = [str(s) for s in icer[strategy]]
    col = colors_for(names, colors)
    x = icer[effect].to_numpy(dtype=float) * effect_scale
    y = icer[cost].to_numpy(dtype=float)
    status = icer["status"].astype(str).to_numpy()
    on = status == "frontier"
    order = np.argsort(y[on], kind="stable")
    ax.plot(
        x[on][order], y[on][order], "-", color="0.35", lw=1.2, zorder=1, label="efficiency frontier"
    )
    for i, name in enumerate(names):
        marker = "o" if on[i] else "X"
        ax.scatter(
            [x[i]],
            [y[i]],
            s=70,
            color=col[name],
            marker=marker,
            zorder=3,
            edgecolor="black",
            lw=0.6,
            label=f"{name}{'' if on[i] else f' ({status[i]})'}",
        )
    pad_x = max(float(np.ptp(x)), 1e-9) * 0.12
    pad_y = max(float(np.ptp(y)), 1e-9) * 0.15
    ax.set_xlim(min(0.0, float(x.min())) - pad_x * 0.3, float(x.max()) + pad_x)
    ax.set_ylim(float(y.min()) - pad_y, float(y.max()) + pad_y)
    unit = f"{currency} {year}" if year is not None else currency
    per = "1,000 people" if effect_scale == 1000.0 else f"{effect_scale:g} people"
    ax.set_xlabel(effect_label or f"Screen-detected changes per {per}")
    ax.set_ylabel(f"Cost per person ({unit}, discounted)")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(alpha=0.3)
    per_unit = ratio_label.split(" per ", 1)[-1] if ratio_label else "detection"  # short: labels
    ratio = ratio_label or f"{currency} per additional screen-detected change"
    ax.set_title(f"Cost–effect plane (ICER: {ratio})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fx, fy = x[on][order], y[on][order]
    fnames = [names[i] for i in np.flatnonzero(on)[order]]
    icers = icer["icer"].to_numpy(dtype=float)[on][order]
    anchors, texts = [], []
    for k in range(1, len(fx)):
        anchors.append(((fx[k - 1] + fx[k]) / 2.0, (fy[k - 1] + fy[k]) / 2.0))
        texts.append(
            f"{fnames[k]} vs {fnames[k - 1]}:\n{currency} {icers[k]:,.0f} per extra {per_unit}"
        )
    place_labels(ax, anchors, texts, avoid=list(zip(x, y, strict=True)))
    return ax
