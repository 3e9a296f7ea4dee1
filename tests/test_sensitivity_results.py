"""Sensitivity results own their files: FILES, write, summary, loaders; the sweep figure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import fupsim
from fupsim.cli import main
from fupsim.errors import ScenarioError
from fupsim.plots.sensitivity import plot_sweep
from fupsim.report.sections.sensitivity import render
from fupsim.sensitivity import (
    OwsaSettings,
    PointSize,
    PointStore,
    SweepResult,
    load_owsa,
    load_sobol,
    load_sweep,
    sweep,
)

SETTINGS = OwsaSettings("net_monetary_benefit", "a", "b", 1000.0, "qalys_per_patient")


def _hand_sweep(keys: list[str], values: list[list[float]]) -> SweepResult:
    """A sweep over a hand-made grid: protocol a's effect rises with the first key, b's
    cost with the last, so the preferred protocol is known from the numbers."""
    rows = []
    grid = np.array(np.meshgrid(*values, indexing="ij")).reshape(len(keys), -1).T
    for point, combo in enumerate(grid):
        x, y = float(combo[0]), float(combo[-1])
        for name, effect, cost in (("a", 0.5 + x, 600.0), ("b", 0.9, 100.0 + 400.0 * y)):
            rows.append(
                {
                    "point": point,
                    **dict(zip(keys, map(float, combo), strict=True)),
                    "protocol": name,
                    "cost_per_patient": cost,
                    "qalys_per_patient": effect,
                    "net_monetary_benefit": 1000.0 * effect - cost,
                }
            )
    table = pd.DataFrame(rows)
    best = table.loc[table.groupby("point")["net_monetary_benefit"].idxmax(), ["point", "protocol"]]
    table = table.merge(best.rename(columns={"protocol": "preferred_protocol"}), on="point")
    comparator = table[table["protocol"] == "b"].set_index("point")["net_monetary_benefit"]
    table["incremental_net_benefit"] = table["net_monetary_benefit"] - table["point"].map(
        comparator
    )
    record = {
        "analysis": "sweep",
        "scenario_sha256": "0" * 64,
        "seed": 1,
        "replications_per_point": 1,
        "patients_per_point": 100,
        "varied": keys,
        "settings": vars(SETTINGS),
        "currency": "EUR",
        "protocols": ["a", "b"],
    }
    return SweepResult(table=table, varied=keys, settings=SETTINGS, manifest=record)


def test_a_notebook_sweep_gives_the_folder_the_cli_writes(
    baseline_path: Path, tmp_path: Path
) -> None:
    cli, nb = tmp_path / "cli", tmp_path / "notebook"
    vary = "ultrasound.sensitivity=0.6,0.9"
    argv = ["sweep", str(baseline_path), "--vary", vary, "--out", str(cli), "--seed", "3"]
    assert (
        main([*argv, "--patients", "300", "--replications", "1", "--workers", "1", "--quiet"]) == 0
    )
    scenario = fupsim.load_scenario(baseline_path)
    size = PointSize(seed=3, replications=1, patients=300)
    result = sweep(
        scenario,
        {"ultrasound.sensitivity": [0.6, 0.9]},
        size,
        PointStore(nb / "points", owner=nb),
        workers=1,
    )
    result.write(nb)
    # the command adds its figure; everything else is the same folder
    assert sorted(p.name for p in cli.iterdir()) == sorted(
        [*(p.name for p in nb.iterdir()), "figures"]
    )
    assert (cli / "figures" / "sweep.png").is_file()
    for name in SweepResult.FILES:
        if name.endswith(".json"):  # command line and wall time differ by design
            a, b = (json.loads((d / name).read_text()) for d in (cli, nb))
            for key in ("scenario_sha256", "seed", "patients_per_point", "varied", "settings"):
                assert a[key] == b[key], key
            continue
        digest = [hashlib.sha256((d / name).read_bytes()).hexdigest() for d in (cli, nb)]
        assert digest[0] == digest[1], name
    # net benefit and the preferred protocol, recomputed by hand from the table's own columns
    table = load_sweep(cli).table
    w = result.settings.wtp
    assert (
        w
        == sorted(scenario.analysis.willingness_to_pay)[
            len(scenario.analysis.willingness_to_pay) // 2
        ]
    )
    np.testing.assert_allclose(
        table["net_monetary_benefit"], w * table["qalys_per_patient"] - table["cost_per_patient"]
    )
    by_hand = table.loc[table.groupby("point")["net_monetary_benefit"].idxmax(), "protocol"]
    assert list(by_hand) == list(table.groupby("point")["preferred_protocol"].first())


def test_sweep_loader_round_trips_and_names_what_is_wrong(tmp_path: Path) -> None:
    res = _hand_sweep(["k.x"], [[0.1, 0.2, 0.3]])
    res.write(tmp_path / "ok")
    back = load_sweep(tmp_path / "ok")
    pd.testing.assert_frame_equal(back.table, res.table)
    assert back.varied == ["k.x"] and back.settings == SETTINGS
    assert list(back.summary()["preferred_protocol"]) == list(res.summary()["preferred_protocol"])

    res.write(tmp_path / "gone")
    (tmp_path / "gone" / "sweep.csv").unlink()
    with pytest.raises(ScenarioError, match=r"sweep\.csv'?: missing"):
        load_sweep(tmp_path / "gone")

    res.write(tmp_path / "other")
    path = tmp_path / "other" / "sweep_manifest.json"
    path.write_text(json.dumps({**res.manifest, "analysis": "owsa"}))
    with pytest.raises(ScenarioError, match=r"sweep_manifest\.json.*'owsa'"):
        load_sweep(tmp_path / "other")

    res.write(tmp_path / "cols")
    res.table.drop(columns="net_monetary_benefit").to_csv(tmp_path / "cols" / "sweep.csv")
    with pytest.raises(ScenarioError, match="net_monetary_benefit"):
        load_sweep(tmp_path / "cols")

    with pytest.raises(ScenarioError, match=r"owsa\.csv.*missing"):
        load_owsa(tmp_path / "ok")
    with pytest.raises(ScenarioError, match="not found"):
        load_sobol(tmp_path / "nowhere")


def test_one_key_sweep_draws_a_line_per_protocol_with_units() -> None:
    res = _hand_sweep(["ultrasound.sensitivity"], [[0.1, 0.2, 0.3, 0.4]])
    ax = Figure().subplots()
    plot_sweep(
        res.table,
        res.varied,
        ax=ax,
        outcome="net_monetary_benefit",
        wtp=1000.0,
        effect_unit="QALY",
        currency="EUR",
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    # protocol a's net benefit is 1000 * (0.5 + x) - 600 at each x
    np.testing.assert_allclose(
        lines[0].get_ydata(), [1000 * (0.5 + x) - 600 for x in (0.1, 0.2, 0.3, 0.4)]
    )
    assert "ultrasound.sensitivity" in ax.get_xlabel()
    assert "EUR per person" in ax.get_ylabel()


def test_two_key_sweep_maps_the_preferred_protocol() -> None:
    xs, ys = [0.0, 0.2, 0.4], [0.0, 0.5, 1.0]
    res = _hand_sweep(["k.x", "k.y"], [xs, ys])
    ax = Figure().subplots()
    plot_sweep(res.table, res.varied, ax=ax, wtp=1000.0, order=["a", "b"], currency="EUR")
    cells = np.asarray(ax.get_images()[0].get_array())
    # a: 1000 (0.5 + x) - 600 = 1000 x - 100; b: 900 - 100 - 400 y = 800 - 400 y
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            expected = 0 if 1000 * x - 100 > 800 - 400 * y else 1
            assert cells[i, j] == expected, (x, y)
    assert ax.get_xlabel().startswith("k.y") and ax.get_ylabel().startswith("k.x")


def test_report_section_shows_a_sweep_and_flags_another_scenario(tmp_path: Path) -> None:
    res = _hand_sweep(["k.x"], [[0.1, 0.9]])
    res.write(tmp_path)
    (tmp_path / "manifest.json").write_text(
        json.dumps({"scenario_sha256": "f" * 64, "seed": 1, "patients": 100, "replications": 1})
    )
    html = render(tmp_path, tmp_path / "figures")
    assert html is not None and 'src="figures/sweep.png"' in html
    assert (tmp_path / "figures" / "sweep.png").is_file()
    assert "Mismatched result" in html and "grid sweep" in html


def test_notebook_owsa_and_sobol_give_the_cli_folders(baseline_path: Path, tmp_path: Path) -> None:
    from fupsim.sensitivity import OwsaResult, SobolResult, run_owsa, run_sobol, settings_for

    keys = ["costs.late_treatment", "ultrasound.sensitivity"]
    small = ["--patients", "300", "--replications", "1", "--workers", "1", "--quiet"]
    flags = [x for k in keys for x in ("--parameter", k)]
    scenario = fupsim.load_scenario(baseline_path)
    size = PointSize(seed=scenario.simulation.seed, replications=1, patients=300)
    for name, cls, extra, build in (
        (
            "owsa",
            OwsaResult,
            ["--points", "3"],
            lambda store: run_owsa(
                scenario,
                size,
                store,
                settings=settings_for(scenario),
                parameters=keys,
                points=3,
                workers=1,
            ),
        ),
        (
            "sobol",
            SobolResult,
            ["--samples", "4"],
            lambda store: run_sobol(
                scenario,
                4,
                size,
                store,
                settings=settings_for(scenario),
                parameters=keys,
                workers=1,
            ),
        ),
    ):
        cli, nb = tmp_path / f"{name}-cli", tmp_path / f"{name}-nb"
        assert main([name, str(baseline_path), "--out", str(cli), *flags, *extra, *small]) == 0
        build(PointStore(nb / "points", owner=nb)).write(nb)
        for file in cls.FILES:
            if file.endswith(".json"):
                a, b = (json.loads((d / file).read_text()) for d in (cli, nb))
                for key in ("scenario_sha256", "seed", "patients_per_point", "settings"):
                    assert a[key] == b[key], (name, key)
                continue
            assert (cli / file).read_bytes() == (nb / file).read_bytes(), (name, file)
        assert all((cli / f).is_file() for f in cls.FIGURES)
