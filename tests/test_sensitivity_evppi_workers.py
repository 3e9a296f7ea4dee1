"""EVPPI by group gives the same table on any number of workers, and a group's row does not
depend on the other groups estimated with it (each group has its own random stream)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fupsim.sensitivity.psa_evppi import evppi_by_group


def _table(draws: int = 100, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, draws))
    rows = []
    for d in range(draws):
        for name, cost, qaly in (
            ("x", 100.0, 1.0),
            ("y", 150.0 + 20 * a[d], 1.002 + 0.001 * b[d]),
            ("z", 120.0 + 5 * c[d], 1.001 + 0.0005 * a[d] * b[d]),
        ):
            rows.append(
                {
                    "draw": d,
                    "protocol": name,
                    "cost_per_patient": cost,
                    "qalys_per_patient": qaly,
                    "a": a[d],
                    "b": b[d],
                    "c": c[d],
                }
            )
    return pd.DataFrame(rows)


def test_evppi_table_is_the_same_for_any_worker_count_and_split() -> None:
    table = _table()
    groups = {"ab": ["a", "b"], "a": ["a"], "b": ["b"], "c": ["c"]}
    wtp = np.array([0.0, 20_000.0, 50_000.0])
    kw = {"effect": "qalys_per_patient", "reference": "x", "rng": 11, "se_samples": 20}
    one = evppi_by_group(table, groups, wtp, workers=1, **kw)
    two = evppi_by_group(table, groups, wtp, workers=2, **kw)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["group"].iloc[:4]) == list(groups)  # by WTP, then groups as given
    alone = evppi_by_group(table, {"ab": ["a", "b"]}, wtp, workers=1, **kw)
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True), one[one["group"] == "ab"].reset_index(drop=True)
    )
