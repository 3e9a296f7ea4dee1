"""Figures of the side-by-side scenario page: every frontier on one plane, every CEAF.

Plot functions in the house style (``plot_x(data, *, ax=None) -> Axes``; no saving); the
page (:mod:`fupsim.report.multi`) saves them through :func:`fupsim.report.figures.section_figure`.
Scenarios are coloured in the order given, from :data:`fupsim.plots.style.PALETTE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from fupsim.plots.style import PALETTE

__all__ = ["plot_scenario_ceafs", "plot_scenario_planes"]


def _axes(ax: Any) -> Any:
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(layout="constrained").subplots()
    return ax


def _thousands(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def plot_scenario_planes(
    points: pd.DataFrame, *, ax: Any = None, currency: str, year: int, unit: str
) -> Any:
    """Each scenario's protocols on one incremental cost-effect plane.

    Parameters
    ----------
    points : DataFrame
        :func:`fupsim.report.scenario_tables.plane_points`: per scenario and protocol, cost and
        effect per person relative to the scenario's least costly efficient protocol.
    currency, year, unit : str, int, str
        For the axis labels (unit in the plural, e.g. "QALYs").

    Returns
    -------
    Axes
        The efficient sequence of each scenario as a line with filled markers, its other
        protocols as hollow markers of the same colour, each point named.
    """
    ax = _axes(ax)
    for i, (name, part) in enumerate(points.groupby("scenario", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        x, y = part["incremental_effect_per_patient"], part["incremental_cost_per_patient"]
        front = part["status"] == "frontier"
        order = part[front].sort_values("incremental_cost_per_patient")
        ax.plot(
            order["incremental_effect_per_patient"],
            order["incremental_cost_per_patient"],
            marker="o",
            color=colour,
            label=f"{name}: efficient sequence",
        )
        ax.scatter(
            x[~front],
            y[~front],
            facecolors="none",
            edgecolors=colour,
            label=f"{name}: other protocols",
        )
        for xi, yi, protocol in zip(x, y, part["protocol"], strict=True):
            ax.annotate(str(protocol), (xi, yi), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, color=colour)  # fmt: skip
    ax.axhline(0, color="#999", lw=0.6)
    ax.axvline(0, color="#999", lw=0.6)
    ax.set_xlabel(f"{unit} per person gained (vs the scenario's least costly efficient protocol)")
    ax.set_ylabel(f"Extra cost per person ({currency} {year})")
    _thousands(ax.yaxis)
    ax.legend(fontsize=7)
    return ax


def plot_scenario_ceafs(
    curves: Mapping[str, pd.DataFrame], *, ax: Any = None, currency: str, unit: str
) -> Any:
    """Each scenario's cost-effectiveness acceptability frontier (``ceaf.csv``).

    The optimal protocol (highest expected net benefit) is named where it changes.
    """
    ax = _axes(ax)
    for i, (name, c) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(c["wtp"], c["probability"], color=colour, label=name)
        change = c["protocol"].ne(c["protocol"].shift())
        for _, r in c[change].iterrows():
            ax.annotate(str(r["protocol"]), (r["wtp"], r["probability"]), xytext=(3, -10),
                        textcoords="offset points", fontsize=7, color=colour)  # fmt: skip
    ax.set_xlabel(f"Willingness to pay ({currency} per {unit})")
    ax.set_ylabel("Probability cost-effective (share of PSA draws)")
    _thousands(ax.xaxis)
    ax.set_ylim(0, 1.05)
    ax.legend(title="scenario (optimal protocol named)", fontsize=8)
    return ax
