"""Grid sweeps: every combination of the values given for a few parameters, one table.

A sweep is defined by ``--vary key=a,b,c`` / ``--vary key=lo:hi:n`` on the command line or
by a ``[sweep] vary = { "dotted.key" = [values] or "lo:hi:n" }`` table in the scenario. The
full grid (Cartesian product, first key varying slowest) is simulated point by point through
the resumable store, and :func:`sweep` returns one row per point × protocol with one column
per varied parameter (named by its dotted key) and the summary metrics.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fupsim.errors import ParameterError
from fupsim.scenario import (
    MAX_GRID_POINTS,
    SIZE_KEYS,
    Scenario,
    ScenarioError,
    get_value,
    parse_overrides,
    size_key_message,
)
from fupsim.sensitivity.outcomes import outcome_table, settings_for
from fupsim.sensitivity.results import SweepResult
from fupsim.sensitivity.runner import (
    PointSize,
    PointStore,
    build_points,
    check_points,
    points_manifest,
    run_points,
)

__all__ = [
    "MAX_GRID_POINTS",
    "SweepResult",
    "build_points",
    "check_points",
    "expand_spec",
    "grid_overrides",
    "parse_vary",
    "sweep",
]


def _toml_value(raw: str) -> Any:
    """One value read as ``--set`` reads it (TOML; a bare word is a string)."""
    return parse_overrides([f"v={raw}"])["v"]


def _clean(x: float) -> float | int:
    """A grid value with float noise removed (12 significant digits)."""
    return float(f"{x:.12g}")


def expand_spec(key: str, spec: Sequence[Any] | str) -> list[Any]:
    """Values of one varied parameter: a list as given, or ``"lo:hi:n"`` as n even steps.

    Raises
    ------
    ScenarioError
        If the spec is malformed (names the key and what is allowed).
    """
    if not isinstance(spec, str):
        values = list(spec)
        if not values:
            raise ParameterError("vary", key, "no values given")
        return values
    parts = spec.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ParameterError("vary", f"{key}={spec}", "expected lo:hi:n, e.g. 0.5:0.9:5") from None
    if n < 1 or not (np.isfinite(lo) and np.isfinite(hi)):
        raise ParameterError("vary", f"{key}={spec}", "n must be at least 1 and lo, hi finite")
    if n > MAX_GRID_POINTS:
        raise ParameterError(
            "vary", f"{key}={spec}", f"n = {n:,} values; at most {MAX_GRID_POINTS:,} allowed"
        )
    if n == 1:
        return [_clean(lo)]
    return [_clean(v) for v in np.linspace(lo, hi, n)]


def parse_vary(items: Iterable[str]) -> dict[str, list[Any]]:
    """Parse ``key=a,b,c`` or ``key=lo:hi:n`` strings (values read as TOML: numbers, words).

    Raises
    ------
    ScenarioError
        On a malformed item or a key given twice.
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw or any(not p for p in key.split(".")):
            raise ParameterError(
                "vary",
                repr(item),
                "expected dotted.key=a,b,c or dotted.key=lo:hi:n, "
                "e.g. ultrasound.sensitivity=0.5:0.9:5",
            )
        if key in out:
            raise ParameterError("vary", key, "given twice; give each parameter once")
        if key in SIZE_KEYS:
            raise ScenarioError(size_key_message(f"--vary {key}", key))
        if ":" in raw and "," not in raw:
            out[key] = expand_spec(key, raw)
        else:
            out[key] = [_toml_value(v.strip()) for v in raw.split(",") if v.strip()]
            if not out[key]:
                raise ParameterError("vary", repr(item), "no values given")
    return out


def grid_overrides(
    scenario: Scenario, vary: Mapping[str, Sequence[Any] | str]
) -> list[dict[str, Any]]:
    """The full grid as a list of override dicts (first key varies slowest).

    Raises
    ------
    ScenarioError
        If a key names no parameter or the grid is larger than :data:`MAX_GRID_POINTS`.
    """
    if not vary:
        raise ParameterError(
            "vary", "", "no parameters to vary (give vary values or a [sweep] vary table)"
        )
    values = {}
    for key, spec in vary.items():
        if key in SIZE_KEYS:
            raise ScenarioError(size_key_message(f"--vary {key}", key))
        get_value(scenario, key)  # raises for an unknown key
        values[key] = expand_spec(key, spec)
    total = int(np.prod([len(v) for v in values.values()]))
    if total > MAX_GRID_POINTS:
        raise ParameterError(
            "vary", "", f"the grid has {total:,} points; at most {MAX_GRID_POINTS:,} allowed"
        )
    keys = list(values)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values.values())]


def _cell(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any] | str] | None,
    size: PointSize,
    store: PointStore,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> SweepResult:
    """Simulate the full grid over ``vary`` (default: the scenario's ``[sweep] vary``).

    Parameters
    ----------
    scenario : Scenario
        The base parameters.
    vary : mapping, optional
        Dotted key → list of values or ``"lo:hi:n"``.
    size : PointSize
        Seed, replications and adults per replicate for every point.
    store : PointStore
        Resumable store of finished points.
    workers, scheduler, progress
        As in :func:`fupsim.experiment.map_tasks`.

    Returns
    -------
    SweepResult
        ``table`` has ``point``, one column per varied key, ``protocol``, every summary
        column of :func:`fupsim.metrics.summarise`, and the effect per person, net monetary
        benefit, incremental net benefit (against the last protocol) and preferred protocol
        at the reference WTP (:func:`fupsim.sensitivity.outcomes.outcome_table`).
    """
    started = time.perf_counter()
    if vary is None:
        vary = scenario.sweep.vary if scenario.sweep is not None else {}
    settings = settings_for(scenario, outcome="net_monetary_benefit")
    grid = grid_overrides(scenario, vary)
    check_points(scenario, len(grid), size, "vary", f"{len(grid):,} points")
    points = build_points(scenario, grid, "sweep point")
    result = run_points(
        points, size, store, workers=workers, scheduler=scheduler, progress=progress, desc="sweep"
    )
    frames = []
    for i, (ov, summary) in enumerate(zip(grid, result.summaries, strict=True)):
        head = {"point": i, **{k: _cell(v) for k, v in ov.items()}}
        outcomes = outcome_table(summary, settings).drop(
            columns=["protocol", "cost_per_patient", "screen_detected_per_1000"]
        )
        frames.append(
            pd.concat(
                [
                    pd.DataFrame({k: [v] * len(summary) for k, v in head.items()}),
                    summary,
                    outcomes.drop(columns=[c for c in outcomes if c in summary]),
                ],
                axis=1,
            )
        )
    record = points_manifest(
        "sweep",
        scenario,
        size,
        sizes={"points": len(grid)},
        started=started,
        settings=settings,
        stats=result.stats,
        varied=list(vary),
    )
    return SweepResult(
        table=pd.concat(frames, ignore_index=True),
        varied=list(vary),
        settings=settings,
        manifest=record,
        stats=result.stats,
    )
