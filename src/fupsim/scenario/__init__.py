"""Scenarios: validated, immutable model parameters loaded from TOML, with dotted overrides.

A scenario is a frozen pydantic model. It is read from a TOML file by :func:`load_scenario`,
optionally changed by ``--set dotted.key=value`` overrides (validated exactly like the file),
and never mutated afterwards: variants are new objects made by :func:`with_overrides`.

Uncertainty about a parameter (its one-way range, its PSA distribution, its source and
confidence code) lives in the ``[uncertainty."dotted.key"]`` tables, so the parameters
themselves stay plain numbers that the model reads directly.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fupsim.scenario.blocks import (
    DAYS_PER_MONTH,
    SWEEP_OUTCOMES,
    Analysis,
    Attendance,
    Capacity,
    CauseHistory,
    Cohort,
    Costs,
    Protocol,
    Scenario,
    Sweep,
    Uncertainty,
    discount_factor,
)
from fupsim.scenario.keys import ScenarioError, apply_override, key_parts, lookup, parse_overrides

__all__ = [
    "DAYS_PER_MONTH",
    "SWEEP_OUTCOMES",
    "Analysis",
    "Attendance",
    "Capacity",
    "CauseHistory",
    "Cohort",
    "Costs",
    "Protocol",
    "Scenario",
    "ScenarioError",
    "Sweep",
    "Uncertainty",
    "discount_factor",
    "get_value",
    "key_parts",
    "load_scenario",
    "parse_overrides",
    "scenario_from_dict",
    "with_overrides",
]


def get_value(scenario: Scenario, key: str) -> Any:
    """Value of a dotted key (``protocol.q3m.interval_months`` or ``protocol.0.…``)."""
    try:
        return lookup(scenario.model_dump(by_alias=True), key_parts(key))
    except KeyError:
        raise ScenarioError(f"{key}: no such parameter in this scenario") from None


def _format_loc(loc: tuple[Any, ...]) -> str:
    tags = {
        "fixed",
        "exponential",
        "weibull",
        "gamma",
        "lognormal",
        "uniform",
        "normal",
        "truncnormal",
        "beta",
        "dirichlet",
        "float",
        "LobeSensitivity",
        "function-after[_ordered(), Uniform]",
    }
    parts: list[str] = []
    for i, item in enumerate(loc):
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif (item in tags or "[" in str(item)) and i > 0:
            continue
        else:
            parts.append(str(item))
    return ".".join(parts)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Scenario
    for item in loc[:-1]:
        if isinstance(item, int):
            continue
        field = getattr(model, "model_fields", {}).get(item)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args, *(getattr(a, "__args__", ()) for a in args)]
        flat: list[Any] = []
        for c in candidates:
            flat.extend(c if isinstance(c, tuple) else [c])
        nxt = next((c for c in flat if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if nxt is None:
            return []
        model = nxt
    return sorted(getattr(model, "model_fields", {}))


def _describe(err: ValidationError, data: Mapping[str, Any]) -> str:
    errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    where = _format_loc(loc) or "scenario"
    protocols = data.get("protocol")
    if (
        loc[:1] == ("protocol",)
        and len(loc) > 1
        and isinstance(loc[1], int)
        and isinstance(protocols, list)
    ):
        entry = protocols[loc[1]] if loc[1] < len(protocols) else None
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            where = where.replace(f"protocol[{loc[1]}]", f"protocol[{entry['name']}]", 1)
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{where}: unknown key{hint}"
    if first["type"] == "missing":
        return f"{where}: required key is missing"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    if isinstance(value, dict | list):
        return f"{where}: {msg}{more}"
    return f"{where} = {value!r}: {msg}{more}"


def scenario_from_dict(
    data: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Validate a scenario given as nested data, after applying dotted ``overrides``.

    ``data`` itself is never changed (the overrides go into a copy).
    """
    return _validated(copy.deepcopy(dict(data)), overrides)


def _validated(work: dict[str, Any], overrides: Mapping[str, Any] | None) -> Scenario:
    """Apply ``overrides`` to ``work`` in place and validate it."""
    for key, value in (overrides or {}).items():
        apply_override(work, key, value)
    try:
        return Scenario.model_validate(work)
    except ValidationError as err:
        raise ScenarioError(_describe(err, work)) from None


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Scenario:
    """Read, override and validate a TOML scenario file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.
    overrides : mapping or iterable of "key=value" strings, optional
        Dotted overrides applied before validation (as ``--set`` does).

    Raises
    ------
    ScenarioError
        With a one-line message naming the field, the value and what is allowed.
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"scenario file {str(p)!r}: not found (give the path of a .toml file)")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"scenario file {str(p)!r}: not valid TOML ({err})") from None
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    return scenario_from_dict(data, overrides)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario equal to ``scenario`` but for the dotted ``overrides``."""
    # model_dump builds fresh containers, so the overrides can go straight into them
    return _validated(scenario.model_dump(by_alias=True, exclude_none=True), overrides)
