"""Sensitivity analysis: grid sweeps, one-way (tornado), probabilistic (PSA), Sobol.

Every analysis is a list of scenario variants (*points*) simulated with one seed, so they
share common random numbers, through a resumable store of finished points
(:mod:`fupsim.sensitivity.store`) on local processes or a Dask cluster
(:mod:`fupsim.sensitivity.runner`). The analyses are :func:`sweep`, :func:`run_owsa`,
:func:`run_psa` and :func:`run_sobol` (the modules ``owsa``, ``psa`` and ``sobol`` hold them
and their helpers).
"""

from fupsim.sensitivity.grid import SweepResult, parse_vary, sweep
from fupsim.sensitivity.owsa import OwsaResult, OwsaSettings, settings_for
from fupsim.sensitivity.owsa import owsa as run_owsa
from fupsim.sensitivity.psa import PsaResult
from fupsim.sensitivity.psa import psa as run_psa
from fupsim.sensitivity.runner import PointRun, PointSize, run_points, simulate_point
from fupsim.sensitivity.sobol import SobolResult
from fupsim.sensitivity.sobol import sobol as run_sobol
from fupsim.sensitivity.store import PointStore, point_key

__all__ = [
    "OwsaResult",
    "OwsaSettings",
    "PointRun",
    "PointSize",
    "PointStore",
    "PsaResult",
    "SobolResult",
    "SweepResult",
    "parse_vary",
    "point_key",
    "run_owsa",
    "run_points",
    "run_psa",
    "run_sobol",
    "settings_for",
    "simulate_point",
    "sweep",
]
