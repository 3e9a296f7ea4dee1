"""Common random numbers: changing, adding or removing one protocol leaves the others' results alone.

Visit-level draws are keyed by patient and nominal visit day, so a protocol's per-patient
outcomes depend only on the seed, the people and that protocol's own schedule. Before the
draws were keyed, the rows of a (G, n) block were handed out in the order of the union of
every protocol's visit days, so a new day anywhere in the union shifted every later day's
draws, and the unchanged ``us-3m`` moved with ``us-6m``'s interval (issue 9).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.protocol import draw_visits
from fupsim.rng import replicate_streams
from fupsim.scenario import with_overrides

RUN = {"seed": 17, "replications": 2, "patients": 1500, "workers": 1, "events": False}


def _protocols(sc: fupsim.Scenario) -> list[dict[str, Any]]:
    return [p.model_dump(by_alias=True, exclude_none=True) for p in sc.protocol]


def _rows(outcomes: pd.DataFrame, protocol: str) -> pd.DataFrame:
    return outcomes[outcomes["protocol"] == protocol].reset_index(drop=True)


def _variants(baseline: fupsim.Scenario) -> dict[str, fupsim.Scenario]:
    protocols = _protocols(baseline)
    added = {"name": "odd-days", "visits_months": [1.0, 7.5, 10.0, 20.25, 35.0]}
    return {
        "us-6m every 4 months": with_overrides(baseline, {"protocol.us-6m.interval_months": 4}),
        "us-6m every 5 months": with_overrides(baseline, {"protocol.us-6m.interval_months": 5}),
        "a protocol added first": with_overrides(baseline, {"protocol": [added, *protocols]}),
        "us-4.5m removed": with_overrides(
            baseline, {"protocol": [p for p in protocols if p["name"] != "us-4.5m"]}
        ),
    }


@pytest.mark.parametrize(
    "variant",
    ["us-6m every 4 months", "us-6m every 5 months", "a protocol added first", "us-4.5m removed"],
)
def test_unchanged_protocols_give_identical_patient_rows(
    baseline: fupsim.Scenario, variant: str
) -> None:
    # jitter, loss and the prenatal stream are all on in the baseline
    assert baseline.attendance.jitter_sd_days > 0 and baseline.prenatal.pregnancies(1) > 0
    other = _variants(baseline)[variant]
    base = fupsim.run(baseline, **RUN).outcomes
    changed = fupsim.run(other, **RUN).outcomes
    unchanged = {"us-3m", "no-follow-up"} | (
        {"us-4.5m", "us-6m"} if variant == "a protocol added first" else set()
    )
    if variant != "us-4.5m removed":
        unchanged.add("us-4.5m")
    else:
        unchanged.add("us-6m")
    for name in sorted(unchanged):
        want = _rows(base, name)
        assert len(want) > 0
        pd.testing.assert_frame_equal(_rows(changed, name), want, check_exact=True)
    if variant.startswith("us-6m every"):
        # the changed protocol itself did change, so the comparison above is not vacuous
        assert not _rows(changed, "us-6m").equals(_rows(base, "us-6m"))


def test_a_days_draws_do_not_depend_on_the_other_days_drawn(baseline: fupsim.Scenario) -> None:
    alone = with_overrides(
        baseline,
        {"protocol": [{"name": "p", "interval_months": 6}], "analysis.reference_protocol": "p"},
    )
    n = 300
    small = draw_visits(alone, n, replicate_streams(3, 1))
    full = draw_visits(baseline, n, replicate_streams(3, 1))
    assert set(small.grid_days) < set(full.grid_days)
    rows = np.searchsorted(full.grid_days, small.grid_days)
    for field in ("attendance", "loss", "ultrasound", "ct", "recall", "jitter"):
        np.testing.assert_array_equal(getattr(full, field)[rows], getattr(small, field))
    # distinct days, streams and replicates still get distinct draws
    assert not np.array_equal(full.attendance[0], full.attendance[1])
    assert not np.array_equal(full.attendance, full.ultrasound)
    other = draw_visits(baseline, n, replicate_streams(3, 2))
    assert not np.array_equal(full.attendance, other.attendance)
