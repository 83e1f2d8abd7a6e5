"""The CLI contract, run as a real process: `rehearse score` and `rehearse steps`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from .conftest import CLIPS

GOOD = str(CLIPS / "ppn-00-correct-siobhan-clean.flac")
SHORT = str(CLIPS / "ppn-08-short-pause-tomasz-clean.flac")


def rehearse(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rehearse", *args], capture_output=True, text=True,
                          timeout=600, env=env)


def test_json_one_object_per_file_and_bad_files_reported(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF not really a wave file" * 20)
    missing = str(tmp_path / "missing.wav")
    run = rehearse("score", GOOD, str(corrupt), missing, str(CLIPS / "silent.flac"), SHORT,
                   "--step", "pose-pause-name", "--json")
    assert run.returncode == 2
    objects = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["file"] for o in objects] == [GOOD, SHORT]
    good, short = objects
    assert good["passed"] is True and short["passed"] is False
    assert good["metrics"]["named_pupil"] == "Siobhan"
    assert abs(good["metrics"]["wait_time_s"] - 5.37) < 0.1
    assert {"id", "passed", "detail"} == set(good["criteria"][0])
    assert all({"word", "start", "end"} <= set(w) for w in good["words"])
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 3
    assert "corrupt.wav" in errors[0] and "missing.wav" in errors[1] and "no speech" in errors[2]


def test_readable_report_and_roster_override():
    # Siobhan is named in the clip but is not on this roster: she is never taken for named. (Whether
    # her name reads as no roster pupil or as an unclear name, "was it Tom or Priya?", depends on how
    # well Whisper heard it on this CPU.)
    run = rehearse("score", GOOD, "--step", "pose-pause-name", "--roster", "Tom,Priya")
    assert run.returncode == 0, run.stderr
    assert "You named" not in run.stdout
    assert "No pupil from the roster was named" in run.stdout or "was it Tom or Priya?" in run.stdout
    assert "wait time" in run.stdout and "None named" not in run.stdout
    # Read to a tenth of a second, as the pages show it (--json keeps every decimal).
    assert re.search(r"wait time \d+\.\d s \(question ended at \d+\.\d s, .* named at \d+\.\d s\)", run.stdout), run.stdout


def test_unknown_step_lists_known_ones():
    run = rehearse("score", GOOD, "--step", "pose-pause")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "pose-pause-name" in run.stderr and "cold-call" in run.stderr


def test_bad_roster():
    run = rehearse("score", GOOD, "--step", "pose-pause-name", "--roster", " , ")
    assert run.returncode == 2 and "roster is empty" in run.stderr


def test_bad_speech_model_path(tmp_path):
    run = rehearse("score", GOOD, "--step", "pose-pause-name", "--speech-model", str(tmp_path))
    assert run.returncode == 2 and "not a faster-whisper model folder" in run.stderr
    assert "--speech-model" in run.stderr


def test_the_speech_models_old_names_still_work(tmp_path):
    """--model and REHEARSE_MODEL, the old names of --speech-model and REHEARSE_SPEECH_MODEL, are
    still read (others' scripts use them); --help lists only the new one, and calls --model its old name."""
    import os

    run = rehearse("score", GOOD, "--step", "pose-pause-name", "--model", str(tmp_path))
    assert run.returncode == 2 and f"{tmp_path}: not a faster-whisper model folder" in run.stderr
    for variable in ("REHEARSE_SPEECH_MODEL", "REHEARSE_MODEL"):
        env = {**os.environ, variable: str(tmp_path)}
        run = rehearse("score", GOOD, "--step", "pose-pause-name", env=env)
        assert run.returncode == 2 and f"{tmp_path}: not a faster-whisper model folder" in run.stderr, variable
    shown = rehearse("score", "--help").stdout
    assert "--speech-model PATH" in shown and "[--model" not in shown
    assert not re.search(r"^ *--model", shown, re.M) and "--model is its old name" in " ".join(shown.split())


def test_steps_list_and_check(tmp_path):
    run = rehearse("scenarios")
    assert run.returncode == 0 and "pose-pause-name" in run.stdout
    (tmp_path / "broken.toml").write_text('id = "broken"\ntitle = 3\n')
    import os
    env = {**os.environ, "REHEARSE_SCENARIOS": str(tmp_path)}
    run = rehearse("scenarios", "--check", env=env)
    assert run.returncode == 2
    assert "broken.toml: field 'title': expected a non-empty string; got 3" in run.stderr
