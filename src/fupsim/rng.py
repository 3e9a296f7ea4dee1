"""Reproducible random streams: one integer seed becomes named, independent generators.

The root ``SeedSequence(seed)`` spawns one child per replicate; each replicate spawns its
named streams in the fixed order of :data:`STREAMS`. New streams are appended to that tuple,
never inserted, so existing results stay reproducible when the model grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STREAMS", "ReplicateStreams", "replicate_streams"]

STREAMS: tuple[str, ...] = (
    "cohort",  # demographics and cause
    "prenatal",  # the prenatal stream's size and flags
    "natural_history",  # progression, onset, sojourn
    "visit_attendance",  # attended or missed, per (patient, nominal visit time)
    "visit_loss",  # lost to follow-up after the visit
    "visit_ultrasound",  # ultrasound result
    "visit_ct",  # CT work-up result
    "visit_recall",  # CT recall completed
    "visit_jitter",  # appointment jitter
    "capacity",  # arrivals and background demand (capacity model)
    "visualisation",  # whose liver ultrasound shows poorly (patient-level test performance)
)


@dataclass(frozen=True)
class ReplicateStreams:
    """The named generators of one replicate."""

    replicate: int
    generators: dict[str, np.random.Generator]

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.generators[name]


def replicate_streams(seed: int, replicate: int) -> ReplicateStreams:
    """Return the named generators of ``replicate`` under root ``seed``.

    The result depends only on ``(seed, replicate)``, never on how many replicates run or
    in which worker, which is what makes output identical for any number of workers.
    """
    root = np.random.SeedSequence(seed)
    # spawn_key addresses the child directly: child r of the root, as root.spawn would give.
    child = np.random.SeedSequence(root.entropy, spawn_key=(replicate,))
    streams = child.spawn(len(STREAMS))
    return ReplicateStreams(
        replicate=replicate,
        generators={
            name: np.random.default_rng(s) for name, s in zip(STREAMS, streams, strict=True)
        },
    )
