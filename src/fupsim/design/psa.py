"""Decision uncertainty over designs: a PSA over the top candidates, the acceptability frontier.

The search's estimates say which schedule is best *at the scenario's parameter values*; this
module asks how often each of the top candidates is best when the uncertain parameters are
drawn from their PSA distributions. Parameter draws are those of :func:`fupsim.psa` (draw
``i`` from ``SeedSequence(seed, spawn_key=(PSA_STREAM, i))``, one value per parameter with a
``psa`` distribution); every draw plays every top candidate on the same simulated people
(same seed, replicates and patients: common random numbers across candidates and draws), and
finished tasks are kept in the search's point store.

``design_ceaf.csv`` has, per WTP and candidate, the probability that it has the highest net
benefit (the share of draws it wins; the shares sum to 1 at each WTP), its expected net
benefit over the draws, whether it is on the acceptability frontier (the highest *expected*
net benefit: the choice under current information) and the EVPI per person at that WTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from fupsim.design.candidates import Candidate
from fupsim.design.evaluate import Execution, Sums, evaluate_many
from fupsim.design.select import net_benefit
from fupsim.design.spec import DesignSpec
from fupsim.design.tables import means
from fupsim.scenario import Scenario, ScenarioError, with_overrides
from fupsim.sensitivity.psa import draw_overrides, draw_parameters
from fupsim.voi import acceptability, evpi

__all__ = ["CEAF_COLUMNS", "ceaf_from_draws", "check_psa", "psa_over_designs", "top_candidates"]

CEAF_COLUMNS: dict[str, str] = {
    "wtp": "willingness to pay, currency per unit of effect",
    "candidate": "one of the top candidates",
    "probability_optimal": "share of parameter draws in which it has the highest net benefit",
    "expected_nb": "net benefit per person averaged over the draws, currency",
    "on_frontier": "True for the candidate with the highest expected net benefit at this WTP",
    "evpi": "expected value of perfect information per person at this WTP (same for every row "
    "of the WTP), currency",
}
"""Columns of ``design_ceaf.csv``."""


def check_psa(scenario: Scenario, spec: DesignSpec) -> None:
    """Refuse a PSA that could not run, before anything is simulated or written."""
    if spec.psa_draws and not any(u.psa is not None for u in scenario.uncertainty.values()):
        raise ScenarioError(
            f"design.psa_draws = {spec.psa_draws}: no parameter has a psa distribution in an "
            '[uncertainty."dotted.key"] table; add one or set design.psa_draws = 0'
        )


def top_candidates(nb_by_wtp: dict[float, np.ndarray], k: int) -> list[int]:
    """The ``k`` best candidates at each WTP (by expected net benefit), their union in order
    of first appearance (WTPs in the order given, best first)."""
    out: list[int] = []
    for nb in nb_by_wtp.values():
        for c in np.argsort(-nb, kind="stable")[:k]:
            if int(c) not in out:
                out.append(int(c))
    return out


def ceaf_from_draws(nb: np.ndarray, names: Sequence[str], wtps: Sequence[float]) -> pd.DataFrame:
    """The acceptability frontier from net benefits per draw.

    Parameters
    ----------
    nb : ndarray (W, D, K)
        Net benefit per person for each WTP, draw and candidate, currency.
    names : sequence of str
        The K candidates' names.
    wtps : sequence of float
        The W willingness-to-pay values.

    Returns
    -------
    DataFrame
        :data:`CEAF_COLUMNS`, one row per WTP and candidate. A draw in which candidates tie
        exactly is shared among them, as in every acceptability curve (:mod:`fupsim.voi`).
    """
    cube = np.transpose(np.asarray(nb, dtype=float), (1, 2, 0))  # (draws, candidates, wtp)
    wins, info = acceptability(cube), evpi(cube)  # the one CEAC and EVPI (fupsim.voi)
    mean = cube.mean(axis=0)
    best = mean.argmax(axis=0)
    rows = [
        {
            "wtp": float(w),
            "candidate": names[c],
            "probability_optimal": float(wins[c, i]),
            "expected_nb": float(mean[c, i]),
            "on_frontier": c == int(best[i]),
            "evpi": float(info[i]),
        }
        for i, w in enumerate(wtps)
        for c in range(len(names))
    ]
    return pd.DataFrame(rows, columns=list(CEAF_COLUMNS))


def psa_over_designs(
    scenario: Scenario,
    spec: DesignSpec,
    cands: Sequence[Candidate],
    top: Sequence[int],
    *,
    wtps: Sequence[float],
    effect: str,
    run: Execution,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Play the ``top`` candidates under ``spec.psa_draws`` parameter draws.

    Parameters
    ----------
    scenario : Scenario
        Base parameters; those with a ``psa`` distribution are drawn.
    spec : DesignSpec
        ``psa_draws``, ``psa_replications``, ``psa_patients`` (default ``patients``).
    cands, top : sequence
        All candidates, and the indices of those to play.
    wtps : sequence of float
        Willingness to pay, currency per unit of effect.
    effect : str
        Outcome column of the effect.
    run : Execution
        The search's: its seed also seeds the parameter draws (as :func:`fupsim.psa`); its
        patients are the default of ``spec.psa_patients``.

    Returns
    -------
    draws : DataFrame
        ``design_psa.csv``: ``draw, candidate, cost_per_patient, effect_per_patient`` and the
        drawn parameter values.
    ceaf : DataFrame
        ``design_ceaf.csv`` (:data:`CEAF_COLUMNS`).
    stats : dict
        Tasks run and reused.
    """
    check_psa(scenario, spec)
    params = draw_parameters(scenario, spec.psa_draws, run.seed)
    flat = spec.model_copy(update={"strata": []})  # whole-cohort sums are all a draw needs
    jobs = [
        (with_overrides(scenario, ov), Sums(["all"], spec.batches_per_replicate, {}))
        for ov in draw_overrides(scenario, params)
    ]
    reps = range(spec.psa_replications)
    stats = evaluate_many(
        jobs,
        cands,
        list(top),
        reps,
        run=replace(run, patients=spec.psa_patients or run.patients),
        spec=flat,
        effect=effect,
        desc=f"design PSA ({len(top)} candidates x {spec.psa_draws} draws)",
    )
    names = [cands[c].name for c in top]
    nb = np.empty((len(wtps), len(jobs), len(top)))
    rows = []
    for d, (_, sums) in enumerate(jobs):
        cube = sums.cube(list(top), reps)
        for i, w in enumerate(wtps):
            nb[i, d] = net_benefit(cube, w)[0]
        for c, name in enumerate(names):
            rows.append({"draw": int(params["draw"].iloc[d]), "candidate": name, **means(cube[c])})
    draws = pd.DataFrame(rows).merge(params, on="draw", how="left")
    return draws, ceaf_from_draws(nb, names, wtps), stats
