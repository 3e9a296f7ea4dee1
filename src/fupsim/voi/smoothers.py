"""Regression smoothers for EVPPI: penalised regression splines and a Gaussian-process basis.

Every smoother here is a penalised linear regression on a basis ``Phi`` (n × q) with penalty
matrix ``S``: ``beta = (Phi'Phi + S)^-1 Phi'y``. Read as a Bayesian model (Wood 2017, §6.10),
the posterior of ``beta`` is normal with covariance ``sigma² (Phi'Phi + S)^-1``; :class:`Fit`
keeps what is needed to draw fitted values from it.

- **Splines** (one or two inputs): cubic B-splines with interior knots at quantiles of the
  input and the exact penalty ``∫ f''(x)² dx`` (a cubic regression spline, like mgcv's
  ``"cr"``); for two inputs the tensor product with one penalty per margin (mgcv's ``te``),
  so interactions are modelled. Smoothing parameters minimise generalised cross-validation.
- **Gaussian process** (any number of inputs, on standardised inputs): squared-exponential
  kernel with one length scale per input (ARD), signal and noise variances by maximum marginal
  likelihood (L-BFGS-B, analytic gradient) on a subsample of ``m`` draws after removing a
  linear trend; prediction for all draws by the subset-of-regressors approximation with the
  subsample as inducing points, plus an unpenalised linear mean. That is a ridge regression on
  ``[1, x, K(x, Z) chol(K_ZZ)^-T]`` with penalty ``noise_var`` on the kernel part.
- **Quadratic**: linear terms, squares and pairwise products, unpenalised (a fallback).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy.interpolate import BSpline
from scipy.spatial.distance import cdist

__all__ = ["Fit", "fit_penalised", "gcv_fit", "gp_basis", "quadratic_basis", "spline_basis"]

_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(3)


@dataclass(frozen=True)
class Fit:
    """A fitted penalised regression: fitted values and a route to posterior draws."""

    fitted: np.ndarray
    """Fitted values at the data, shape (n,)."""
    sigma: float
    """Residual standard deviation, ``sqrt(RSS / (n - edf))``."""
    edf: float
    """Effective degrees of freedom, ``tr((Phi'Phi + S)^-1 Phi'Phi)``."""
    design: np.ndarray
    """The basis ``Phi``, shape (n, q)."""
    chol: np.ndarray
    """Lower Cholesky factor ``L`` of ``Phi'Phi + S``."""

    def deviations(self, z: np.ndarray) -> np.ndarray:
        """Posterior deviations of the fitted values for standard normals ``z`` (q × draws)."""
        coef = linalg.solve_triangular(self.chol, z, lower=True, trans="T")
        return self.sigma * (self.design @ coef)


def _cholesky(m: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, adding a growing ridge if ``m`` is numerically singular."""
    scale = max(float(np.mean(np.abs(np.diag(m)))), 1e-300)
    for ridge in (1e-10, 1e-8, 1e-6, 1e-4):
        try:
            return np.asarray(linalg.cholesky(m + ridge * scale * np.eye(len(m)), lower=True))
        except linalg.LinAlgError:
            continue
    raise linalg.LinAlgError("penalised regression: matrix not positive definite")


def fit_penalised(design: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> Fit:
    """Fit ``y`` on ``design`` with a fixed penalty matrix."""
    gram = design.T @ design
    chol = _cholesky(gram + penalty)
    beta = linalg.cho_solve((chol, True), design.T @ y)
    fitted = design @ beta
    edf = float(np.trace(linalg.cho_solve((chol, True), gram)))
    n = len(y)
    rss = float(np.sum((y - fitted) ** 2))
    sigma = float(np.sqrt(rss / max(n - edf, 1.0)))
    return Fit(fitted=fitted, sigma=sigma, edf=edf, design=design, chol=chol)


def _gcv(
    log_lam: np.ndarray,
    gram: np.ndarray,
    xty: np.ndarray,
    yty: float,
    n: int,
    penalties: list[np.ndarray],
) -> float:
    """Generalised cross-validation score ``n RSS / (n - edf)²``."""
    m = gram + sum(np.exp(a) * s for a, s in zip(log_lam, penalties, strict=True))
    try:
        chol = _cholesky(m)
    except linalg.LinAlgError:
        return np.inf
    beta = linalg.cho_solve((chol, True), xty)
    rss = max(yty - 2 * beta @ xty + beta @ gram @ beta, 0.0)
    edf = float(np.trace(linalg.cho_solve((chol, True), gram)))
    return float(n * rss / max(n - edf, 1.0) ** 2)


def gcv_fit(design: np.ndarray, y: np.ndarray, penalties: list[np.ndarray]) -> Fit:
    """Fit with one smoothing parameter per penalty, chosen by minimising GCV.

    Log smoothing parameters are searched on a grid (relative to ``tr(Phi'Phi) / tr(S)``),
    then refined by Nelder–Mead from the best grid point.
    """
    gram = design.T @ design
    xty, yty, n = design.T @ y, float(y @ y), len(y)
    base = np.array([np.log(np.trace(gram) / max(np.trace(s), 1e-300)) for s in penalties])
    grid_1d = np.linspace(-12.0, 8.0, 21 if len(penalties) == 1 else 9)
    grid = np.stack(np.meshgrid(*[grid_1d] * len(penalties), indexing="ij"), -1).reshape(
        -1, len(penalties)
    )
    scores = [_gcv(base + g, gram, xty, yty, n, penalties) for g in grid]
    start = grid[int(np.argmin(scores))]
    res = optimize.minimize(
        lambda g: _gcv(base + g, gram, xty, yty, n, penalties),
        start,
        method="Nelder-Mead",
        options={"xatol": 0.05, "fatol": 1e-10, "maxiter": 80},
    )
    best = res.x if res.fun <= min(scores) else start
    total = sum(np.exp(a) * s for a, s in zip(base + best, penalties, strict=True))
    return fit_penalised(design, y, np.asarray(total))


def _spline_1d(x: np.ndarray, interior: int) -> tuple[np.ndarray, np.ndarray]:
    """Cubic B-spline basis on quantile knots and its ``∫ f''²`` penalty (input rescaled to [0, 1])."""
    lo, hi = float(x.min()), float(x.max())
    u = (x - lo) / (hi - lo)
    inner = np.unique(np.quantile(u, np.linspace(0, 1, interior + 2)[1:-1]))
    inner = inner[(inner > 1e-9) & (inner < 1 - 1e-9)]
    knots = np.r_[np.zeros(4), inner, np.ones(4)]
    q = len(knots) - 4
    basis = BSpline.design_matrix(np.clip(u, 0.0, 1.0), knots, 3).toarray()
    edges = np.unique(knots)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    points = (mid[:, None] + half[:, None] * _GAUSS_X[None, :]).ravel()
    weights = (half[:, None] * _GAUSS_W[None, :]).ravel()
    second = BSpline(knots, np.eye(q), 3).derivative(2)(points)
    return basis, (second * weights[:, None]).T @ second


def spline_basis(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Spline basis and penalties for one input (12 functions) or two (8 × 8 tensor product)."""
    if x.shape[1] == 1:
        basis, pen = _spline_1d(x[:, 0], 8)
        return basis, [pen]
    if x.shape[1] != 2:
        raise ValueError(f"method='gam': for one or two parameters, got {x.shape[1]}")
    (b1, p1), (b2, p2) = _spline_1d(x[:, 0], 4), _spline_1d(x[:, 1], 4)
    basis = (b1[:, :, None] * b2[:, None, :]).reshape(len(x), -1)
    return basis, [np.kron(p1, np.eye(len(p2))), np.kron(np.eye(len(p1)), p2)]


def quadratic_basis(x: np.ndarray) -> np.ndarray:
    """``[1, x_i, x_i x_j (i ≤ j)]`` on standardised inputs."""
    i, j = np.triu_indices(x.shape[1])
    return np.column_stack([np.ones(len(x)), x, x[:, i] * x[:, j]])


def _neg_log_likelihood(
    theta: np.ndarray, sq: np.ndarray, r: np.ndarray, lower: np.ndarray
) -> tuple[float, np.ndarray]:
    """GP negative log marginal likelihood and gradient in ``(log ℓ_k, log s_f², log s_n²)``."""
    p = sq.shape[0]
    inv_l2 = np.exp(-2.0 * theta[:p])
    signal, noise = np.exp(theta[p]), np.exp(theta[p + 1])
    kf = signal * np.exp(-0.5 * np.tensordot(inv_l2, sq, axes=1))
    k = kf + (noise + 1e-8) * np.eye(len(r))
    try:
        chol = linalg.cho_factor(k, lower=True)
    except linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = linalg.cho_solve(chol, r)
    nll = 0.5 * r @ alpha + np.log(np.diag(chol[0])).sum() + 0.5 * len(r) * np.log(2 * np.pi)
    inv, info = linalg.lapack.dpotri(chol[0], lower=1)
    if info != 0:
        return 1e25, np.zeros_like(theta)
    inv = np.where(lower, inv, inv.T)  # dpotri fills the lower triangle only
    w = np.outer(alpha, alpha) - inv
    wk = w * kf
    grad = np.empty_like(theta)
    grad[:p] = -0.5 * np.tensordot(sq, wk, axes=([1, 2], [0, 1])) * inv_l2
    grad[p] = -0.5 * wk.sum()
    grad[p + 1] = -0.5 * noise * np.trace(w)
    return float(nll), grad


def gp_hyperparameters(
    z: np.ndarray, y: np.ndarray, lengths: np.ndarray | None = None
) -> tuple[np.ndarray, float, float]:
    """Length scales, signal and noise variance by maximum marginal likelihood.

    ``z`` (m × p) are standardised inputs, ``y`` the target with a linear trend removed;
    ``lengths`` is a starting point for the length scales (default 1).
    """
    p = z.shape[1]
    sq = (z.T[:, :, None] - z.T[:, None, :]) ** 2
    lower = np.tri(len(z), dtype=bool)
    var = max(float(np.var(y)), 1e-12)
    first = np.zeros(p) if lengths is None else np.log(np.clip(lengths, 0.06, 900.0))
    start = np.r_[first, np.log(0.5 * var), np.log(0.5 * var)]
    bounds = [(np.log(0.05), np.log(1e3))] * p + [
        (np.log(var * 1e-6), np.log(var * 1e2)),
        (np.log(var * 1e-6), np.log(var * 2)),
    ]
    res = optimize.minimize(
        _neg_log_likelihood,
        start,
        args=(sq, y, lower),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 200, "ftol": 1e-7},
    )
    return np.exp(res.x[:p]), float(np.exp(res.x[p])), float(np.exp(res.x[p + 1]))


def gp_basis(
    x: np.ndarray, inducing: np.ndarray, lengths: np.ndarray, signal: float, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Subset-of-regressors basis ``[1, x, A']`` and its penalty (``noise`` on the GP part)."""
    kmm = signal * np.exp(-0.5 * cdist(inducing / lengths, inducing / lengths, "sqeuclidean"))
    kmn = signal * np.exp(-0.5 * cdist(inducing / lengths, x / lengths, "sqeuclidean"))
    chol = _cholesky(kmm + 1e-6 * signal * np.eye(len(kmm)))
    a = linalg.solve_triangular(chol, kmn, lower=True)
    design = np.column_stack([np.ones(len(x)), x, a.T])
    lin = 1 + x.shape[1]
    penalty = np.diag(np.r_[np.zeros(lin), np.full(len(inducing), noise)])
    return design, penalty
