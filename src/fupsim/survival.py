"""Old import path of :mod:`fupsim.statistics.survival` (kept for existing notebooks)."""

from fupsim.statistics.survival import *  # noqa: F403
from fupsim.statistics.survival import __all__  # noqa: F401
