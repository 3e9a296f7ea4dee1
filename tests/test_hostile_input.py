"""Hostile input (issue 9): absurd values, sizes and addresses are refused up front.

Every refusal is checked as a user meets it: exit code 2, one line on stderr naming the
field (and the value given), and no output folder left behind.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest

import fupsim
from fupsim.cli import main
from fupsim.commands.common import scheduler_address
from fupsim.protocol import draw_visits, horizon_day, plan_visits
from fupsim.rng import replicate_streams
from fupsim.scenario import (
    DAYS_PER_MONTH,
    LARGE_WORK,
    MAX_WORK,
    ScenarioError,
    check_workload,
    load_scenario,
    workload,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--patients", "200", "--replications", "1", "--quiet"]


def refused(argv: list[str], out: Path, capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    """Run ``fupsim argv``; assert exit 2, one stderr line holding ``fragments``, no ``out``."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses options before the command runs
        code = int(exc.code or 0)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert not out.exists(), "bad input must write nothing"
    return err


def run_with(scenario: Path, out: Path, *sets: str) -> list[str]:
    return ["run", str(scenario), "--out", str(out), *SMALL, *(f"--set={s}" for s in sets)]


# 1. Absurd values are refused, not accepted silently ------------------------------------

ABSURD = [
    ('cohort.age={dist="fixed", value=-40}', ["cohort.age", "-40", "0 or more"]),
    (
        'cohort.age={dist="truncnormal", mean=40, sd=12, low=-40, high=85}',
        ["cohort.age", "truncnormal", "-40", "0 or more"],
    ),
    ('cohort.age={dist="normal", mean=40, sd=12}', ["cohort.age", "normal", "0 or more"]),
    (
        'cohort.age={dist="truncnormal", mean=40, sd=12}',  # no low: unbounded below
        ["cohort.age", "truncnormal", "0 or more"],
    ),
    (
        'natural_history.malignant.onset={dist="normal", mean=-6, sd=2}',
        ["natural_history.malignant.onset", "normal", "0 or more"],
    ),
    (
        'natural_history.malignant.sojourn={dist="uniform", low=-3, high=3}',
        ["natural_history.malignant.sojourn", "-3", "0 or more"],
    ),
    (
        "cohort.multiple_foci_mean=100000",
        ["cohort.multiple_foci_mean = 100000", "less than or equal to 100"],
    ),
    ("ultrasound.specificity=true", ["ultrasound.specificity = true", "expected a number"]),
    ("ultrasound.sensitivity=false", ["ultrasound.sensitivity = false", "expected a number"]),
    ("simulation.patients=true", ["simulation.patients = true", "expected a number"]),
    ("ct.delay_days=true", ["ct.delay_days = true", "expected a number"]),
    ('costs.ct="300"', ["costs.ct = '300'", "expected a number"]),
    (
        'natural_history.malignant.onset={dist="gamma", mean=true, sd=1}',
        ["natural_history.malignant.onset", "must be numbers"],
    ),
    ('uncertainty."costs.ct".range=[0, inf]', ['uncertainty."costs.ct".range', "inf", "finite"]),
    ('uncertainty."costs.ct".range=[nan, 1]', ['uncertainty."costs.ct".range', "finite"]),
    (
        "protocol.us-3m.interval_months=48",
        ["protocol[us-3m].interval_months = 48", "simulation.horizon_months = 36", "no scan"],
    ),
]


@pytest.mark.parametrize(("override", "fragments"), ABSURD, ids=[a[0] for a in ABSURD])
def test_absurd_values_are_refused(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    override: str,
    fragments: list[str],
) -> None:
    out = tmp_path / "out"
    refused(run_with(baseline_path, out, override), out, capsys, *fragments)


def test_sensible_boundaries_still_load(baseline_path: Path) -> None:
    sc = load_scenario(
        baseline_path,
        [
            'cohort.age={dist="truncnormal", mean=40, sd=12, low=0, high=85}',
            'natural_history.congenital.onset={dist="fixed", value=0}',
            "cohort.multiple_foci_mean=100",
            "ultrasound.specificity=1",  # an integer is a number
            "protocol.us-3m.interval_months=36",  # one visit, on the horizon
        ],
    )
    assert sc.cohort.multiple_foci_mean == 100
    assert sc.ultrasound.specificity == 1.0
    assert sc.protocol[0].visit_months(36) == [36]


# 2. Error wording: no internal pydantic tags; unknown keys list the allowed ones ---------


def test_union_tag_is_not_shown(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    err = refused(
        run_with(baseline_path, out, "ultrasound.sensitivity=1.5"),
        out,
        capsys,
        "ultrasound.sensitivity = 1.5: ",
        "less than or equal to 1",
    )
    assert "constrained" not in err and "LobeSensitivity" not in err
    err = refused(
        run_with(baseline_path, out, "ultrasound.sensitivity={right=0.5, left=1.5, both=0.5}"),
        out,
        capsys,
        "ultrasound.sensitivity.left = 1.5",
    )
    assert "LobeSensitivity" not in err


UNKNOWN_KEYS = [
    (
        'cohort.age={dist="truncnormal", mean=40, sd=12, low=18, hi=85}',
        "cohort.age.hi: unknown key; allowed keys here: dist, high, low, mean, sd",
    ),
    (
        'natural_history.malignant.onset={dist="exponential", meen=12}',
        "natural_history.malignant.onset.meen: unknown key; allowed keys here: dist, mean",
    ),
    (
        'uncertainty."costs.ct".rnage=[200, 400]',
        'uncertainty."costs.ct".rnage: unknown key; allowed keys here: '
        "confidence, psa, range, source",
    ),
    (
        'uncertainty."costs.ct".psa={dist="gamma", shape=25, scle=12}',
        'uncertainty."costs.ct".psa.scle: unknown key; allowed keys here: dist, scale, shape',
    ),
    (
        "ultrasound.sensitivity={right=0.5, left=0.5, bth=0.5}",
        "ultrasound.sensitivity.bth: unknown key; allowed keys here: both, left, right",
    ),
]


@pytest.mark.parametrize(("override", "expected"), UNKNOWN_KEYS, ids=[u[1] for u in UNKNOWN_KEYS])
def test_unknown_keys_list_the_allowed_keys(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    override: str,
    expected: str,
) -> None:
    out = tmp_path / "out"
    refused(run_with(baseline_path, out, override), out, capsys, expected)


# 3. Protocol names and positions are unambiguous -----------------------------------------


def test_all_digit_protocol_name_is_refused(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    refused(
        run_with(baseline_path, out, 'protocol.us-6m.name="0"'),
        out,
        capsys,
        "protocol[2].name = '0'",
        "digits only",
        "include a letter",
    )
    text = baseline_path.read_text().replace('name = "us-6m"', 'name = "12"')
    scenario = tmp_path / "digits.toml"
    scenario.write_text(text)
    refused(["validate", str(scenario)], out, capsys, ".name = '12'", "digits only")


def test_positions_still_address_protocols(baseline_path: Path) -> None:
    sc = load_scenario(baseline_path, ["protocol.0.interval_months=2", "protocol.2.name=q6m"])
    assert sc.protocol[0].interval_months == 2
    assert sc.protocol_names[:3] == ["us-3m", "us-4.5m", "q6m"]
    assert sc.protocol_names[-1] == "no-follow-up"


# 4. The loader refuses what psa would refuse ---------------------------------------------

BAD_WTP = [
    ("[]", "empty"),
    ("[1000, 0]", "strictly increasing"),
    ("[0, 0]", "strictly increasing"),
    ("[-5, 10]", "greater than or equal to 0"),
    ("[0, inf]", "finite"),
]


@pytest.mark.parametrize(("value", "rule"), BAD_WTP, ids=[b[0] for b in BAD_WTP])
def test_bad_willingness_to_pay_is_refused_by_validate_and_psa(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    value: str,
    rule: str,
) -> None:
    out = tmp_path / "out"
    wtp = f"--set=analysis.willingness_to_pay={value}"
    refused(["validate", str(baseline_path), wtp], out, capsys, "willingness_to_pay", rule)
    started = time.perf_counter()
    argv = ["psa", str(baseline_path), "--out", str(out), "--draws", "4", *SMALL, wtp]
    refused(argv, out, capsys, "analysis.willingness_to_pay", rule)
    assert time.perf_counter() - started < 5, "refused before any draw is simulated"


# 5. Sizes are not sensitivity parameters -------------------------------------------------


@pytest.mark.parametrize(
    "key", ["simulation.seed", "simulation.patients", "simulation.replications"]
)
def test_size_keys_cannot_be_swept(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    out = tmp_path / "out"
    flag = "--" + key.split(".")[1]
    sweep = ["sweep", str(baseline_path), "--out", str(out), *SMALL]
    refused([*sweep, "--vary", f"{key}=1,2"], out, capsys, key, flag)
    refused([*sweep, "--vary", f"{key}=1:9:3"], out, capsys, key, flag)
    refused([*sweep, f'--set=sweep.vary={{"{key}" = [1, 2]}}'], out, capsys, key, flag)
    ranged = f'--set=uncertainty."{key}".range=[1, 9]'
    for command in (["owsa"], ["sobol", "--samples", "4"]):
        argv = [command[0], str(baseline_path), "--out", str(out), *command[1:], *SMALL]
        refused([*argv, ranged], out, capsys, key, flag)
    drawn = f'--set=uncertainty."{key}".psa={{dist="uniform", low=1, high=9}}'
    psa = ["psa", str(baseline_path), "--out", str(out), "--draws", "2", *SMALL]
    refused([*psa, drawn], out, capsys, key, flag)


# 6. Sobol names a zero-width range instead of dropping it --------------------------------


def test_sobol_refuses_a_zero_width_range(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["sobol", str(baseline_path), "--out", str(out), "--samples", "4", *SMALL]
    flat = '--set=uncertainty."costs.ct".range=[300, 300]'
    refused([*argv, flat], out, capsys, 'uncertainty."costs.ct".range = [300, 300]', "zero width")
    keys = ["--parameter", "costs.ct", "--parameter", "costs.visit"]
    refused([*argv, *keys, flat], out, capsys, "costs.ct", "zero width")


# 7. Size guards before the work -----------------------------------------------------------


def test_estimate_is_a_hand_count(baseline: fupsim.Scenario) -> None:
    # 36 months: every 3 -> 12 visits, every 4.5 -> 8, every 6 -> 6; 24 months: 8, 5, 4;
    # none -> 0; plus one per protocol per person; adults plus 2 pregnancies per adult x
    # 0.00057 fetal findings
    w = workload(baseline, points=3, replications=2, patients=1000)
    assert w.visits_per_person == 12 + 8 + 6 + 8 + 5 + 4 + 0 + 7
    assert w.people == pytest.approx(1000 + 2000 * 0.00057)
    assert w.visits == pytest.approx(3 * 2 * (1000 + 1.14) * 50)
    # distinct visit days: multiples of 3 (12) and of 4.5 that are not (4.5, 13.5, 22.5, 31.5)
    assert w.visit_days == 16


@pytest.mark.parametrize("name", ["baseline", "capacity", "inactive-majority", "sweep-example"])
def test_shipped_scenarios_are_not_large(name: str) -> None:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    stream = io.StringIO()
    check_workload(workload(sc), "run", stream=stream)
    assert stream.getvalue() == ""


def test_a_large_job_prints_its_estimate(baseline: fupsim.Scenario) -> None:
    stream = io.StringIO()
    points = int(LARGE_WORK / workload(baseline).work) + 1  # just above the print threshold
    check_workload(workload(baseline, points=points), "--vary", stream=stream)
    assert "a large job" in stream.getvalue() and "scheduled visits" in stream.getvalue()
    with pytest.raises(ScenarioError, match="--vary: .* at most"):
        check_workload(workload(baseline, points=int(MAX_WORK / 1e6)), "--vary", stream=stream)


SIZES = [
    (
        ["sweep", "--vary", "ultrasound.sensitivity=0.5:0.9:200000000"],
        ["--vary ultrasound.sensitivity=0.5:0.9:200000000", "at most 100,000"],
    ),
    (
        [
            "sweep",
            "--vary",
            "ultrasound.sensitivity=0.5:0.9:1000",
            "--vary",
            "ct.sensitivity=0.8:0.9:1000",
        ],
        ["--vary", "1,000,000 points", "at most 100,000"],
    ),
    (
        ["sweep", "--vary", "ultrasound.sensitivity=0.5:0.9:100000", "--patients", "20000"],
        ["--vary", "100,000 points", "scheduled visits", "at most"],
    ),
    (["owsa", "--points", "100000000"], ["--points 100,000,000", "at most 100,000"]),
    (["owsa", "--points", "50000", "--patients", "20000"], ["--points 50,000", "at most"]),
    (["psa", "--draws", "10000000"], ["--draws 10,000,000", "scheduled visits", "at most"]),
    (["sobol", "--samples", "16777216"], ["--samples 16,777,216", "at most"]),
]


@pytest.mark.parametrize(("argv", "fragments"), SIZES, ids=[" ".join(s[0][:3]) for s in SIZES])
def test_oversized_sensitivity_jobs_are_refused_at_once(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    fragments: list[str],
) -> None:
    out = tmp_path / "out"
    command = [argv[0], str(baseline_path), "--out", str(out), "--quiet", *argv[1:]]
    started = time.perf_counter()
    refused(command, out, capsys, *fragments)
    assert time.perf_counter() - started < 10


def test_oversized_runs_are_refused_at_once(
    baseline_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    started = time.perf_counter()
    refused(
        run_with(baseline_path, out, "protocol.us-3m.interval_months=1e-6"),
        out,
        capsys,
        "protocol[us-3m].interval_months = 1e-06",
        "at least 0.25 months",
    )
    refused(
        ["run", str(baseline_path), "--out", str(out), "--quiet", "--patients", "100000000"],
        out,
        capsys,
        "--patients",
        "one replicate would hold 100,114,000 people",
        "fit in memory",
    )
    capacity = ["run", str(ROOT / "scenarios" / "capacity.toml"), "--out", str(out), "--quiet"]
    refused(
        [*capacity, "--set=capacity.service_months=1e6"],
        out,
        capsys,
        "capacity.service_months = 1000000.0",
        "less than or equal to 1200",
    )
    refused(
        [*capacity, "--set=capacity.new_patients_per_year=5e6"],
        out,
        capsys,
        "one replicate would hold 25,000,011 people",
        "fit in memory",
    )
    refused(
        ["run", str(baseline_path), "--out", str(out), "--quiet", "--replications", "100000"],
        out,
        capsys,
        "--replications",
        "100,000 replicates",
        "scheduled visits",
    )
    assert time.perf_counter() - started < 10


# 8. A malformed --scheduler address is bad input ------------------------------------------

BAD_ADDRESSES = ["tcp://", "foo:bar", "http://127.0.0.1:8786", "tcp://127.0.0.1:99999", "a b:1"]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_malformed_scheduler_address_exits_2(
    baseline_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    address: str,
    command: str,
) -> None:
    out = tmp_path / "out"
    vary = ["--vary", "ultrasound.sensitivity=0.5,0.8"] if command == "sweep" else []
    argv = [command, str(baseline_path), "--out", str(out), *SMALL, *vary]
    refused([*argv, "--scheduler", address], out, capsys, "--scheduler", repr(address))


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:8786", "127.0.0.1:8786", "scheduler.local:8786", "tls://[::1]:8786"],
)
def test_well_formed_scheduler_addresses_pass(address: str) -> None:
    assert scheduler_address(address) == address


# 9. Jitter never puts a scan after the horizon --------------------------------------------


def test_jitter_at_the_top_of_its_range_stays_within_the_horizon(baseline_path: Path) -> None:
    sc = load_scenario(baseline_path, ["attendance.jitter_sd_days=60"])
    last = horizon_day(sc)
    draws = draw_visits(sc, 5000, replicate_streams(7, 0))
    for protocol in sc.protocol:
        days = plan_visits(sc, protocol, draws).days
        if days.size:
            assert days.max() <= last, protocol.name
            assert days.min() >= 1
            assert (np.diff(days, axis=0) > 0).all()  # still in order, on distinct days
    result = fupsim.run(sc, replications=1, patients=3000, workers=1, progress=False)
    scans = result.events[result.events["event"].astype(str).str.startswith("scan_")]
    assert len(scans) > 0
    scan_days = np.rint(scans["time_months"].to_numpy() * DAYS_PER_MONTH)
    assert scan_days.max() <= last  # the horizon day is month 36 rounded to a whole day
