"""Sensitivity analysis: grid sweeps, one-way (tornado), probabilistic (PSA), Sobol.

Every analysis is a list of scenario variants (*points*) simulated with one seed, so they
share common random numbers, through a resumable store of finished points
(:mod:`fupsim.sensitivity.store`) on local processes or a Dask cluster
(:mod:`fupsim.sensitivity.runner`).
"""

from fupsim.sensitivity.grid import SweepResult, parse_vary, sweep
from fupsim.sensitivity.runner import PointRun, PointSize, run_points, simulate_point
from fupsim.sensitivity.store import PointStore, point_key

__all__ = [
    "PointRun",
    "PointSize",
    "PointStore",
    "SweepResult",
    "parse_vary",
    "point_key",
    "run_points",
    "simulate_point",
    "sweep",
]
