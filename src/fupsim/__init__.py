"""fupsim: simulate follow-up protocols for incidental intrahepatic calcification."""

from fupsim.design import DesignResult, design
from fupsim.distributions import from_mean
from fupsim.experiment import RunResult, load_run, run
from fupsim.report import build_report
from fupsim.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from fupsim.sensitivity import PointSize, PointStore, run_owsa, run_psa, run_sobol, sweep
from fupsim.stats import Comparison, compare

__version__ = "0.1.0"

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
