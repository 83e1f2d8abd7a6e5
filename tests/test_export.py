"""`rehearse export` (CSV, JSON, archive) and `rehearse import`, run as real processes over a real
store of real scored attempts."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from rehearse.store import Store

from .test_cli import rehearse


def export(folder, *args):
    run = rehearse("export", "--instance", str(folder), *args)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_csv_has_one_row_per_attempt_with_metrics_verdicts_and_coach_marks(history_instance):
    folder, ids = history_instance
    store = Store.open(folder)
    first = ids["sessions"][0]["attempts"][0]
    store.mark(first, "wait_time", True, "a long breath counts")
    rows = list(csv.DictReader(io.StringIO(export(folder))))
    assert len(rows) == 9
    row = rows[0]
    stored = store.attempt(first)
    assert (row["teacher"], row["action_step"], row["rep"], row["mode"]) == ("Ms Okafor", "pose-pause-name", "1", "coached")
    assert row["session_started_at"] == "2026-11-03T09:00:00+00:00"
    assert float(row["wait_time_s"]) == stored["result"]["metrics"]["wait_time_s"]
    assert row["named_pupil"] == "Tomasz"
    assert row["transcript"] == stored["result"]["transcript"]
    assert (row["wait_time: app"], row["wait_time: coach"], row["wait_time: verdict"]) == ("not met", "met", "met")
    assert row["wait_time: comment"] == "a long breath counts"
    assert (row["app_passed"], row["passed"], row["coach_overruled"]) == ("no", "yes", "yes")
    assert row["recording"] == stored["audio_path"]
    vocab = [r for r in rows if r["action_step"] == "key-vocabulary"]
    assert [r["uses_key_words: verdict"] for r in vocab] == ["met", "not met"]
    assert vocab[0]["wait_time: verdict"] == ""  # that step has no wait criterion


def test_csv_cells_that_look_like_formulas_are_kept_as_text(history_instance):
    """A comment such as "=HYPERLINK(...)" must not run when the coach opens the CSV in a spreadsheet."""
    folder, ids = history_instance
    store = Store.open(folder)
    first = ids["sessions"][0]["attempts"][0]
    store.mark(first, "wait_time", None, '=HYPERLINK("http://example.com","click")')
    store.mark(ids["sessions"][1]["attempts"][0], "wait_time", None, "-2 s short, but fine")
    rows = list(csv.DictReader(io.StringIO(export(folder))))
    comments = {r["wait_time: comment"] for r in rows} - {""}
    assert comments == {"'=HYPERLINK(\"http://example.com\",\"click\")", "'-2 s short, but fine"}
    assert json.loads(export(folder, "--format", "json"))["attempts"][0]["verdicts"]  # JSON is left as it is
    assert float(rows[0]["wait_time_s"]) >= 0  # numbers stay numbers


def test_filters_and_json(history_instance):
    folder, _ = history_instance
    data = json.loads(export(folder, "--format", "json", "--teacher", "mr byrne", "--step", "key-vocabulary"))
    attempts = data["attempts"]
    assert [(a["teacher"], a["action_step"], a["rep"], a["passed"]) for a in attempts] == [
        ("Mr Byrne", "key-vocabulary", 1, True), ("Mr Byrne", "key-vocabulary", 2, False)]
    assert {"criterion", "passed", "app", "coach", "evidence", "comment"} == set(attempts[0]["verdicts"][0])
    assert "word_count" in attempts[0]["metrics"]
    dated = json.loads(export(folder, "--format", "json", "--from", "2026-11-04", "--to", "2026-11-11"))
    assert {a["session_started_at"][:10] for a in dated["attempts"]} == {"2026-11-10"}
    out = folder.parent / "out.csv"
    export(folder, "-o", str(out))
    assert len(out.read_text().splitlines()) == 10


def test_bad_export_requests_get_one_line_and_status_2(history_instance, tmp_path):
    folder, _ = history_instance
    for args, message in [
        (["--teacher", "Ms Nobody"], "no teacher called 'Ms Nobody'; the teachers are: Mr Byrne, Ms Okafor"),
        (["--step", "juggling"], "no attempts at action step 'juggling'"),
        (["--from", "yesterday"], "--from: 'yesterday' is not a date; write it as YYYY-MM-DD"),
        (["-o", str(tmp_path / "no" / "such" / "dir.csv")], "No such file or directory"),
    ]:
        run = rehearse("export", "--instance", str(folder), *args)
        assert run.returncode == 2 and message in run.stderr and len(run.stderr.splitlines()) == 1, run.stderr
    run = rehearse("export", "--instance", str(tmp_path / "empty"))
    assert run.returncode == 2 and "no rehearse data in" in run.stderr and "--instance" in run.stderr
    assert not (tmp_path / "empty").exists()  # an export never makes a data folder by mistake


def test_archive_restores_everything_on_another_laptop_once(history_instance, tmp_path):
    folder, ids = history_instance
    Store.open(folder).mark(ids["sessions"][0]["attempts"][0], "wait_time", True, "counts")
    archive = tmp_path / "everything.zip"
    run = rehearse("export", "--instance", str(folder), "--archive", str(archive))
    assert run.returncode == 0 and "4 sessions, 9 attempts, 9 recordings" in run.stderr
    with zipfile.ZipFile(archive) as z:
        assert json.loads(z.read("manifest.json"))["format"] == "rehearse-archive"

    laptop = tmp_path / "other-laptop"
    run = rehearse("import", str(archive), "--instance", str(laptop))
    assert run.returncode == 0, run.stderr
    assert "2 new teachers, 4 sessions, 9 attempts, 9 recordings, 1 coach marks" in run.stdout
    assert export(laptop, "--format", "json") == export(folder, "--format", "json")
    here, there = Store.open(folder), Store.open(laptop)
    for session in ids["sessions"]:
        for attempt_id in session["attempts"]:
            original = here.attempt(attempt_id)
            copy = there.query_one("SELECT id FROM attempts WHERE uid = ?", original["uid"])
            assert there.audio_file(there.attempt(copy["id"])).read_bytes() == here.audio_file(original).read_bytes()

    again = rehearse("import", str(archive), "--instance", str(laptop))
    assert "0 new teachers, 0 sessions, 0 attempts, 0 recordings, 0 coach marks" in again.stdout
    assert "already here: 4 sessions, 9 attempts" in again.stdout
    assert export(laptop, "--format", "json") == export(folder, "--format", "json")


def test_import_merges_into_a_laptop_with_its_own_history(history_instance, tmp_path):
    """The coach's laptop has its own sessions; the archive adds the rest and newer coach marks."""
    folder, ids = history_instance
    laptop = tmp_path / "coach-laptop"
    archive = tmp_path / "a.zip"
    export(folder, "--archive", str(archive))
    rehearse("import", str(archive), "--instance", str(laptop))
    mine = Store.open(laptop)
    own = mine.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    # Back on the first laptop the coach overrules a verdict; then a new archive comes over.
    Store.open(folder).mark(ids["sessions"][0]["attempts"][0], "wait_time", True, "later thought")
    export(folder, "--archive", str(archive))
    run = rehearse("import", str(archive), "--instance", str(laptop))
    assert "0 sessions, 0 attempts, 0 recordings, 1 coach marks" in run.stdout
    rows = list(csv.DictReader(io.StringIO(export(laptop))))
    assert rows[0]["wait_time: comment"] == "later thought"
    assert mine.session(own)["teacher"] == "Ms Okafor"
    assert mine.teacher_names() == ["Mr Byrne", "Ms Okafor"]  # one Ms Okafor, not two


def test_a_file_that_is_not_an_archive_changes_nothing(history_instance, tmp_path):
    folder, _ = history_instance
    before = export(folder, "--format", "json")
    fake = tmp_path / "holiday.zip"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("photo.jpg", b"\xff\xd8")
    for path, message in [(fake, "not a rehearse archive (no readable manifest.json"),
                          (tmp_path / "missing.zip", "not a rehearse archive"),
                          (folder / "rehearse.sqlite", "not a rehearse archive (File is not a zip file)")]:
        run = rehearse("import", str(path), "--instance", str(folder))
        assert run.returncode == 2 and message in run.stderr, run.stderr
    assert export(folder, "--format", "json") == before
