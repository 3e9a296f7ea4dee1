"""Dotted keys into scenario data: parse ``--set key=value``, look values up, apply overrides.

A key names a path through nested tables (``ultrasound.specificity``); entries of a list of
named tables are addressed by position or by name (``protocol.us-3m.interval_months``,
``protocol.0.interval_months``), and TOML quoting keeps dots inside a part
(``uncertainty."costs.ct".range``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from typing import Any

from fupsim.errors import ParameterError, ScenarioError

__all__ = ["ScenarioError", "apply_override", "key_parts", "lookup", "parse_overrides"]


def _list_step(items: list[Any], parts: list[str], i: int) -> tuple[int, int]:
    """Index into a list of named tables, and how many dotted parts the name used.

    Entries are addressed by position (``protocol.0``) or by name; a name may itself contain
    dots (``protocol.us-4.5m``), so the longest run of parts that names an entry wins.
    """
    if parts[i].isdigit():
        if int(parts[i]) >= len(items):
            raise KeyError(parts[i])
        return int(parts[i]), 1
    names = {item.get("name"): k for k, item in enumerate(items) if isinstance(item, dict)}
    for j in range(len(parts), i, -1):
        candidate = ".".join(parts[i:j])
        if candidate in names:
            return names[candidate], j - i
    raise KeyError(parts[i])


def lookup(data: Any, parts: list[str]) -> Any:
    node, i = data, 0
    while i < len(parts):
        if isinstance(node, list):
            index, used = _list_step(node, parts, i)
            node, i = node[index], i + used
        elif isinstance(node, dict) and parts[i] in node:
            node, i = node[parts[i]], i + 1
        else:
            raise KeyError(parts[i])
    return node


def key_parts(key: str) -> list[str]:
    """Split a dotted key as TOML does, so quoted parts may hold dots.

    ``uncertainty."costs.ct".range`` → ``["uncertainty", "costs.ct", "range"]``. Keys that
    are not valid TOML keys fall back to a plain split on dots.
    """
    if '"' not in key and "'" not in key:
        return key.split(".")  # no quoted parts: a plain split says the same, far faster
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return key.split(".")
    parts: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        ((name, node),) = node.items()
        parts.append(name)
    return parts


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings; values are read as TOML (numbers, booleans, arrays, tables)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not p for p in key.split(".")):
            raise ParameterError(
                "overrides",
                repr(item),
                "expected dotted.key=value, e.g. ultrasound.specificity=0.97",
            )
        out[key] = _parse_value(raw.strip())
    return out


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw  # a bare word is taken as a string


def apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key_parts(key)
    node: Any = data
    i = 0
    while True:
        if isinstance(node, list):
            try:
                index, used = _list_step(node, parts, i)
            except KeyError:
                where = ".".join(parts[: i + 1])
                raise ParameterError("overrides", key, f"{where} matches no list entry") from None
            if i + used == len(parts):
                node[index] = value
                return
            node, i = node[index], i + used
        elif isinstance(node, dict):
            if i == len(parts) - 1:
                node[parts[i]] = value
                return
            node, i = node.setdefault(parts[i], {}), i + 1
        else:
            where = ".".join(parts[:i])
            raise ParameterError("overrides", key, f"{where} is a value, not a table")
