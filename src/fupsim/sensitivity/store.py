"""Resumable point store: each finished sensitivity point saved atomically under a content hash.

A *point* is one scenario variant simulated for a fixed seed, number of replicates and
cohort size; its result is the per-protocol summary (:func:`fupsim.metrics.summarise`). The
point's key is a SHA-256 hash of everything that determines that result: the resolved
parameters, the seed, the replications, the patients and the fupsim version. A rerun of the
same command therefore finds its finished points and skips them, while a changed parameter
or a new package version gives a new key and is never served a stale result.

Blocks that cannot change a point's summary (``meta``, ``analysis``, ``uncertainty`` and
``sweep``) are left out of the hash, so adding a parameter to a sweep reuses the points it
already has.

Each point is a small JSON file written to a temporary name and renamed into place
(``os.replace``), so a point file is either complete or absent, even after Ctrl-C or a
killed process. Floats are written with Python's shortest round-trip representation, so a
summary read back is identical, bit for bit, to the one computed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fupsim.output import claim_dir, write_text
from fupsim.scenario import Scenario

__all__ = ["NOT_HASHED", "PointStore", "point_key"]

NOT_HASHED = ("meta", "analysis", "uncertainty", "sweep")
"""Scenario blocks that do not affect a point's summary and are left out of its key (except
``analysis.outcome_horizon_years``, which does and is kept)."""


def _version() -> str:
    import fupsim

    return str(fupsim.__version__)


def point_key(scenario: Scenario, *, seed: int, replications: int, patients: int) -> str:
    """Hex SHA-256 key of one point: resolved parameters, seed, size and fupsim version.

    Parameters
    ----------
    scenario : Scenario
        The point's parameters (after overrides).
    seed : int
        Root random seed shared by every point.
    replications, patients : int
        Replicates per point and adults per replicate.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    resolved = scenario.resolved()
    params = {k: v for k, v in resolved.items() if k not in NOT_HASHED}
    # the outcome horizon changes lifetime QALYs and costs, so it belongs to the key
    params["outcome_horizon_years"] = (resolved.get("analysis") or {}).get("outcome_horizon_years")
    payload = {
        "parameters": params,
        "seed": int(seed),
        "replications": int(replications),
        "patients": int(patients),
        "fupsim": _version(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_summary(summary: pd.DataFrame) -> dict[str, Any]:
    """A summary table as JSON-ready columns (floats keep every digit)."""
    columns: dict[str, list[Any]] = {}
    for name in summary.columns:
        col = summary[name]
        if pd.api.types.is_numeric_dtype(col):
            columns[str(name)] = [float(v) for v in col.to_numpy(dtype=float)]
        else:
            columns[str(name)] = [str(v) for v in col]
    return {"columns": list(columns), "data": columns}


def decode_summary(record: dict[str, Any]) -> pd.DataFrame:
    """Inverse of :func:`encode_summary` (numbers as float64 columns, text as objects).

    The numbers become one float block (one array for all numeric columns), which is several
    times faster than a column at a time for a summary's ~50 columns.
    """
    names, data = record["columns"], record["data"]
    text = {name for name in names if data[name] and isinstance(data[name][0], str)}
    numeric = [name for name in names if name not in text]
    rows = len(data[names[0]]) if names else 0
    block = np.array([data[name] for name in numeric], dtype=float).reshape(len(numeric), rows)
    frame = pd.DataFrame(block.T, columns=numeric)
    for at, name in enumerate(names):
        if name in text:
            frame.insert(at, name, pd.Series(data[name], dtype=object))
    return frame


class PointStore:
    """Finished points in a folder: ``<folder>/<key[:2]>/<key>.json``.

    Parameters
    ----------
    folder : str or Path
        Where points live (created on the first write), e.g. ``<out>/points``.
    owner : str or Path, optional
        The output folder the store lives in: marked as fupsim's on the first write
        (:func:`fupsim.output.claim_dir`).
    """

    def __init__(self, folder: str | Path, owner: str | Path | None = None) -> None:
        self.folder = Path(folder)
        self.owner = None if owner is None else Path(owner)
        self._made: set[Path] = set()  # sub-folders known to exist (mkdir is slow on some disks)

    def path(self, key: str) -> Path:
        """File that holds (or will hold) the point ``key``."""
        return self.folder / key[:2] / f"{key}.json"

    def load(self, key: str) -> pd.DataFrame | None:
        """The stored summary of ``key``, or None if absent, unreadable or from another version."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("key") != key or record.get("fupsim") != _version():
            return None
        try:
            return decode_summary(record)
        except (KeyError, TypeError, ValueError):
            return None

    def has(self, key: str) -> bool:
        """Whether a usable point ``key`` is stored."""
        return self.load(key) is not None

    def save(self, key: str, encoded: dict[str, Any], **extra: Any) -> Path:
        """Write one point atomically (temporary file, then ``os.replace``).

        Parameters
        ----------
        key : str
            The point's :func:`point_key`.
        encoded : dict
            Its summary as :func:`encode_summary` gives it.
        **extra
            Other JSON-ready facts to keep beside it (seed, sizes, seconds).
        """
        target = self.path(key)
        if target.parent not in self._made:
            if self.owner is not None:
                claim_dir(self.owner)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        record = {"key": key, "fupsim": _version(), **extra, **encoded}
        text = json.dumps(record, allow_nan=True)  # one string: far faster than dump() to a file
        return write_text(target, text)
