"""Value of information: decision uncertainty, EVPI, EVPPI by regression, population value.

Works on the PSA table (one row per draw × protocol, :mod:`fupsim.sensitivity.psa`) or on a
net-benefit array of shape (draws, options, wtp):

- :mod:`fupsim.voi.decision` — net benefit, EVPI, acceptability (CEAC) and its frontier
  (CEAF), expected loss, Monte Carlo noise share and noise-corrected EVPI, the decision table;
- :mod:`fupsim.voi.partial` — EVPPI by non-parametric regression (Strong, Oakley & Brennan
  2014), for one group of parameters;
- :mod:`fupsim.voi.tables` — from a PSA table: EVPPI per group and WTP, population EVPPI;
- :mod:`fupsim.voi.smoothers` — the regression smoothers (splines, Gaussian process).

All values are in the scenario's currency, per person unless named ``population_``.
"""

from fupsim.voi.decision import (
    NOISE_SHARE_FLAG,
    Frontier,
    NoiseCheck,
    acceptability,
    ceaf,
    curves_table,
    decision_table,
    evpi,
    expected_loss,
    net_benefit,
    noise_check,
)
from fupsim.voi.partial import METHODS, EvppiResult, evppi
from fupsim.voi.tables import (
    EVPPI_COLUMNS,
    PsaArrays,
    evppi_table,
    population_factor,
    psa_arrays,
)

__all__ = [
    "EVPPI_COLUMNS",
    "METHODS",
    "NOISE_SHARE_FLAG",
    "EvppiResult",
    "Frontier",
    "NoiseCheck",
    "PsaArrays",
    "acceptability",
    "ceaf",
    "curves_table",
    "decision_table",
    "evpi",
    "evppi",
    "evppi_table",
    "expected_loss",
    "net_benefit",
    "noise_check",
    "population_factor",
    "psa_arrays",
]
