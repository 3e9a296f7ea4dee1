"""The report pipeline: analysis steps that write files, then rendering from the folder.

:func:`build_report` runs (or reads) a run, then the explicit analysis steps, each of which
writes its own files into the report folder **before** anything is rendered:

1. :func:`comparison_step` — ``fupsim compare``'s tables (:mod:`fupsim.statistics`);
2. :func:`validation_step` — ``validation.csv``, the closed-form checks (a few seconds);
3. :func:`capacity_step` — ``capacity_limits.csv``, detection with and without the slot
   limit (two runs), only when the folder holds ``capacity.csv``.

It then calls :func:`fupsim.report.render_report`, which only reads files. A step whose files
are already in the folder is not run again, so re-rendering a report folder simulates
nothing and gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.experiment import RUN_FILES, RUN_OUTPUTS, RunResult, load_run, run
from fupsim.output import atomic_directory, check_out_dir, write_csv
from fupsim.report import gather_files, gather_folders, render_report
from fupsim.report.multi import render_scenarios
from fupsim.scenario import Scenario, ScenarioError, scenario_from_dict, with_overrides
from fupsim.sensitivity.psa_result import PsaResult
from fupsim.statistics import OUTPUT_FILES, compare
from fupsim.validation import analytic_checks

__all__ = [
    "CAPACITY_LIMITS_FILE",
    "UNLIMITED_SLOTS",
    "VALIDATION_FILE",
    "build_report",
    "build_scenarios_report",
    "capacity_limits",
    "capacity_step",
    "comparison_step",
    "report_command",
    "scenario_folders",
    "validation_step",
    "write_validation",
]

VALIDATION_FILE = "validation.csv"
CAPACITY_LIMITS_FILE = "capacity_limits.csv"
RUN_DERIVED = frozenset({*RUN_OUTPUTS, *OUTPUT_FILES, CAPACITY_LIMITS_FILE})
"""Files that belong to one run (its own, its comparison, its capacity comparison): never
carried from an older report into a new run's."""
UNLIMITED_SLOTS = 10**7
"""Slots per clinic day that stand for "no limit" in the capacity comparison run."""


def comparison_step(result: RunResult, folder: Path, *, gee: bool = False) -> None:
    """Write the statistical comparison's files into ``folder`` unless they are all there."""
    if all((folder / n).is_file() for n in OUTPUT_FILES) and not gee:
        return
    compare(result, gee=gee).write(folder)


def validation_step(folder: Path) -> None:
    """Write ``validation.csv`` (:func:`fupsim.validation.analytic_checks`) unless present."""
    if not (folder / VALIDATION_FILE).is_file():
        write_csv(analytic_checks(), folder / VALIDATION_FILE)


def write_validation(out: str | Path, *, force: bool = False) -> Path:
    """``fupsim validate --checks --out DIR``: a folder holding ``validation.csv`` only."""
    out = check_out_dir(out, force=force)
    with atomic_directory(out, force=force) as tmp:
        write_csv(analytic_checks(), tmp / VALIDATION_FILE)
    return out


def capacity_limits(folder: str | Path) -> pd.DataFrame:
    """Detection and the chosen effect per protocol with the run's slots and with unlimited slots.

    Both are run again from the scenario, seed, replicates and patients recorded in the
    folder's ``manifest.json``; the unlimited one has ``capacity.slots_per_day`` set to
    :data:`UNLIMITED_SLOTS`, no other services' scans and no escalation, so the same people
    arrive on the same days and only waiting for a slot differs.

    Returns
    -------
    DataFrame
        :func:`fupsim.capacity.limits_table`: per protocol the mean detection delay, the
        screen-detected changes and the ``analysis.effect`` with and without the limit, and
        what the limit costs in that effect per 1,000 people.
    """
    from fupsim.capacity import limits_table

    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    scenario = scenario_from_dict(manifest["scenario"])
    unlimited = {
        "capacity.slots_per_day": UNLIMITED_SLOTS,
        "capacity.background_scans_per_day": 0.0,
        "capacity.max_wait_days": None,
    }
    tables = []
    for variant in (with_overrides(scenario, unlimited), scenario):
        result = run(
            variant,
            seed=manifest.get("seed"),
            replications=manifest.get("replications"),
            patients=manifest.get("patients"),
            events=False,
            progress=False,
        )
        tables.append(result.summary())
    return limits_table(tables[0], tables[1], scenario.analysis.effect)


def capacity_step(folder: Path) -> None:
    """Write ``capacity_limits.csv`` when the folder has ``capacity.csv`` and lacks it."""
    if (folder / "capacity.csv").is_file() and not (folder / CAPACITY_LIMITS_FILE).is_file():
        write_csv(capacity_limits(folder), folder / CAPACITY_LIMITS_FILE)


def build_report(
    run_or_dir: RunResult | str | Path,
    out: str | Path,
    *,
    command: str | None = None,
    progress: bool | None = None,
    validation: bool = True,
    capacity: bool = True,
    gee: bool = False,
    figure_formats: Sequence[str] = ("png",),
    force: bool = False,
) -> Path:
    """Run the analysis steps into the report folder, then render it.

    Parameters
    ----------
    run_or_dir : RunResult, str or Path
        A finished run (``fupsim.run``), or a run or report folder (re-rendered without
        simulating; analysis files already in it are reused).
    out : str or Path
        The report folder; it appears whole or not at all. Files already in it that the
        report does not replace (e.g. ``owsa.csv``, ``decision.csv``) are kept and feed the
        plug-in sections, and so do its sub-folders (e.g. ``design/``): they are brought into
        the folder being built before it is rendered (:func:`fupsim.report.gather_folders`).
    command : str, optional
        The command that rendered this page (shown beside the command that produced the
        results, which comes from the run's manifest).
    progress : bool, optional
        Progress bar on stderr (default: only on a terminal).
    validation : bool
        Run the closed-form validation checks (about 2 s) when the folder lacks them.
    capacity : bool
        Run the capacity limit comparison (two runs) when the folder has ``capacity.csv``.
    gee : bool
        Fit the appendix GEE in ``models.txt`` (a few seconds on a large run).
    figure_formats : sequence of str
        ``png`` always, plus ``svg`` and/or ``pdf``.
    force : bool
        Write into an existing folder that holds files fupsim did not write (they are kept).

    Returns
    -------
    Path
        ``out``.
    """
    source = None if isinstance(run_or_dir, RunResult) else Path(run_or_dir)
    out = Path(out)
    with atomic_directory(out, force=force) as tmp:
        if source is None:
            assert isinstance(run_or_dir, RunResult)
            result = run_or_dir
            result.write_into(tmp)
            gather_files(tmp, [out], skip=RUN_DERIVED)  # a new run: none of the old run's
            gather_folders(tmp, [out])
        else:
            gather_files(tmp, [source, out])
            gather_folders(tmp, [source, out])
            result = load_run(tmp, need=RUN_FILES[:1] + RUN_FILES[1:2] + RUN_FILES[3:])
        comparison_step(result, tmp, gee=gee)
        if validation:
            validation_step(tmp)
        if capacity:
            capacity_step(tmp)
        render_report(
            tmp,
            command=command,
            progress=progress,
            figure_formats=figure_formats,
            validation_skipped=not validation,
        )
    return out


def report_command(
    source: str | Path, out: str | Path, manifest: dict[str, Any] | None = None
) -> str:
    """The ``fupsim report`` command that simulates ``source`` into ``out`` as a run did.

    With a run's ``manifest``: its seed, replicates, adults (unless the cohort came from
    arrivals) and ``--set`` overrides. The report's footer adds the PSA options
    (:func:`fupsim.report.methods.reproduce_command`).
    """
    parts = ["fupsim", "report", str(source), "--out", str(out)]
    if manifest is not None:
        parts += ["--seed", str(manifest.get("seed"))]
        parts += ["--replications", str(manifest.get("replications"))]
        if "patients_from" not in manifest:  # with arrivals the cohort size is not an option
            parts += ["--patients", str(manifest.get("patients"))]
        for item in manifest.get("overrides") or []:
            parts += ["--set", str(item)]
    return shlex.join(parts)


RESERVED = frozenset({"figures", "tables", "points"})
"""Names a scenario's sub-folder may not take (the side-by-side page's own folders)."""


def scenario_folders(scenarios: Sequence[Scenario]) -> list[str]:
    """A sub-folder name per scenario: its ``meta.name`` made file-safe, unique in order."""
    names: list[str] = []
    for sc in scenarios:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", sc.meta.name).strip(".-") or "scenario"
        base = f"{base}-scenario" if base in RESERVED else base
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def _carry_over(old: Path, new: Path, *, psa: bool) -> None:
    """Start a scenario's sub-folder from its previous report: analyses and sub-folders.

    The run's files and the page are made anew; the PSA's files only when a PSA runs (its
    point store ``points/`` is reused then); files of other analyses (``owsa.csv``, a
    ``design/`` folder) are kept, as a single report keeps them.
    """
    new.mkdir(parents=True, exist_ok=True)
    page = {"index.html", "report-standalone.html"}
    skip = RUN_DERIVED | page | (frozenset() if psa else frozenset(PsaResult.FILES))
    gather_files(new, [old], skip=skip)
    gather_folders(new, [old], skip={"figures", "tables"} | (set() if psa else {"points"}))


def build_scenarios_report(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    simulate: Callable[[Scenario], RunResult] | None = None,
    psa: Callable[[Scenario, Path], object] | None = None,
    sources: Sequence[str | Path] | None = None,
    command: str | None = None,
    progress: bool | None = None,
    validation: bool = True,
    capacity: bool = True,
    gee: bool = False,
    figure_formats: Sequence[str] = ("png",),
    force: bool = False,
) -> Path:
    """One report of several scenarios side by side (structural uncertainty).

    Each scenario is simulated and gets the whole single report (:func:`build_report`) in
    ``out/<name>/`` (:func:`scenario_folders`); then :func:`fupsim.report.multi.render_scenarios`
    renders ``out/index.html`` from those folders. The whole folder is built beside ``out``
    and appears whole or not at all.

    Parameters
    ----------
    scenarios : sequence of Scenario
        At least two; the first is the one the others are compared with.
    out : str or Path
        The folder.
    simulate : callable, optional
        ``simulate(scenario) -> RunResult`` (default :func:`fupsim.experiment.run` with the
        scenario's own sizes).
    psa : callable, optional
        ``psa(scenario, folder)`` writes the scenario's PSA files into its sub-folder before it
        is rendered (the command's PSA step); None: no PSA.
    sources : sequence of str or Path, optional
        The scenario files, for each report's reproduce line
        (``fupsim report FILE --out out/<name> …``).
    command : str, optional
        The command that built the folder (shown on the page).
    progress, validation, capacity, gee, figure_formats, force
        As :func:`build_report`. The closed-form validation checks do not depend on the
        scenario: they run once and every report shows them.

    Returns
    -------
    Path
        ``out``.
    """
    if len(scenarios) < 2:
        raise ScenarioError(f"scenarios: {len(scenarios)} given; give two or more to compare")
    out = Path(out)
    names = scenario_folders(scenarios)
    simulate = simulate or (lambda sc: run(sc, progress=progress))
    with atomic_directory(out, force=force) as tmp:
        for k, (name, scenario) in enumerate(zip(names, scenarios, strict=True)):
            sub = tmp / name
            _carry_over(out / name, sub, psa=psa is not None)
            if validation and k > 0 and (tmp / names[0] / VALIDATION_FILE).is_file():
                shutil.copy2(tmp / names[0] / VALIDATION_FILE, sub / VALIDATION_FILE)
            result = simulate(scenario)
            if sources is not None:
                cmd = report_command(sources[k], out / name, result.manifest)
                result = dataclasses.replace(
                    result, manifest={**result.manifest, "fupsim_command": cmd}
                )
            if psa is not None:
                psa(scenario, sub)
            build_report(
                result,
                sub,
                progress=progress,
                validation=validation,
                capacity=capacity,
                gee=gee,
                figure_formats=figure_formats,
                force=True,
            )
        render_scenarios(tmp, names, command=command)
    return out
