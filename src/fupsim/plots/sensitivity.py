"""Figures of sensitivity analyses: sweep, tornado, PSA cost–effect cloud, acceptability, Sobol.

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

from fupsim import labels
from fupsim.plots.style import protocol_colors

__all__ = [
    "outcome_label",
    "plot_ceac",
    "plot_evpi",
    "plot_psa_scatter",
    "plot_sobol",
    "plot_sweep",
    "plot_tornado",
]

LOW_COLOR, HIGH_COLOR = "#56B4E9", "#D55E00"


def outcome_label(outcome: str, currency: str = "USD") -> str:
    """An outcome's axis label with its unit, from :mod:`fupsim.labels` ("cost (USD per
    person)")."""
    name, unit = labels.label(outcome), labels.unit(outcome, currency)
    text = f"{name} ({unit})" if unit else name
    return text[:1].upper() + text[1:]


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
    label = outcome_label(outcome, currency)
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
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


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


def _numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def plot_sweep(
    table: pd.DataFrame,
    varied: Sequence[str],
    *,
    ax: Axes | None = None,
    outcome: str = "incremental_net_benefit",
    comparator: str | None = None,
    wtp: float | None = None,
    effect_unit: str = "unit of effect",
    order: Sequence[str] | None = None,
    currency: str = "USD",
) -> Axes:
    """A sweep's figure: one line per protocol over one varied key, a map over two.

    With one varied key, ``outcome`` of each protocol against the key's values (categories
    in grid order when they are not numbers); by default incremental net benefit against
    ``comparator`` at ``wtp``, so the lines show what each protocol gains over it. With
    two, a map of the protocol with the highest net monetary benefit at ``wtp``
    (``preferred_protocol``) over the grid, first key on the y axis, each cell (up to 144)
    labelled with its margin over the next best protocol.

    Parameters
    ----------
    table : DataFrame
        ``sweep.csv``: ``point``, a column per varied key, ``protocol``, ``outcome``, and for
        two keys ``net_monetary_benefit`` and ``preferred_protocol``.
    varied : sequence of str
        The varied dotted keys (one or two).
    comparator : str, optional
        The protocol incremental outcomes are against, for the title.
    wtp : float, optional
        The reference WTP of the net-benefit columns, for the title.
    effect_unit : str
        The effect's unit in words ("QALY"), for the title.

    Raises
    ------
    ValueError
        With more than two varied keys (no figure shows them all).
    """
    if not 1 <= len(varied) <= 2:
        raise ValueError(f"plot_sweep: {len(varied)} varied keys; one or two can be drawn")
    ax = _axes(ax)
    protocols = _order(table["protocol"], order)
    colors = protocol_colors(protocols)
    at = "" if wtp is None else f" at WTP {wtp:,.0f} {currency} per {effect_unit}"
    if len(varied) == 1:
        key = varied[0]
        numeric = _numeric(table[key])
        levels = list(dict.fromkeys(table.sort_values("point")[key]))
        for p in protocols:
            rows = table[table["protocol"] == p].sort_values("point")
            x = rows[key] if numeric else [levels.index(v) for v in rows[key]]
            ax.plot(x, rows[outcome], marker="o", ms=4, color=colors[p], label=p)
        if not numeric:
            ax.set_xticks(range(len(levels)), [str(v) for v in levels], fontsize=8)
        ax.set_xlabel(f"{key} (scenario value)")
        ax.set_ylabel(outcome_label(outcome, currency))
        if abs(float(table[outcome].abs().max() or 0)) >= 100:
            ax.yaxis.set_major_formatter(FuncFormatter(_money))
        against = f" against {comparator}" if comparator and "incremental" in outcome else ""
        if "incremental" in outcome:
            ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(f"Sweep over {key}{against}{at if 'benefit' in outcome else ''}", fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return ax
    return _sweep_map(ax, table, varied, protocols, colors, at, currency)


def _sweep_map(
    ax: Axes,
    table: pd.DataFrame,
    varied: Sequence[str],
    protocols: list[str],
    colors: dict[str, str],
    at: str,
    currency: str,
) -> Axes:
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    ky, kx = varied
    ordered = table.sort_values("point")
    ys = list(dict.fromkeys(ordered[ky]))
    xs = list(dict.fromkeys(ordered[kx]))
    nmb = table.pivot_table(
        index="point", columns="protocol", values="net_monetary_benefit", aggfunc="first"
    )
    top2 = np.sort(nmb.to_numpy(dtype=float), axis=1)[:, ::-1]
    margin = top2[:, 0] - (top2[:, 1] if top2.shape[1] > 1 else 0.0)
    best = table.groupby("point")["preferred_protocol"].first()
    head = ordered.groupby("point")[[ky, kx]].first()
    grid = np.full((len(ys), len(xs)), np.nan)
    notes = {}
    for point, row in head.iterrows():
        i, j = ys.index(row[ky]), xs.index(row[kx])
        grid[i, j] = protocols.index(str(best.loc[point]))
        notes[(i, j)] = margin[list(nmb.index).index(point)]
    cmap = ListedColormap([colors[p] for p in protocols])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(protocols) - 0.5, origin="lower", aspect="auto")
    if len(ys) * len(xs) <= 144:
        for (i, j), m in notes.items():
            ax.text(j, i, f"+{m:,.0f}", ha="center", va="center", fontsize=7, color="white")
    ax.set_xticks(range(len(xs)), [_short(v) for v in xs], fontsize=8)
    ax.set_yticks(range(len(ys)), [_short(v) for v in ys], fontsize=8)
    ax.set_xlabel(f"{kx} (scenario value)")
    ax.set_ylabel(f"{ky} (scenario value)")
    shown = [p for p in protocols if p in set(best.astype(str))]
    ax.legend(
        handles=[Patch(color=colors[p], label=p) for p in shown],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="highest net benefit",
        title_fontsize=8,
    )
    ax.set_title(
        f"Preferred protocol{at}\ncell: margin over the next best ({currency} per person)",
        fontsize=9,
    )
    return ax
