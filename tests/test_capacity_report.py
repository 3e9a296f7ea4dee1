"""Capacity figures and the report's capacity section."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import fupsim
from fupsim.plots.capacity import (
    plot_delay_with_limits,
    plot_queue,
    plot_utilisation,
    plot_waits,
)
from fupsim.plots.style import protocol_colors
from fupsim.report.sections import capacity as section

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sc = fupsim.load_scenario(
        ROOT / "scenarios" / "capacity.toml",
        {
            "capacity.new_patients_per_year": 300,
            "capacity.run_in_months": 6,
            "capacity.service_months": 12,
            "capacity.slots_per_day": 6,
        },
    )
    out = tmp_path_factory.mktemp("cap") / "run"
    fupsim.run(sc, replications=2, workers=1, events=False).write(out)
    return out


def test_time_series_plots_draw_one_line_per_scanning_protocol(run_dir: Path) -> None:
    cal = pd.read_csv(run_dir / "capacity.csv")
    colors = protocol_colors(list(dict.fromkeys(cal["protocol"])))
    for plot in (plot_utilisation, plot_waits, plot_queue):
        fig, ax = plt.subplots()
        assert plot(cal, ax=ax) is ax
        lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
        assert set(lines) == {"us-3m", "us-4.5m", "us-6m"}  # no-follow-up books no scans
        assert all(lines[p].get_color() == colors[p] for p in lines)
        assert "months" in ax.get_xlabel()
        plt.close(fig)


def test_delay_plot_draws_two_bars_per_protocol() -> None:
    delays = pd.DataFrame(
        {
            "protocol": ["a", "b"],
            "mean_delay_months_unlimited": [3.0, 4.0],
            "mean_delay_months_with_limits": [3.5, 4.0],
        }
    )
    fig, ax = plt.subplots()
    plot_delay_with_limits(delays, ax=ax)
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [3.0, 3.5, 4.0, 4.0]
    plt.close(fig)


def test_section_is_absent_without_capacity_csv(tmp_path: Path) -> None:
    assert section.render(tmp_path, tmp_path / "figures") is None


def test_section_renders_figures_and_the_paired_delay_table(run_dir: Path, tmp_path: Path) -> None:
    figures = tmp_path / "figures"
    from fupsim.pipeline import capacity_step

    capacity_step(run_dir)  # the analysis step writes the file; the section only reads it
    text = section.render(run_dir, figures)
    assert text is not None and text.startswith('<section id="capacity">')
    for name in ("utilisation", "waits", "queue", "delay"):
        assert (figures / f"capacity_{name}.png").is_file()
        assert f"figures/capacity_{name}.png" in text
    delays = pd.read_csv(run_dir / "capacity_limits.csv")
    # a protocol without scans never waits: its delay is the same with or without limits
    none = delays.set_index("protocol").loc["no-follow-up"]
    assert none["mean_delay_months_unlimited"] == none["mean_delay_months_with_limits"]
    # the analysis step compares the scenario's own effect (QALYs unless it says otherwise)
    effect = fupsim.load_scenario(ROOT / "scenarios" / "capacity.toml").analysis.effect
    assert set(delays["effect"]) == {effect}
    from fupsim.labels import EFFECTS

    summary = EFFECTS[effect].summary
    assert f"{summary}_with_limits" in delays and f"{summary}_unlimited" in delays
    assert "capacity-effect" in text or "capacity_effect.png" in text


def _summaries() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hand-made summaries with unlimited slots and with the service's."""
    free = pd.DataFrame(
        {
            "protocol": ["a", "b"],
            "mean_delay_months": [3.0, 4.0],
            "screen_detected_per_1000": [5.0, 4.0],
            "qalys_per_patient": [20.0, 20.5],
            "life_years_per_patient": [21.0, 21.5],
        }
    )
    held = free.assign(
        mean_delay_months=[3.5, 4.0],
        screen_detected_per_1000=[4.5, 4.0],
        qalys_per_patient=[19.998, 20.5],
    )
    return free, held


def test_limits_table_follows_the_effect() -> None:
    """Loss per 1,000 = (unlimited − limited) × 1,000 / the summary's scale: QALYs per person
    (20.0 − 19.998) × 1000 = 2; screen-detected per 1,000 (5.0 − 4.5) = 0.5."""
    from fupsim.capacity import limits_columns, limits_table

    free, held = _summaries()
    q = limits_table(free, held, "qaly")
    assert list(q.columns) == list(limits_columns("qaly"))
    assert set(q["effect"]) == {"qaly"}
    assert q["qalys_lost_to_limits_per_1000"].tolist() == pytest.approx([2.0, 0.0])
    assert q["qalys_per_patient_with_limits"].tolist() == [19.998, 20.5]
    s = limits_table(free, held, "screen_detected")
    assert s["screen_detected_lost_to_limits_per_1000"].tolist() == pytest.approx([0.5, 0.0])
    assert "qalys_per_patient_unlimited" not in s


def test_section_shows_the_effect_of_the_limits_file(run_dir: Path, tmp_path: Path) -> None:
    """A QALY limits file gives a QALY table and figure; an older file without the effect
    column falls back to screen-detected changes."""
    from fupsim.capacity import limits_table

    folder = tmp_path / "rep"
    folder.mkdir()
    for name in ("capacity.csv", "summary.csv"):
        (folder / name).write_bytes((run_dir / name).read_bytes())
    free, held = _summaries()
    limits_table(free, held, "qaly").to_csv(folder / section.LIMITS_FILE, index=False)
    text = str(section.render(folder, tmp_path / "figures"))
    assert "QALYs lost per 1,000 to waiting" in text
    assert "QALYs per 1,000 people, unlimited" in text
    assert "20,000.00" in text and "19,998.00" in text  # per 1,000 people
    assert (tmp_path / "figures" / "capacity_effect.png").is_file()
    old = limits_table(free, held, "screen_detected").drop(columns="effect")
    old.to_csv(folder / section.LIMITS_FILE, index=False)
    text = str(section.render(folder, tmp_path / "figures2"))
    assert "screen-detected changes lost per 1,000 to waiting" in text
    assert "QALY" not in text.split("capacity_delay")[1]
