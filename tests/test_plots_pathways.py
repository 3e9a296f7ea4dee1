"""The index work-up flow figure's numbers, checked against a hand count."""

from __future__ import annotations

import pandas as pd
import pytest

from fupsim.plots.pathways import pathway_flow, plot_pathway_flow


def _pathways() -> pd.DataFrame:
    # 200 adults: 120 stones (90 followed, 30 biliary), 80 malignant (20 followed, 60
    # oncology), plus 5 infants who must not enter the adults' per-1,000 figures.
    return pd.DataFrame(
        {
            "cause": ["bile_duct_stone", "bile_duct_stone", "malignant", "malignant", "congenital"],
            "pathway": ["follow_up", "biliary", "follow_up", "oncology", "infant"],
            "people": [90.0, 30.0, 20.0, 60.0, 5.0],
        }
    )


def test_flow_per_1000_adults_matches_a_hand_count() -> None:
    flow = pathway_flow(_pathways())
    # per 1,000 adults: 90/200 = 450, 30/200 = 150, 20/200 = 100, 60/200 = 300
    assert list(flow.index) == ["bile_duct_stone", "malignant", "all causes"]
    assert list(flow.columns) == ["follow_up", "biliary", "oncology"]
    assert flow.loc["bile_duct_stone"].tolist() == pytest.approx([450.0, 150.0, 0.0])
    assert flow.loc["malignant"].tolist() == pytest.approx([100.0, 0.0, 300.0])
    assert flow.loc["all causes"].tolist() == pytest.approx([550.0, 150.0, 300.0])
    assert "infant" not in flow.columns


def test_figure_draws_one_bar_segment_per_cause_and_pathway() -> None:
    ax = plot_pathway_flow(_pathways())
    # 3 rows (two causes and all causes) x 3 pathways
    assert len(ax.patches) == 9
    widths = sorted(round(p.get_width(), 6) for p in ax.patches if p.get_width() > 0)
    assert widths == [100.0, 150.0, 150.0, 300.0, 300.0, 450.0, 550.0]
    assert "per 1,000 adults" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "follow up",
        "biliary",
        "oncology",
    ]
