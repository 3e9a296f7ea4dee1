"""fupsim: simulate follow-up protocols for incidental intrahepatic calcification.

The public names below are loaded when first used (PEP 562), so ``import fupsim`` and the
``fupsim`` command start at once; ``from fupsim import run`` works as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fupsim.errors import ScenarioError
from fupsim.lazy import lazy_names

if TYPE_CHECKING:
    from fupsim.design import DesignResult, design
    from fupsim.distributions import from_mean
    from fupsim.experiment import RunResult, load_run, run
    from fupsim.pipeline import build_report
    from fupsim.scenario import Scenario, load_scenario, with_overrides
    from fupsim.sensitivity import PointSize, PointStore, run_owsa, run_psa, run_sobol, sweep
    from fupsim.statistics import Comparison, compare

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Comparison": "fupsim.statistics",
    "DesignResult": "fupsim.design",
    "PointSize": "fupsim.sensitivity",
    "PointStore": "fupsim.sensitivity",
    "RunResult": "fupsim.experiment",
    "Scenario": "fupsim.scenario",
    "build_report": "fupsim.pipeline",
    "compare": "fupsim.statistics",
    "design": "fupsim.design",
    "from_mean": "fupsim.distributions",
    "load_run": "fupsim.experiment",
    "load_scenario": "fupsim.scenario",
    "run": "fupsim.experiment",
    "run_owsa": "fupsim.sensitivity",
    "run_psa": "fupsim.sensitivity",
    "run_sobol": "fupsim.sensitivity",
    "sweep": "fupsim.sensitivity",
    "with_overrides": "fupsim.scenario",
}
"""Public name → the module that defines it (imported on first use)."""

__all__ = [
    "Comparison",
    "DesignResult",
    "PointSize",
    "PointStore",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "build_report",
    "compare",
    "design",
    "from_mean",
    "load_run",
    "load_scenario",
    "run",
    "run_owsa",
    "run_psa",
    "run_sobol",
    "sweep",
    "with_overrides",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
