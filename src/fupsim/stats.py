"""Old import path of :mod:`fupsim.statistics.compare` (kept for existing notebooks)."""

from fupsim.statistics.compare import *  # noqa: F403
from fupsim.statistics.compare import __all__  # noqa: F401
