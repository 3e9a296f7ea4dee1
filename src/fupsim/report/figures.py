"""The report's figures: each drawn by a ``fupsim.plots`` function and written as files.

Every figure is written as PNG at :data:`DPI` (fit for print; the page shows it) and, on
request, as SVG and/or PDF beside it. Files carry no creation date, so rendering twice gives
identical bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from fupsim.labels import effect as effect_of
from fupsim.plots import cohort as pc
from fupsim.plots import economics as pe
from fupsim.plots import results as pr
from fupsim.plots.style import protocol_colors
from fupsim.report.html import Html, figure
from fupsim.report.workers import run_jobs
from fupsim.scenario import Scenario

__all__ = ["DPI", "FORMATS", "FigureFile", "save_figure", "section_figure", "write_figures"]

DPI = 200
"""Resolution of the PNG files (dots per inch), fit for print."""
FORMATS = ("png", "svg", "pdf")
"""Figure formats; PNG is always written."""
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


@dataclass(frozen=True)
class FigureFile:
    """A written figure: file name in ``figures/``, alt text and caption (plain text, escaped)."""

    name: str
    alt: str
    caption: str

    @property
    def src(self) -> str:
        """Path relative to ``index.html``."""
        return f"figures/{self.name}"


def save_figure(fig: Any, path: Path, formats: Sequence[str] = ("png",)) -> None:
    """Write ``fig`` as ``path`` (a ``.png``) and as each other format in ``formats`` beside it.

    No file records a date or software version, so the same figure gives the same bytes.
    """
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "fupsim", "pdf.compression": 6}):
        for fmt in dict.fromkeys(["png", *formats]):
            fig.savefig(
                path.with_suffix(f".{fmt}"),
                dpi=DPI,
                facecolor="white",
                format=fmt,
                metadata=_METADATA[fmt],
            )


def section_figure(
    draw: Callable[[Any], object],
    figures_dir: Path,
    name: str,
    caption: str,
    *,
    figsize: tuple[float, float] = (7.5, 4.8),
) -> Html:
    """A plug-in section's figure: ``draw(ax)`` on a new figure, saved as ``figures/<name>.png``.

    Saved by :func:`save_figure` (the report's resolution, no date in the file), and returned
    as the page's ``<figure>`` with ``caption`` as its caption and alternative text.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    draw(fig.subplots())
    figures_dir.mkdir(parents=True, exist_ok=True)
    save_figure(fig, figures_dir / f"{name}.png")
    return figure(f"figures/{name}.png", caption, caption)


def _new(width: float, height: float, nrows: int = 1, ncols: int = 1) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


@dataclass(frozen=True)
class _Inputs:
    """What the report's own figures are drawn from, and where they go."""

    scenario: Scenario
    outcomes: pd.DataFrame
    summary: pd.DataFrame
    comparison: Any
    by_cause: pd.DataFrame | None
    colors: dict[str, str]
    figures_dir: Path
    formats: Sequence[str]

    def save(self, fig: Any, name: str, alt: str, caption: str) -> FigureFile:
        save_figure(fig, self.figures_dir / name, self.formats)
        return FigureFile(name, alt, caption)


def _cohort(d: _Inputs) -> FigureFile:
    sc = d.scenario
    people = d.outcomes[d.outcomes["protocol"] == sc.protocol_names[0]]
    fig, ax = _new(13.5, 7.6, 2, 3)
    pc.plot_age(people, ax=ax[0, 0])
    pc.plot_sex(people, ax=ax[0, 1], female_share=sc.cohort.female_share)
    pc.plot_lobe(people, ax=ax[0, 2], expected=sc.cohort.lobe.model_dump())
    pc.plot_foci(people, ax=ax[1, 0], multiple_share=sc.cohort.multiple_foci_share)
    pc.plot_causes(people, ax=ax[1, 1], expected=sc.cohort.causes)
    in_outcomes = bool((people["stream"].astype(str) == "prenatal").any())
    if in_outcomes and sc.prenatal.screened > 0:
        pc.plot_prenatal(people, ax=ax[1, 2], screened=sc.prenatal.screened, article_rate=0.00057)
    else:  # infants follow their own pathway (infants.csv), or there is no prenatal stream
        ax[1, 2].set_axis_off()
        ax[1, 2].text(
            0.5,
            0.5,
            "infants: their own pathway\n(see 'Who is followed')"
            if sc.prenatal.pregnancies(1000) or sc.prenatal.screened
            else "no prenatal stream",
            ha="center",
            va="center",
        )
    return d.save(
        fig,
        "cohort.png",
        "Simulated cohort against the source article",
        "The simulated cohort (slate bars) against the source article's description "
        "and the scenario's inputs (black diamonds or dashed line). Adults only, "
        "except the prenatal panel; all replicates pooled.",
    )


def _yield(d: _Inputs) -> FigureFile:
    fig, axes = _new(8.5, 4.8)
    pr.plot_yield(d.summary, ax=axes[0, 0], colors=d.colors)
    return d.save(
        fig,
        "yield.png",
        "Yield per protocol",
        "Relevant changes per 1,000 people followed, by how they came to light. "
        "Error bars: 95% Monte Carlo intervals (mean ± 1.96 SE over replicates).",
    )


def _detection(d: _Inputs) -> FigureFile:
    onset_curves = d.comparison.detection_curves
    since_onset = None
    if onset_curves is not None and len(onset_curves):
        since_onset = onset_curves[onset_curves["estimator"] == "cumulative-incidence"]
    fig, axes = _new(
        13.0 if since_onset is not None else 8.5, 4.8, 1, 2 if since_onset is not None else 1
    )
    pr.plot_detection_curves(
        d.comparison.detection_from_index,
        ax=axes[0, 0],
        colors=d.colors,
        scale=1000.0,
        ylabel="Screen-detected changes per 1,000 people",
        horizon_months=d.scenario.simulation.horizon_months,
        title="Over follow-up (bands: 95% CI over replicates)",
    )
    caption = (
        "Left: screen-detected changes per 1,000 people by months since the index scan; "
        "bands: 95% interval over replicates; dotted line: end of follow-up."
    )
    if since_onset is not None:
        pr.plot_detection_curves(
            since_onset,
            ax=axes[0, 1],
            colors=d.colors,
            scale=100.0,
            ylabel="Changes screen-detected (% of changes)",
            xlabel="Months since onset of the change",
            title="Since onset (Aalen–Johansen, bands: 95% CI)",
        )
        caption += (
            " Right: share of relevant changes found by a scheduled scan by months since "
            "the change began, with clinical presentation as a competing event "
            "(fupsim.stats; Aalen–Johansen cumulative incidence)."
        )
    return d.save(fig, "detection.png", "Cumulative detection over follow-up", caption)


def _workload(d: _Inputs) -> FigureFile:
    fig, axes = _new(13.0, 4.6, 1, 2)
    pr.plot_scans(d.summary, ax=axes[0, 0], colors=d.colors)
    pr.plot_workups(d.summary, ax=axes[0, 1], colors=d.colors)
    return d.save(
        fig,
        "workload.png",
        "Scans and CT work-ups",
        "Left: ultrasound scans per person over the horizon, attended and missed. "
        "Right: CT work-ups per 1,000 people, all and false-positive (no detectable "
        "change present). Error bars: 95% Monte Carlo intervals.",
    )


def _costs(d: _Inputs) -> FigureFile:
    sc = d.scenario
    cur, year = sc.costs.currency, sc.costs.year
    fig, axes = _new(13.0, 4.6, 1, 2)
    pe.plot_costs(d.summary, ax=axes[0, 0], colors=d.colors, currency=cur, year=year)
    pe.plot_cost_per_detected(d.summary, ax=axes[0, 1], colors=d.colors, currency=cur, year=year)
    return d.save(
        fig,
        "costs.png",
        "Costs per person and per screen-detected change",
        f"Discounted costs in {cur} {year} at {sc.costs.discount_rate:.1%} per year. "
        "Right: total cost over screen-detected changes (an average, not an "
        "incremental ratio). Error bars: 95% Monte Carlo intervals.",
    )


def _cost_effect(d: _Inputs) -> FigureFile:
    sc, icer = d.scenario, d.comparison.icer
    cur = sc.costs.currency
    eff = effect_of(getattr(sc.analysis, "effect", None))
    eff_col = str(icer["effect"].iloc[0]) if "effect" in icer else eff.outcome
    eff = next((e for e in (eff, effect_of(None)) if e.outcome == eff_col), eff)
    fig, axes = _new(9.5, 6.0)
    pe.plot_cost_effect(
        icer,
        ax=axes[0, 0],
        colors=d.colors,
        currency=cur,
        year=sc.costs.year,
        effect=f"{eff_col}_per_patient",
        effect_scale=1000.0,
        effect_label=f"{eff.plural} per 1,000 people",
        ratio_label=f"{cur} per {eff.singular}",
    )
    return d.save(
        fig,
        "cost_effect.png",
        "Cost-effect plane with efficiency frontier",
        f"Each protocol's cost per person against {eff.plural} per 1,000 people. "
        "The line joins the efficiency frontier; labels give each step's "
        f"incremental cost-effectiveness ratio ({cur} per additional {eff.singular}). "
        "Crosses: dominated protocols.",
    )


def _delay(d: _Inputs) -> FigureFile:
    outcomes, names = d.outcomes, d.scenario.protocol_names
    fig, axes = _new(13.0, 4.6, 1, 2)
    pr.plot_delay(outcomes, ax=axes[0, 0], colors=d.colors, protocols=names)
    found = outcomes.groupby(outcomes["protocol"].astype(str), sort=False)["screen_detected"].any()
    screened = [p for p in names if bool(found.get(p, False))]
    pr.plot_lead_time(
        outcomes[outcomes["protocol"].isin(screened)],
        ax=axes[0, 1],
        colors=d.colors,
        protocols=screened,
    )
    return d.save(
        fig,
        "delay.png",
        "Detection delay and lead time",
        "Left: months from the onset of a detectable change to its diagnosis, "
        "screen-detected and clinically presenting changes together. Right: lead "
        "time, months by which a screen diagnosis precedes the symptoms that would "
        "have come. Dashed lines: means. The last bin of each panel also holds the few longer "
        "times (beyond the 99.5th percentile).",
    )


def _by_cause(d: _Inputs) -> FigureFile | None:
    if d.by_cause is None or not len(d.by_cause):
        return None
    fig, axes = _new(13.0, 4.8, 1, 2)
    pr.plot_by_cause(d.by_cause, "screen_detected", ax=axes[0, 0], colors=d.colors)
    pr.plot_by_cause(d.by_cause, "late_presentations", ax=axes[0, 1], colors=d.colors)
    return d.save(
        fig,
        "by_cause.png",
        "Screen detections and late presentations by cause",
        "Per 1,000 people of each cause (by_cause.csv, all replicates pooled). Left: "
        "changes found by a scheduled scan; right: expected clinical presentations to "
        "the outcome horizon (in and after follow-up).",
    )


_PAGE_ORDER: tuple[Callable[[_Inputs], FigureFile | None], ...] = (
    _cohort,
    _yield,
    _detection,
    _workload,
    _costs,
    _cost_effect,
    _delay,
    _by_cause,
)
"""The report's own figures, in the order they appear on the page."""
_LONGEST_FIRST: tuple[Callable[[_Inputs], FigureFile | None], ...] = (
    _cohort,
    _delay,
    _workload,
    _cost_effect,
    _detection,
    _costs,
    _by_cause,
    _yield,
)
"""The same figures, the slowest to draw first, so that the workers finish together."""


def write_figures(
    scenario: Scenario,
    outcomes: pd.DataFrame,
    summary: pd.DataFrame,
    comparison: Any,
    figures_dir: Path,
    *,
    by_cause: pd.DataFrame | None = None,
    formats: Sequence[str] = ("png",),
    tick: Callable[[], None] = lambda: None,
    workers: int | None = None,
) -> list[FigureFile]:
    """Draw every figure of the report and write it to ``figures_dir``.

    The figures are independent, so they are drawn side by side in worker processes, one
    per core (:func:`fupsim.report.workers.run_jobs`); the files are the same either way.

    Parameters
    ----------
    scenario : Scenario
        The run's resolved scenario.
    outcomes : DataFrame
        Per-patient outcomes (``outcomes.parquet``).
    summary : DataFrame
        ``summary.csv``.
    comparison : Comparison
        The statistical comparison (``fupsim.statistics.load_comparison``): its ICER table
        and the detection curves from the index scan and from onset.
    by_cause : DataFrame, optional
        ``by_cause.csv``; adds the by-cause figure.
    formats : sequence of str
        Formats besides PNG (``svg``, ``pdf``).
    tick : callable
        Called after each figure (progress display).
    workers : int, optional
        Processes drawing figures (default: one per core; 1 draws them all here).

    Returns
    -------
    list of FigureFile
        In the order they appear in the report.
    """
    import matplotlib

    matplotlib.use("Agg")
    figures_dir.mkdir(parents=True, exist_ok=True)
    inputs = _Inputs(
        scenario,
        outcomes,
        summary,
        comparison,
        by_cause,
        protocol_colors(scenario.protocol_names),
        figures_dir,
        tuple(formats),
    )
    jobs = [partial(draw, inputs) for draw in _LONGEST_FIRST]
    drawn: dict[Callable[[_Inputs], FigureFile | None], FigureFile | None] = dict(
        zip(_LONGEST_FIRST, run_jobs(jobs, workers=workers, done=tick), strict=True)
    )
    return [f for f in (drawn[draw] for draw in _PAGE_ORDER) if f is not None]
