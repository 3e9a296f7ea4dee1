"""Figures: ``plot_x(data, *, ax=None) -> Axes``. Plot functions never save or show.

Colours are fixed per protocol across every figure (:func:`fupsim.plots.style.protocol_colors`).
"""
