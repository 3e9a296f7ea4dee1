"""The numbers of a report that sets scenarios side by side, read from their report folders.

Each scenario's full report is a sub-folder (``fupsim.pipeline.build_scenarios_report``
writes them); this module only reads those folders and derives, for each scenario, the
preferred protocol at each willingness to pay, its efficient sequence, and where the
scenarios disagree. With a PSA (``decision.csv``, ``frontier_psa.csv``) the preferred protocol
is the one with the highest expected net benefit over the draws and ICER intervals are PSA
percentiles; without one, both come from the run's means (``summary.csv``, ``icer.csv``) and
intervals are Monte Carlo intervals. :mod:`fupsim.report.multi` renders the page.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.labels import Effect
from fupsim.labels import effect as effect_of
from fupsim.scenario import Scenario, ScenarioError, scenario_from_dict
from fupsim.scenario.diff import diff_scenarios

__all__ = [
    "PSA_BASIS",
    "RUN_BASIS",
    "ScenarioFolder",
    "disagreements",
    "frontier_table",
    "load_scenario_folder",
    "plane_points",
    "preferred_table",
    "structural_differences",
]

PSA_BASIS = "parameter uncertainty (PSA percentiles)"
RUN_BASIS = "simulation error only (95% Monte Carlo interval; no PSA)"


@dataclass(frozen=True)
class ScenarioFolder:
    """One scenario's report folder, as the side-by-side page reads it.

    Attributes
    ----------
    folder : str
        The sub-folder's name (link target ``<folder>/index.html``).
    scenario : Scenario
        The resolved scenario, from the run's ``manifest.json``.
    manifest, psa_manifest : dict
        ``manifest.json`` and ``psa_manifest.json`` (None without a PSA).
    summary, icer : DataFrame
        ``summary.csv`` and ``icer.csv`` of the run.
    decision, frontier_psa : DataFrame or None
        ``decision.csv`` and ``frontier_psa.csv`` of the PSA.
    """

    folder: str
    scenario: Scenario
    manifest: dict[str, Any]
    psa_manifest: dict[str, Any] | None
    summary: pd.DataFrame
    icer: pd.DataFrame
    decision: pd.DataFrame | None
    frontier_psa: pd.DataFrame | None

    @property
    def name(self) -> str:
        """The scenario's own name (``meta.name``)."""
        return self.scenario.meta.name

    @property
    def effect(self) -> Effect:
        """The effect its ICERs are in (``analysis.effect``)."""
        return effect_of(getattr(self.scenario.analysis, "effect", None))

    @property
    def currency(self) -> str:
        return self.scenario.costs.currency

    @property
    def has_psa(self) -> bool:
        return self.decision is not None and self.frontier_psa is not None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def load_scenario_folder(folder: Path) -> ScenarioFolder:
    """Read one scenario's report folder (its run, comparison and, if present, PSA files)."""
    manifest = _read_json(folder / "manifest.json")
    try:
        if manifest is None:
            raise ValueError("no readable manifest.json")
        scenario = scenario_from_dict(manifest["scenario"])
        summary = pd.read_csv(folder / "summary.csv")
        icer = pd.read_csv(folder / "icer.csv")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ScenarioError(f"{folder}: not a fupsim report folder ({err})") from None
    psa = _read_json(folder / "psa_manifest.json")
    whole = psa is not None and all(
        (folder / f).is_file() for f in ("decision.csv", "frontier_psa.csv")
    )
    return ScenarioFolder(
        folder=folder.name,
        scenario=scenario,
        manifest=manifest,
        psa_manifest=psa if whole else None,
        summary=summary,
        icer=icer,
        decision=pd.read_csv(folder / "decision.csv") if whole else None,
        frontier_psa=pd.read_csv(folder / "frontier_psa.csv") if whole else None,
    )


def _run_preferred(sf: ScenarioFolder) -> pd.DataFrame:
    """Preferred protocol at each decision WTP from the run's mean costs and effects."""
    eff = sf.effect
    s = sf.summary
    effect = s[eff.summary] / eff.summary_scale
    rows = []
    for wtp in sf.scenario.analysis.willingness_to_pay:
        nb = float(wtp) * effect - s["cost_per_patient"]
        best = int(nb.to_numpy().argmax())  # the first of equals, in scenario order
        rows.append(
            {
                "wtp": float(wtp),
                "best_protocol": str(s["protocol"].iloc[best]),
                "probability_cost_effective": math.nan,
                "expected_net_benefit": float(nb.iloc[best]),
            }
        )
    return pd.DataFrame(rows)


def preferred_table(folders: list[ScenarioFolder]) -> pd.DataFrame:
    """The preferred protocol of every scenario at each of its decision WTPs (long table).

    Returns
    -------
    DataFrame
        ``scenario``, ``wtp`` (currency per unit of effect), ``best_protocol``,
        ``probability_cost_effective`` (share of PSA draws; NaN without a PSA),
        ``expected_net_benefit`` (currency per person), ``basis`` ("psa" or "run means").
    """
    parts = []
    for sf in folders:
        if sf.has_psa:
            assert sf.decision is not None
            cols = ["wtp", "best_protocol", "probability_cost_effective", "expected_net_benefit"]
            part = sf.decision[cols].assign(basis="psa")
        else:
            part = _run_preferred(sf).assign(basis="run means")
        parts.append(part.assign(scenario=sf.name))
    out = pd.concat(parts, ignore_index=True)
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]]


def frontier_table(folders: list[ScenarioFolder]) -> pd.DataFrame:
    """Each scenario's efficient sequence, least costly first, with each step's ICER interval.

    Returns
    -------
    DataFrame
        ``scenario``, ``position`` (1 = least costly efficient protocol), ``protocol``,
        ``compared_with``, ``cost_per_patient`` and ``effect_per_patient`` (means; PSA means
        with a PSA), ``icer`` (currency per unit of effect), ``icer_low``, ``icer_high``
        (PSA 2.5th/97.5th percentiles, or the 95% Monte Carlo interval without a PSA) and
        ``interval`` (what the interval covers).
    """
    rows = []
    for sf in folders:
        eff_col = sf.effect.per_person
        if sf.has_psa:
            assert sf.frontier_psa is not None
            table, low, high, basis = sf.frontier_psa, "icer_p2_5", "icer_p97_5", PSA_BASIS
        else:
            table, low, high, basis = sf.icer, "icer_ci_low", "icer_ci_high", RUN_BASIS
        front = table[table["status"] == "frontier"].sort_values("cost_per_patient")
        for k, (_, r) in enumerate(front.iterrows(), start=1):
            first = k == 1
            rows.append(
                {
                    "scenario": sf.name,
                    "position": k,
                    "protocol": str(r["protocol"]),
                    "compared_with": "" if first else str(r["compared_with"]),
                    "cost_per_patient": float(r["cost_per_patient"]),
                    "effect_per_patient": float(r[eff_col]) if eff_col in r else math.nan,
                    "icer": math.nan if first else float(r["icer"]),
                    "icer_low": math.nan if first else float(r.get(low, math.nan)),
                    "icer_high": math.nan if first else float(r.get(high, math.nan)),
                    "interval": "" if first else basis,
                }
            )
    return pd.DataFrame(rows)


def plane_points(folders: list[ScenarioFolder]) -> pd.DataFrame:
    """Every protocol's mean cost and effect, relative to its scenario's least costly
    efficient protocol (PSA means with a PSA, else the run's means).

    Returns
    -------
    DataFrame
        ``scenario``, ``protocol``, ``status`` (frontier, dominated, extendedly dominated),
        ``incremental_cost_per_patient`` (currency), ``incremental_effect_per_patient``.
    """
    parts = []
    for sf in folders:
        table = sf.frontier_psa if sf.has_psa else sf.icer
        assert table is not None
        eff = sf.effect.per_person
        front = table[table["status"] == "frontier"].sort_values("cost_per_patient")
        if front.empty or eff not in table:
            continue
        origin = front.iloc[0]
        parts.append(
            pd.DataFrame(
                {
                    "scenario": sf.name,
                    "protocol": table["protocol"].astype(str),
                    "status": table["status"].astype(str),
                    "incremental_cost_per_patient": table["cost_per_patient"]
                    - float(origin["cost_per_patient"]),
                    "incremental_effect_per_patient": table[eff] - float(origin[eff]),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def disagreements(preferred: pd.DataFrame) -> tuple[list[dict[str, Any]], list[float]]:
    """Where the scenarios' preferred protocols differ, at the WTPs every scenario decides at.

    Returns
    -------
    (list of dict, list of float)
        For each common WTP at which at least two scenarios prefer different protocols:
        ``{"wtp": w, "choices": [(scenario, protocol, probability), ...]}`` in scenario
        order; and the common WTPs at which they all agree.
    """
    names = list(dict.fromkeys(preferred["scenario"]))
    by = {n: preferred[preferred["scenario"] == n].set_index("wtp") for n in names}
    common = sorted(set.intersection(*(set(t.index) for t in by.values())))
    differ, agree = [], []
    for w in common:
        choices = [
            (
                n,
                str(by[n].loc[w, "best_protocol"]),
                float(by[n].loc[w, "probability_cost_effective"]),
            )
            for n in names
        ]
        if len({c[1] for c in choices}) > 1:
            differ.append({"wtp": float(w), "choices": choices})
        else:
            agree.append(float(w))
    return differ, agree


def _kind(key: str) -> str:
    if key.startswith("meta.") or key.endswith((".source", ".description")):
        return "label or source note (not a model input)"
    if key.startswith("simulation."):
        return "run setting (size, seed, horizon)"
    if key.startswith("uncertainty."):
        return "parameter uncertainty (range or PSA distribution)"
    if key.startswith(("analysis.", "sweep.", "design.")):
        return "analysis setting"
    return "structural: model input"


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def structural_differences(folders: list[ScenarioFolder]) -> pd.DataFrame:
    """Every resolved key in which a scenario differs from the first one.

    :func:`fupsim.scenario.diff_scenarios` of the first scenario against each other one.

    Returns
    -------
    DataFrame
        ``scenario`` (the other one), ``key``, ``kind`` (structural model input, parameter
        uncertainty, run or analysis setting, label), ``value_first``, ``value_scenario``,
        ``source``, ``confidence`` (of the other scenario's value, from its
        ``[uncertainty]`` table when one covers the key).
    """
    first = folders[0]
    rows = []
    for sf in folders[1:]:
        for d in diff_scenarios(first.scenario, sf.scenario):
            rows.append(
                {
                    "scenario": sf.name,
                    "key": d.key,
                    "kind": _kind(d.key),
                    "value_first": _shown(d.a),
                    "value_scenario": _shown(d.b),
                    "source": d.source_b or "",
                    "confidence": d.confidence_b or "",
                }
            )
    cols = ["scenario", "key", "kind", "value_first", "value_scenario", "source", "confidence"]
    return pd.DataFrame(rows, columns=cols)
