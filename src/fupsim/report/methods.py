"""Methods, parameter table and footer of the report, filled from the run's own metadata.

The methods table follows the items of CHEERS 2022 (health-economic evaluation reporting) and
STRESS-DES (reporting of discrete-event simulation studies) that apply to a fupsim run.
"""

from __future__ import annotations

import shlex
from typing import Any

import pandas as pd

from fupsim.report.html import Html, join, markup
from fupsim.scenario import Scenario

__all__ = [
    "PSA_FLAGS",
    "footer_html",
    "methods_html",
    "parameter_rows",
    "parameters_html",
    "reproduce_command",
]

CONFIDENCE = {
    "M": "measured (primary source)",
    "M2": "measured (secondary source)",
    "I": "inferred",
    "A": "ASSUMPTION",
}
SKIP_BLOCKS = ("meta", "protocol", "uncertainty", "analysis")


def _dist(value: Any) -> str:
    if isinstance(value, dict) and "dist" in value:
        args = ", ".join(f"{k}={_dist(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({args})"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_dist(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flatten(prefix: str, value: Any, out: dict[str, Any], expand: frozenset[str]) -> None:
    """Dotted keys to values; a distribution stays one entry unless its key is in ``expand``."""
    if isinstance(value, dict) and ("dist" not in value or prefix in expand):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, expand)
    else:
        out[prefix] = value


def _block_of(key: str, flat: dict[str, Any]) -> str:
    """The nearest enclosing table that states a ``source``, else the top-level block."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if f"{prefix}.source" in flat:
            return prefix
    return parts[0]


def parameter_rows(scenario: Scenario) -> pd.DataFrame:
    """Every model parameter with value, one-way range, PSA distribution, source, confidence.

    A parameter without its own ``[uncertainty]`` entry takes its block's ``source``; the
    cause-mix shares share the ``cohort.causes`` entry (a joint Dirichlet).

    Returns
    -------
    DataFrame
        ``block, parameter, value, range, psa, source, own_source`` (bool: the parameter's own
        entry rather than its block's), ``confidence`` and ``assumption`` (bool).
    """
    data = scenario.resolved()
    unc: dict[str, Any] = data.get("uncertainty", {})
    flat: dict[str, Any] = {}
    # a distribution whose own fields carry uncertainty (e.g. onset.mean) gets a row per field
    expand = frozenset(k.rsplit(".", 1)[0] for k in unc)
    for block, value in data.items():
        if block not in SKIP_BLOCKS:
            _flatten(block, value, flat, expand)
    rows = []
    for key, value in flat.items():
        if key.endswith(".source"):
            continue
        own = unc.get(key)
        joint = next((k for k in unc if key.startswith(k + ".")), None)
        u = own or (unc[joint] if joint else {})
        block = _block_of(key, flat)
        block_source = flat.get(f"{block}.source") or ""
        rng = u.get("range")
        conf = u.get("confidence", "")
        psa = _dist(u["psa"]) if "psa" in u else ""
        alpha = u.get("psa", {}).get("alpha") if joint else None
        if isinstance(alpha, dict) and key.rsplit(".", 1)[1] in alpha:
            psa = (
                f"{u['psa']['dist']} over {joint}: α = {alpha[key.rsplit('.', 1)[1]]:g} "
                f"of Σα = {sum(alpha.values()):g}"
            )
        rows.append(
            {
                "block": block,
                "parameter": key,
                "value": _dist(value),
                "range": f"{rng[0]:g} – {rng[1]:g}" if rng else "",
                "psa": psa,
                "source": u.get("source") or block_source or "not stated",
                "own_source": bool(u.get("source")),
                "confidence": CONFIDENCE.get(conf, "not stated") if conf else "not stated",
                "assumption": conf == "A",
            }
        )
    return pd.DataFrame(rows)


def parameters_html(scenario: Scenario) -> Html:
    """The parameter table, grouped by block; assumptions shaded and flagged in words."""
    rows = parameter_rows(scenario)
    n_a = int(rows["assumption"].sum())
    body = []
    for block, part in rows.groupby("block", sort=False):
        shared = part.loc[~part["own_source"], "source"]
        note = f" — source: {shared.iloc[0]}" if len(shared) else ""
        body.append(markup('<tr class="group"><th colspan="6">{}{}</th></tr>', block, note))
        for _, r in part.iterrows():
            cls = markup(' class="assumption"') if r["assumption"] else markup("")
            conf = (
                markup('<span class="flag">{}</span>', r["confidence"])
                if r["assumption"]
                else r["confidence"]
            )
            src = r["source"] if r["own_source"] else "(block source)"
            body.append(
                markup(
                    "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    cls,
                    r["parameter"],
                    r["value"],
                    r["range"],
                    r["psa"],
                    src,
                    conf,
                )
            )
    head = join(
        markup("<th>{}</th>", h)
        for h in (
            "Parameter (unit in its name; times in months)",
            "Value",
            "One-way range",
            "PSA distribution",
            "Source",
            "Confidence",
        )
    )
    return markup(
        "<p>All {} parameters of the run, grouped by scenario block. Rows shaded and "
        'marked <span class="flag">ASSUMPTION</span> ({} parameters) have no source that '
        "supports the value: they need expert review or local data. “Not stated” means the "
        "scenario gives no confidence code for that value (the scenario file's comments may). "
        "The range is the one-way sensitivity range, PSA the distribution for probabilistic "
        "analysis; sources cite PARAMETERS.md IDs. Probabilities and shares are 0–1; costs in "
        "{} {}.</p>"
        '<table id="parameter-table" class="params"><caption>Model parameters</caption>'
        "<thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        len(rows),
        n_a,
        scenario.costs.currency,
        scenario.costs.year,
        head,
        join(body),
    )


def _schedule(p: Any, horizon: float) -> str:
    months = p.visit_months(horizon)
    if not months:
        return "no scheduled scans"
    shown = ", ".join(f"{m:g}" for m in months[:8]) + (" …" if len(months) > 8 else "")
    every = f"every {p.interval_months:g} months; " if p.interval_months else ""
    stop = f"; stop after {p.stop_after_stable} stable scans" if p.stop_after_stable else ""
    return f"{every}{len(months)} visits at months {shown}{stop}"


def methods_html(scenario: Scenario, manifest: dict[str, Any], summary: pd.DataFrame) -> Html:
    """The methods table (CHEERS 2022 / STRESS-DES items) filled from the scenario and manifest."""
    sim, costs = scenario.simulation, scenario.costs
    reps, patients = (
        int(manifest.get("replications", sim.replications)),
        int(manifest.get("patients", sim.patients)),
    )
    se = summary.set_index("protocol")
    mc = "; ".join(
        f"{p}: screen-detected {r['screen_detected_per_1000']:.1f} ± {r['screen_detected_per_1000_se']:.2f} "
        f"per 1,000, cost {r['cost_per_patient']:,.0f} ± {r['cost_per_patient_se']:,.1f}"
        for p, r in se.iterrows()
    )
    protocols = join(
        markup(
            "<li><b>{}</b>: {}{}</li>",
            p.name,
            _schedule(p, sim.horizon_months),
            " — " + p.description if p.description else "",
        )
        for p in scenario.protocol
    )
    items: list[tuple[str, str | Html]] = [
        (
            "Model type (CHEERS 15; STRESS-DES 1.3)",
            "Individual-level discrete-event simulation (SimPy clinic calendar; patients who do not "
            "interact handled as numpy arrays). Latent natural history by cause: constant onset hazard "
            "of a detectable relevant change, then a preclinical sojourn before clinical presentation.",
        ),
        (
            "Population (CHEERS 7)",
            f"{patients:,} simulated adults with an incidental intrahepatic calcification per replicate"
            + (
                f" who enter the index work-up, plus the infants of fetal findings from "
                f"{scenario.prenatal.pregnancies(patients):,} scanned pregnancies (their own "
                "pathway, reported apart)"
                if scenario.prenatal.pregnancies(patients)
                else ""
            )
            + f". Scenario: {scenario.meta.description}",
        ),
        ("Comparators (CHEERS 9)", markup("<ul>{}</ul>", protocols)),
        (
            "Perspective (CHEERS 10)",
            "Health-care payer: ultrasound scans, clinic visits, CT work-ups and treatment of relevant "
            "changes (early after screen detection, late after clinical presentation).",
        ),
        (
            "Time horizon (CHEERS 11)",
            f"Scans: each protocol's own duration (at most {sim.horizon_months:g} months from the "
            "index scan). Outcomes: "
            + (
                "lifetime (life table)"
                if scenario.analysis.outcome_horizon_years == "lifetime"
                else f"{scenario.analysis.outcome_horizon_years:g} years"
            )
            + ", so changes still latent when follow-up ends present later and count",
        ),
        (
            "Discount rate (CHEERS 12)",
            f"{costs.discount_rate:.1%} per year for costs and "
            f"{scenario.health.discount_rate:.1%} for health effects, applied continuously in time",
        ),
        (
            "Outcome (CHEERS 13)",
            "Decision outcome: "
            + {"qaly": "QALYs", "life_years": "life-years"}.get(
                scenario.analysis.effect, "screen-detected changes"
            )
            + " "
            "(analysis.effect), lifetime and discounted; also screen-detected changes, late "
            "presentations, deaths, false-positive work-ups, false diagnoses, CT radiation, "
            "detection delay and lead time",
        ),
        ("Currency and price year (CHEERS 16)", f"{costs.currency} {costs.year}"),
        (
            "Random numbers (STRESS-DES 5.3)",
            f"numpy SeedSequence, root seed {manifest.get('seed', sim.seed)}, one child per replicate; "
            "common random numbers: every protocol sees the same people and latent histories",
        ),
        (
            "Replications and run length (STRESS-DES 4.4)",
            f"{reps} replicates × {patients:,} adults × {len(scenario.protocol)} protocols; a closed "
            "cohort over the horizon, so no warm-up period",
        ),
        ("Monte Carlo error (STRESS-DES 4.4)", f"mean ± standard error over replicates — {mc}"),
        (
            "Characterising uncertainty (CHEERS 20)",
            "Intervals in this report are Monte Carlo intervals over replicates (paired by replicate "
            "for contrasts). Parameter uncertainty: see the sensitivity section when it was run.",
        ),
        (
            "Software and run (STRESS-DES 5.1–5.4)",
            f"fupsim {manifest.get('packages', {}).get('fupsim', '?')}, Python "
            f"{manifest.get('packages', {}).get('python', '?')}; wall time "
            f"{manifest.get('wall_time_seconds', float('nan'))} s on {manifest.get('workers', '?')} "
            "worker process(es)",
        ),
    ]
    rows = join(markup("<tr><th>{}</th><td>{}</td></tr>", k, v) for k, v in items)
    return markup(
        '<table id="methods-table"><caption>Methods: the applicable CHEERS 2022 and STRESS-DES '
        "items</caption><thead><tr><th>Item</th><th>This run</th></tr></thead><tbody>{}"
        "</tbody></table>",
        rows,
    )


def overrides_banner(manifest: dict[str, Any], scenario: Scenario) -> Html | None:
    """A warning line listing the manifest's ``overrides`` and the protocols as simulated.

    The protocols' descriptions are rebuilt from the resolved scenario, so a ``--set`` that
    changed an interval shows the interval actually used. None when nothing was overridden.
    """
    overrides = [str(o) for o in manifest.get("overrides") or []]
    if not overrides:
        return None
    horizon = scenario.simulation.horizon_months
    protocols = join(
        (markup("<b>{}</b>: {}", p.name, _schedule(p, horizon)) for p in scenario.protocol),
        "; ",
    )
    return markup(
        '<br><span class="fail">Overrides applied:</span> {}. Protocols as simulated: {}.',
        join((markup("<code>{}</code>", o) for o in overrides), ", "),
        protocols,
    )


PSA_FLAGS = {"--psa-draws": True, "--psa-patients": True, "--no-psa": False}
"""``fupsim report``'s PSA options (flag → takes a value), restated by :func:`reproduce_command`."""


def reproduce_command(manifest: dict[str, Any], psa: dict[str, Any] | None = None) -> str:
    """The command that reproduces the results, with the PSA options that were used.

    The manifest's ``fupsim_command`` (or, for a run made from Python, its equivalent). For a
    ``fupsim report`` command the PSA options are restated from the PSA's manifest
    (``psa_manifest.json``): ``--psa-draws D --psa-patients P`` (the size the noise rule chose,
    so a later change of default or rule cannot change the reproduced numbers), or
    ``--no-psa`` when the folder holds no PSA. Other commands are shown as recorded.
    """
    produced = manifest.get("fupsim_command") or (  # run from Python: the equivalent command
        f"fupsim report SCENARIO.toml --out REPORT --seed {manifest.get('seed')} "
        f"--replications {manifest.get('replications')} --patients {manifest.get('patients')}"
    )
    try:
        parts = shlex.split(str(produced))
    except ValueError:
        return str(produced)
    if parts[:2] != ["fupsim", "report"]:
        return str(produced)
    kept: list[str] = []
    skip_value = False
    for part in parts:
        flag = part.split("=", 1)[0]
        if skip_value:
            skip_value = False
        elif flag in PSA_FLAGS:
            skip_value = PSA_FLAGS[flag] and "=" not in part
        else:
            kept.append(part)
    if psa and psa.get("draws") is not None:
        kept += ["--psa-draws", str(psa["draws"])]
        if psa.get("patients_per_point") is not None:
            kept += ["--psa-patients", str(psa["patients_per_point"])]
    else:
        kept.append("--no-psa")
    return shlex.join(kept)


def footer_html(
    manifest: dict[str, Any], command: str | None = None, *, psa: dict[str, Any] | None = None
) -> Html:
    """Package versions, git revision, the command that produced the results and the render.

    The reproduce line is :func:`reproduce_command` (the manifest's ``fupsim_command`` with
    the PSA options of ``psa``, the PSA's manifest); a re-render adds its own line below it
    and never replaces it.
    """
    pkgs = ", ".join(f"{k} {v}" for k, v in sorted(manifest.get("packages", {}).items()))
    rev = manifest.get("git_revision") or "not recorded (not run from a git checkout)"
    produced = reproduce_command(manifest, psa)
    wall = manifest.get("wall_time_seconds")
    rendered = (
        markup("<p><b>This page rendered by:</b> <code>{}</code></p>", command)
        if command and command != produced
        else markup("")
    )
    return markup(
        "<p><b>Reproduce (the command that produced these results):</b> <code>{}</code></p>"
        "{}<p><b>Simulation wall time:</b> {}</p>"
        "<p><b>Git revision:</b> <code>{}</code></p>"
        "<p><b>Package versions:</b> {}</p>"
        "<p>Generated by fupsim. The run folder beside this page holds summary.csv, "
        "outcomes.parquet, events.parquet and manifest.json (the resolved scenario); "
        "<code>fupsim report &lt;this folder&gt; --out &lt;folder&gt;</code> re-renders it without "
        "simulating.</p>",
        produced,
        rendered,
        "not recorded" if wall is None else f"{float(wall):.1f} s",
        rev,
        pkgs,
    )
