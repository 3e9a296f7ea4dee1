"""Figures of sensitivity analyses: tornado, PSA cost–effect cloud, acceptability, EVPI, Sobol.

Every function is ``plot_x(data, *, ax=None, ...) -> Axes``; none saves or shows. Protocol
colours come from :func:`fupsim.plots.style.protocol_colors`, so they match every other figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from fupsim.plots.style import protocol_colors

__all__ = ["plot_ceac", "plot_evpi", "plot_psa_scatter", "plot_sobol", "plot_tornado"]

OUTCOME_LABELS = {
    "cost_per_patient": "Cost per person ({currency})",
    "screen_detected_per_1000": "Screen-detected changes per 1,000",
    "incremental_cost_per_detection": "Incremental cost per extra detection ({currency})",
    "net_monetary_benefit": "Net monetary benefit per person ({currency})",
}
LOW_COLOR, HIGH_COLOR = "#56B4E9", "#D55E00"


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.5)) -> Axes:
    """``ax``, or the axes of a new figure (constrained layout)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _money(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}"


def _order(protocols: Iterable[Any], order: Sequence[str] | None) -> list[str]:
    seen = list(dict.fromkeys(str(p) for p in protocols))
    if order is None:
        return seen
    return [p for p in order if p in seen] + [p for p in seen if p not in order]


def plot_tornado(
    tornado: pd.DataFrame, *, ax: Axes | None = None, top: int = 15, currency: str = "USD"
) -> Axes:
    """Tornado: the chosen outcome at each parameter's low and high value, widest swing on top.

    Parameters
    ----------
    tornado : DataFrame
        ``owsa_tornado.csv``: ``parameter, low_value, high_value, outcome, protocol,
        outcome_base, outcome_at_low, outcome_at_high, swing`` (already ranked by swing).
    top : int
        Show at most this many parameters.
    currency : str
        For the axis label.
    """
    ax = _axes(ax, (7.5, max(2.5, 0.35 * min(top, len(tornado)) + 1.2)))
    data = tornado.head(top).iloc[::-1]
    base = float(data["outcome_base"].iloc[0]) if len(data) else 0.0
    y = np.arange(len(data))
    lo = data["outcome_at_low"].to_numpy(dtype=float) - base
    hi = data["outcome_at_high"].to_numpy(dtype=float) - base
    ax.barh(y, lo, left=base, color=LOW_COLOR, label="parameter at low end of range")
    ax.barh(y, hi, left=base, color=HIGH_COLOR, alpha=0.85, label="parameter at high end of range")
    ax.axvline(base, color="0.2", lw=0.8)
    labels = [
        f"{p}  [{_short(a)}–{_short(b)}]"
        for p, a, b in zip(data["parameter"], data["low_value"], data["high_value"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    outcome = str(data["outcome"].iloc[0]) if len(data) else "outcome"
    label = OUTCOME_LABELS.get(outcome, outcome).format(currency=currency)
    protocol = str(data["protocol"].iloc[0]) if len(data) else ""
    ax.set_xlabel(f"{label}, {protocol}")
    ax.set_title(f"One-way sensitivity (base case {base:,.4g})", fontsize=10)
    ax.xaxis.set_major_formatter(
        FuncFormatter(_money) if abs(base) >= 100 else ax.xaxis.get_major_formatter()
    )
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return ax


def _short(v: object) -> str:
    try:
        return f"{float(v):.3g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)


def plot_psa_scatter(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    effect: str = "screen_detected_per_1000",
    order: Sequence[str] | None = None,
    currency: str = "USD",
) -> Axes:
    """Cost–effect cloud of the PSA draws, one colour per protocol, means as large markers.

    Parameters
    ----------
    table : DataFrame
        ``psa.csv``: one row per (draw, protocol) with ``cost_per_patient`` and ``effect``.
    effect : str
        Effect column on the x axis.
    order : sequence of str, optional
        Protocol order for colours (the scenario's order).
    """
    ax = _axes(ax)
    protocols = _order(table["protocol"], order)
    colors = protocol_colors(protocols)
    for p in protocols:
        rows = table[table["protocol"] == p]
        ax.scatter(rows[effect], rows["cost_per_patient"], s=8, alpha=0.35, color=colors[p], lw=0)
        ax.scatter(
            rows[effect].mean(),
            rows["cost_per_patient"].mean(),
            s=80,
            color=colors[p],
            edgecolor="black",
            label=f"{p} (mean)",
            zorder=3,
        )
    ax.set_xlabel(effect.replace("_", " ").replace("per 1000", "per 1,000"))
    ax.set_ylabel(f"Cost per person ({currency})")
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_title("PSA: cost and effect of each draw", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_ceac(
    ceac: pd.DataFrame,
    *,
    ax: Axes | None = None,
    order: Sequence[str] | None = None,
    currency: str = "USD",
) -> Axes:
    """Acceptability curves: probability that each protocol has the highest net benefit.

    Parameters
    ----------
    ceac : DataFrame
        ``ceac.csv``: ``wtp, protocol, probability`` and optionally ``on_frontier`` (the
        protocol with the highest expected net benefit), drawn as a thick black outline.
    """
    ax = _axes(ax)
    protocols = _order(ceac["protocol"], order)
    colors = protocol_colors(protocols)
    for p in protocols:
        rows = ceac[ceac["protocol"] == p].sort_values("wtp")
        ax.plot(rows["wtp"], rows["probability"], marker="o", ms=3, color=colors[p], label=p)
    if "on_frontier" in ceac.columns:
        front = ceac[ceac["on_frontier"].astype(bool)].sort_values("wtp")
        ax.plot(
            front["wtp"],
            front["probability"],
            color="black",
            lw=3,
            alpha=0.35,
            label="frontier (highest expected net benefit)",
            zorder=0,
        )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"Willingness to pay per unit of effect ({currency})")
    ax.set_ylabel("Probability of highest net benefit")
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_title("Cost-effectiveness acceptability", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_evpi(evpi: pd.DataFrame, *, ax: Axes | None = None, currency: str = "USD") -> Axes:
    """Expected value of perfect information per person against willingness to pay.

    Parameters
    ----------
    evpi : DataFrame
        ``evpi.csv``: ``wtp, evpi`` (currency per person).
    """
    ax = _axes(ax)
    rows = evpi.sort_values("wtp")
    ax.plot(rows["wtp"], rows["evpi"], marker="o", color="#0072B2")
    ax.set_xlabel(f"Willingness to pay per unit of effect ({currency})")
    ax.set_ylabel(f"EVPI per person ({currency})")
    ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylim(bottom=0)
    ax.set_title("Expected value of perfect information", fontsize=10)
    return ax


def plot_sobol(indices: pd.DataFrame, *, ax: Axes | None = None, top: int = 15) -> Axes:
    """First-order and total Sobol indices with 95% bootstrap intervals, largest total first.

    Parameters
    ----------
    indices : DataFrame
        ``sobol.csv``: ``parameter, S1, S1_conf, ST, ST_conf``.
    """
    data = indices.sort_values("ST", ascending=False).head(top).iloc[::-1]
    ax = _axes(ax, (7.5, max(2.5, 0.35 * len(data) + 1.2)))
    y = np.arange(len(data))
    ax.barh(
        y - 0.2,
        data["S1"],
        height=0.4,
        xerr=data["S1_conf"],
        color="#0072B2",
        label="first order S1",
    )
    ax.barh(
        y + 0.2, data["ST"], height=0.4, xerr=data["ST_conf"], color="#E69F00", label="total ST"
    )
    ax.set_yticks(y, list(data["parameter"]), fontsize=8)
    ax.axvline(0, color="0.2", lw=0.8)
    ax.set_xlabel("Sobol index (share of output variance)")
    if "outcome" in data.columns and len(data):
        ax.set_title(
            f"Sobol indices: {data['outcome'].iloc[0]}, {data['protocol'].iloc[0]}", fontsize=10
        )
    ax.legend(fontsize=8, loc="lower right")
    return ax
