"""The command line's structure: library errors name parameters and the CLI speaks options;
an interrupt says what stopped it; ``--version`` answers without loading the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fupsim
import fupsim.commands.validate as validate_command
from fupsim.cli import main
from fupsim.commands.common import OPTIONS, interrupted
from fupsim.errors import ParameterError, ScenarioError, Terminated
from fupsim.scenario import parse_overrides


def test_parameter_error_reads_as_library_or_as_option() -> None:
    err = ParameterError("replications", "0", "must be at least 1")
    assert isinstance(err, ScenarioError)
    assert str(err) == "replications = 0: must be at least 1"
    assert (
        err.as_option({"replications": "--replications"}) == "--replications 0: must be at least 1"
    )
    assert err.as_option({}) == str(err)  # unknown to the caller: left as the library said it


def test_library_errors_name_parameters_not_options(tmp_path: Path) -> None:
    scenario = fupsim.load_scenario(Path(__file__).parents[1] / "scenarios" / "baseline.toml")
    with pytest.raises(ParameterError, match=r"^replications = 0: ") as caught:
        fupsim.run(scenario, replications=0)
    assert "--" not in str(caught.value)
    with pytest.raises(ParameterError, match=r"^overrides = 'nokey': expected dotted.key=value"):
        parse_overrides(["nokey"])


def test_the_cli_rewords_a_parameter_as_its_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise ParameterError("draws", "0", "must be at least 1")

    monkeypatch.setattr(validate_command, "_run", fail)
    assert main(["validate", "x.toml"]) == 2
    assert capsys.readouterr().err == "fupsim: error: --draws 0: must be at least 1\n"


def test_set_errors_are_worded_as_set(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = str(Path(__file__).parents[1] / "scenarios" / "baseline.toml")
    assert main(["validate", baseline, "--set", "nokey"]) == 2
    assert capsys.readouterr().err.startswith("fupsim: error: --set 'nokey': expected dotted")


def test_every_option_name_is_an_option() -> None:
    assert all(flag.startswith("--") and " " not in flag for flag in OPTIONS.values())


@pytest.mark.parametrize(
    ("cause", "word"), [(KeyboardInterrupt(), "interrupted"), (Terminated(), "terminated")]
)
def test_interrupted_says_what_stopped_it(
    tmp_path: Path, cause: BaseException, word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    points = tmp_path / "points"
    (points / "ab").mkdir(parents=True)
    for name in ("1.json", "2.json"):
        (points / "ab" / name).write_text("{}")
    assert interrupted(points, cause) == 130
    err = capsys.readouterr().err
    assert err.startswith(f"fupsim: {word}") and "2 finished point(s)" in err
    assert ("SIGTERM" in err) == (word == "terminated")


def test_version_and_help_answer_from_a_fresh_process() -> None:
    for flag in ("--version", "--help"):
        done = subprocess.run(
            [sys.executable, "-m", "fupsim.cli", flag],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "fupsim" in done.stdout
    assert "diff" in done.stdout  # the new command is listed


def test_the_psa_noise_target_shown_in_help_is_the_rule_s() -> None:
    from fupsim.commands.points import NOISE_TARGET
    from fupsim.sensitivity.psa_size import NOISE_TARGET as RULE

    assert NOISE_TARGET == RULE


def test_a_library_error_reaches_the_user_as_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = str(Path(__file__).parents[1] / "scenarios" / "baseline.toml")
    out = tmp_path / "owsa"
    assert main(["owsa", baseline, "--out", str(out), "--protocol", "nope", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fupsim: error: --protocol 'nope': not one of ") and err.count("\n") == 1
    assert not out.exists()  # nothing written


@pytest.mark.slow
def test_sigterm_during_a_sweep_says_terminated_and_keeps_points(tmp_path: Path) -> None:
    import signal
    import time

    out = tmp_path / "sweep"
    baseline = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
    args = ["sweep", str(baseline), "--out", str(out), "--quiet", "--workers", "1"]
    args += ["--patients", "500", "--replications", "1"]
    args += ["--vary", "ultrasound.specificity=0.5:0.99:200"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fupsim.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if any((out / "points").glob("*/*.json")):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be terminated"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    assert err.startswith("fupsim: terminated (SIGTERM); ") and "finished point(s)" in err, err
    assert "Traceback" not in err and "interrupted" not in err
    assert any((out / "points").glob("*/*.json"))  # finished points are kept for a rerun
