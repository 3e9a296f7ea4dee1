"""Old import path of :mod:`fupsim.statistics.paired` (kept for existing notebooks)."""

from fupsim.statistics.paired import *  # noqa: F403
from fupsim.statistics.paired import __all__  # noqa: F401
