"""Sub-commands of the ``fupsim`` command line: one module per command.

Each module defines ``register(subparsers)``, which adds its parser and sets ``func``.
"""

from __future__ import annotations

from fupsim.commands import (
    capacity,
    cohort,
    compare,
    design,
    owsa,
    psa,
    report,
    run,
    sobol,
    sweep,
    validate,
)

COMMANDS = [validate, cohort, run, compare]
COMMANDS += [sweep, owsa, psa, sobol]
COMMANDS += [report]
COMMANDS += [capacity]
COMMANDS += [design]
