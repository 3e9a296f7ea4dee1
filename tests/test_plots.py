"""Figures: units on every axis, one colour per protocol everywhere, labels that do not overlap,
and plotted numbers that match hand counts or another library's calculation."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from statsmodels.stats.proportion import proportion_confint

from fupsim.economics import icer_table
from fupsim.plots import cohort as pc
from fupsim.plots import economics as pe
from fupsim.plots import results as pr
from fupsim.plots.style import protocol_colors

PROTOCOLS = ["us-3m", "us-4.5m", "us-6m", "no-follow-up"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _summary() -> pd.DataFrame:
    """A hand-made summary table: four protocols, values and standard errors."""
    rng = np.random.default_rng(3)
    cols = [
        "scans_per_patient",
        "missed_scans_per_patient",
        "ct_per_patient",
        "false_positive_workups_per_1000",
        "screen_detected_per_1000",
        "interval_cases_per_1000",
        "undetected_at_horizon_per_1000",
        "cost_per_patient",
        "programme_cost_per_screen_detected",
    ]
    data: dict[str, object] = {"protocol": PROTOCOLS}
    for c in cols:
        data[c] = rng.uniform(1, 100, 4)
        data[f"{c}_se"] = rng.uniform(0.1, 1, 4)
    frame = pd.DataFrame(data)
    frame.loc[3, ["screen_detected_per_1000", "scans_per_patient"]] = 0.0
    frame.loc[3, "programme_cost_per_screen_detected"] = np.nan
    return frame


def _cohort(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "replicate": np.repeat([0, 1], n // 2),
            "stream": ["adult"] * (n - 3) + ["prenatal"] * 3,
            "age_years": rng.uniform(18, 80, n),
            "sex": rng.choice(["female", "male"], n),
            "lobe": rng.choice(["right", "left", "both"], n, p=[0.7, 0.2, 0.1]),
            "n_foci": rng.choice([1, 2, 3, 7], n, p=[0.7, 0.2, 0.05, 0.05]),
            "cause": rng.choice(["stone", "scar"], n),
        }
    )


def _bar_colors(ax) -> dict[str, str]:
    """Protocol → colour of its bars, from the legend."""
    handles, labels = ax.get_legend_handles_labels()
    return {
        lab: to_hex(h.patches[0].get_facecolor()) for h, lab in zip(handles, labels, strict=True)
    }


def _has_unit(label: str) -> bool:
    return any(tok in label for tok in ("(", "per ", "months", "%"))


@pytest.mark.parametrize(
    "draw",
    [
        lambda s, c: pr.plot_yield(s),
        lambda s, c: pr.plot_scans(s),
        lambda s, c: pr.plot_workups(s),
        lambda s, c: pe.plot_costs(s, currency="USD", year=2026),
        lambda s, c: pe.plot_cost_per_detected(s, currency="USD", year=2026),
        lambda s, c: pc.plot_age(c),
        lambda s, c: pc.plot_sex(c),
        lambda s, c: pc.plot_lobe(c),
        lambda s, c: pc.plot_foci(c),
        lambda s, c: pc.plot_causes(c),
        lambda s, c: pc.plot_prenatal(c, screened=1000),
    ],
)
def test_every_axis_names_its_unit(draw) -> None:
    ax = draw(_summary(), _cohort())
    assert _has_unit(ax.get_ylabel()) or _has_unit(ax.get_xlabel()), (
        ax.get_xlabel(),
        ax.get_ylabel(),
    )
    assert ax.get_xlabel() or ax.get_xticklabels(), "x axis is unlabelled"


def test_bar_figures_use_the_shared_protocol_colours() -> None:
    expected = protocol_colors(PROTOCOLS)
    for draw in (pr.plot_yield, pr.plot_scans, pr.plot_workups):
        colors = _bar_colors(draw(_summary()))
        assert colors == {p: to_hex(c) for p, c in expected.items()}
    ax = pe.plot_costs(_summary())
    faces = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert faces == [to_hex(expected[p]) for p in PROTOCOLS]


def test_colour_follows_the_protocol_not_the_row_order() -> None:
    colors = protocol_colors(PROTOCOLS)
    shuffled = _summary().iloc[[2, 0, 3, 1]].reset_index(drop=True)
    got = _bar_colors(pr.plot_yield(shuffled, colors=colors))
    assert got == {p: to_hex(colors[p]) for p in PROTOCOLS}


def test_yield_bars_show_values_and_95_percent_intervals() -> None:
    s = _summary()
    ax = pr.plot_yield(s)
    # bars are drawn protocol by protocol, three metrics each
    heights = [p.get_height() for p in ax.patches]
    expected = s[list(pr.YIELD_METRICS)].to_numpy().ravel()
    np.testing.assert_allclose(heights, expected)
    # error bar half-widths: 1.96 standard errors (normal quantile from scipy, another route)
    from scipy.stats import norm

    segs = [c for c in ax.collections if hasattr(c, "get_segments")]
    half = [abs(seg[1][1] - seg[0][1]) / 2 for coll in segs for seg in coll.get_segments()]
    se = s[[f"{m}_se" for m in pr.YIELD_METRICS]].to_numpy().ravel()
    np.testing.assert_allclose(sorted(half), sorted(norm.ppf(0.975) * se), rtol=1e-9)


def test_sex_and_lobe_shares_match_a_hand_count() -> None:
    c = _cohort()
    adults = c[c["stream"] == "adult"]
    ax = pc.plot_sex(c)
    female = 100 * (adults["sex"] == "female").sum() / len(adults)
    assert ax.patches[0].get_height() == pytest.approx(female)
    ax = pc.plot_lobe(c)
    right = 100 * (adults["lobe"] == "right").sum() / len(adults)
    assert ax.patches[0].get_height() == pytest.approx(right)


def test_foci_groups_five_or_more() -> None:
    c = _cohort()
    adults = c[c["stream"] == "adult"]
    ax = pc.plot_foci(c)
    assert ax.patches[4].get_height() == pytest.approx(100 * (adults["n_foci"] >= 5).mean())


def test_prenatal_interval_is_clopper_pearson() -> None:
    c = _cohort()  # 3 prenatal findings over 2 replicates × 1,000 pregnancies
    ax = pc.plot_prenatal(c, screened=1000)
    lo, hi = proportion_confint(3, 2000, alpha=0.05, method="beta")
    seg = next(coll for coll in ax.collections if hasattr(coll, "get_segments")).get_segments()[0]
    assert sorted([seg[0][1], seg[1][1]]) == pytest.approx([lo * 1e4, hi * 1e4])
    assert ax.patches[0].get_height() == pytest.approx(3 / 2000 * 1e4)


def _crowded_icer() -> pd.DataFrame:
    """Five strategies on a nearly straight frontier with small steps: labels would collide."""
    frame = pd.DataFrame(
        {
            "protocol": ["a", "b", "c", "d", "e"],
            "cost_per_patient": [1000.0, 1010.0, 1021.0, 1033.0, 1500.0],
            "screen_detected_per_patient": [0.0, 0.0010, 0.0019, 0.0027, 0.0100],
        }
    )
    return icer_table(frame)


def _overlap(a, b) -> bool:
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def test_icer_labels_do_not_overlap_even_when_crowded() -> None:
    table = _crowded_icer()
    ax = pe.plot_cost_effect(table)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if "vs" in t.get_text()]
    frontier = int((table["status"] == "frontier").sum())
    assert len(labels) == frontier - 1
    boxes = [t.get_window_extent(renderer) for t in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b)
    legend = ax.get_legend().get_window_extent(renderer)
    assert not any(_overlap(b, legend) for b in boxes)


def test_cost_effect_plots_every_protocol_and_marks_dominated_ones() -> None:
    frame = pd.DataFrame(
        {
            "protocol": PROTOCOLS,
            "cost_per_patient": [2600.0, 2700.0, 2000.0, 1400.0],
            "screen_detected_per_patient": [0.05, 0.04, 0.038, 0.0],
        }
    )
    table = icer_table(frame)
    ax = pe.plot_cost_effect(table, colors=protocol_colors(PROTOCOLS))
    _, labels = ax.get_legend_handles_labels()
    assert "us-4.5m (dominated)" in labels  # costs more and finds less than us-3m
    assert "Screen-detected changes per 1,000 people" == ax.get_xlabel()
    assert "USD" in ax.get_ylabel()
    frontier_line = ax.lines[0]
    np.testing.assert_allclose(frontier_line.get_xdata(), [0.0, 38.0, 50.0])


def test_detection_curves_use_protocol_colours_and_scale() -> None:
    curves = pd.DataFrame(
        {
            "protocol": ["us-6m"] * 3 + ["us-3m"] * 3,
            "time_months": [0, 6, 12] * 2,
            "cumulative_detection": [0, 0.01, 0.02, 0, 0.02, 0.04],
        }
    )
    colors = protocol_colors(PROTOCOLS)
    ax = pr.plot_detection_curves(curves, colors=colors)
    got = {line.get_label(): to_hex(line.get_color()) for line in ax.lines}
    assert got == {"us-6m": to_hex(colors["us-6m"]), "us-3m": to_hex(colors["us-3m"])}
    assert max(ax.lines[1].get_ydata()) == pytest.approx(40.0)  # 0.04 of people = 40 per 1,000


def test_delay_histogram_weights_sum_to_100_percent_per_protocol() -> None:
    rng = np.random.default_rng(1)
    out = pd.DataFrame(
        {
            "protocol": np.repeat(["us-3m", "us-6m"], 500),
            "delay_months": np.where(rng.random(1000) < 0.3, np.nan, rng.exponential(4, 1000)),
        }
    )
    ax = pr.plot_delay(out)
    for patch in ax.patches:  # step histograms: one polygon per protocol
        # the bins are 1 month wide, so the area under each step outline is 100 (%)
        xy = patch.get_xy()
        xs, ys = xy[:, 0], xy[:, 1]
        area = float(np.sum(np.diff(xs) * ys[:-1]))
        assert area == pytest.approx(100.0, rel=1e-6)


def test_plot_functions_draw_on_a_given_axes_and_never_save(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _fig, ax = plt.subplots()
    assert pr.plot_yield(_summary(), ax=ax) is ax
    assert pe.plot_costs(_summary(), ax=ax) is ax
    assert list(tmp_path.iterdir()) == []
