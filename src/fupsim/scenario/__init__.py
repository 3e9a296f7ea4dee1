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
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fupsim.scenario.blocks import (
    DAYS_PER_MONTH,
    MAX_GRID_POINTS,
    MIN_INTERVAL_MONTHS,
    SIZE_KEYS,
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
    size_key_message,
)
from fupsim.scenario.keys import ScenarioError, apply_override, key_parts, lookup, parse_overrides
from fupsim.scenario.workload import (
    LARGE_WORK,
    MAX_REPLICATE_CELLS,
    MAX_WORK,
    Workload,
    check_workload,
    workload,
)

__all__ = [
    "DAYS_PER_MONTH",
    "LARGE_WORK",
    "MAX_GRID_POINTS",
    "MAX_REPLICATE_CELLS",
    "MAX_WORK",
    "MIN_INTERVAL_MONTHS",
    "SIZE_KEYS",
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
    "Workload",
    "check_workload",
    "discount_factor",
    "get_value",
    "key_parts",
    "load_scenario",
    "parse_overrides",
    "scenario_from_dict",
    "size_key_message",
    "with_overrides",
    "workload",
]


def get_value(scenario: Scenario, key: str) -> Any:
    """Value of a dotted key (``protocol.q3m.interval_months`` or ``protocol.0.…``)."""
    try:
        return lookup(scenario.model_dump(by_alias=True), key_parts(key))
    except KeyError:
        raise ScenarioError(f"{key}: no such parameter in this scenario") from None


def _union_models(annotation: Any) -> tuple[list[type[BaseModel]], bool]:
    """Models an annotation can hold (through Annotated, unions, lists, dict values).

    The flag says whether the next location part is a dict key chosen by the user (a cause
    name, an uncertainty key) rather than a field or a tag.
    """
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _union_models(args[0])
    if origin is dict:
        return (_union_models(args[1])[0] if len(args) == 2 else []), True
    found: list[type[BaseModel]] = []
    for arg in args:
        found.extend(_union_models(arg)[0])
    return found, False


def _tag(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("dist")
    return field.default if field is not None and isinstance(field.default, str) else None


def _walk(loc: tuple[Any, ...]) -> tuple[list[str | int], list[type[BaseModel]]]:
    """Split an error location into the user's path and the models it ends in.

    Pydantic puts the union branch it tried into the location (``gamma``, ``LobeSensitivity``,
    ``constrained-float``, ``function-after[...]``); those parts are dropped, and a
    discriminator tag narrows the models to the family the user named.
    """
    path: list[str | int] = []
    models: list[type[BaseModel]] = [Scenario]
    user_key = False
    for item in loc:
        if isinstance(item, int):
            path.append(item)
            continue
        if user_key:
            path.append(item)
            user_key = False
            continue
        tagged = [m for m in models if item in (_tag(m), m.__name__)]
        if tagged:
            models = tagged
            continue
        field = next(
            (f for m in models for name, f in m.model_fields.items() if item in (name, f.alias)),
            None,
        )
        if field is None:
            if path and _is_tag(item):
                continue  # pydantic's name for a scalar branch of a union
            path.append(item)  # an unknown key, or a key inside a plain dict
            models = []
            continue
        path.append(item)
        models, user_key = _union_models(field.annotation)
    return path, models


_SCALAR_TAGS = {"float", "int", "str", "bool", "list", "dict", "tuple", "none"}
_TAG_PREFIXES = ("constrained-", "function-", "lax-or-strict", "json-or-python", "nullable")


def _is_tag(item: str) -> bool:
    """Whether a location part is pydantic's label for a union branch, not a user's key."""
    return "[" in item or item.startswith(_TAG_PREFIXES) or item in _SCALAR_TAGS


def _format_loc(loc: tuple[Any, ...]) -> str:
    path, _ = _walk(loc)
    parts: list[str] = []
    for item in path:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif "." in item:
            parts.append(f'"{item}"')  # an uncertainty key: quoted as TOML quotes it
        else:
            parts.append(item)
    return ".".join(parts)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    _, models = _walk(loc[:-1])
    if len(models) != 1:
        return []
    model = models[0]
    keys = sorted(f.alias or name for name, f in model.model_fields.items())
    if hasattr(model, "_moments"):
        keys[-1] += " (or dist, mean and one of sd, se, cv)"
    return keys


_BRANCH_MISMATCH = {"model_type", "model_attributes_type", "float_type", "int_type", "dict_type"}
"""Errors that only say the input is not of one union branch's type (the other branch's
error is the one to show)."""


def _describe(err: ValidationError, data: Mapping[str, Any]) -> str:
    errors = sorted(
        err.errors(),
        key=lambda e: (e["type"] != "extra_forbidden", e["type"] in _BRANCH_MISMATCH),
    )
    real = [e for e in errors if e["type"] not in _BRANCH_MISMATCH] or errors
    first = errors[0]
    loc = tuple(first["loc"])
    where = _format_loc(loc)
    protocols = data.get("protocol")
    if (
        loc[:1] == ("protocol",)
        and len(loc) > 1
        and isinstance(loc[1], int)
        and isinstance(protocols, list)
    ):
        entry = protocols[loc[1]] if loc[1] < len(protocols) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and not name.isdigit():  # a digit name would read as a position
            where = where.replace(f"protocol[{loc[1]}]", f"protocol[{name}]", 1)
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{where}: unknown key{hint}"
    if first["type"] == "missing":
        return f"{where}: required key is missing"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(real) - 1} more problem(s))" if len(real) > 1 else ""
    if not where:
        return f"{msg}{more}"  # a whole-scenario check: its message names the fields
    if isinstance(value, list) and value and len(repr(value)) <= 80:
        if not any(isinstance(v, dict | list) for v in value):
            return f"{where} = {value!r}: {msg}{more}"
    if isinstance(value, dict | list):
        return f"{where}: {msg}{more}"
    return f"{where} = {_shown(value)}: {msg}{more}"


def _shown(value: Any) -> str:
    """A value as the user wrote it (TOML spelling for booleans)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


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
