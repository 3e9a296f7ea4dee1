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

from fupsim.design.best import BEST_COLUMNS, best_by_wtp
from fupsim.design.candidates import candidate_table, generate_candidates
from fupsim.design.evaluate import Execution, Sums, evaluate, preflight
from fupsim.design.psa import CEAF_COLUMNS, check_psa, psa_over_designs, top_candidates
from fupsim.design.select import kn_screen, kn_start, net_benefit
from fupsim.design.spec import (
    DesignSpec,
    design_spec,
    effect_column,
    indifference,
    load_design,
    wtp_values,
)
from fupsim.design.tables import METRICS, metrics, paired_means
from fupsim.economics import icer_table
from fupsim.errors import ParameterError
from fupsim.output import atomic_directory, manifest, write_csv, write_json
from fupsim.scenario import Scenario
from fupsim.sensitivity.store import PointStore

__all__ = [
    "BEST_COLUMNS",
    "CEAF_COLUMNS",
    "METRICS",
    "DesignResult",
    "DesignSpec",
    "design",
    "design_spec",
    "load_design",
]


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
    ceaf : DataFrame or None
        ``design_ceaf.csv``: probability that each top candidate is optimal under parameter
        uncertainty, per WTP (only with ``psa_draws``; :data:`CEAF_COLUMNS`).
    psa : DataFrame or None
        ``design_psa.csv``: cost and effect of each top candidate per parameter draw.
    manifest : dict
    """

    FILES = ("candidates.csv", "frontier.csv", "best_by_wtp.csv", "design_manifest.json")
    OPTIONAL_FILES = ("strata.csv", "design_ceaf.csv", "design_psa.csv")

    scenario: Scenario
    spec: DesignSpec
    candidates: pd.DataFrame
    frontier: pd.DataFrame
    best_by_wtp: pd.DataFrame
    strata: pd.DataFrame | None = None
    ceaf: pd.DataFrame | None = None
    psa: pd.DataFrame | None = None
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
        """Write :attr:`FILES` (and those of :attr:`OPTIONAL_FILES` it has) as one unit;
        ``extra(folder)`` adds more (the command's figures). A point store already in ``out``
        is kept."""
        tables = {
            "candidates.csv": self.candidates,
            "frontier.csv": self.frontier,
            "best_by_wtp.csv": self.best_by_wtp,
            "strata.csv": self.strata,
            "design_ceaf.csv": self.ceaf,
            "design_psa.csv": self.psa,
        }
        with atomic_directory(out, force=force) as tmp:
            for name, frame in tables.items():
                if frame is not None:
                    write_csv(frame, tmp / name)
            if extra is not None:
                extra(tmp)
            write_json(tmp / "design_manifest.json", self.manifest)
        return Path(out)


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
        for name, value, least in (
            ("replications", reps0, 1),
            ("patients", n, 1),
            ("seed", seed, 0),
        ):
            if value < least:
                raise ParameterError(name, str(value), f"must be at least {least}")
    effect = effect_column(spec, scenario)
    wtps = wtp_values(spec, scenario)
    deltas = {w: indifference(spec, scenario, w) for w in wtps}
    check_psa(scenario, spec)
    cands = generate_candidates(scenario, spec)
    layout = preflight(scenario, spec, effect, seed, n)
    sums = Sums(layout.labels, spec.batches_per_replicate, {})
    run = Execution(seed, n, store, workers, scheduler, progress)
    run_kw: dict[str, Any] = {"run": run, "spec": spec, "effect": effect}
    k = len(cands)
    everyone = list(range(k))
    stats = evaluate(scenario, cands, everyone, range(reps0), sums, **run_kw)
    alpha = 1 - spec.confidence
    first = sums.cube(everyone, range(reps0))
    states, alive = {}, {}
    for w in wtps:
        nb, z = net_benefit(first, w)
        states[w] = kn_start(z, alpha=alpha)
        alive[w] = kn_screen(nb, np.ones(k, bool), states[w], units=z.shape[1], delta=deltas[w])
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
                alive[w] = kn_screen(nb, alive[w], states[w], units=z_a.shape[1], delta=deltas[w])
    table = candidate_table(cands, sim.horizon_months)
    rows = []
    for c in everyone:
        reps = sums.replicates_of(c)
        rows.append({"replications": len(reps), **metrics(sums.cube([c], reps)[0])})
    paired = paired_means(sums, everyone)
    table = pd.concat([table, pd.DataFrame(rows), pd.DataFrame(paired)], axis=1)
    frontier = icer_table(
        table[["candidate", "paired_cost_per_patient", "paired_effect_per_patient"]].rename(
            columns=lambda col: col.removeprefix("paired_")
        ),
        strategy="candidate",
        cost="cost_per_patient",
        effect="effect_per_patient",
        wtp=wtps,
    )
    best, strata = best_by_wtp(
        cands,
        sums,
        alive=alive,
        deltas=deltas,
        reps0=reps0,
        frontier=frontier,
        confidence=spec.confidence,
        seed=seed,
        paired=paired,
    )
    ceaf = draws = None
    psa_stats: dict[str, float] = {}
    if spec.psa_draws:
        means = {
            w: w * paired["paired_effect_per_patient"] - paired["paired_cost_per_patient"]
            for w in wtps
        }
        draws, ceaf, psa_stats = psa_over_designs(
            scenario,
            spec,
            cands,
            top_candidates(means, spec.psa_top),
            wtps=wtps,
            effect=effect,
            run=run,
        )
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
        indifference_per_patient={str(w): d for w, d in deltas.items()},
        tasks_run=int(stats["tasks"] + psa_stats.get("tasks", 0)),
        tasks_reused=int(stats["reused"] + psa_stats.get("reused", 0)),
        workers=workers or os.cpu_count(),
    )
    return DesignResult(scenario, spec, table, frontier, best, strata, ceaf, draws, record)
