"""EVPPI benchmark (issue 13): 10 parameter groups on 5,000 PSA draws, one core.

A synthetic PSA of 5,000 draws × 4 options and 24 parameters, net benefit at 20
willingness-to-pay values; EVPPI for 10 groups: four single parameters and two pairs (GAM)
and four groups of 5 to 8 parameters (Gaussian process), each with its standard error (100
posterior draws). BLAS is limited to one thread for the whole run. As a reference measured in
the same run on the same machine, the time of one plain numpy least-squares fit of a
5,000 × 309 design (the size of one GP regression: intercept, 8 inputs, 300 inducing points)
is reported, and the EVPPI time in units of it. CPU time is reported beside wall time: on a
shared machine the two differ by the load. Target: under 30 s.
"""

from __future__ import annotations

import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from fupsim.voi import evppi, net_benefit

DRAWS, OPTIONS, PARAMETERS, WTP = 5_000, 4, 24, np.linspace(0, 100_000, 20)
GROUPS = {
    "p0": [0],
    "p1": [1],
    "p2": [2],
    "p3": [3],
    "p4+p5": [4, 5],
    "p6+p7": [6, 7],
    "p8-12": [8, 9, 10, 11, 12],
    "p13-18": [13, 14, 15, 16, 17, 18],
    "p17-23": [17, 18, 19, 20, 21, 22, 23],
    "p0-7": [0, 1, 2, 3, 4, 5, 6, 7],
}


def _psa(seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit (draws, options, wtp) of a nonlinear synthetic model, and the parameters."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(DRAWS, PARAMETERS))
    w = rng.normal(0, 0.3, size=(PARAMETERS, OPTIONS))
    effects = 0.01 * np.arange(OPTIONS) + 0.004 * np.tanh(t @ w) + 0.002 * t[:, :1] * t[:, 1:2]
    costs = 300 * np.arange(OPTIONS) + 60 * np.exp(0.3 * (t[:, ::-1] @ w)) + 40 * t[:, 4:5] ** 2
    effects += rng.normal(0, 0.001, size=effects.shape)  # within-draw Monte Carlo noise
    return net_benefit(costs, effects, WTP), t


def _reference(rng: np.random.Generator) -> float:
    design = rng.normal(size=(DRAWS, 309))
    y = rng.normal(size=DRAWS)
    start = time.perf_counter()
    np.linalg.lstsq(design, y, rcond=None)
    return time.perf_counter() - start


def run() -> dict[str, object]:
    """Time EVPPI for the 10 groups; returns the figures for ``bench.json``."""
    load = os.getloadavg()[0]
    nb, params = _psa()
    rng = np.random.default_rng(0)
    seconds: dict[str, float] = {}
    with threadpool_limits(limits=1):
        ref = min(_reference(rng) for _ in range(3))
        start, cpu = time.perf_counter(), time.process_time()
        for name, cols in GROUPS.items():
            t0 = time.perf_counter()
            res = evppi(nb, params[:, cols], rng=rng)
            seconds[f"{name} ({res.method})"] = round(time.perf_counter() - t0, 2)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "draws": DRAWS,
        "options": OPTIONS,
        "wtp_values": len(WTP),
        "groups": len(GROUPS),
        "evppi_seconds": round(total, 2),
        "evppi_cpu_seconds": round(cpu, 2),
        "seconds_per_group": seconds,
        "reference_lstsq_seconds": round(ref, 4),
        "evppi_in_reference_fits": round(total / ref, 1),
        "load_average_at_start": round(load, 2),
        "targets": {"evppi_seconds": "< 30"},
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
