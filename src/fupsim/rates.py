"""Old import path of :mod:`fupsim.statistics.rates` (kept for existing notebooks)."""

from fupsim.statistics.rates import *  # noqa: F403
from fupsim.statistics.rates import __all__  # noqa: F401
