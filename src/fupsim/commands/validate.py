"""``fupsim validate``: check a scenario and print its resolved parameters."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fupsim.commands.common import scenario_from_args
from fupsim.errors import ScenarioError


def register(sub: Any) -> None:
    """Add the ``validate`` sub-command."""
    p = sub.add_parser(
        "validate",
        help="check a scenario and print its resolved parameters",
        description="Check a scenario file (and any --set overrides) and print every resolved "
        "parameter with its one-way range, PSA distribution, source and confidence code. Writes "
        "nothing, except with --checks: the closed-form validation table into --out.",
    )
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", help="scenario file (.toml)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter by dotted key (repeatable)",
    )
    p.add_argument("--schema", action="store_true", help="print the scenario JSON schema instead")
    p.add_argument("--json", action="store_true", help="print the resolved scenario as JSON")
    p.add_argument(
        "--checks",
        action="store_true",
        help="instead, simulate the closed-form validation checks (PARAMETERS.md §4; about 2 s) "
        "and write validation.csv into --out",
    )
    p.add_argument("--out", metavar="DIR", help="output folder for --checks")
    p.add_argument(
        "--force",
        action="store_true",
        help="with --checks: write into an existing folder holding files fupsim did not write",
    )
    p.set_defaults(func=_run)


def _fmt(v: Any) -> str:
    if isinstance(v, dict) and "dist" in v:
        return "{" + ", ".join(f"{k}={x}" for k, x in v.items()) + "}"
    return str(v)


def _run(args: argparse.Namespace) -> int:
    from fupsim.scenario import Scenario
    from fupsim.scenario.diff import flatten

    if args.schema:
        print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
        return 0
    if args.checks:
        if not args.out:
            raise ScenarioError("--checks: give --out DIR for validation.csv")
        from fupsim.pipeline import write_validation

        out = write_validation(args.out, force=args.force)
        print(f"wrote {out}/validation.csv")
        return 0
    if args.out:
        raise ScenarioError(f"--out {args.out!r}: only with --checks (validate writes nothing)")
    if not args.scenario:
        raise ScenarioError("SCENARIO: missing; give a .toml scenario file (or --schema)")
    scenario = scenario_from_args(args)
    data = scenario.resolved()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    unc = data.pop("uncertainty", {})
    flat = flatten(data)
    width = max(len(k) for k in flat)
    print(
        f"scenario {scenario.meta.name!r}: valid ({len(scenario.protocol)} protocols, "
        f"{len(flat)} parameters, {len(unc)} with stated uncertainty)"
    )
    for key, value in flat.items():
        line = f"  {key:<{width}} = {_fmt(value)}"
        u = unc.get(key)
        if u:
            bits = []
            if "range" in u:
                bits.append(f"range {u['range'][0]}–{u['range'][1]}")
            if "psa" in u:
                bits.append(f"psa {_fmt(u['psa'])}")
            if "confidence" in u:
                bits.append(f"[{u['confidence']}{' ASSUMPTION' if u['confidence'] == 'A' else ''}]")
            line += "   # " + "; ".join(bits)
        print(line)
    return 0
