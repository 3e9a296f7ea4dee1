"""fupsim's statistics, in one package: paired comparison, rates, survival, intervals.

- :mod:`.compare` — :func:`compare` and :class:`Comparison` (``fupsim compare``'s files);
- :mod:`.paired` — paired contrasts (McNemar, paired t, delta method, Holm);
- :mod:`.rates` — per-protocol rates with exact and Wilson intervals;
- :mod:`.survival` — detection curves since onset (Kaplan–Meier, Aalen–Johansen), log-rank;
- :mod:`.replicates` — detection curves since the index scan, over replicates;
- :mod:`.intervals` — **the interval convention** every table follows (read it first).
"""

from __future__ import annotations

from fupsim.statistics.compare import (
    NI_ALPHA,
    OUTPUT_FILES,
    Comparison,
    compare,
    gee_model,
    load_comparison,
    noninferiority,
)

__all__ = [
    "NI_ALPHA",
    "OUTPUT_FILES",
    "Comparison",
    "compare",
    "gee_model",
    "load_comparison",
    "noninferiority",
]
