"""Imports flow downstream (DESIGN.md §2) on every floor, and each third-party library stays in
its modules; the command line loads nothing heavy to parse; public modules and names say what
they are for."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fupsim"

FLOORS: list[set[str]] = [
    {"errors", "lazy", "labels"},  # foundations: import no other fupsim module
    {"rng"},
    {"distributions"},
    {"scenario"},
    {"output"},
    {"cohort"},
    {"workup"},
    {"infants"},
    {"natural_history"},
    {"protocol"},
    {"events"},
    {"capacity"},
    {"engine"},
    {"metrics"},
    {"health"},
    {"pathways"},
    {"subgroups"},
    # the upper floors
    {"experiment"},
    {"statistics", "stats", "paired", "survival", "rates", "economics"},
    {"validation"},
    {"voi"},  # below sensitivity, which draws EVPPI from it (DESIGN.md §2 lists it after)
    {"sensitivity"},
    {"design"},
    {"plots"},
    {"report"},
    {"pipeline"},
    {"commands"},
    {"cli"},
]
"""Stages bottom-up: a module imports only its own floor and the floors below it."""

FLOOR = {name: level for level, floor in enumerate(FLOORS) for name in floor}

LIBRARIES = {
    "simpy": {"engine", "capacity"},
    "statsmodels": {"statistics", "stats", "survival", "paired", "rates", "economics"},
    "matplotlib": {"plots", "report", "commands"},
    "tomllib": {"scenario"},
    "dask": {"experiment", "sensitivity"},
    "distributed": {"experiment", "sensitivity"},
}

RUNNERS = (
    "fupsim.experiment.run",
    "fupsim.experiment.run_replicate",
    "fupsim.experiment.map_tasks",
    "fupsim.experiment.parallel",
    "fupsim.sensitivity.runner",
    "fupsim.sensitivity.run_points",
    "fupsim.sensitivity.simulate_point",
    "fupsim.sensitivity.sweep",
    "fupsim.sensitivity.run_owsa",
    "fupsim.sensitivity.run_psa",
    "fupsim.sensitivity.run_sobol",
    "fupsim.sensitivity.grid.sweep",
    "fupsim.sensitivity.owsa.owsa",
    "fupsim.sensitivity.psa.psa",
    "fupsim.sensitivity.sobol.sobol",
    "fupsim.validation.analytic_checks",
)
"""What simulates: the report renders files and never reaches for these."""

HEAVY = ("numpy", "pandas", "scipy", "pydantic", "matplotlib", "statsmodels", "simpy", "SALib")


def _lazy_names() -> dict[str, str]:
    """``fupsim``'s public names → their modules, read from the source (no import)."""
    tree = ast.parse((SRC / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_LAZY":
            assert node.value is not None
            return dict(ast.literal_eval(node.value))
    raise AssertionError("fupsim/__init__.py has no _LAZY table")


LAZY = _lazy_names()


def _targets(path: Path) -> set[str]:
    """Every fupsim import in a file as ``fupsim.module[.name]`` (names included)."""
    rel = path.relative_to(SRC.parent).with_suffix("")
    return _parse_targets(path.read_text(), list(rel.parts[:-1]))


def _parse_targets(source: str, package: list[str]) -> set[str]:
    """The fupsim imports of ``source``, a file of the package ``package`` (its dotted parts).

    ``from fupsim import x`` is resolved: a module x gives ``fupsim.x``, a public name gives its
    defining module (``from fupsim import run`` → ``fupsim.experiment.run``). Relative imports
    are resolved against the package. Imports inside functions count too.
    """
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "fupsim")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != "fupsim":
                continue
            for alias in node.names:
                if module == "fupsim" and alias.name in LAZY:
                    out.add(f"{LAZY[alias.name]}.{alias.name}")
                else:
                    out.add(f"{module}.{alias.name}")
    return out


def _libraries(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _stage(path: Path) -> str:
    return path.relative_to(SRC).with_suffix("").parts[0]


FILES = sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


def _hits(target: str, banned: tuple[str, ...]) -> bool:
    return any(target == b or target.startswith(b + ".") for b in banned)


def test_targets_see_every_spelling() -> None:
    source = (
        "from fupsim import run, scenario\nimport fupsim.engine\n"
        "from . import html\nfrom ..experiment import parallel\n"
        "def f():\n    from fupsim.sensitivity.psa import psa\n"
    )
    assert _parse_targets(source, ["fupsim", "report"]) == {
        "fupsim.experiment.run",
        "fupsim.scenario",
        "fupsim.engine",
        "fupsim.report.html",
        "fupsim.experiment.parallel",
        "fupsim.sensitivity.psa.psa",
    }


def test_every_module_is_on_a_floor() -> None:
    stages = {_stage(p) for p in FILES}
    assert not stages - set(FLOOR), f"place these in FLOORS (DESIGN.md §2): {stages - set(FLOOR)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_downstream(path: Path) -> None:
    stage = _stage(path)
    for target in _targets(path):
        parts = target.split(".")
        if len(parts) < 2 or parts[1] not in FLOOR:
            continue  # the root package itself, or a name from it
        assert FLOOR[parts[1]] <= FLOOR[stage], (
            f"{path.relative_to(SRC)} ({stage}) imports {target}, a floor above it"
        )


def test_report_renders_and_never_runs_a_simulation() -> None:
    for path in sorted((SRC / "report").rglob("*.py")):
        for target in _targets(path):
            assert not _hits(target, RUNNERS), f"{path.relative_to(SRC)} imports {target}"


HELPERS = ("fupsim.commands.common", "fupsim.commands.points")
"""The helper modules of the command line, which are not commands."""


def test_commands_are_siblings() -> None:
    for path in sorted((SRC / "commands").glob("*.py")):
        if path.name == "__init__.py":
            continue  # the registry lists them all
        for target in _targets(path):
            if target.startswith("fupsim.commands"):
                assert _hits(target, HELPERS), (
                    f"commands/{path.name} imports {target}: shared pieces belong in "
                    "commands/common.py or commands/points.py"
                )
                assert not (path.name == "common.py" and _hits(target, HELPERS[1:])), (
                    "common.py is the lowest helper"
                )


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_third_party_libraries_stay_in_their_modules(library: str) -> None:
    for path in FILES:
        if any(i == library or i.startswith(library + ".") for i in _libraries(path)):
            assert _stage(path) in LIBRARIES[library], f"{path.relative_to(SRC)} imports {library}"


def test_the_command_line_parses_without_heavy_imports() -> None:
    code = (
        "import sys, fupsim.cli\n"
        "fupsim.cli.build_parser()\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "", f"building the parser imported {done.stdout.strip()}"


def test_public_modules_say_what_they_are_for() -> None:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if any(part.startswith("_") and part != "__init__.py" for part in rel.parts):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc, f"{rel} has no module docstring"
        first = doc.strip().splitlines()[0]
        assert len(first.split()) >= 4, (
            f"{rel}: the first docstring line says too little: {first!r}"
        )


def test_public_namespace_is_small_and_documented() -> None:
    import fupsim

    assert len(fupsim.__all__) <= 25
    for name in fupsim.__all__:
        if name == "__version__":
            assert isinstance(fupsim.__version__, str)
            continue
        obj = getattr(fupsim, name)
        doc = obj.__doc__ if inspect.isclass(obj) else inspect.getdoc(obj)
        assert doc and not doc.startswith(f"{name}("), f"fupsim.{name} has no docstring"


def test_from_fupsim_import_keeps_working() -> None:
    from fupsim import ScenarioError, design, run

    assert callable(run) and callable(design) and issubclass(ScenarioError, ValueError)
    importlib.import_module("fupsim.design.spec")  # a subpackage binding must not shadow it
    import fupsim

    assert callable(fupsim.design)
