"""Loading scenarios: read TOML (following ``extends``), apply overrides, validate.

A scenario file may start with ``extends = "other.toml"`` (a path relative to the file's own
folder): it then states only its differences from that parent. Tables are merged key by key,
deeply; any other value replaces the parent's as a whole: arrays (``[[protocol]]``,
``willingness_to_pay``) and distributions (tables with ``dist``). Parents may extend further
files; a cycle or a missing parent is bad input naming the file.
"""

from __future__ import annotations

import copy
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fupsim.errors import ScenarioError
from fupsim.scenario.blocks import Scenario
from fupsim.scenario.keys import apply_override, key_parts, lookup, parse_overrides

__all__ = [
    "get_value",
    "load_scenario",
    "merge_tables",
    "read_scenario_data",
    "scenario_from_dict",
    "schedule_text",
    "with_overrides",
]

MAX_EXTENDS_DEPTH = 20
"""Longest chain of ``extends`` followed (a longer one is refused as bad input)."""


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


def merge_tables(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """``child`` laid over ``parent``: tables merge key by key, every other value replaces.

    Arrays (``[[protocol]]``, ``willingness_to_pay``) and distributions (tables with ``dist``)
    are values: the child's replaces the parent's whole. Neither argument is changed.

    Examples
    --------
    >>> merge_tables({"a": {"x": 1, "y": 2}, "l": [1, 2]}, {"a": {"y": 3}, "l": [9]})
    {'a': {'x': 1, 'y': 3}, 'l': [9]}
    """
    out = copy.deepcopy(dict(parent))
    for key, value in child.items():
        if isinstance(value, Mapping) and "dist" not in value and isinstance(out.get(key), Mapping):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(p: Path) -> dict[str, Any]:
    if not p.is_file():
        raise ScenarioError(f"scenario file {str(p)!r}: not found (give the path of a .toml file)")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(f"scenario file {str(p)!r}: not valid TOML ({err})") from None


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """The nested data of a scenario file, with its ``extends`` chain merged in (not validated).

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file. Its ``extends`` (if any) names a parent file relative to the
        file's own folder; the parent's data is merged under the file's (:func:`merge_tables`).

    Raises
    ------
    ScenarioError
        A file is missing or not TOML, ``extends`` is not a string, a parent is missing, or
        the chain comes back to a file already in it (each message names the file).
    """
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    p = Path(path)
    while True:
        data = _read_toml(p)
        layers.append(data)
        chain.append(p.resolve())
        parent = data.pop("extends", None)
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(
                f"scenario file {str(p)!r}: extends = {parent!r}: give the parent file's path "
                'as a string, relative to this file, e.g. extends = "baseline.toml"'
            )
        nxt = p.parent / parent
        if not nxt.is_file():
            raise ScenarioError(
                f"scenario file {str(p)!r}: extends = {parent!r}: {str(nxt)!r} not found "
                "(the path is relative to the extending file's folder)"
            )
        if nxt.resolve() in chain:
            names = " -> ".join([*(c.name for c in chain), nxt.name])
            raise ScenarioError(
                f"scenario file {str(p)!r}: extends = {parent!r} makes a cycle ({names}); "
                "a scenario may not extend itself, directly or through others"
            )
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"scenario file {str(path)!r}: extends chain longer than {MAX_EXTENDS_DEPTH} files"
            )
        p = nxt
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = merge_tables(merged, layer)
    return merged


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Scenario:
    """Read, override and validate a TOML scenario file.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file; an ``extends = "parent.toml"`` in it is followed
        (:func:`read_scenario_data`).
    overrides : mapping or iterable of "key=value" strings, optional
        Dotted overrides applied before validation (as ``--set`` does).

    Raises
    ------
    ScenarioError
        With a one-line message naming the field, the value and what is allowed.
    """
    data = read_scenario_data(path)
    if overrides is not None and not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    for key, value in (overrides or {}).items():
        _describe_changed_schedule(data, key, value)
    return _validated(data, overrides)


_SCHEDULE_KEYS = ("interval_months", "visits_months")


def schedule_text(interval_months: Any = None, visits_months: Any = None) -> str:
    """The description a schedule gets when nobody wrote one ("Ultrasound every 6 months").

    Examples
    --------
    >>> schedule_text(interval_months=4.5)
    'Ultrasound every 4.5 months'
    >>> schedule_text(visits_months=[6, 12, 24])
    'Ultrasound at months 6, 12 and 24'
    >>> schedule_text(visits_months=[])
    'No scheduled scans'
    """
    if interval_months is not None:
        return f"Ultrasound every {interval_months:g} months"
    visits = [f"{v:g}" for v in visits_months or []]
    if not visits:
        return "No scheduled scans"
    if len(visits) == 1:
        return f"Ultrasound at month {visits[0]}"
    return f"Ultrasound at months {', '.join(visits[:-1])} and {visits[-1]}"


def _describe_changed_schedule(data: dict[str, Any], key: str, value: Any) -> None:
    """Keep a protocol's description true when an override changes its schedule.

    A description that is the generated one (:func:`schedule_text`) is generated anew; any
    other non-empty description gets "(changed by --set key=value)" appended.
    """
    parts = key_parts(key)
    if len(parts) < 3 or parts[0] != "protocol" or parts[-1] not in _SCHEDULE_KEYS:
        return
    try:
        entry = lookup(data, parts[:-1])
    except (KeyError, TypeError):
        return  # the override itself reports a bad address
    if not isinstance(entry, dict) or not isinstance(entry.get("description"), str):
        return
    text = entry["description"]
    if not text:
        return
    old = schedule_text(entry.get("interval_months"), entry.get("visits_months"))
    if entry.get(parts[-1]) == value:
        return  # not a change
    if text == old and isinstance(value, int | float | list):
        changed = {**entry, parts[-1]: value}
        try:
            entry["description"] = schedule_text(
                changed.get("interval_months"), changed.get("visits_months")
            )
            return
        except (TypeError, ValueError):
            pass  # a value of the wrong type: validation names it
    shown = value if isinstance(value, str) else _toml(value)
    entry["description"] = f"{text} (changed by --set {key}={shown})"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario equal to ``scenario`` but for the dotted ``overrides``."""
    # model_dump builds fresh containers, so the overrides can go straight into them
    return _validated(scenario.model_dump(by_alias=True, exclude_none=True), overrides)
