"""A finished PSA as a result that owns its files: decision table, curves, EVPI, EVPPI, frontier.

:func:`psa_outputs` turns the per-draw table (one row per draw × protocol) into every table a
health economist expects, in the scenario's effect (``analysis.effect``, QALYs by default):

- ``decision.csv`` — at each decision WTP: the protocol with the highest expected net benefit,
  its probability of being cost-effective, expected net benefit with its 2.5th and 97.5th
  percentiles over draws (parameter uncertainty), EVPI per person and for the population;
- ``ceac.csv``, ``ceaf.csv``, ``expected_loss.csv``, ``evpi.csv`` — curves over the WTP grid;
- ``evppi.csv`` — EVPPI per named group and per parameter (:func:`fupsim.voi.evppi_table`);
- ``frontier_psa.csv`` — the efficient sequence of the mean costs and effects, each step's
  ICER with a PSA percentile interval (see :func:`frontier_psa`).

:class:`PsaResult` writes them all (``write``, through :mod:`fupsim.output`, all or nothing)
and :func:`load_psa` reads a folder back, checking it is whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fupsim import voi
from fupsim.economics import icer_table, nmb_column
from fupsim.output import atomic_directory, write_json
from fupsim.scenario import ScenarioError
from fupsim.sensitivity.psa_evppi import evppi_by_group

__all__ = [
    "DECISION_COLUMNS",
    "PsaResult",
    "curve_wtp",
    "frontier_psa",
    "icer_interval",
    "load_psa",
    "parameter_columns",
    "psa_outputs",
]

DECISION_COLUMNS = (
    "wtp",
    "best_protocol",
    "probability_cost_effective",
    "expected_net_benefit",
    "net_benefit_p2_5",
    "net_benefit_p97_5",
    "evpi_per_person",
    "population_evpi",
)
"""Columns of ``decision.csv`` (then ``evpi_corrected``, ``noise_share``, ``noise_flag``)."""

CURVE_POINTS = 51
"""WTP points of the default curves (0 to the largest decision WTP, evenly spaced)."""

EFFECT_UNITS = {
    "qalys_per_patient": "QALY",
    "life_years_per_patient": "life-year",
    "screen_detected_per_patient": "screen-detected change",
}


def curve_wtp(decision_wtp: Sequence[float], points: int = CURVE_POINTS) -> np.ndarray:
    """Default WTP grid for curves: ``points`` even steps from 0 to the largest decision value,
    plus the decision values themselves (sorted, distinct)."""
    top = float(max(decision_wtp))
    grid = np.linspace(0.0, top, points) if top > 0 else np.zeros(1)
    return np.unique(np.concatenate([grid, np.asarray(decision_wtp, dtype=float)]))


def parameter_columns(table: pd.DataFrame, key: str) -> list[str]:
    """Columns of ``psa.csv`` holding one drawn parameter: the key itself, or a Dirichlet's
    share columns ``key.<name>`` less the last (the shares sum to 1, so it adds nothing)."""
    if key in table.columns:
        return [key]
    shares = [c for c in table.columns if c.startswith(key + ".")]
    return shares[:-1] if len(shares) > 1 else shares


def icer_interval(
    d_cost: np.ndarray, d_effect: np.ndarray, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of an ICER from PSA draws of incremental cost and effect.

    The bounds are the WTP values λ at which the share of draws with ``λ Δe − Δc ≥ 0`` first
    reaches ``(1 − level)/2`` and ``(1 + level)/2`` (searched over λ ≥ 0 at the draws' own
    ratios). When every draw has ``Δe > 0`` this is the percentile interval of the per-draw
    ratios (inverted empirical CDF); unlike the ratio it stays meaningful when some draws have
    ``Δe ≤ 0``. A bound never reached is ``inf``.

    Returns
    -------
    (float, float)
        Lower and upper bound, currency per unit of effect.
    """
    dc, de = np.asarray(d_cost, dtype=float), np.asarray(d_effect, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = dc / de
    cand = np.unique(np.concatenate([[0.0], ratios[np.isfinite(ratios) & (ratios >= 0)]]))
    share = ((cand[:, None] * de[None, :] - dc[None, :]) >= -1e-12 * np.abs(dc)).mean(axis=1)
    out = []
    for q in ((1 - level) / 2, (1 + level) / 2):
        hit = np.nonzero(share >= q - 1e-12)[0]
        out.append(float(cand[hit[0]]) if len(hit) else float("inf"))
    return out[0], out[1]


def frontier_psa(table: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Efficient sequence of the PSA's mean costs and effects, with PSA intervals per step.

    Dominance follows :func:`fupsim.economics.icer_table` on the means over draws. Each
    frontier step's ICER (against the previous frontier protocol) gets a percentile interval
    from the draws (:func:`icer_interval`), and its incremental cost and effect their 2.5th and
    97.5th percentiles; ``share_effect_not_positive`` is the share of draws in which the step
    gains no effect.
    """
    means = table.groupby("protocol", sort=False)[["cost_per_patient", effect]].mean()
    front = icer_table(means.reset_index(), effect=effect)
    wide_c = table.pivot(index="draw", columns="protocol", values="cost_per_patient")
    wide_e = table.pivot(index="draw", columns="protocol", values=effect)
    extra: dict[str, list[float]] = {
        k: []
        for k in (
            "icer_p2_5",
            "icer_p97_5",
            "incremental_cost_p2_5",
            "incremental_cost_p97_5",
            "incremental_effect_p2_5",
            "incremental_effect_p97_5",
            "share_effect_not_positive",
        )
    }
    for _, row in front.iterrows():
        ref = row["compared_with"]
        if row["status"] != "frontier" or ref is None or pd.isna(ref):
            for v in extra.values():
                v.append(np.nan)
            continue
        dc = (wide_c[row["protocol"]] - wide_c[ref]).to_numpy()
        de = (wide_e[row["protocol"]] - wide_e[ref]).to_numpy()
        lo, hi = icer_interval(dc, de)
        extra["icer_p2_5"].append(lo)
        extra["icer_p97_5"].append(hi)
        for name, d in (("incremental_cost", dc), ("incremental_effect", de)):
            p = np.percentile(d, [2.5, 97.5])
            extra[f"{name}_p2_5"].append(float(p[0]))
            extra[f"{name}_p97_5"].append(float(p[1]))
        extra["share_effect_not_positive"].append(float((de <= 0).mean()))
    for k, v in extra.items():
        front[k] = v
    return front


def _groups(
    table: pd.DataFrame, named: Mapping[str, Sequence[str]], keys: Sequence[str]
) -> dict[str, list[str]]:
    """EVPPI groups: the named groups, then one per drawn parameter (columns of psa.csv)."""
    out: dict[str, list[str]] = {}
    for name, members in named.items():
        cols = [c for m in members for c in parameter_columns(table, m)]
        if cols:
            out[name] = cols
    for key in keys:
        cols = parameter_columns(table, key)
        if cols and key not in out:
            out[key] = cols
    return out


def psa_outputs(
    table: pd.DataFrame,
    *,
    effect: str,
    decision_wtp: Sequence[float],
    curve_wtp_values: Sequence[float] | None = None,
    reference: str | None = None,
    noise_per_person: np.ndarray | None = None,
    people_per_draw: float | None = None,
    population: float | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    parameters: Sequence[str] = (),
    evppi_options: Mapping[str, Any] | None = None,
    workers: int | None = 1,
    comparator_reference: str | None = None,
    no_follow_up: Sequence[str] = (),
) -> dict[str, pd.DataFrame]:
    """Every PSA table from the per-draw table.

    Parameters
    ----------
    table : DataFrame
        One row per draw × protocol with ``cost_per_patient`` and the effect column.
    effect : str
        Effect column per person (e.g. ``qalys_per_patient``).
    decision_wtp : sequence of float
        WTP values of ``decision.csv`` and ``evppi.csv`` (currency per unit of effect).
    curve_wtp_values : sequence of float, optional
        WTP grid of the curves (default :func:`curve_wtp`).
    reference : str, optional
        Reference protocol for incremental net benefit (default: the first).
    noise_per_person : ndarray, optional
        Per-person variance components of each protocol's incremental cost and effect against
        the reference, shape (options, 3): var Δc, var Δe, cov(Δc, Δe) per person (currency²,
        effect², currency × effect). With ``people_per_draw`` it gives the within-draw noise
        variance of incremental net benefit, ``(w² vE − 2w cCE + vC) / people``.
    people_per_draw : float, optional
        People whose outcomes average into each draw's per-person values.
    population : float, optional
        Discounted people affected over the decision horizon; adds population values.
    groups : mapping, optional
        EVPPI groups (name → dotted keys with a psa distribution).
    parameters : sequence of str
        Drawn parameters, each also given its own EVPPI row.
    evppi_options : mapping, optional
        Passed to :func:`fupsim.voi.evppi_table` (``method``, ``se_samples``; ``rng``, an
        int seed, roots each group's own stream: see :func:`evppi_by_group`).
    workers : int, optional
        Local processes for EVPPI (groups are independent; default 1, in this process;
        None: all cores). The numbers do not depend on it.
    comparator_reference, no_follow_up : optional
        The scenario's ``analysis.reference_protocol`` (None when unset) and its protocols
        without scans: ``decision.csv``'s incremental net benefit of the preferred protocol is
        against :func:`fupsim.voi.tables.comparator` of these.

    Returns
    -------
    dict
        File name → table, for ``decision.csv``, ``ceac.csv``, ``ceaf.csv``,
        ``expected_loss.csv``, ``evpi.csv``, ``evppi.csv``, ``frontier_psa.csv``.
    """
    arrays = voi.psa_arrays(table, effect=effect)
    options = [str(o) for o in arrays.options]
    ref = 0 if reference is None else options.index(reference)
    dec_w = voi.decision.wtp_values(decision_wtp)
    cur_w = voi.decision.wtp_values(
        curve_wtp(list(dec_w)) if curve_wtp_values is None else curve_wtp_values
    )

    def noise(w: np.ndarray) -> np.ndarray | None:
        if noise_per_person is None or not people_per_draw:
            return None
        vc, ve, cce = (noise_per_person[:, k][:, None] for k in range(3))
        var = (w[None, :] ** 2 * ve - 2 * w[None, :] * cce + vc) / float(people_per_draw)
        return np.clip(var, 0.0, None)[None, :, :]

    out: dict[str, pd.DataFrame] = {}
    for name, w in (("decision", dec_w), ("curves", cur_w)):
        nb = voi.net_benefit(arrays.costs, arrays.effects, w)
        dt = voi.decision_table(
            nb, w, options, noise_var=noise(w), reference=ref, population=population
        )
        dt = dt.rename(
            columns={
                "option": "best_protocol",
                "net_benefit_lower": "net_benefit_p2_5",
                "net_benefit_upper": "net_benefit_p97_5",
                "evpi": "evpi_per_person",
            }
        )
        if "population_evpi" not in dt:
            dt["population_evpi"] = np.nan
        rest = [c for c in dt.columns if c not in DECISION_COLUMNS]
        dt = dt[list(DECISION_COLUMNS) + rest]
        if name == "decision":
            out["decision.csv"] = dt.merge(
                voi.tables.incremental_decision(
                    table,
                    w,
                    effect=effect,
                    reference=comparator_reference,
                    no_follow_up=list(no_follow_up),
                ),
                on=["wtp", "best_protocol"],
                how="left",
                validate="1:1",
            )
            continue
        curves = voi.curves_table(nb, w, options).rename(columns={"option": "protocol"})
        out["ceac.csv"] = curves[["wtp", "protocol", "probability", "on_frontier"]]
        front = curves[curves["on_frontier"]]
        out["ceaf.csv"] = front[["wtp", "protocol", "probability", "expected_net_benefit"]]
        out["expected_loss.csv"] = curves[["wtp", "protocol", "expected_loss"]]
        evpi_cols = ["wtp", "evpi_per_person", "population_evpi"]
        evpi_cols += [c for c in ("evpi_corrected", "noise_share", "noise_flag") if c in dt]
        out["evpi.csv"] = dt[evpi_cols]
    for k in list(out):
        out[k] = out[k].reset_index(drop=True)
    chosen = _groups(table, groups or {}, parameters)
    if chosen:
        ev = evppi_by_group(
            table,
            chosen,
            dec_w,
            effect=effect,
            reference=options[ref],
            workers=workers,
            **dict(evppi_options or {}),
        )
        ev["population_evppi"] = ev["evppi_per_person"] * population if population else np.nan
        out["evppi.csv"] = ev
    else:
        out["evppi.csv"] = pd.DataFrame(columns=list(voi.EVPPI_COLUMNS))
    out["frontier_psa.csv"] = frontier_psa(table, effect)
    return out


def nb_columns(table: pd.DataFrame, effect: str, wtp: Sequence[float]) -> pd.DataFrame:
    """Add ``nmb_<wtp>`` net-benefit columns (currency per person) after the effect column."""
    out = table.copy()
    at = list(out.columns).index(effect) + 1
    for i, w in enumerate(wtp):
        out.insert(at + i, nmb_column(w), float(w) * out[effect] - out["cost_per_patient"])
    return out


@dataclass(frozen=True)
class PsaResult:
    """A finished PSA and every table derived from it.

    Attributes
    ----------
    table : DataFrame
        ``psa.csv``: one row per draw × protocol: cost, effect and net benefit per person at
        each decision WTP, the other summary metrics and the drawn values.
    tables : dict
        File name → table for the derived files (:func:`psa_outputs`).
    effect : str
        Effect column (``qalys_per_patient``, ``life_years_per_patient`` or
        ``screen_detected_per_patient``).
    manifest : dict
        ``psa_manifest.json`` (:func:`fupsim.output.manifest`: scenario hash, seed, sizes) with
        the WTP values, the noise check and the population factor.
    stats : dict
        Run statistics of the point runner.
    """

    table: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    effect: str
    manifest: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)

    FILES: ClassVar[dict[str, str]] = {
        "psa.csv": "one row per draw x protocol: cost, effect and net benefit per person at "
        "each decision WTP, the other summary metrics, the drawn values",
        "decision.csv": "per decision WTP: the protocol with the highest expected net benefit, "
        "its probability of being cost-effective, expected net benefit with 2.5th-97.5th "
        "percentiles, EVPI per person and for the population, the noise check",
        "ceac.csv": "acceptability curves over the WTP grid, with the frontier protocol",
        "ceaf.csv": "the acceptability frontier over the WTP grid",
        "expected_loss.csv": "expected loss of each protocol over the WTP grid",
        "evpi.csv": "EVPI per person and for the population over the WTP grid",
        "evppi.csv": "EVPPI per named group and per parameter at each decision WTP, with SE",
        "frontier_psa.csv": "the efficient sequence of mean costs and effects, ICERs with PSA "
        "percentile intervals",
        "psa_manifest.json": "scenario and its content hash, seed, size, WTP values, noise "
        "check, population factor, run statistics",
    }
    FIGURES: ClassVar[tuple[str, ...]] = (
        "ceac.png",
        "ceaf.png",
        "expected_loss.png",
        "ce_plane.png",
        "evppi.png",
    )

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.table if name == "psa.csv" else self.tables[name]

    @property
    def ceac(self) -> pd.DataFrame:
        """Acceptability curves: ``wtp, protocol, probability, on_frontier``."""
        return self.tables["ceac.csv"]

    @property
    def evpi(self) -> pd.DataFrame:
        """EVPI per person over the WTP grid (``evpi_per_person`` etc.)."""
        return self.tables["evpi.csv"]

    @property
    def decision(self) -> pd.DataFrame:
        """The decision table (``decision.csv``)."""
        return self.tables["decision.csv"]

    def summary(self) -> pd.DataFrame:
        """The decision table: one row per decision WTP (see :data:`DECISION_COLUMNS`)."""
        return self.decision.copy()

    def write(self, out: str | Path, *, extra: Callable[[Path], Any] | None = None) -> Path:
        """Write every file as one unit, atomically.

        ``extra(folder)`` adds more files to the folder being built (the command's figures:
        results do not draw). Files already in ``out`` that are not replaced (the point
        store, a report) are kept.
        """
        with atomic_directory(out, force=True) as tmp:
            self.table.to_csv(tmp / "psa.csv", index=False)
            for name, frame in self.tables.items():
                frame.to_csv(tmp / name, index=False)
            if extra is not None:
                extra(tmp)
            write_json(tmp / "psa_manifest.json", self.manifest)
        return Path(out)


def load_psa(folder: str | Path) -> PsaResult:
    """Read a PSA folder written by :meth:`PsaResult.write`.

    Raises
    ------
    ScenarioError
        If a file is missing or unreadable (names it).
    """
    folder = Path(folder)
    missing = [f for f in PsaResult.FILES if not (folder / f).is_file()]
    if missing:
        raise ScenarioError(
            f"{folder}: not a whole PSA folder; missing {', '.join(missing)} (rerun fupsim psa)"
        )
    try:
        record = json.loads((folder / "psa_manifest.json").read_text(encoding="utf-8"))
        table = pd.read_csv(folder / "psa.csv")
        tables = {
            f: pd.read_csv(folder / f)
            for f in PsaResult.FILES
            if f.endswith(".csv") and f != "psa.csv"
        }
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{folder}: cannot read the PSA files ({err})") from None
    return PsaResult(
        table=table,
        tables=tables,
        effect=str(record.get("effect", "qalys_per_patient")),
        manifest=record,
        stats=dict(record.get("stats") or {}),
    )
