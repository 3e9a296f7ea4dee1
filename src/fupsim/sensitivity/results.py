"""Finished sweep, one-way and Sobol analyses as results that own their files.

Each result has the shape of :class:`fupsim.experiment.RunResult` and
:class:`fupsim.sensitivity.psa_result.PsaResult`: a class-level ``FILES`` (file name → what it
holds), ``write(out)`` (all files as one unit, through :mod:`fupsim.output`), ``summary()``
(a small table for the console) and a loader (:func:`load_sweep`, :func:`load_owsa`,
:func:`load_sobol`) that checks a folder is whole and raises
:class:`~fupsim.errors.ScenarioError` naming the file that is missing or malformed. Every
manifest records the scenario's content hash, the seed and the size per point, so a report
can flag a result from another scenario or size. Results do not draw: the commands add their
figures (``FIGURES``) through ``write``'s ``extra``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from fupsim.output import atomic_directory, write_json
from fupsim.scenario import ScenarioError
from fupsim.sensitivity.outcomes import OwsaSettings

__all__ = ["OwsaResult", "SobolResult", "SweepResult", "load_owsa", "load_sobol", "load_sweep"]


def _write(
    out: str | Path,
    tables: Mapping[str, pd.DataFrame],
    manifest_name: str,
    record: Mapping[str, Any],
    *,
    force: bool,
    extra: Callable[[Path], Any] | None,
) -> Path:
    """Write ``tables`` (CSV), ``extra(folder)``'s files and the manifest as one unit."""
    with atomic_directory(out, force=force) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False)
        if extra is not None:
            extra(tmp)
        write_json(tmp / manifest_name, dict(record))
    return Path(out)


def _read(
    folder: str | Path,
    files: Mapping[str, str],
    columns: Mapping[str, tuple[str, ...]],
    analysis: str,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The manifest and CSV tables of a result folder, checked whole.

    Raises
    ------
    ScenarioError
        Naming the folder or file: not found, missing, unreadable, from another analysis,
        or lacking a column.
    """
    d = Path(folder)
    again = f"rerun 'fupsim {analysis}'"
    if not d.is_dir():
        raise ScenarioError(f"{analysis} folder {str(d)!r}: not found (give the --out folder)")
    for name in files:
        if not (d / name).is_file():
            raise ScenarioError(
                f"{str(d / name)!r}: missing; not a whole {analysis} result ({again})"
            )
    manifest_name = next(n for n in files if n.endswith(".json"))
    try:
        record = json.loads((d / manifest_name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ScenarioError(f"{str(d / manifest_name)!r}: not readable JSON ({err})") from None
    if not isinstance(record, dict) or record.get("analysis") != analysis:
        found = record.get("analysis") if isinstance(record, dict) else None
        raise ScenarioError(
            f"{str(d / manifest_name)!r}: analysis = {found!r}; expected {analysis!r} ({again})"
        )
    tables = {}
    for name in files:
        if not name.endswith(".csv"):
            continue
        try:
            tables[name] = pd.read_csv(d / name)
        except (OSError, ValueError) as err:
            raise ScenarioError(f"{str(d / name)!r}: not a readable CSV table ({err})") from None
        lacking = [c for c in columns.get(name, ()) if c not in tables[name].columns]
        if lacking:
            raise ScenarioError(
                f"{str(d / name)!r}: lacks column {lacking[0]!r}; allowed: a table written by "
                f"this fupsim ({again})"
            )
    return record, tables


def _settings(record: Mapping[str, Any], file: Path) -> OwsaSettings:
    try:
        return OwsaSettings(**record["settings"])
    except (KeyError, TypeError) as err:
        raise ScenarioError(
            f"{str(file)!r}: settings = {record.get('settings')!r} is not an outcome setting "
            f"({err})"
        ) from None


@dataclass(frozen=True)
class SweepResult:
    """A finished grid sweep.

    Attributes
    ----------
    table : DataFrame
        ``sweep.csv``: one row per grid point × protocol.
    varied : list of str
        The varied dotted keys, first varying slowest (a column each in ``table``).
    settings : OwsaSettings
        Effect and reference WTP of the net-benefit columns, and the comparator of the
        incremental ones.
    manifest : dict
        ``sweep_manifest.json`` (:func:`fupsim.output.manifest`).
    stats : dict
        Run statistics of the point runner.
    """

    table: pd.DataFrame
    varied: list[str]
    settings: OwsaSettings
    manifest: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    FILES: ClassVar[dict[str, str]] = {
        "sweep.csv": "one row per grid point x protocol: point, a column per varied dotted key, "
        "protocol, every summary metric, the effect per person, net monetary benefit and "
        "incremental net benefit at the reference WTP, the preferred protocol",
        "sweep_manifest.json": "scenario and its content hash, seed, size per point, varied keys, "
        "outcome settings, run statistics",
    }
    FIGURES: ClassVar[dict[str, str]] = {
        "figures/sweep.png": "outcome against the varied key, a line per protocol; with two "
        "varied keys, a map of the preferred protocol",
    }
    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "sweep.csv": (
            "point",
            "protocol",
            "cost_per_patient",
            "net_monetary_benefit",
            "incremental_net_benefit",
            "preferred_protocol",
        ),
    }

    def summary(self) -> pd.DataFrame:
        """Per point and protocol: the varied values, yield, cost and the preferred protocol."""
        cols = [
            "point",
            *self.varied,
            "protocol",
            "screen_detected_per_1000",
            "cost_per_patient",
            "net_monetary_benefit",
            "preferred_protocol",
        ]
        return self.table[[c for c in cols if c in self.table]].copy()

    def write(
        self, out: str | Path, *, force: bool = False, extra: Callable[[Path], Any] | None = None
    ) -> Path:
        """Write :attr:`FILES` as one unit; ``extra(folder)`` adds more (the figure). A point
        store already in ``out`` is kept."""
        return _write(
            out,
            {"sweep.csv": self.table},
            "sweep_manifest.json",
            self.manifest,
            force=force,
            extra=extra,
        )


def load_sweep(folder: str | Path) -> SweepResult:
    """Read a folder written by :meth:`SweepResult.write` (or ``fupsim sweep``)."""
    record, tables = _read(folder, SweepResult.FILES, SweepResult.COLUMNS, "sweep")
    table = tables["sweep.csv"]
    varied = [str(k) for k in record.get("varied") or []]
    lacking = [k for k in varied if k not in table]
    if not varied or lacking:
        raise ScenarioError(
            f"{str(Path(folder) / 'sweep.csv')!r}: varied keys {varied!r} are not all columns "
            "(rerun 'fupsim sweep')"
        )
    return SweepResult(
        table=table,
        varied=varied,
        settings=_settings(record, Path(folder) / "sweep_manifest.json"),
        manifest=record,
        stats=dict(record.get("stats") or {}),
    )


@dataclass(frozen=True)
class OwsaResult:
    """A finished one-way analysis: every point's outcomes and the tornado ranked by swing."""

    table: pd.DataFrame
    tornado: pd.DataFrame
    settings: OwsaSettings
    manifest: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    FILES: ClassVar[dict[str, str]] = {
        "owsa.csv": "one row per parameter value x protocol (the base case first): cost, "
        "yield, effect, net monetary benefit, incremental net benefit, incremental cost per "
        "unit of effect, the preferred protocol",
        "owsa_tornado.csv": "one row per parameter, widest swing of the chosen outcome first: "
        "outcome at the low and high value, swing, the threshold where the preferred protocol "
        "changes, confidence and source",
        "owsa_manifest.json": "scenario and its content hash, seed, size per point, outcome "
        "settings, run statistics",
    }
    FIGURES: ClassVar[dict[str, str]] = {"figures/tornado.png": "the tornado diagram"}
    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "owsa.csv": ("parameter", "value", "protocol", "net_monetary_benefit"),
        "owsa_tornado.csv": (
            "parameter",
            "low_value",
            "high_value",
            "outcome",
            "protocol",
            "outcome_base",
            "outcome_at_low",
            "outcome_at_high",
            "swing",
            "threshold_value",
        ),
    }

    def summary(self) -> pd.DataFrame:
        """The tornado's main columns, widest swing first."""
        cols = [
            "parameter",
            "low_value",
            "high_value",
            "outcome_at_low",
            "outcome_at_high",
            "swing",
            "threshold_value",
        ]
        return self.tornado[cols].copy()

    def write(
        self, out: str | Path, *, force: bool = False, extra: Callable[[Path], Any] | None = None
    ) -> Path:
        """Write :attr:`FILES` as one unit; ``extra(folder)`` adds more (the tornado figure)."""
        tables = {"owsa.csv": self.table, "owsa_tornado.csv": self.tornado}
        return _write(out, tables, "owsa_manifest.json", self.manifest, force=force, extra=extra)


def load_owsa(folder: str | Path) -> OwsaResult:
    """Read a folder written by :meth:`OwsaResult.write` (or ``fupsim owsa``)."""
    record, tables = _read(folder, OwsaResult.FILES, OwsaResult.COLUMNS, "owsa")
    return OwsaResult(
        table=tables["owsa.csv"],
        tornado=tables["owsa_tornado.csv"],
        settings=_settings(record, Path(folder) / "owsa_manifest.json"),
        manifest=record,
        stats=dict(record.get("stats") or {}),
    )


@dataclass(frozen=True)
class SobolResult:
    """A finished Sobol analysis: the indices and the design with its outcome."""

    indices: pd.DataFrame
    points: pd.DataFrame
    settings: OwsaSettings
    manifest: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    FILES: ClassVar[dict[str, str]] = {
        "sobol.csv": "one row per parameter, largest total index first: first-order (S1) and "
        "total (ST) Sobol indices with the half-widths of their 95% bootstrap intervals",
        "sobol_points.csv": "the Saltelli design: one row per point, a column per parameter and "
        "the outcome of the chosen protocol",
        "sobol_manifest.json": "scenario and its content hash, seed, size per point, base "
        "samples, outcome settings, run statistics",
    }
    FIGURES: ClassVar[dict[str, str]] = {"figures/sobol.png": "S1 and ST bars per parameter"}
    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "sobol.csv": ("parameter", "outcome", "protocol", "S1", "S1_conf", "ST", "ST_conf"),
        "sobol_points.csv": ("point",),
    }

    def summary(self) -> pd.DataFrame:
        """The indices with their interval half-widths, largest total index first."""
        return self.indices[["parameter", "S1", "S1_conf", "ST", "ST_conf"]].copy()

    def write(
        self, out: str | Path, *, force: bool = False, extra: Callable[[Path], Any] | None = None
    ) -> Path:
        """Write :attr:`FILES` as one unit; ``extra(folder)`` adds more (the figure)."""
        tables = {"sobol.csv": self.indices, "sobol_points.csv": self.points}
        return _write(out, tables, "sobol_manifest.json", self.manifest, force=force, extra=extra)


def load_sobol(folder: str | Path) -> SobolResult:
    """Read a folder written by :meth:`SobolResult.write` (or ``fupsim sobol``)."""
    record, tables = _read(folder, SobolResult.FILES, SobolResult.COLUMNS, "sobol")
    return SobolResult(
        indices=tables["sobol.csv"],
        points=tables["sobol_points.csv"],
        settings=_settings(record, Path(folder) / "sobol_manifest.json"),
        manifest=record,
        stats=dict(record.get("stats") or {}),
    )
