"""The best schedule at each willingness to pay, with the candidates statistically tied with it.

For each WTP: the candidate with the highest expected net benefit (each candidate's estimate
uses every replicate it was played on), its probability of being best, the runner-up, the
best of the article's protocols, and every candidate *tied* with the best: its paired gap to
the best is smaller than the indifference zone δ (not worth acting on) or not significantly
above zero at the procedure's confidence (one-sided, paired). Near ties the probability of
being best is spread over the tied group, so the group's total is reported beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from fupsim.design.candidates import Candidate
from fupsim.design.evaluate import Sums
from fupsim.design.policy import STRATIFIED_COLUMNS, stratified_policy
from fupsim.design.select import (
    net_benefit,
    paired_gap,
    probability_best,
    scaled_residuals,
    standard_error,
)

__all__ = ["BEST_COLUMNS", "best_by_wtp"]

BEST_COLUMNS: dict[str, str] = {
    "wtp": "willingness to pay, currency per unit of effect",
    "best": "candidate with the highest expected net benefit",
    "family": "its family",
    "status": "its status on the frontier (always 'frontier' unless estimates tie)",
    "expected_nb": "its expected net benefit per person, currency",
    "expected_nb_se": "standard error (paired units)",
    "probability_best": "probability that it really is the best (normal approximation)",
    "indifference_per_patient": "indifference zone delta at this WTP, currency per person",
    "tied_with": "candidates statistically tied with the best ('; '-separated, best first): "
    "paired gap below delta or not significantly above zero",
    "probability_best_or_tied": "probability that the best is the best or one of tied_with is",
    "contenders": "candidates still in contention after the Kim-Nelson screening",
    "replications": "replicates behind the best's estimate",
    "runner_up": "next best candidate",
    "gap_to_runner_up": "best minus runner-up net benefit per person",
    "gap_to_runner_up_se": "paired standard error of that gap",
    "article_best": "the best of the scenario's own (the article's) protocols",
    "gain_over_article": "best minus article_best net benefit per person",
    "gain_over_article_se": "paired standard error of that gain",
    **STRATIFIED_COLUMNS,
}
"""Columns of ``best_by_wtp.csv``."""


def _pair(sums: Sums, own: list[list[int]], b: int, j: int, w: float) -> tuple[float, float]:
    """Paired gap ``NB_b − NB_j`` and its SE over the replicates both were played on."""
    common = range(min(len(own[j]), len(own[b])))
    pair_nb, pair_z = net_benefit(sums.cube([b, j], common), w)
    return paired_gap(pair_nb, pair_z, 0, 1)


def best_by_wtp(
    cands: list[Candidate],
    sums: Sums,
    *,
    alive: dict[float, np.ndarray],
    deltas: dict[float, float],
    reps0: int,
    frontier: pd.DataFrame,
    confidence: float,
    seed: int,
    paired: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Rows of ``best_by_wtp.csv`` (:data:`BEST_COLUMNS`) and, with strata, of ``strata.csv``.

    Parameters
    ----------
    cands : list of Candidate
    sums : Sums
        Every evaluation so far (candidates may have different, nested, replicate counts).
    alive : dict
        Per WTP, the candidates the Kim–Nelson screening kept.
    deltas : dict
        Per WTP, the indifference zone δ, currency per person.
    reps0 : int
        First-stage replicates (every candidate has them).
    frontier : DataFrame
        ``frontier.csv`` (its ``status`` column).
    confidence : float
        1 − α: a gap is significant when above ``z_{1−α}`` paired standard errors.
    seed : int
        Seeds the normal draws of the probability of best.
    paired : dict, optional
        :func:`fupsim.design.tables.paired_means` of every candidate. The best is the highest
        net benefit ``w·effect − cost`` on this common footing, so that it agrees with the
        paired comparisons and the frontier; without it, each candidate's own mean.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
    z_crit = float(norm.ppf(confidence))
    status = dict(zip(frontier["candidate"], frontier["status"], strict=True))
    everyone = list(range(len(cands)))
    first = sums.cube(everyone, range(reps0))
    article = [i for i, c in enumerate(cands) if c.article]
    own = [sums.replicates_of(c) for c in everyone]
    cubes = [sums.cube([c], own[c]) for c in everyone]
    units = max(cube.shape[1] for cube in cubes)
    rows, strata_rows = [], []
    for w in deltas:
        pairs = [net_benefit(cube, w) for cube in cubes]
        nb = np.array([p[0][0] for p in pairs])
        if paired is not None:
            nb = w * paired["paired_effect_per_patient"] - paired["paired_cost_per_patient"]
        zs = np.stack([scaled_residuals(p[1][0], units) for p in pairs])
        b = int(np.argmax(nb))
        prob = probability_best(nb, zs, rng=rng)
        order = [int(i) for i in np.argsort(-nb, kind="stable") if i != b]
        tied = []
        for j in order:
            gap, se = _pair(sums, own, b, j, w)
            if gap < deltas[w] or not gap > z_crit * se:
                tied.append(j)
        row: dict[str, Any] = {
            "wtp": w,
            "best": cands[b].name,
            "family": cands[b].family,
            "status": status[cands[b].name],
            "expected_nb": float(nb[b]),
            "expected_nb_se": float(standard_error(pairs[b][1][0])),
            "probability_best": float(prob[b]),
            "indifference_per_patient": deltas[w],
            "tied_with": "; ".join(cands[j].name for j in tied),
            "probability_best_or_tied": float(prob[[b, *tied]].sum()),
            "contenders": int(alive[w].sum()),
            "replications": len(own[b]),
        }
        if order:
            r = order[0]
            gap, gap_se = _pair(sums, own, b, r, w)
            row |= {
                "runner_up": cands[r].name,
                "gap_to_runner_up": gap,
                "gap_to_runner_up_se": gap_se,
            }
        if article:
            a = max(article, key=lambda i: nb[i])
            gain, gain_se = _pair(sums, own, b, a, w)
            row |= {
                "article_best": cands[a].name,
                "gain_over_article": gain,
                "gain_over_article_se": gain_se,
            }
        if len(sums.strata) > 1:
            extra, more = stratified_policy(
                cands, sums.strata, first, w, delta=deltas[w], z_crit=z_crit
            )
            row |= extra
            strata_rows += more
        rows.append(row)
    best = pd.DataFrame(rows).reindex(columns=list(BEST_COLUMNS))
    if len(sums.strata) <= 1:
        best = best.drop(columns=list(STRATIFIED_COLUMNS))
    return best, (pd.DataFrame(strata_rows) if strata_rows else None)
