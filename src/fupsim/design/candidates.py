"""Candidate schedules: the families of :class:`~fupsim.design.spec.DesignSpec` as protocols.

Every candidate is an ordinary :class:`fupsim.scenario.Protocol`, so the engine plays it like
any protocol of a scenario. Candidates that would schedule the same nominal visit days with
the same stop rule are the same policy and are kept once (the first one named wins; the
scenario's own protocols come first and keep their names).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fupsim.design.spec import FAMILIES, DesignSpec
from fupsim.protocol import nominal_day
from fupsim.scenario import Protocol, Scenario, ScenarioError

__all__ = [
    "CANDIDATE_COLUMNS",
    "Candidate",
    "candidate_table",
    "generate_candidates",
    "stepped_visits",
]

CANDIDATE_COLUMNS: dict[str, str] = {
    "candidate": "candidate name (the scenario's own protocols keep theirs)",
    "family": "regular, lists, stepped, none or article",
    "article": "True for the scenario's own protocols (the article's schedules)",
    "interval_months": "regular family: months between scans (stepped: the first interval)",
    "duration_months": "regular and stepped families: last month a scan may fall due",
    "visits_months": "nominal visit months, space-separated",
    "stop_after_stable": "stop after this many consecutive negative scans (empty: never)",
    "visits": "scheduled visits per person",
}


@dataclass(frozen=True)
class Candidate:
    """One candidate schedule and where it came from."""

    protocol: Protocol
    family: str
    interval_months: float | None = None
    duration_months: float | None = None
    article: bool = False

    @property
    def name(self) -> str:
        """The candidate's (protocol's) name."""
        return self.protocol.name


def _g(x: float) -> str:
    return f"{x:g}"


def _durations(spec: DesignSpec, horizon: float) -> list[float]:
    durations = spec.durations_months
    if durations is None:
        durations = [d for d in (6.0, 12.0, 18.0, 24.0, 36.0, 48.0, 60.0) if d <= horizon]
    if not durations:
        raise ScenarioError("design.durations_months = []: empty family; give durations, e.g. [24]")
    return list(durations)


def _regular(spec: DesignSpec, horizon: float) -> list[Candidate]:
    durations = _durations(spec, horizon)
    if not spec.intervals_months:
        raise ScenarioError(
            "design.intervals_months = []: empty family; give intervals, e.g. [3, 6]"
        )
    out = []
    for duration in durations:
        for interval in spec.intervals_months:
            if interval > duration + 1e-9:
                continue
            n = math.floor(duration / interval + 1e-9)
            visits = [interval * k for k in range(1, n + 1)]
            name = f"q{_g(interval)}m-{_g(duration)}m"
            out.append(
                Candidate(
                    Protocol(name=name, visits_months=visits),
                    "regular",
                    interval_months=interval,
                    duration_months=duration,
                )
            )
    if not out:
        raise ScenarioError(
            f"design.intervals_months = {spec.intervals_months}: empty family (no interval is "
            f"within a duration of {durations}); give intervals no longer than a duration"
        )
    return out


def _lists(spec: DesignSpec) -> list[Candidate]:
    if not spec.visit_lists_months:
        raise ScenarioError(
            "design.visit_lists_months = []: empty family; give lists, e.g. [[3, 6, 12, 24]]"
        )
    return [
        Candidate(
            Protocol(name="v" + "-".join(_g(m) for m in lst), visits_months=list(lst)), "lists"
        )
        for lst in spec.visit_lists_months
    ]


def stepped_visits(first: float, after: int, then: float, duration: float) -> list[float]:
    """Visit months of a stepped schedule: every ``first`` months for ``after`` scans, then
    every ``then`` months while within ``duration``.

    Examples
    --------
    >>> stepped_visits(3, 2, 12, 36)
    [3.0, 6.0, 18.0, 30.0]
    """
    early = [first * k for k in range(1, after + 1) if first * k <= duration + 1e-9]
    start = early[-1] if early else 0.0
    late = []
    t = start + then
    while t <= duration + 1e-9:
        late.append(t)
        t += then
    return [float(v) for v in (*early, *late)]


def _stepped(spec: DesignSpec, horizon: float) -> list[Candidate]:
    for field in ("stepped_first_months", "stepped_after_scans", "stepped_then_months"):
        if not getattr(spec, field):
            raise ScenarioError(
                f"design.{field} = []: empty family; give values, e.g. "
                + {"stepped_first_months": "[3]", "stepped_after_scans": "[2]"}.get(field, "[12]")
            )
    out = []
    for duration in _durations(spec, horizon):
        for first in spec.stepped_first_months:
            for after in spec.stepped_after_scans:
                for then in spec.stepped_then_months:
                    if then <= first or first * after >= duration - 1e-9:
                        continue  # no step (not longer), or no scan after the step
                    visits = stepped_visits(first, after, then, duration)
                    name = f"s{_g(first)}m-x{after}-{_g(then)}m-{_g(duration)}m"
                    out.append(
                        Candidate(
                            Protocol(name=name, visits_months=visits),
                            "stepped",
                            interval_months=first,
                            duration_months=duration,
                        )
                    )
    if not out:
        raise ScenarioError(
            f"design.stepped_then_months = {spec.stepped_then_months}: empty family (no later "
            "interval is longer than a first interval with a scan left before a duration); "
            "give a longer later interval or a longer duration"
        )
    return out


def _check_horizon(spec: DesignSpec, horizon: float) -> None:
    """A scan due after the outcome/follow-up horizon could never be simulated."""
    for field, values in (
        ("durations_months", spec.durations_months or []),
        ("visit_lists_months", [max(v) for v in spec.visit_lists_months]),
    ):
        if not {"regular", "stepped"} & set(spec.families) and field == "durations_months":
            continue
        if "lists" not in spec.families and field == "visit_lists_months":
            continue
        late = [v for v in values if v > horizon + 1e-9]
        if late:
            raise ScenarioError(
                f"design.{field}: {late[0]:g} months is beyond simulation.horizon_months = "
                f"{horizon:g}; give at most {horizon:g} or lengthen the horizon"
            )


def generate_candidates(scenario: Scenario, spec: DesignSpec) -> list[Candidate]:
    """Every distinct candidate schedule of the enabled families.

    Parameters
    ----------
    scenario : Scenario
        Supplies the horizon (``simulation.horizon_months``) and, for the ``article``
        family, its own protocols.
    spec : DesignSpec
        Families and their values.

    Raises
    ------
    ScenarioError
        An enabled family with no members, or a visit beyond the horizon.
    """
    horizon = scenario.simulation.horizon_months
    if not spec.families:
        raise ScenarioError(f"design.families = []: empty; give some of {', '.join(FAMILIES)}")
    _check_horizon(spec, horizon)
    found: list[Candidate] = []
    if "article" in spec.families:
        found += [Candidate(p, "article", article=True) for p in scenario.protocol]
    if "none" in spec.families:
        found.append(Candidate(Protocol(name="no-follow-up", visits_months=[]), "none"))
    base: list[Candidate] = []
    if "regular" in spec.families:
        base += _regular(spec, horizon)
    if "lists" in spec.families:
        base += _lists(spec)
    if "stepped" in spec.families:
        base += _stepped(spec, horizon)
    for cand in base:
        found.append(cand)
        visits = len(cand.protocol.visit_months(horizon))
        for k in spec.stop_after_stable:
            if k < visits:  # a rule that can never stop early is the schedule itself
                proto = cand.protocol.model_copy(
                    update={"name": f"{cand.name}-stop{k}", "stop_after_stable": k}
                )
                found.append(
                    Candidate(proto, cand.family, cand.interval_months, cand.duration_months)
                )
    seen: dict[tuple[object, ...], str] = {}
    out = []
    for cand in found:
        p = cand.protocol
        days = tuple(int(d) for d in nominal_day(p.visit_months(horizon)))
        key = (days, p.stop_after_stable if days else None, p.rebook_missed_after_days)
        if key in seen or cand.name in seen.values():
            continue
        seen[key] = cand.name
        out.append(cand)
    return out


def candidate_table(candidates: list[Candidate], horizon_months: float) -> pd.DataFrame:
    """One row per candidate with the columns of :data:`CANDIDATE_COLUMNS`."""
    rows = []
    for c in candidates:
        visits = c.protocol.visit_months(horizon_months)
        rows.append(
            {
                "candidate": c.name,
                "family": c.family,
                "article": c.article,
                "interval_months": c.interval_months
                if c.interval_months is not None
                else (c.protocol.interval_months or np.nan),
                "duration_months": c.duration_months
                if c.duration_months is not None
                else (max(visits) if visits else 0.0),
                "visits_months": " ".join(_g(v) for v in visits),
                "stop_after_stable": c.protocol.stop_after_stable,
                "visits": len(visits),
            }
        )
    frame = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
    frame["stop_after_stable"] = frame["stop_after_stable"].astype("Int64")
    return frame
