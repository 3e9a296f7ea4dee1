"""The index work-up's flow: from each latent cause to the pathway the work-up sends it to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PATHWAY_COLORS", "pathway_flow", "plot_pathway_flow"]

PATHWAY_ORDER = ("follow_up", "biliary", "oncology", "treatment")
"""Pathways in the order the bars stack them; any other pathway follows, in name order."""
PATHWAY_COLORS = {
    "follow_up": "#0072B2",
    "biliary": "#E69F00",
    "oncology": "#D55E00",
    "treatment": "#009E73",
}
"""One colour per pathway (Okabe-Ito); unknown pathways are grey."""
OTHER_COLOR = "#7F7F7F"


def pathway_flow(pathways: pd.DataFrame) -> pd.DataFrame:
    """People per 1,000 adults by latent cause (rows) and pathway (columns), from ``pathways.csv``.

    ``pathways.csv`` holds ``cause``, ``pathway`` and ``people`` (mean per replicate) for the
    adults; the infants' row (``pathway == "infant"``) is left out, since infants are never
    part of the adults' per-1,000 figures. Rows are causes in descending size, with a final
    ``all causes`` row; the cells of each row sum to that cause's people per 1,000 adults.
    """
    adults = pathways[pathways["pathway"] != "infant"]
    wide = adults.pivot_table(
        index="cause", columns="pathway", values="people", aggfunc="sum", fill_value=0.0
    )
    known = [p for p in PATHWAY_ORDER if p in wide.columns]
    wide = wide[known + sorted(c for c in wide.columns if c not in PATHWAY_ORDER)]
    total = float(wide.to_numpy().sum())
    per_1000 = wide * (1000.0 / total) if total > 0 else wide * 0.0
    per_1000 = per_1000.loc[per_1000.sum(axis=1).sort_values(ascending=False).index]
    per_1000.loc["all causes"] = per_1000.sum(axis=0)
    per_1000.columns.name = None
    return per_1000


def plot_pathway_flow(pathways: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked horizontal bars: for each latent cause, people per 1,000 adults by pathway.

    The widths are :func:`pathway_flow`; the bar "all causes" is the whole cohort, so its
    blue part is the share followed (the only people the protocols are played against).
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(7.5, 4.2), layout="constrained").subplots()
    flow = pathway_flow(pathways)
    rows = list(flow.index)[::-1]  # largest cause at the top, "all causes" at the bottom
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for pathway in flow.columns:
        widths = flow.loc[rows, pathway].to_numpy(dtype=float)
        ax.barh(
            y,
            widths,
            left=left,
            color=PATHWAY_COLORS.get(str(pathway), OTHER_COLOR),
            label=str(pathway).replace("_", " "),
            edgecolor="white",
            linewidth=0.5,
        )
        left += widths
    ax.set_yticks(y, [str(r).replace("_", " ") for r in rows])
    ax.set_xlabel("People per 1,000 adults with an index finding (mean per replicate)")
    ax.set_ylabel("Latent cause")
    ax.set_title("Index work-up: where each cause goes")
    ax.legend(title="Pathway", loc="center right", frameon=False, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return ax
