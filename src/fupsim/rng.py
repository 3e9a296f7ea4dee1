"""Reproducible random streams: one integer seed becomes named, independent generators.

The root ``SeedSequence(seed)`` spawns one child per replicate; each replicate spawns its
named streams in the fixed order of :data:`STREAMS`. New streams are appended to that tuple,
never inserted, so existing results stay reproducible when the model grows.

Visit-level draws are *keyed* rather than consumed in order: :meth:`ReplicateStreams.keyed`
gives the generator of one stream at one integer key (a nominal visit day), addressed directly
through the ``SeedSequence`` spawn tree. A day's draws therefore depend only on the seed, the
replicate, the stream and the day, never on which other days (other protocols' visits) are
drawn too, which is what keeps common random numbers common when protocols change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    "mortality",  # latent background death time (fupsim.health)
    "workup",  # index work-up: index-ultrasound features and CT (fupsim.workup)
    "visit_repeat",  # repeat ultrasound in the recall work-up (ct.workup = "repeat_us_then_ct")
    "infant",  # the infants' own pathway: attendance at their visits (fupsim.infants)
)


@dataclass(frozen=True)
class ReplicateStreams:
    """The named generators of one replicate."""

    replicate: int
    generators: dict[str, np.random.Generator]
    seeds: dict[str, np.random.SeedSequence] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.generators[name]

    def keyed(self, name: str, key: int) -> np.random.Generator:
        """A fresh generator of stream ``name`` at the non-negative integer ``key``.

        It is the ``key``-th child of the stream's ``SeedSequence`` (addressed by spawn key,
        so it does not depend on what else was drawn or spawned), independent of the
        stream's own generator and of every other key.
        """
        seq = self.seeds[name]
        child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, int(key)))
        return np.random.default_rng(child)

    def keyed_uniforms(self, name: str, keys: np.ndarray, n: int) -> np.ndarray:
        """``(len(keys), n)`` float32 uniforms on [0, 1); row ``i`` depends only on ``keys[i]``."""
        out = np.empty((len(keys), n), dtype=np.float32)
        for i, key in enumerate(keys):
            self.keyed(name, key).random(dtype=np.float32, out=out[i])
        return out

    def keyed_normals(self, name: str, keys: np.ndarray, n: int) -> np.ndarray:
        """``(len(keys), n)`` float32 standard normals; row ``i`` depends only on ``keys[i]``."""
        out = np.empty((len(keys), n), dtype=np.float32)
        for i, key in enumerate(keys):
            self.keyed(name, key).standard_normal(dtype=np.float32, out=out[i])
        return out


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
        seeds=dict(zip(STREAMS, streams, strict=True)),
    )
