"""The event log: the contract between the engine and everything downstream.

An event table has one row per event with the columns of :data:`EVENT_COLUMNS`. Event kinds
are a fixed, ordered vocabulary (:data:`EVENT_KINDS`); new kinds are appended, never inserted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "END_REASONS",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "VISIT_CODES",
    "empty_events",
    "make_events",
]

EVENT_KINDS: tuple[str, ...] = (
    "scan_missed",  # a scheduled ultrasound not attended
    "scan_negative",  # attended, nothing new
    "scan_positive",  # attended, new finding: recall for CT
    "ct_negative",  # CT work-up done, nothing confirmed
    "ct_positive",  # CT work-up confirms a change (true or false)
    "screen_detected",  # a true relevant change confirmed after a scheduled scan
    "false_diagnosis",  # CT 'confirmed' a change that is not there
    "clinical_presentation",  # a change presented with symptoms before screen detection
    "lost_to_follow_up",  # no further scheduled visits
    "stopped_stable",  # stop rule: K consecutive stable scans
    "death",  # background death during follow-up (fupsim.health)
)

EVENT_COLUMNS: tuple[str, ...] = (
    "replicate",
    "protocol",
    "patient_id",
    "time_months",
    "event",
    "visit",
)
"""``visit`` is the 1-based scheduled visit number, 0 for events not tied to a visit."""

END_REASONS: tuple[str, ...] = (
    "horizon",  # followed to the end of the horizon
    "screen_detected",
    "clinical_presentation",
    "lost_to_follow_up",
    "stopped_stable",
    "false_diagnosis",
    "death",  # background death while still followed
)

# Per-visit result codes written by the engine
VISIT_CODES = {
    "not_reached": 0,
    "missed": 1,
    "negative": 2,
    "positive_no_ct": 3,
    "ct_negative": 4,
    "ct_positive": 5,
}


def make_events(
    replicate: int,
    protocol: str,
    patient_id: np.ndarray,
    time_months: np.ndarray,
    kind: np.ndarray,
    visit: np.ndarray,
) -> pd.DataFrame:
    """Assemble an event table from parallel arrays (``kind`` holds codes into EVENT_KINDS)."""
    order = np.lexsort((kind, time_months, patient_id))
    n = order.size
    return pd.DataFrame(
        {
            "replicate": np.full(n, replicate, dtype=np.int32),
            "protocol": np.array([protocol], dtype=object).repeat(n),  # fast: copies one pointer
            "patient_id": patient_id[order].astype(np.int32),
            "time_months": time_months[order].astype(np.float64),
            "event": pd.Categorical.from_codes(
                kind[order].astype(np.int8), categories=list(EVENT_KINDS)
            ),
            "visit": visit[order].astype(np.int16),
        }
    )


def empty_events() -> pd.DataFrame:
    """An event table with no rows and the right columns and types."""
    z = np.zeros(0)
    return make_events(0, "", z.astype(np.int32), z, z.astype(np.int8), z.astype(np.int16))
