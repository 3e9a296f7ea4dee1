"""Sub-commands of the ``fupsim`` command line: one module per command, siblings of each other.

Each module defines ``register(subparsers)``, which adds its parser and sets ``func``.
Command modules import nothing heavy at module level (the simulation, pandas, matplotlib are
imported when the command runs), and never import each other: what they share lives in
:mod:`fupsim.commands.common`.
"""

from __future__ import annotations

from fupsim.commands import (
    capacity,
    cohort,
    compare,
    design,
    diff,
    owsa,
    psa,
    report,
    run,
    sobol,
    sweep,
    validate,
)

COMMANDS = [validate, diff, cohort, run, compare]
COMMANDS += [sweep, owsa, psa, sobol]
COMMANDS += [report]
COMMANDS += [capacity]
COMMANDS += [design]
