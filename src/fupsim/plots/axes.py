"""Helpers shared by the plot modules: new axes, protocol colours, non-overlapping labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from fupsim.plots.style import protocol_colors

__all__ = ["colors_for", "new_axes", "place_labels", "thousands"]

# Offsets (points) tried in turn for a label: right, above, left, below, then further out.
_OFFSETS: tuple[tuple[float, float], ...] = tuple(
    (dx * r, dy * r)
    for r in (1.0, 1.8, 2.8, 4.0)
    for dx, dy in ((10, 8), (10, -16), (-10, 8), (-10, -16), (0, 16), (0, -22), (18, 0), (-18, 0))
)


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.2)) -> Axes:
    """``ax`` itself, or the axes of a new figure with constrained layout."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def colors_for(protocols: Sequence[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    """The colour of each protocol: from ``colors`` if given, else by order of ``protocols``."""
    if colors is None:
        return protocol_colors(list(protocols))
    missing = [p for p in protocols if p not in colors]
    if missing:
        raise ValueError(f"colors: no colour for protocol(s) {', '.join(missing)}")
    return dict(colors)


def thousands(value: float, _pos: object = None) -> str:
    """Tick formatter: 12,345."""
    return f"{value:,.0f}"


def place_labels(
    ax: Axes,
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    avoid: Sequence[tuple[float, float]] = (),
    fontsize: float = 8.0,
) -> list[Annotation]:
    """Annotate points so that no two labels overlap each other, the points or the axes edge.

    Each label goes to the first of a fixed list of offsets (right, above, left, below, then
    further out) where its box clears every label already placed, every anchor and every
    point in ``avoid`` (data coordinates) and the legend; a leader line joins it to its anchor.

    Returns
    -------
    list of Annotation
        The labels, in the order of ``texts``.
    """
    fig: Any = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure: give it an Agg canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()  # fixes the layout so that display coordinates are final
    renderer = fig.canvas.get_renderer()
    axes_box = ax.get_window_extent(renderer)
    marks = [ax.transData.transform(p) for p in [*anchors, *avoid]]
    point_boxes = [Bbox.from_bounds(x - 4, y - 4, 8, 8) for x, y in marks]
    legend = ax.get_legend()
    placed: list[Bbox] = [legend.get_window_extent(renderer)] if legend is not None else []
    labels: list[Annotation] = []
    for (x, y), text in zip(anchors, texts, strict=True):
        best: tuple[float, Annotation, Bbox] | None = None
        for dx, dy in _OFFSETS:
            ann = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=fontsize,
                ha="left" if dx > 0 else ("right" if dx < 0 else "center"),
                va="bottom" if dy > 0 else ("top" if dy < 0 else "center"),
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7", "alpha": 0.9},
                arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.6},
            )
            box = ann.get_window_extent(renderer).expanded(1.05, 1.1)
            clash = sum(box.overlaps(b) for b in placed) + sum(box.overlaps(b) for b in point_boxes)
            outside = not (
                axes_box.x0 <= box.x0
                and box.x1 <= axes_box.x1
                and axes_box.y0 <= box.y0
                and box.y1 <= axes_box.y1
            )
            score = clash * 10 + outside * 5 + float(np.hypot(dx, dy)) / 100.0
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, ann, box)
            else:
                ann.remove()
            if score < 1.0:
                break
        assert best is not None
        placed.append(best[2])
        labels.append(best[1])
    return labels
