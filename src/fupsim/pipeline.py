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

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from fupsim.experiment import RUN_FILES, RunResult, load_run, run
from fupsim.output import atomic_directory, check_out_dir, write_csv
from fupsim.report import gather_files, gather_folders, render_report
from fupsim.scenario import scenario_from_dict, with_overrides
from fupsim.statistics import OUTPUT_FILES, compare
from fupsim.validation import analytic_checks

__all__ = [
    "CAPACITY_LIMITS_FILE",
    "UNLIMITED_SLOTS",
    "VALIDATION_FILE",
    "build_report",
    "capacity_limits",
    "capacity_step",
    "comparison_step",
    "validation_step",
    "write_validation",
]

VALIDATION_FILE = "validation.csv"
CAPACITY_LIMITS_FILE = "capacity_limits.csv"
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
    """Mean detection delay per protocol with the run's slots and with unlimited slots.

    Both are run again from the scenario, seed, replicates and patients recorded in the
    folder's ``manifest.json``; the unlimited one has ``capacity.slots_per_day`` set to
    :data:`UNLIMITED_SLOTS`, no other services' scans and no escalation, so the same people
    arrive on the same days and only waiting for a slot differs.

    Returns
    -------
    DataFrame
        ``protocol``, ``mean_delay_months_unlimited``, ``mean_delay_months_with_limits``
        (months), ``screen_detected_per_1000_unlimited``,
        ``screen_detected_per_1000_with_limits`` (per 1,000 people).
    """
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    scenario = scenario_from_dict(manifest["scenario"])
    unlimited = {
        "capacity.slots_per_day": UNLIMITED_SLOTS,
        "capacity.background_scans_per_day": 0.0,
        "capacity.max_wait_days": None,
    }
    cols = ["protocol", "mean_delay_months", "screen_detected_per_1000"]
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
        tables.append(result.summary()[cols])
    table = tables[0].merge(tables[1], on="protocol", suffixes=("_unlimited", "_with_limits"))
    return table[
        [
            "protocol",
            "mean_delay_months_unlimited",
            "mean_delay_months_with_limits",
            "screen_detected_per_1000_unlimited",
            "screen_detected_per_1000_with_limits",
        ]
    ]


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
            gather_files(tmp, [out])
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
