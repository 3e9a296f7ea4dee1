"""Sensitivity analysis: grid sweeps, one-way (tornado), probabilistic (PSA), Sobol.

Every analysis is a list of scenario variants (*points*) simulated with one seed, so they
share common random numbers, through a resumable store of finished points
(:mod:`fupsim.sensitivity.store`) on local processes or a Dask cluster
(:mod:`fupsim.sensitivity.runner`). The analyses are :func:`sweep`, :func:`run_owsa`,
:func:`run_psa` and :func:`run_sobol` (the modules ``owsa``, ``psa`` and ``sobol`` hold them
and their helpers); their shared pieces are in ``outcomes``. Each returns a result that owns
its files (``FILES``, ``write``, ``summary``) and has a loader: :func:`load_sweep`,
:func:`load_owsa`, :func:`load_psa`, :func:`load_sobol` (modules ``results`` and
``psa_result``).
"""

from fupsim.sensitivity.grid import parse_vary, sweep
from fupsim.sensitivity.outcomes import OwsaSettings, settings_for
from fupsim.sensitivity.owsa import owsa as run_owsa
from fupsim.sensitivity.psa import psa as run_psa
from fupsim.sensitivity.psa_result import PsaResult, load_psa
from fupsim.sensitivity.results import (
    OwsaResult,
    SobolResult,
    SweepResult,
    load_owsa,
    load_sobol,
    load_sweep,
)
from fupsim.sensitivity.runner import PointRun, PointSize, run_points, simulate_point
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
    "load_owsa",
    "load_psa",
    "load_sobol",
    "load_sweep",
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
