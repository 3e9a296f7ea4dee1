"""Design: search the space of follow-up schedules for the efficient frontier and the best one.

:func:`design` generates candidate protocols from families (:mod:`.candidates`), plays every
one against the same simulated people (:mod:`.evaluate`), re-evaluates near-ties with more
replicates (Kim–Nelson, :mod:`.select`) and reports, per willingness to pay, the best
schedule, its expected net benefit and the probability that it really is the best; with
``strata`` it also finds the best risk-stratified policy (one schedule per stratum) from the
same sums, without simulating again. See docs/design.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fupsim.design.candidates import Candidate, candidate_table, generate_candidates
from fupsim.design.evaluate import QUANTITIES, Q, Sums, evaluate, preflight
from fupsim.design.select import (
    best_per_stratum,
    kn_screen,
    kn_start,
    net_benefit,
    paired_gap,
    policy_units,
    probability_best,
    scaled_residuals,
    standard_error,
)
from fupsim.design.spec import DesignSpec, design_spec, load_design
from fupsim.economics import icer_table
from fupsim.output import atomic_directory, manifest, write_json
from fupsim.scenario import Scenario, ScenarioError
from fupsim.sensitivity.store import PointStore

__all__ = [
    "BEST_COLUMNS",
    "DesignResult",
    "DesignSpec",
    "design",
    "design_spec",
    "load_design",
]

METRICS: dict[str, tuple[str, float, str]] = {
    # output column: (numerator quantity, scale, meaning)
    "cost_per_patient": ("cost", 1.0, "discounted cost per person, scenario currency"),
    "effect_per_patient": ("effect", 1.0, "effect per person (manifest 'effect' names it)"),
    "screen_detected_per_1000": ("screen_detected", 1000.0, "yield: screen-detected changes"),
    "interval_cases_per_1000": ("interval_case", 1000.0, "changes presenting first"),
    "false_positive_workups_per_1000": (
        "n_false_positive_workups",
        1000.0,
        "harm: CT work-ups without a detectable change",
    ),
    "false_diagnoses_per_1000": (
        "false_diagnosis",
        1000.0,
        "harm: CT confirmed a change not there",
    ),
    "scans_per_patient": ("n_scans", 1.0, "attended scans per person"),
    "missed_scans_per_patient": ("n_missed", 1.0, "missed scans per person"),
    "ct_per_patient": ("n_ct", 1.0, "CT work-ups per person"),
}
"""Columns of ``candidates.csv`` beyond the candidate's description (each with ``_se``)."""

BEST_COLUMNS: dict[str, str] = {
    "wtp": "willingness to pay, currency per unit of effect",
    "best": "candidate with the highest expected net benefit",
    "family": "its family",
    "status": "its status on the frontier (always 'frontier' unless estimates tie)",
    "expected_nb": "its expected net benefit per person, currency",
    "expected_nb_se": "standard error (paired units)",
    "probability_best": "probability that it really is the best (normal approximation)",
    "contenders": "candidates still in contention after the Kim-Nelson screening",
    "replications": "replicates behind the best's estimate",
    "runner_up": "next best candidate",
    "gap_to_runner_up": "best minus runner-up net benefit per person",
    "gap_to_runner_up_se": "paired standard error of that gap",
    "article_best": "the best of the scenario's own (the article's) protocols",
    "gain_over_article": "best minus article_best net benefit per person",
    "gain_over_article_se": "paired standard error of that gain",
    "stratified_nb": "expected net benefit of the best stratified policy (first stage)",
    "stratified_gain": "stratified policy minus the best uniform schedule (first stage)",
    "stratified_gain_se": "paired standard error of that gain",
}
"""Columns of ``best_by_wtp.csv``."""


@dataclass(frozen=True)
class DesignResult:
    """The result of :func:`design`: candidates, frontier, best schedule by WTP, strata.

    Attributes
    ----------
    candidates : DataFrame
        ``candidates.csv``: one row per candidate; metrics per person with ``_se``.
    frontier : DataFrame
        ``frontier.csv``: :func:`fupsim.economics.icer_table` of the candidates (status,
        ICERs, net monetary benefit per WTP).
    best_by_wtp : DataFrame
        ``best_by_wtp.csv``: :data:`BEST_COLUMNS`.
    strata : DataFrame or None
        ``strata.csv``: per WTP and stratum, the chosen schedule (only with ``strata``).
    manifest : dict
    """

    FILES = ("candidates.csv", "frontier.csv", "best_by_wtp.csv", "design_manifest.json")

    scenario: Scenario
    spec: DesignSpec
    candidates: pd.DataFrame
    frontier: pd.DataFrame
    best_by_wtp: pd.DataFrame
    strata: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The best schedule per willingness to pay (``best_by_wtp``)."""
        return self.best_by_wtp.copy()

    def write(
        self,
        out: str | Path,
        *,
        force: bool = False,
        extra: Callable[[Path], None] | None = None,
    ) -> Path:
        """Write :attr:`FILES` (and ``strata.csv``) as one unit; ``extra(folder)`` adds more
        (the command's figures). A point store already in ``out`` is kept."""
        with atomic_directory(out, force=force) as tmp:
            self.candidates.to_csv(tmp / "candidates.csv", index=False, float_format="%.10g")
            self.frontier.to_csv(tmp / "frontier.csv", index=False, float_format="%.10g")
            self.best_by_wtp.to_csv(tmp / "best_by_wtp.csv", index=False, float_format="%.10g")
            if self.strata is not None:
                self.strata.to_csv(tmp / "strata.csv", index=False, float_format="%.10g")
            if extra is not None:
                extra(tmp)
            write_json(tmp / "design_manifest.json", self.manifest)
        return Path(out)


def _metrics(cube: np.ndarray) -> dict[str, float]:
    """Pooled per-person metrics and their SEs over units, for one candidate ``(U, S, Q)``."""
    tot = cube.sum(axis=1)  # (U, Q)
    people = tot[:, Q["people"]]
    out: dict[str, float] = {}
    u = tot.shape[0]
    for name, (q, scale, _) in METRICS.items():
        est = scale * tot[:, Q[q]].sum() / people.sum()
        z = (scale * tot[:, Q[q]] - est * people) / people.mean()
        out[name] = float(est)
        out[f"{name}_se"] = float(np.sqrt((z**2).sum() / (u * (u - 1)))) if u > 1 else np.nan
    return out


def design(
    scenario: Scenario,
    spec: DesignSpec | None = None,
    *,
    seed: int | None = None,
    replications: int | None = None,
    patients: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    store: PointStore | None = None,
    progress: bool | None = None,
) -> DesignResult:
    """Search candidate schedules for the efficient frontier and the best per WTP.

    Parameters
    ----------
    scenario : Scenario
        The model; its protocols form the ``article`` family.
    spec : DesignSpec, optional
        Families and selection settings (:func:`design_spec`; default: every family).
    seed, replications, patients : int, optional
        Root seed, first-stage replicates and adults per replicate (default: ``[simulation]``).
    workers, scheduler : optional
        Local processes, or a Dask scheduler address (as :func:`fupsim.run`).
    store : PointStore, optional
        Keeps finished tasks so that a rerun resumes.
    progress : bool, optional
        Progress bar (default: only on a terminal).

    Returns
    -------
    DesignResult

    Examples
    --------
    >>> import fupsim
    >>> from fupsim.design import design, design_spec
    >>> sc = fupsim.load_scenario("scenarios/baseline.toml")
    >>> spec = design_spec(intervals_months=[3, 6], durations_months=[24], stop_after_stable=[],
    ...                    families=["regular", "none"], effect="screen_detected", refine=False)
    >>> result = design(sc, spec, replications=2, patients=300, workers=1, progress=False)
    >>> list(result.candidates["candidate"])
    ['no-follow-up', 'q3m-24m', 'q6m-24m']
    """
    started = time.perf_counter()
    spec = spec or DesignSpec()
    sim = scenario.simulation
    seed = sim.seed if seed is None else seed
    reps0 = sim.replications if replications is None else replications
    n = sim.patients if patients is None else patients
    if reps0 < 1 or n < 1 or seed < 0:
        raise ScenarioError("--replications and --patients must be at least 1, --seed at least 0")
    effect = spec.effect_column(scenario)
    wtps = spec.wtp(scenario)
    cands = generate_candidates(scenario, spec)
    layout = preflight(scenario, spec, effect, seed, n)
    sums = Sums(layout.labels, spec.batches_per_replicate, {})
    run_kw: dict[str, Any] = {
        "seed": seed,
        "patients": n,
        "spec": spec,
        "effect": effect,
        "store": store,
        "workers": workers,
        "scheduler": scheduler,
        "progress": progress,
    }
    k = len(cands)
    everyone = list(range(k))
    stats = evaluate(scenario, cands, everyone, range(reps0), sums, **run_kw)
    alpha = 1 - spec.confidence
    first = sums.cube(everyone, range(reps0))
    states, alive = {}, {}
    for w in wtps:
        nb, z = net_benefit(first, w)
        states[w] = kn_start(z, alpha=alpha)
        alive[w] = kn_screen(
            nb, np.ones(k, bool), states[w], units=z.shape[1], delta=spec.indifference_per_patient
        )
    used = reps0
    budget = spec.max_replications or 4 * reps0
    per_round = spec.replications_per_round or max(2, workers or os.cpu_count() or 1)
    rounds = 0
    while spec.refine and used < budget and any(a.sum() > 1 for a in alive.values()):
        add = min(per_round, budget - used)
        busy = [a for a in alive.values() if a.sum() > 1]
        contenders = sorted({int(c) for a in busy for c in np.flatnonzero(a)})
        more = evaluate(scenario, cands, contenders, range(used, used + add), sums, **run_kw)
        stats = {key: stats[key] + more[key] for key in stats}
        used += add
        rounds += 1
        for w in wtps:
            if alive[w].sum() > 1:
                idx = [int(i) for i in np.flatnonzero(alive[w])]
                nb_a, z_a = net_benefit(sums.cube(idx, range(used)), w)
                nb = np.full(k, -np.inf)
                nb[idx] = nb_a
                alive[w] = kn_screen(
                    nb, alive[w], states[w], units=z_a.shape[1], delta=spec.indifference_per_patient
                )
    table = candidate_table(cands, sim.horizon_months)
    rows = []
    for c in everyone:
        reps = sums.replicates_of(c)
        rows.append({"replications": len(reps), **_metrics(sums.cube([c], reps)[0])})
    table = pd.concat([table, pd.DataFrame(rows)], axis=1)
    frontier = icer_table(
        table[["candidate", "cost_per_patient", "effect_per_patient"]],
        strategy="candidate",
        cost="cost_per_patient",
        effect="effect_per_patient",
        wtp=wtps,
    )
    best, strata = _best_by_wtp(cands, sums, alive, wtps, used, reps0, frontier, seed)
    record = manifest(
        "design",
        scenario.resolved(),
        seed=seed,
        sizes={"replications": reps0, "replications_used": used, "patients": n},
        started=started,
        effect=effect,
        design=spec.model_dump(mode="json"),
        candidates=k,
        refinement_rounds=rounds,
        tasks_run=int(stats["tasks"]),
        tasks_reused=int(stats["reused"]),
        workers=workers or os.cpu_count(),
    )
    return DesignResult(scenario, spec, table, frontier, best, strata, record)


def _best_by_wtp(
    cands: list[Candidate],
    sums: Sums,
    alive: dict[float, np.ndarray],
    wtps: list[float],
    used: int,
    reps0: int,
    frontier: pd.DataFrame,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Rows of ``best_by_wtp.csv`` and, with strata, of ``strata.csv``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
    status = dict(zip(frontier["candidate"], frontier["status"], strict=True))
    k = len(cands)
    everyone = list(range(k))
    first = sums.cube(everyone, range(reps0))
    article = [i for i, c in enumerate(cands) if c.article]
    rows, strata_rows = [], []
    own = [sums.replicates_of(c) for c in everyone]
    cubes = [sums.cube([c], own[c]) for c in everyone]
    units = max(cube.shape[1] for cube in cubes)
    for w in wtps:
        pairs = [net_benefit(cube, w) for cube in cubes]
        nb = np.array([p[0][0] for p in pairs])
        zs = np.stack([scaled_residuals(p[1][0], units) for p in pairs])
        b = int(np.argmax(nb))
        prob = probability_best(nb, zs, rng=rng)
        row: dict[str, Any] = {
            "wtp": w,
            "best": cands[b].name,
            "family": cands[b].family,
            "status": status[cands[b].name],
            "expected_nb": float(nb[b]),
            "expected_nb_se": float(standard_error(pairs[b][1][0])),
            "probability_best": float(prob[b]),
            "contenders": int(alive[w].sum()),
            "replications": len(own[b]),
        }
        nb0, _ = net_benefit(first, w)
        rest = [i for i in np.argsort(-nb, kind="stable") if i != b]
        if rest:
            r = int(rest[0])
            common = range(min(len(own[r]), len(own[b])))
            pair_nb, pair_z = net_benefit(sums.cube([b, r], common), w)
            gap, gap_se = paired_gap(pair_nb, pair_z, 0, 1)
            row |= {
                "runner_up": cands[r].name,
                "gap_to_runner_up": gap,
                "gap_to_runner_up_se": gap_se,
            }
        if article:
            a = max(article, key=lambda i: nb[i])
            common = range(min(len(own[a]), len(own[b])))
            pair_nb, pair_z = net_benefit(sums.cube([b, a], common), w)
            gain, gain_se = paired_gap(pair_nb, pair_z, 0, 1)
            row |= {
                "article_best": cands[a].name,
                "gain_over_article": gain,
                "gain_over_article_se": gain_se,
            }
        if len(sums.strata) > 1:
            choice, nb_s = best_per_stratum(first, w)
            uniform = int(np.argmax(nb0))
            pol = policy_units(first, [int(c) for c in choice])[None, :, None, :]
            both = np.concatenate([pol, first[uniform].sum(axis=1)[None, :, None, :]])
            pair_nb, pair_z = net_benefit(both, w)
            gain, gain_se = paired_gap(pair_nb, pair_z, 0, 1)
            row |= {
                "stratified_nb": float(pair_nb[0]),
                "stratified_gain": gain,
                "stratified_gain_se": gain_se,
            }
            share = first[0, :, :, Q["people"]].sum(axis=0) / first[0, :, :, Q["people"]].sum()
            for s, label in enumerate(sums.strata):
                strata_rows.append(
                    {
                        "wtp": w,
                        "stratum": label,
                        "people_share": float(share[s]),
                        "schedule": cands[int(choice[s])].name,
                        "nb_contribution": float(nb_s[choice[s], s]),
                        "uniform_schedule": cands[uniform].name,
                        "uniform_nb_contribution": float(nb_s[uniform, s]),
                    }
                )
        rows.append(row)
    best = pd.DataFrame(rows).reindex(columns=[c for c in BEST_COLUMNS])
    if len(sums.strata) <= 1:
        best = best.drop(columns=["stratified_nb", "stratified_gain", "stratified_gain_se"])
    return best, (pd.DataFrame(strata_rows) if strata_rows else None)


_ = QUANTITIES  # re-exported through evaluate for the docs
