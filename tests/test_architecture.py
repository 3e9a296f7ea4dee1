"""Imports flow downstream (DESIGN.md §2), and each third-party library stays in its modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fupsim"

# Core stages in pipeline order: a module may import only modules to its left.
CORE = [
    "rng",
    "distributions",
    "scenario",
    "cohort",
    "workup",
    "natural_history",
    "protocol",
    "events",
    "capacity",
    "engine",
    "metrics",
    "health",
]
# Analysis and presentation layers, which the core must never import.
UPPER = {
    "stats",
    "paired",
    "rates",
    "survival",
    "economics",
    "experiment",
    "validation",
    "sensitivity",
    "voi",
    "design",
    "plots",
    "report",
    "cli",
    "commands",
}

LIBRARIES = {
    "simpy": {"engine", "capacity"},
    "statsmodels": {"stats", "survival", "paired", "rates", "economics"},
    "matplotlib": {"plots", "report", "commands"},
    "tomllib": {"scenario", "design"},  # design: its [design] block until it joins scenario
    "dask": {"experiment", "sensitivity"},
    "distributed": {"experiment", "sensitivity"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        out.append((rel.parts[0], path))
    return out


def _files(name: str) -> list[Path]:
    """The source files of a core stage: a module, or every module of a package."""
    package = SRC / name
    return sorted(package.rglob("*.py")) if package.is_dir() else [SRC / f"{name}.py"]


@pytest.mark.parametrize("name", CORE)
def test_core_imports_only_upstream_core(name: str) -> None:
    allowed = {*CORE[: CORE.index(name)], name}
    files = _files(name)
    assert files and all(f.is_file() for f in files)
    for path in files:
        for imp in _imports(path):
            if imp.startswith("fupsim."):
                target = imp.split(".")[1]
                assert target not in UPPER, f"{path.name} ({name}) imports {imp}"
                assert target in allowed or target not in CORE, (
                    f"{path.name} ({name}) imports {imp}"
                )


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_third_party_libraries_stay_in_their_modules(library: str) -> None:
    for top, path in _modules():
        if any(i == library or i.startswith(library + ".") for i in _imports(path)):
            assert top in LIBRARIES[library], f"{path.relative_to(SRC)} imports {library}"


def test_public_namespace_is_small_and_documented() -> None:
    import fupsim

    assert len(fupsim.__all__) <= 25
    for name in fupsim.__all__:
        assert getattr(fupsim, name) is not None
