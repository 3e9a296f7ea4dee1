"""Pieces the sensitivity analyses share: the effect, the outcome settings, per-point outcomes.

The sweep, one-way, PSA and Sobol analyses are siblings over the point runner
(:mod:`fupsim.sensitivity.runner`); what more than one of them needs lives here:

- the effect column of net benefit (``analysis.effect``: QALYs by default) and the reference
  willingness to pay (:func:`effect_column`, :func:`add_effect`, :func:`reference_wtp`);
- what to rank by (:class:`OwsaSettings`, :func:`settings_for`), the parameters with a
  one-way range (:func:`owsa_parameters`), and the outcomes of one point per protocol
  (:func:`outcome_table`):

  - ``cost_per_patient`` (currency) and ``screen_detected_per_1000``;
  - ``net_monetary_benefit`` = WTP × effect − cost per patient (currency);
  - ``incremental_cost_per_detection``: (cost − comparator's cost) / (effect − comparator's
    effect), currency per additional unit of effect (the ICER in ``analysis.effect``: per
    QALY by default; the name is kept from when the effect was screen-detected changes);
  - ``incremental_net_benefit``: net monetary benefit minus the comparator's (currency per
    person), the default outcome to rank by;
  - ``preferred_protocol``: the protocol with the highest net monetary benefit at the WTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fupsim.errors import ParameterError
from fupsim.labels import EFFECTS as LABEL_EFFECTS
from fupsim.scenario import SWEEP_OUTCOMES, Scenario, ScenarioError

__all__ = [
    "EFFECTS",
    "EFFECT_COLUMNS",
    "OwsaSettings",
    "add_effect",
    "effect_column",
    "outcome_table",
    "owsa_parameters",
    "reference_wtp",
    "settings_for",
]


EFFECT_COLUMNS = {name: e.per_person for name, e in LABEL_EFFECTS.items()}
"""Per-person column of each ``analysis.effect`` choice (from :data:`fupsim.labels.EFFECTS`)."""
EFFECTS = tuple(EFFECT_COLUMNS.values())
"""Effect columns net benefit can use (per person): discounted QALYs, discounted life-years,
or screen-detected changes."""


def effect_column(scenario: Scenario) -> str:
    """The effect column net benefit uses: ``analysis.effect`` (QALYs by default).

    Raises
    ------
    ScenarioError
        If the scenario still sets ``sweep.effect``, which ``analysis.effect`` supersedes.
    """
    sw = scenario.sweep
    if sw is not None and "effect" in sw.model_fields_set:
        raise ScenarioError(
            f"sweep.effect = {sw.effect!r}: superseded by analysis.effect (one of "
            f"{', '.join(EFFECT_COLUMNS)}); remove sweep.effect and set analysis.effect"
        )
    return EFFECT_COLUMNS[scenario.analysis.effect]


def add_effect(summary: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Add the per-person effect column to one point's summary (one row per protocol)."""
    out = summary.copy()
    if effect == "screen_detected_per_patient":
        out[effect] = out["screen_detected_per_1000"] / 1000.0
    elif effect not in EFFECTS:
        raise ScenarioError(f"effect {effect!r}: not one of {', '.join(EFFECTS)}")
    elif effect not in out.columns:
        raise ScenarioError(f"effect {effect!r}: the simulation summary has no such column")
    return out


def reference_wtp(scenario: Scenario) -> float:
    """The reference WTP (tornado, size rule, CE plane): ``sweep.wtp``, else the middle value
    of the sorted ``analysis.willingness_to_pay``."""
    sw = scenario.sweep
    if sw is not None and sw.wtp is not None:
        return float(sw.wtp)
    values = sorted(scenario.analysis.willingness_to_pay)
    return float(values[len(values) // 2])


@dataclass(frozen=True)
class OwsaSettings:
    """What to rank by: outcome, protocol, comparator, willingness to pay and effect."""

    outcome: str
    protocol: str
    comparator: str
    wtp: float
    effect: str


def settings_for(
    scenario: Scenario,
    *,
    outcome: str | None = None,
    protocol: str | None = None,
    comparator: str | None = None,
    wtp: float | None = None,
) -> OwsaSettings:
    """Fill unset choices from ``[sweep]``, then defaults.

    Defaults: outcome ``incremental_net_benefit`` (of the protocol against the comparator, at
    the reference WTP); protocol ``analysis.reference_protocol`` (else the first); comparator
    the last protocol of the scenario; WTP the middle value of the sorted
    ``analysis.willingness_to_pay``.

    Raises
    ------
    ScenarioError
        For an unknown outcome or protocol, or a protocol equal to its comparator.
    """
    sw = scenario.sweep
    names = scenario.protocol_names
    set_outcome = sw.outcome if sw is not None and "outcome" in sw.model_fields_set else None
    outcome = outcome or set_outcome or "incremental_net_benefit"
    if outcome not in SWEEP_OUTCOMES:
        raise ParameterError("outcome", repr(outcome), f"not one of {', '.join(SWEEP_OUTCOMES)}")
    protocol = (
        protocol
        or (sw.protocol if sw else None)
        or scenario.analysis.reference_protocol
        or names[0]
    )
    fallback = names[-1] if names[-1] != protocol or len(names) == 1 else names[0]
    comparator = comparator or (sw.comparator if sw else None) or fallback
    for opt, name in (("protocol", protocol), ("comparator", comparator)):
        if name not in names:
            raise ParameterError(opt, repr(name), f"not one of {', '.join(names)}")
    if outcome in ("incremental_cost_per_detection", "incremental_net_benefit") and (
        protocol == comparator
    ):
        raise ParameterError(
            "comparator", repr(comparator), f"must differ from the protocol ({protocol!r})"
        )
    if wtp is None:
        wtp = sw.wtp if sw and sw.wtp is not None else None
    if wtp is None:
        values = sorted(scenario.analysis.willingness_to_pay)
        if not values:
            raise ScenarioError("analysis.willingness_to_pay: empty; give a wtp value")
        wtp = values[len(values) // 2]
    if not np.isfinite(wtp) or wtp < 0:
        raise ParameterError("wtp", f"{wtp}", "must be a finite number of 0 or more")
    return OwsaSettings(outcome, protocol, comparator, float(wtp), effect_column(scenario))


def owsa_parameters(
    scenario: Scenario, keys: Sequence[str] | None = None
) -> dict[str, tuple[float, float]]:
    """Parameters with a one-way ``range`` (all, or those named in ``keys``), key → (low, high).

    Raises
    ------
    ScenarioError
        If a named key has no range, or no parameter has one.
    """
    ranged = {k: u.range for k, u in scenario.uncertainty.items() if u.range is not None}
    if keys:
        missing = [k for k in keys if k not in ranged]
        if missing:
            raise ParameterError(
                "parameters", missing[0], "has no range in the scenario's uncertainty tables"
            )
        ranged = {k: ranged[k] for k in keys}
    if not ranged:
        raise ScenarioError("uncertainty: no parameter has a range; nothing to vary one way")
    return {k: (float(v[0]), float(v[1])) for k, v in ranged.items() if v is not None}


def outcome_table(summary: pd.DataFrame, settings: OwsaSettings) -> pd.DataFrame:
    """Per-protocol outcomes of one point (see the module docstring for definitions)."""
    t = add_effect(summary, settings.effect)
    eff, cost = t[settings.effect].to_numpy(), t["cost_per_patient"].to_numpy()
    comp = t.index[t["protocol"] == settings.comparator][0]
    with np.errstate(divide="ignore", invalid="ignore"):
        icer = (cost - cost[comp]) / (eff - eff[comp])
    nmb = settings.wtp * eff - cost
    return pd.DataFrame(
        {
            "protocol": t["protocol"],
            "cost_per_patient": cost,
            "screen_detected_per_1000": t["screen_detected_per_1000"],
            settings.effect: eff,
            "net_monetary_benefit": nmb,
            "incremental_net_benefit": nmb - nmb[comp],
            "incremental_cost_per_detection": np.where(np.isfinite(icer), icer, np.nan),
            "preferred_protocol": t["protocol"].iloc[int(np.argmax(nmb))],
        }
    )
