"""Figures of decision uncertainty: acceptability frontier, expected loss, EVPPI, CE plane.

Every function is ``plot_x(data, *, ax=None, ...) -> Axes``; none saves or shows. Protocol
colours come from :func:`fupsim.plots.axes.colors_for`, so they match every other figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse
from matplotlib.ticker import FuncFormatter

from fupsim.plots.axes import colors_for, new_axes, thousands
from fupsim.voi import psa_arrays

__all__ = ["plot_ce_plane", "plot_ceaf", "plot_evppi", "plot_expected_loss"]

CHI2_95_2DF = -2.0 * np.log(0.05)
"""95 % quantile of the chi-squared distribution with 2 degrees of freedom (5.991)."""


def _wtp_axis(ax: Axes, currency: str, effect_unit: str) -> None:
    ax.set_xlabel(f"Willingness to pay ({currency} per {effect_unit})")
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(alpha=0.3)


def _per_option(
    curves: pd.DataFrame,
    ax: Axes | None,
    colors: Mapping[str, str] | None,
    currency: str,
    effect_unit: str,
    draw: Callable[[Axes, str, pd.DataFrame, str], None],
) -> Axes:
    """Axes over WTP with ``draw(ax, option, its rows, its colour)`` called for each option."""
    ax = new_axes(ax)
    names = [str(o) for o in dict.fromkeys(curves["option"])]
    col = colors_for(names, colors)
    for name in names:
        draw(ax, name, curves[curves["option"].astype(str) == name], col[name])
    _wtp_axis(ax, currency, effect_unit)
    return ax


def plot_ceaf(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    effect_unit: str = "QALY",
) -> Axes:
    """Acceptability curves (thin) and the acceptability frontier (thick, with markers).

    Parameters
    ----------
    curves : DataFrame
        :func:`fupsim.voi.curves_table`: ``wtp``, ``option``, ``probability``, ``on_frontier``.
    currency, effect_unit : str
        For the x-axis label (WTP in currency per unit of effect).

    Returns
    -------
    Axes
        x: WTP; y: probability of being cost-effective (%).
    """

    def draw(ax: Axes, name: str, rows: pd.DataFrame, colour: str) -> None:
        ax.plot(rows["wtp"], 100 * rows["probability"], color=colour, lw=1.0, alpha=0.7)
        front = 100 * rows["probability"].where(rows["on_frontier"].astype(bool))
        ax.plot(rows["wtp"], front, color=colour, lw=3.0, marker="o", ms=3, label=name)

    ax = _per_option(curves, ax, colors, currency, effect_unit, draw)
    ax.set_ylabel("Probability cost-effective (%)")
    ax.set_ylim(-2, 102)
    ax.set_title("Acceptability curves (thin) and frontier (thick)", fontsize=10)
    ax.legend(fontsize=8, title="optimal option", title_fontsize=8)
    return ax


def plot_expected_loss(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    effect_unit: str = "QALY",
) -> Axes:
    """Expected loss of each option over WTP; the lowest curve at each WTP equals the EVPI.

    Parameters
    ----------
    curves : DataFrame
        :func:`fupsim.voi.curves_table`: ``wtp``, ``option``, ``expected_loss``.
    currency, effect_unit : str
        For the axis labels.

    Returns
    -------
    Axes
        x: WTP; y: expected loss per person (currency).
    """

    def draw(ax: Axes, name: str, rows: pd.DataFrame, colour: str) -> None:
        ax.plot(rows["wtp"], rows["expected_loss"], color=colour, lw=1.5, label=name)

    ax = _per_option(curves, ax, colors, currency, effect_unit, draw)
    ax.set_ylabel(f"Expected loss per person ({currency})")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_title("Expected loss of each option (lowest = EVPI)", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_evppi(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    wtp: float | None = None,
    population: bool = False,
    currency: str = "USD",
    effect_unit: str = "QALY",
) -> Axes:
    """EVPPI by parameter group: bars at one WTP, or one line per group over WTP.

    Parameters
    ----------
    table : DataFrame
        :func:`fupsim.voi.evppi_table`.
    wtp : float, optional
        Draw bars (with 95 % intervals, ±1.96 SE) at this WTP (must be in the table);
        without it, draw lines over WTP.
    population : bool
        Plot ``population_evppi`` (currency) instead of EVPPI per person.

    Returns
    -------
    Axes
    """
    column = "population_evppi" if population else "evppi_per_person"
    unit = f"{currency}, population" if population else f"{currency} per person"
    scale = 1.0
    if population:
        per = table["population_evppi"] / table["evppi_per_person"].where(
            table["evppi_per_person"] != 0
        )
        scale = float(per.dropna().iloc[0]) if per.notna().any() else 1.0
    if wtp is not None:
        rows = table[np.isclose(table["wtp"], wtp)]
        if rows.empty:
            raise ValueError(f"wtp={wtp!r}: not a WTP value of the EVPPI table")
        rows = rows.sort_values(column)
        ax = new_axes(ax, (7.0, max(2.5, 0.35 * len(rows) + 1.2)))
        y = np.arange(len(rows))
        err = 1.959963984540054 * rows["se"].to_numpy(dtype=float) * scale
        ax.barh(y, rows[column], xerr=err, color="#0072B2", capsize=3)
        ax.set_yticks(y, rows["group"].astype(str), fontsize=8)
        ax.set_xlabel(f"EVPPI ({unit})")
        ax.xaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_title(
            f"Value of perfect information by parameter group at {currency} {wtp:,.0f} "
            f"per {effect_unit} (bars: 95% CI)",
            fontsize=10,
        )
        return ax
    ax = new_axes(ax)
    for name, rows in table.groupby("group", sort=False):
        ax.plot(rows["wtp"], rows[column], lw=1.5, label=str(name))
    _wtp_axis(ax, currency, effect_unit)
    ax.set_ylabel(f"EVPPI ({unit})")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_title("Value of perfect information by parameter group", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def _ellipse(x: np.ndarray, y: np.ndarray, color: str) -> Ellipse:
    """The 95 % ellipse of a bivariate normal with the sample mean and covariance."""
    vals, vecs = np.linalg.eigh(np.cov(x, y))  # ascending: vecs[:, 1] is the major axis
    major, minor = 2 * np.sqrt(CHI2_95_2DF * np.clip(vals[::-1], 0, None))
    angle = float(np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1])))
    centre = (float(x.mean()), float(y.mean()))
    return Ellipse(centre, width=major, height=minor, angle=angle, fill=False, color=color, lw=1.5)


def plot_ce_plane(
    psa_table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    reference: str | None = None,
    effect: str = "qaly_per_patient",
    cost: str = "cost_per_patient",
    colors: Mapping[str, str] | None = None,
    currency: str = "USD",
    effect_unit: str = "QALY",
    wtp: float | None = None,
) -> Axes:
    """Incremental cost-effectiveness plane: PSA scatter of each option against a reference.

    Each option's draws of (incremental effect, incremental cost) are shown with the 95 %
    ellipse of a bivariate normal with their mean and covariance.

    Parameters
    ----------
    psa_table : DataFrame
        One row per draw × protocol (``draw``, ``protocol``, ``cost``, ``effect``).
    reference : str, optional
        Option subtracted from the others (default: the first in the table).
    effect, cost : str
        Column names: effect per person, cost per person (currency).
    wtp : float, optional
        Draw the WTP threshold line ``cost = wtp × effect``.

    Returns
    -------
    Axes
        x: incremental effect per person; y: incremental cost per person (currency).
    """
    arrays = psa_arrays(psa_table, effect=effect, cost=cost)
    names = [str(o) for o in arrays.options]
    ref = names[0] if reference is None else str(reference)
    if ref not in names:
        raise ValueError(f"reference={reference!r}: not one of the options {names}")
    r = names.index(ref)
    col = colors_for(names, colors)
    ax = new_axes(ax, (7.0, 4.8))
    d_cost = arrays.costs - arrays.costs[:, [r]]
    d_eff = arrays.effects - arrays.effects[:, [r]]
    for j, name in enumerate(names):
        if j == r:
            continue
        x, y = d_eff[:, j], d_cost[:, j]
        ax.scatter(x, y, s=6, alpha=0.35, color=col[name], label=f"{name} vs {ref}")
        ax.scatter([x.mean()], [y.mean()], s=50, color=col[name], edgecolor="black", zorder=3)
        if len(x) > 2:
            ax.add_patch(_ellipse(x, y, col[name]))
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(0, color="0.3", lw=0.8)
    if wtp is not None:
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [wtp * lo, wtp * hi], "--", color="0.4", lw=1, label=f"WTP {wtp:,.0f}")
        ax.set_xlim(lo, hi)
    ax.set_xlabel(f"Incremental effect per person ({effect_unit})")
    ax.set_ylabel(f"Incremental cost per person ({currency})")
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(alpha=0.3)
    ax.set_title("Incremental cost-effectiveness plane (ellipses: 95%)", fontsize=10)
    ax.legend(fontsize=8)
    return ax
