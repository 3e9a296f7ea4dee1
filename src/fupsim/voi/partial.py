"""Partial value of information: EVPPI by regression, per group, and for a population.

Regression-based EVPPI (Strong, Oakley & Brennan 2014, Med Decis Making 34:311): regress each
option's incremental net benefit (against a reference option) on the parameters of interest;
the fitted value ``g_j(θ)`` estimates ``E[INB_j | θ]``, and

    EVPPI = mean over draws of max_j g_j(θ_n) - max_j mean over draws of g_j(θ_n)

with ``g_reference = 0``. All WTP values are fitted at once: each option's incremental net
benefit over WTP (draws × wtp) is centred and split by SVD into a few components (two when
net benefit is linear in WTP, ``wtp × effect − cost``); each component is regressed
separately and the fits are recombined. For a linear smoother this equals fitting at each WTP
with the components' smoothing.

Smoothers (:mod:`fupsim.voi.smoothers`): ``"gam"`` (penalised cubic regression splines,
GCV-chosen smoothing; one or two parameters, a tensor product for two), ``"gp"`` (Gaussian
process, any number), ``"quadratic"`` (linear, square and product terms) and ``"auto"``
(``"gam"`` for one or two parameters, ``"gp"`` for more). The GAM is written here rather than
taken from statsmodels' ``GLMGam``, which fits additive smooths only (no tensor-product
interaction for two parameters) and selects smoothing by repeated refits, far slower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from fupsim.voi.decision import cube
from fupsim.voi.smoothers import (
    Fit,
    fit_penalised,
    gcv_fit,
    gp_basis,
    gp_hyperparameters,
    quadratic_basis,
    spline_basis,
)

__all__ = ["METHODS", "EvppiResult", "evppi"]

METHODS = ("auto", "gam", "gp", "quadratic")


@dataclass(frozen=True)
class EvppiResult:
    """EVPPI of one group of parameters at each WTP value."""

    evppi: np.ndarray
    """EVPPI per person at each WTP, currency."""
    se: np.ndarray
    """Standard error: regression error (posterior draws of the fitted functions, Strong et
    al. 2014 §2.4) and the Monte Carlo error of averaging over the PSA draws, combined. It
    does not cover bias from the smoother's form or the smoothing choice."""
    method: str
    """Smoother used: ``gam``, ``gp`` or ``quadratic``."""
    r_squared: float
    """Smallest R² among the component regressions (0 when nothing was fitted)."""


def _choose(method: str, p: int) -> str:
    if method not in METHODS:
        raise ValueError(f"method={method!r}: not one of {', '.join(METHODS)}")
    if method == "auto":
        return "gam" if p <= 2 else "gp"
    if method == "gam" and p > 2:
        raise ValueError(f"method='gam': for one or two parameters; this group has {p}")
    return method


def _components(inb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SVD components of each option's centred incremental NB over WTP.

    Returns the means (options, wtp), the targets (draws, k) and their loadings
    (k, options × wtp), so that ``inb ≈ mean + targets @ loadings`` (exactly, up to rounding).
    """
    mean = inb.mean(axis=0)
    n_opt, n_wtp = inb.shape[1], inb.shape[2]
    targets, loads = [], []
    for j in range(n_opt):
        u, s, vt = np.linalg.svd(inb[:, j, :] - mean[j], full_matrices=False)
        for k in np.flatnonzero(s > max(s[0], 1e-300) * 1e-9):
            targets.append(u[:, k] * s[k])
            load = np.zeros((n_opt, n_wtp))
            load[j] = vt[k]
            loads.append(load.ravel())
    if not targets:
        return mean, np.zeros((inb.shape[0], 0)), np.zeros((0, n_opt * n_wtp))
    return mean, np.column_stack(targets), np.stack(loads)


def _fit_all(
    x: np.ndarray, targets: np.ndarray, method: str, subsample: int, rng: np.random.Generator
) -> list[Fit]:
    """Fit every target column on standardised inputs ``x``; targets are standardised inside."""
    sd = targets.std(axis=0)
    sd[sd == 0] = 1.0
    ys = (targets - targets.mean(axis=0)) / sd
    fits: list[Fit] = []
    if method == "gam":
        design, penalties = spline_basis(x)
        fits = [gcv_fit(design, ys[:, t], penalties) for t in range(ys.shape[1])]
    elif method == "quadratic":
        design = quadratic_basis(x)
        zero = np.zeros((design.shape[1], design.shape[1]))
        fits = [fit_penalised(design, ys[:, t], zero) for t in range(ys.shape[1])]
    else:
        m = min(subsample, len(x))
        # evenly spaced draws: the draws are independent, so any fixed choice is a random
        # subsample, and the point estimate depends on the data alone (not on a stream)
        idx = np.unique(np.linspace(0, len(x) - 1, m).round().astype(np.intp))
        m = len(idx)
        z = x[idx]
        lin = np.column_stack([np.ones(m), z])
        lengths = None  # each target starts from the previous one's length scales
        for t in range(ys.shape[1]):
            y = ys[idx, t]
            resid = y - lin @ np.linalg.lstsq(lin, y, rcond=None)[0]
            lengths, signal, noise = gp_hyperparameters(z, resid, lengths)
            design, penalty = gp_basis(x, z, lengths, signal, noise)
            fits.append(fit_penalised(design, ys[:, t], penalty))
    return [
        Fit(
            fitted=f.fitted * s + mu,
            sigma=f.sigma * s,
            edf=f.edf,
            design=f.design,
            chol=f.chol,
        )
        for f, s, mu in zip(fits, sd, targets.mean(axis=0), strict=True)
    ]


def _value(g: np.ndarray) -> np.ndarray:
    """EVPPI from fitted incremental NB ``g`` (draws, options, wtp), reference value 0."""
    best = np.maximum(g.max(axis=1), 0.0).mean(axis=0)
    return best - np.maximum(g.mean(axis=0).max(axis=0), 0.0)


def evppi(
    nb: npt.ArrayLike,
    params: npt.ArrayLike,
    *,
    method: str = "auto",
    reference: int = 0,
    se_samples: int = 100,
    gp_subsample: int = 300,
    rng: np.random.Generator | int | None = None,
) -> EvppiResult:
    """Expected value of partial perfect information for one group of parameters.

    Parameters
    ----------
    nb : array_like, shape (draws, options, wtp)
        Net benefit per person from the PSA, currency.
    params : array_like, shape (draws,) or (draws, p)
        The drawn values of the group's parameters (any units; standardised inside).
    method : {"auto", "gam", "gp", "quadratic"}
        Smoother (module docstring). ``"auto"``: GAM for one or two parameters, GP above.
    reference : int
        Option against which incremental net benefit is formed (the result does not depend
        on it beyond regression error).
    se_samples : int
        Posterior draws of the fitted functions for the standard error.
    gp_subsample : int
        Draws on which GP hyperparameters are fitted; they are also the inducing points.
        They are evenly spaced over the draws (independent draws, so a random subsample whose
        choice does not depend on ``rng``): the same data give the same point estimate.
    rng : Generator or int, optional
        Randomness for the posterior draws of the standard error.

    Returns
    -------
    EvppiResult
        EVPPI per person (currency) and its standard error at each WTP.

    Notes
    -----
    The regressions are many small matrix operations, for which BLAS threads only contend
    (on a busy machine, many times slower); they run on one BLAS thread (threadpoolctl).
    Posterior draws of the different regressions are correlated with the correlation of
    their residuals, so that errors shared by incremental costs and effects of one option, or
    by options against the same reference, carry into the standard error; this is exact
    when the regressions share basis and smoothing, and an approximation otherwise.
    """
    c = cube(nb)
    n, n_opt, n_wtp = c.shape
    x = np.asarray(params, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] != n:
        raise ValueError(f"params: need {n} rows (one per draw), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("params: contains values that are not finite")
    if not 0 <= reference < n_opt:
        raise ValueError(f"reference={reference}: not an option index (0 to {n_opt - 1})")
    if se_samples < 2:
        raise ValueError(f"se_samples={se_samples}: must be at least 2")
    if gp_subsample < 10:
        raise ValueError(f"gp_subsample={gp_subsample}: must be at least 10")
    gen = np.random.default_rng(rng)
    sd = x.std(axis=0)
    x = (x[:, sd > 0] - x[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    chosen = _choose(method, max(x.shape[1], 1))
    inb = np.delete(c - c[:, [reference], :], reference, axis=1)
    zero = np.zeros(n_wtp)
    if x.shape[1] == 0 or inb.shape[1] == 0 or n < 3:
        return EvppiResult(evppi=zero, se=zero.copy(), method=chosen, r_squared=0.0)
    mean, targets, loads = _components(inb)
    k = targets.shape[1]
    if k == 0:
        return EvppiResult(evppi=zero, se=zero.copy(), method=chosen, r_squared=0.0)
    with threadpool_limits(limits=1, user_api="blas"):
        fits = _fit_all(x, targets, chosen, gp_subsample, gen)
    fitted = np.column_stack([f.fitted for f in fits])
    shape = (n, inb.shape[1], n_wtp)
    g = (fitted @ loads).reshape(shape) + mean
    point = _value(g)
    resid = targets - fitted
    ss = (targets**2).sum(axis=0)
    r2 = float(np.min(1 - (resid**2).sum(axis=0) / np.where(ss > 0, ss, 1.0)))
    # Monte Carlo error of the outer average over draws: variance of the per-draw gain.
    means = g.mean(axis=0)  # (options, wtp)
    current = np.where(means.max(axis=0) > 0, means.argmax(axis=0), -1)
    now = np.where(current >= 0, g[:, np.maximum(current, 0), np.arange(n_wtp)], 0.0)
    outer_var = (np.maximum(g.max(axis=1), 0.0) - now).var(axis=0, ddof=1) / n
    # Regression error: correlated posterior draws of every fitted function.
    corr = np.corrcoef(resid, rowvar=False) if k > 1 else np.ones((1, 1))
    corr = np.nan_to_num(np.atleast_2d(corr)) + 1e-9 * np.eye(k)
    w, v = np.linalg.eigh(corr)
    mix = v * np.sqrt(np.clip(w, 0.0, None))
    q = fits[0].design.shape[1]
    z = np.einsum("ab,bqs->aqs", mix, gen.standard_normal((k, q, se_samples)))
    with threadpool_limits(limits=1, user_api="blas"):
        devs = np.stack([f.deviations(z[t]) for t, f in enumerate(fits)], axis=1)  # (n, k, S)
    draws = np.empty((se_samples, n_wtp))
    for s in range(se_samples):
        draws[s] = _value(((fitted + devs[:, :, s]) @ loads).reshape(shape) + mean)
    se = np.sqrt(draws.var(axis=0, ddof=1) + outer_var)
    return EvppiResult(evppi=point, se=se, method=chosen, r_squared=r2)
