"""The four analyses (grid sweep, one-way, PSA, Sobol) are siblings over the shared pieces:
none imports another; what they share lives in outcomes, runner, store and results."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SENS = Path(__file__).resolve().parents[1] / "src" / "fupsim" / "sensitivity"
ANALYSES = ("grid", "owsa", "psa", "sobol")


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("name", ANALYSES)
def test_an_analysis_imports_no_sibling(name: str) -> None:
    found = _imports(SENS / f"{name}.py")
    siblings = {f"fupsim.sensitivity.{other}" for other in ANALYSES if other != name}
    assert not found & siblings, f"sensitivity/{name}.py imports {sorted(found & siblings)}"


def test_shared_modules_import_no_analysis() -> None:
    analyses = {f"fupsim.sensitivity.{a}" for a in ANALYSES}
    for shared in ("outcomes", "runner", "store", "results", "psa_result", "psa_evppi"):
        found = _imports(SENS / f"{shared}.py")
        assert not found & analyses, f"sensitivity/{shared}.py imports {sorted(found & analyses)}"
