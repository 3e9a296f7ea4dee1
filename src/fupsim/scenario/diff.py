"""Differences between two resolved scenarios, key by key, with their stated sources.

Both scenarios are compared as resolved (after ``extends`` and overrides), so a difference
means the model reads a different value, whatever the files look like. Parameters are named
by their dotted keys (protocols by name: ``protocol.us-6m.interval_months``); uncertainty
tables by their quoted key (``uncertainty."cohort.causes".psa``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fupsim.scenario.blocks import Scenario

__all__ = ["ABSENT", "Difference", "diff_scenarios", "flatten"]

ABSENT = "(absent)"
"""Shown for a key one scenario does not have."""


@dataclass(frozen=True)
class Difference:
    """One dotted key whose resolved value differs between scenario A and scenario B.

    ``source_a``/``confidence_a`` (and ``_b``) come from the ``[uncertainty]`` table that
    covers the key in each scenario (the key itself or the nearest enclosing one), if any.
    """

    key: str
    a: Any
    b: Any
    source_a: str | None = None
    confidence_a: str | None = None
    source_b: str | None = None
    confidence_b: str | None = None


def flatten(value: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested scenario data as ``{dotted key: value}``.

    Tables are followed, except distributions (tables with ``dist``), which are values; a list
    of named tables (``[[protocol]]``) is followed by name; any other list is a value.

    Examples
    --------
    >>> flatten({"a": {"b": 1, "d": {"dist": "fixed", "value": 2}}, "p": [{"name": "x", "k": 3}]})
    {'a.b': 1, 'a.d': {'dist': 'fixed', 'value': 2}, 'p.x.name': 'x', 'p.x.k': 3}
    """
    out = {} if out is None else out
    if isinstance(value, dict) and "dist" not in value and value:
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(item, dict) and "name" in item for item in value)
    ):
        for item in value:
            flatten(item, f"{prefix}.{item['name']}", out)
    else:
        out[prefix] = value
    return out


def _with_uncertainty(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = dict(data)
    unc: dict[str, Any] = data.pop("uncertainty", {}) or {}
    flat = flatten(data)
    for key, table in unc.items():
        for field, v in table.items():
            flat[f'uncertainty."{key}".{field}'] = v
    return flat, unc


def _covering(unc: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    """Source and confidence of the uncertainty table nearest to ``key`` (itself or a parent)."""
    if key.startswith("uncertainty."):
        return None, None
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        table = unc.get(".".join(parts[:n]))
        if table is not None:
            return table.get("source"), table.get("confidence")
    return None, None


def diff_scenarios(a: Scenario, b: Scenario) -> list[Difference]:
    """Every dotted key whose resolved value differs between two scenarios.

    Parameters
    ----------
    a, b : Scenario
        The scenarios to compare (e.g. ``fupsim.load_scenario(...)`` of two files).

    Returns
    -------
    list of Difference
        In the order of A's keys, then B's keys that A lacks; a key missing on one side has
        the value :data:`ABSENT` there. Empty when the two resolve to the same parameters.
    """
    flat_a, unc_a = _with_uncertainty(a.resolved())
    flat_b, unc_b = _with_uncertainty(b.resolved())
    keys = [*flat_a, *(k for k in flat_b if k not in flat_a)]
    out = []
    for key in keys:
        va, vb = flat_a.get(key, ABSENT), flat_b.get(key, ABSENT)
        if va == vb:
            continue
        sa, ca = _covering(unc_a, key)
        sb, cb = _covering(unc_b, key)
        out.append(Difference(key, va, vb, sa, ca, sb, cb))
    return out
