"""Report sections, in page order; other engineers add a section by adding a module here.

:data:`ORDER` lists every section of the page. Names in :data:`BUILTIN` are written by
:mod:`fupsim.report` itself. Every other name is a plug-in: the module
``fupsim.report.sections.<name>`` is imported only if it exists, and must define::

    def render(report_dir: pathlib.Path, figures_dir: pathlib.Path) -> Html | None

returning the fragment ``<section id="..."><h2>...</h2>...</section>`` built with the helpers
of :mod:`fupsim.report.html` (``markup``, ``table``, ``figure``, ...), which escape every
text put into it, or ``None`` when its result files (e.g. ``owsa.csv``, ``psa.csv``,
``capacity.csv``) are not in ``report_dir``. A plug-in that returns a plain ``str`` instead
is not trusted: :func:`fupsim.report.html.sanitize` keeps only a report's plain tags (no
scripts, event handlers or links). It writes its PNG files into ``figures_dir`` and refers
to them as ``figures/<name>.png``. See ``docs/report.md``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Protocol

from fupsim.report.html import Html, sanitize

__all__ = ["BUILTIN", "ORDER", "SectionModule", "plugin_sections"]

ORDER: tuple[str, ...] = (
    "summary",
    "methods",
    "parameters",
    "cohort",
    "pathways",
    "results",
    "health",
    "comparison",
    "economics",
    "uncertainty",
    "sensitivity",
    "design",
    "capacity",
    "validation",
)
"""Every section of the page, top to bottom."""

BUILTIN: frozenset[str] = frozenset(
    {
        "summary",
        "methods",
        "parameters",
        "cohort",
        "results",
        "health",
        "comparison",
        "economics",
        "validation",
    }
)
"""Sections the report writes itself; the rest of :data:`ORDER` are plug-ins."""


class SectionModule(Protocol):
    """What a plug-in section module provides."""

    def render(self, report_dir: Path, figures_dir: Path) -> Html | str | None:
        """HTML of the section, or None when its inputs are absent from ``report_dir``."""


def _module(name: str) -> SectionModule | None:
    """The plug-in module ``fupsim.report.sections.<name>``, or None if there is none."""
    full = f"{__name__}.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    module = importlib.import_module(full)
    if not callable(getattr(module, "render", None)):
        raise TypeError(f"report section {full}: defines no render(report_dir, figures_dir)")
    return module  # type: ignore[return-value]


def plugin_sections(report_dir: Path, figures_dir: Path) -> dict[str, Html]:
    """HTML of every plug-in section that exists and has its inputs, keyed by name.

    A fragment that is not :class:`~fupsim.report.html.Html` goes through
    :func:`~fupsim.report.html.sanitize`.

    Parameters
    ----------
    report_dir : Path
        The report folder being built (holds the run's and any analysis's result files).
    figures_dir : Path
        Where plug-ins write their PNG files (``report_dir / "figures"``).
    """
    out: dict[str, Html] = {}
    for name in ORDER:
        if name in BUILTIN:
            continue
        module = _module(name)
        if module is None:
            continue
        fragment = module.render(report_dir, figures_dir)
        if fragment:
            out[name] = sanitize(fragment)
    return out
