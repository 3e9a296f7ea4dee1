"""Golden back test: a small baseline run must reproduce the stored summary exactly.

The stored file was written by ``tests/golden/regenerate.py`` from the committed engine; it
changes only on purpose (a deliberate model change), never to make a test pass. It guards
the unbounded engine against unintended changes in behaviour.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent / "golden"


def test_small_baseline_matches_golden_summary() -> None:
    spec = importlib.util.spec_from_file_location("regenerate", HERE / "regenerate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    got = module.summary()
    want = pd.read_csv(HERE / "baseline_small_summary.csv")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want, check_dtype=False, rtol=1e-9, atol=1e-12
    )
