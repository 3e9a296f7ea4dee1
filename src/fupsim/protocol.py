"""Protocols: when each person's scans fall due, and whether each is attended.

Visit-level randomness is shared between protocols (common random numbers): every draw is
indexed by patient and by the visit's *nominal time*, so a scan due at month 18 under the
3-monthly and the 6-monthly protocol gets the same attendance, jitter and test uniforms.
The draws for one replicate cover the union of all protocols' nominal visit times, and each
day's row comes from its own generator keyed by that day (:meth:`ReplicateStreams.keyed`), so
adding or changing one protocol never moves another protocol's draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fupsim.rng import ReplicateStreams
from fupsim.scenario import DAYS_PER_MONTH, Protocol, Scenario

__all__ = [
    "VisitDraws",
    "VisitPlan",
    "draw_visits",
    "horizon_day",
    "loss_probabilities",
    "nominal_day",
    "plan_visits",
    "protocol_end_day",
]


def nominal_day(months: np.ndarray | list[float] | float) -> np.ndarray:
    """Whole clinic day of a nominal visit month (day 0 is the index scan)."""
    return np.rint(np.asarray(months, dtype=float) * DAYS_PER_MONTH).astype(np.int32)


def horizon_day(scenario: Scenario) -> int:
    """The last day of follow-up; visits due on it are done."""
    return int(nominal_day(scenario.simulation.horizon_months))


def protocol_end_day(scenario: Scenario, protocol: Protocol) -> int:
    """The last day of one protocol's follow-up (its ``duration_months``, at most the horizon)."""
    return int(nominal_day(protocol.duration(scenario.simulation.horizon_months)))


def loss_probabilities(scenario: Scenario, visit_months: list[float]) -> np.ndarray:
    """Probability of loss to follow-up in the gap *before* each visit (``loss_basis = "time"``).

    The gap before visit ``k`` runs from the previous nominal visit (month 0 for the first) to
    visit ``k``; loss over ``g`` months is ``1 - (1 - attendance.loss_per_year) ** (g / 12)``,
    so the chance of still being followed at a visit at month ``t`` is
    ``(1 - loss_per_year) ** (t / 12)`` whatever the interval.
    """
    months = np.asarray(visit_months, dtype=float)
    gaps = np.diff(np.concatenate([[0.0], months]))
    return 1.0 - (1.0 - scenario.attendance.loss_per_year) ** (gaps / 12.0)


@dataclass(frozen=True)
class VisitDraws:
    """Per-replicate uniforms (float32) on the grid of every protocol's nominal visit days."""

    grid_days: np.ndarray  # (G,) sorted unique nominal days
    attendance: np.ndarray  # (G, n): one row per nominal day
    loss: np.ndarray
    ultrasound: np.ndarray
    ct: np.ndarray
    recall: np.ndarray
    jitter: np.ndarray  # standard normal
    repeat: np.ndarray | None = None  # repeat-ultrasound uniforms (ct.workup "repeat_us_then_...")
    # jittered, clipped days of every grid day, shared by the protocols that end on one day
    _jittered: dict[tuple[float, int], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def people(self) -> int:
        """Number of people the draws are for."""
        return int(self.attendance.shape[1])

    def take(self, idx: np.ndarray) -> VisitDraws:
        """The draws of the people at positions ``idx``, keeping their values.

        Each table's columns are gathered once here, so every protocol's
        :func:`plan_visits` then picks whole rows (a cheap copy) from the shared result.
        """
        cols = np.asarray(idx)
        return replace(
            self,
            attendance=np.take(self.attendance, cols, axis=1),
            loss=np.take(self.loss, cols, axis=1),
            ultrasound=np.take(self.ultrasound, cols, axis=1),
            ct=np.take(self.ct, cols, axis=1),
            recall=np.take(self.recall, cols, axis=1),
            jitter=np.take(self.jitter, cols, axis=1),
            repeat=None if self.repeat is None else np.take(self.repeat, cols, axis=1),
            _jittered={},
        )

    def jittered_days(self, sd_days: float, last: int) -> np.ndarray:
        """``(G, n)`` int32: each grid day moved by ``sd_days`` × the jitter draw, rounded to
        a whole day and kept within [day 1, ``last``] (computed once per ``(sd_days, last)``)."""
        key = (sd_days, last)
        if key not in self._jittered:
            shifted = self.grid_days[:, None] + np.float32(sd_days) * self.jitter
            self._jittered[key] = np.clip(np.rint(shifted), 1, last).astype(np.int32)
        return self._jittered[key]

    def rows(self, table: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``table``'s rows ``cols`` for these draws' people (read-only).

        Rows in arithmetic progression (every grid day, or every other) are a view, not a copy.
        """
        step = int(cols[1] - cols[0]) if cols.size > 1 else 1
        if cols.size and step > 0 and np.array_equal(np.diff(cols), np.full(cols.size - 1, step)):
            out = table[int(cols[0]) : int(cols[-1]) + 1 : step]
        else:
            out = table[cols]
        out = out.view()
        out.flags.writeable = False
        return out


def draw_visits(scenario: Scenario, n: int, streams: ReplicateStreams) -> VisitDraws:
    """Draw visit-level randomness for ``n`` people over all protocols' nominal days."""
    horizon = scenario.simulation.horizon_months
    all_days = [nominal_day(p.visit_months(horizon)) for p in scenario.protocol]
    grid = np.unique(np.concatenate([np.zeros(0, np.int32), *all_days]))

    def uniforms(name: str) -> np.ndarray:
        return streams.keyed_uniforms(name, grid, n)

    return VisitDraws(
        grid_days=grid,
        attendance=uniforms("visit_attendance"),
        loss=uniforms("visit_loss"),
        ultrasound=uniforms("visit_ultrasound"),
        ct=uniforms("visit_ct"),
        recall=uniforms("visit_recall"),
        jitter=streams.keyed_normals("visit_jitter", grid, n),
        repeat=uniforms("visit_repeat") if scenario.ct.repeat_us else None,
    )


@dataclass(frozen=True)
class VisitPlan:
    """One protocol's visits for every person: (K, n) arrays, one row per visit number."""

    protocol: Protocol
    nominal_days: np.ndarray  # (K,)
    days: np.ndarray  # (K, n) int32 scheduled day after jitter, strictly increasing down a column
    attend: np.ndarray  # (K, n) bool
    lost_after: np.ndarray  # (K, n) bool: lost to follow-up after this visit
    u_ultrasound: np.ndarray  # (K, n)
    u_ct: np.ndarray
    u_recall: np.ndarray
    u_attend: np.ndarray | None = None  # (K, n) attendance uniforms (rebooking re-uses them)
    u_repeat: np.ndarray | None = None  # (K, n) repeat-ultrasound uniforms, if the work-up has one
    lost_before_first: np.ndarray | None = None  # (n,) bool: lost before the first visit ("time")

    @property
    def visits(self) -> int:
        """Scheduled visits per person."""
        return int(self.nominal_days.shape[0])


def plan_visits(scenario: Scenario, protocol: Protocol, draws: VisitDraws) -> VisitPlan:
    """Lay out one protocol's visits from the shared draws.

    Jitter (``attendance.jitter_sd_days``) moves each visit by a normal number of days; visits
    stay within [day 1, horizon] and strictly after the person's previous visit. Keeping them
    in order pushes a bunch of late visits forward, so each is then capped at the latest day
    that still leaves one day for each later visit before the protocol's end
    (``duration_months``, at most the horizon).

    Loss to follow-up (``attendance.loss_basis``): ``"visit"`` loses each person after each
    visit with ``loss_per_visit``; ``"time"`` loses them in the gap before each visit with
    :func:`loss_probabilities` (the draw keyed by that visit's day), so the gap before visit
    ``k + 1`` becomes "lost after visit ``k``" and the first gap "lost before the first visit".
    """
    att = scenario.attendance
    months = protocol.visit_months(scenario.simulation.horizon_months)
    nominal = nominal_day(months)
    cols = np.searchsorted(draws.grid_days, nominal)
    n = draws.people
    last = protocol_end_day(scenario, protocol)
    if nominal.size and att.jitter_sd_days > 0:
        days = draws.rows(draws.jittered_days(att.jitter_sd_days, last), cols)
        # keep each person's visits in order and on distinct days
        ranks = np.arange(nominal.size, dtype=np.int32)[:, None]
        days = days - ranks
        for row in range(1, nominal.size):  # running maximum down each column, a row at a time
            np.maximum(days[row], days[row - 1], out=days[row])  # (faster than .accumulate)
        days += ranks
        # cap at the horizon: the min of two strictly increasing columns stays increasing
        days = np.minimum(days, last - (nominal.size - 1 - ranks)).astype(np.int32)
    else:
        days = np.repeat(nominal[:, None], n, axis=1).astype(np.int32)
    lost_before_first = None
    u_loss = draws.rows(draws.loss, cols)
    if att.loss_basis == "visit":
        lost_after = u_loss < np.float32(att.loss_per_visit)
    else:
        p_gap = loss_probabilities(scenario, months).astype(np.float32)
        lost_before = u_loss < p_gap[:, None]
        lost_after = np.zeros_like(lost_before)
        lost_after[:-1] = lost_before[1:]
        lost_before_first = lost_before[0] if nominal.size else None
    u_attend = draws.rows(draws.attendance, cols)
    return VisitPlan(
        protocol=protocol,
        nominal_days=nominal,
        days=days,
        attend=u_attend < np.float32(att.per_visit),
        lost_after=lost_after,
        u_ultrasound=draws.rows(draws.ultrasound, cols),
        u_ct=draws.rows(draws.ct, cols),
        u_recall=draws.rows(draws.recall, cols),
        u_attend=u_attend if protocol.rebook_missed_after_days else None,
        u_repeat=None if draws.repeat is None else draws.rows(draws.repeat, cols),
        lost_before_first=lost_before_first,
    )
