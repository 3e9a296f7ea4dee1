"""Figures of the schedule search: the cost–effect frontier of every candidate, the best by WTP,
and the acceptability frontier over the top candidates under parameter uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from fupsim.plots.axes import new_axes, place_labels, thousands
from fupsim.plots.style import protocol_colors

__all__ = ["plot_best_by_wtp", "plot_design_ceaf", "plot_design_frontier"]

Z95 = 1.959963984540054


def plot_design_frontier(
    frontier: pd.DataFrame,
    *,
    candidates: pd.DataFrame | None = None,
    effect: str = "effect per person",
    currency: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Cost against effect for every candidate, the efficient frontier drawn through them.

    Parameters
    ----------
    frontier : DataFrame
        ``frontier.csv`` (``candidate``, ``cost_per_patient``, ``effect_per_patient``,
        ``status``).
    candidates : DataFrame, optional
        ``candidates.csv``; its ``article`` and ``family`` columns mark the scenario's own
        schedules and no follow-up.
    effect, currency : str
        Axis wording.
    """
    ax = new_axes(ax, (7.5, 4.8))
    x = frontier["effect_per_patient"].to_numpy(float)
    y = frontier["cost_per_patient"].to_numpy(float)
    on = (frontier["status"] == "frontier").to_numpy()
    ax.scatter(x[~on], y[~on], s=10, color="#b0b0b0", label="candidate", zorder=1)
    order = np.argsort(x[on])
    ax.plot(x[on][order], y[on][order], "-o", color="#1f77b4", ms=4, label="efficient frontier")
    marked: list[str] = []
    if candidates is not None:
        flags = candidates.set_index("candidate")
        marked = [
            c
            for c in frontier["candidate"]
            if bool(flags.loc[c, "article"]) or flags.loc[c, "family"] == "none"
        ]
    if marked:
        sel = frontier["candidate"].isin(marked).to_numpy()
        ax.scatter(
            x[sel],
            y[sel],
            s=60,
            marker="D",
            facecolor="none",
            edgecolor="#d62728",
            linewidth=1.5,
            label="article's schedules / no follow-up",
            zorder=3,
        )
        place_labels(ax, list(zip(x[sel], y[sel], strict=True)), list(frontier["candidate"][sel]))
    ax.set_xlabel(f"Effect per person ({effect})")
    ax.set_ylabel(f"Cost per person ({currency})".replace(" ()", ""))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"{len(frontier)} candidate schedules; {int(on.sum())} on the frontier")
    return ax


def plot_best_by_wtp(best: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Expected net benefit of the best schedule at each WTP (95% interval), named, with the
    probability that it is really best; the article's best for comparison."""
    ax = new_axes(ax, (7.5, 4.8))
    w = best["wtp"].to_numpy(float)
    nb = best["expected_nb"].to_numpy(float)
    err = Z95 * np.nan_to_num(best["expected_nb_se"].to_numpy(float))
    pos = np.arange(len(w))
    ax.errorbar(pos, nb, yerr=err, fmt="o-", color="#1f77b4", capsize=3, label="best schedule")
    if "gain_over_article" in best:
        art = nb - best["gain_over_article"].to_numpy(float)
        ax.plot(pos, art, "s--", color="#d62728", ms=4, label="best of the article's schedules")
    for i, row in enumerate(best.itertuples()):
        ax.annotate(
            f"{row.best}\nP(best)={row.probability_best:.2f}",
            (pos[i], nb[i]),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(pos, [f"{v:,.0f}" for v in w])
    ax.set_xlabel(f"Willingness to pay ({currency} per unit of effect)".replace(" ( ", " ("))
    ax.set_ylabel(f"Expected net benefit per person ({currency})".replace(" ()", ""))
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_design_ceaf(ceaf: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Probability that each top candidate is optimal under parameter uncertainty, by WTP.

    Parameters
    ----------
    ceaf : DataFrame
        ``design_ceaf.csv`` (``wtp``, ``candidate``, ``probability_optimal``,
        ``on_frontier``).
    currency : str
        Axis wording.

    Each candidate is a line over the willingness-to-pay values (evenly spaced, labelled);
    a filled marker shows where it is on the acceptability frontier (highest expected net
    benefit), an open one where it is not.
    """
    ax = new_axes(ax, (7.5, 4.8))
    wtps = sorted(ceaf["wtp"].unique())
    pos = {w: i for i, w in enumerate(wtps)}
    names = list(dict.fromkeys(ceaf["candidate"]))
    colors = protocol_colors(names)
    for name in names:
        rows = ceaf[ceaf["candidate"] == name].sort_values("wtp")
        x = rows["wtp"].map(pos).to_numpy(float)
        y = rows["probability_optimal"].to_numpy(float)
        on = rows["on_frontier"].astype(bool).to_numpy()
        ax.plot(x, y, "-", color=colors[name], lw=1.2, label=name)
        ax.scatter(x[on], y[on], s=36, color=colors[name], zorder=3)
        ax.scatter(x[~on], y[~on], s=18, facecolor="white", edgecolor=colors[name], zorder=3)
    ax.set_xticks(range(len(wtps)), [f"{w:,.0f}" for w in wtps])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"Willingness to pay ({currency} per unit of effect)".replace("( ", "("))
    ax.set_ylabel("Probability of the highest net benefit")
    ax.legend(loc="best", fontsize=7, ncol=2)
    ax.set_title("Acceptability over designs (filled: highest expected net benefit)")
    return ax
