"""``fupsim diff``: the resolved differences between two scenarios, with their sources."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``diff`` sub-command."""
    p = sub.add_parser(
        "diff",
        help="print the parameters in which two scenarios differ, with their sources",
        description="Resolve two scenario files (following 'extends', then applying any --set "
        "overrides to both) and print every dotted key whose value differs: the value in A, "
        "the value in B, and the source and confidence code of the [uncertainty] table that "
        "covers the key, where one does. Writes nothing; exit code 0 whether or not they differ.",
    )
    p.add_argument("a", metavar="A", help="first scenario file (.toml)")
    p.add_argument("b", metavar="B", help="second scenario file (.toml)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter in both scenarios before comparing (repeatable)",
    )
    p.set_defaults(func=_run)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _cite(source: str | None, confidence: str | None) -> str | None:
    if source is None and confidence is None:
        return None
    flag = " ASSUMPTION" if confidence == "A" else ""
    code = f" [{confidence}{flag}]" if confidence else ""
    return f"{source or '(no source given)'}{code}"


def _run(args: argparse.Namespace) -> int:
    from fupsim.scenario import diff_scenarios, load_scenario

    a = load_scenario(args.a, args.overrides)
    b = load_scenario(args.b, args.overrides)
    rows = diff_scenarios(a, b)
    print(f"A: {args.a} ({a.meta.name})")
    print(f"B: {args.b} ({b.meta.name})")
    if not rows:
        print("no differences: the two scenarios resolve to the same parameters")
        return 0
    print(f"{len(rows)} differing key(s):")
    for row in rows:
        print(f"  {row.key}")
        print(f"    A: {_shown(row.a)}")
        print(f"    B: {_shown(row.b)}")
        cite_a = _cite(row.source_a, row.confidence_a)
        cite_b = _cite(row.source_b, row.confidence_b)
        if cite_a is not None and cite_a == cite_b:
            print(f"    source: {cite_a}")
        else:
            if cite_a is not None:
                print(f"    source in A: {cite_a}")
            if cite_b is not None:
                print(f"    source in B: {cite_b}")
    return 0
