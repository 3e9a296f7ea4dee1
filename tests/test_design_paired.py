"""Candidates played on different numbers of replicates are compared on a common footing."""

from __future__ import annotations

import numpy as np
import pytest

from fupsim.design.evaluate import QUANTITIES, Q, Sums
from fupsim.design.tables import paired_means


def _row(cost: float, effect: float, people: float = 10.0) -> np.ndarray:
    out = np.zeros((1, len(QUANTITIES)))
    out[0, Q["people"]] = people
    out[0, Q["cost"]] = cost * people
    out[0, Q["effect"]] = effect * people
    return out


def test_screened_candidate_is_moved_by_its_paired_difference_from_the_anchor() -> None:
    # Replicate-level noise shared by every candidate (common random numbers): the anchor's
    # cost per person is 10, 20, 30, 40 on replicates 0-3; candidate 1, screened out after two
    # replicates, costs 5 more than the anchor on each replicate it was played on.
    shared = [10.0, 20.0, 30.0, 40.0]
    by_rep: dict[int, dict[int, np.ndarray]] = {}
    for r, s in enumerate(shared):
        by_rep[r] = {0: _row(s, 0.01 * s)}
        if r < 2:
            by_rep[r][1] = _row(s + 5.0, 0.01 * s + 0.002)
    sums = Sums(["all"], 1, by_rep)
    got = paired_means(sums, [0, 1])
    # Own means: anchor 25, candidate 1 (10+5 + 20+5)/2 = 20, which would rank it cheaper.
    # Paired: 25 + 5 = 30 and effect 0.25 + 0.002; the anchor keeps its own mean.
    assert got["paired_cost_per_patient"] == pytest.approx([25.0, 30.0])
    assert got["paired_effect_per_patient"] == pytest.approx([0.25, 0.252])


def test_candidates_on_the_same_replicates_keep_their_own_means() -> None:
    by_rep = {r: {0: _row(10.0 + r, 0.1), 1: _row(3.0 * r, 0.2 + r)} for r in range(3)}
    got = paired_means(Sums(["all"], 1, by_rep), [0, 1])
    assert got["paired_cost_per_patient"] == pytest.approx([11.0, 3.0])
    assert got["paired_effect_per_patient"] == pytest.approx([0.1, 1.2])
