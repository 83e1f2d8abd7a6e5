"""`rehearse export` (CSV, JSON, archive) and `rehearse import`, run as real processes over a real
store of real scored attempts."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile

from rehearse.reps import open_store
from rehearse.reps.export import FORMULA_STARTS
from rehearse.coaching.progress import metric_value

from .test_cli import rehearse


def export(folder, *args, env=None):
    run = rehearse("export", "--instance", str(folder), *args, env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of an exported CSV, which starts with the byte-order mark Excel needs to read UTF-8."""
    assert text.startswith("\ufeff"), text[:20]
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_has_one_row_per_attempt_with_metrics_verdicts_and_coach_marks(history_instance):
    folder, ids = history_instance
    store = open_store(folder)
    first = ids["sessions"][0]["attempts"][0]
    store.mark(first, "wait_time", True, "a long breath counts")
    rows = csv_rows(export(folder))
    assert len(rows) == 9
    row = rows[0]
    stored = store.rep(first)
    assert (row["Teacher"], row["Action step"], row["Rep"], row["Mode"]) == ("Ms Okafor", "pose-pause-name", "1", "coached")
    assert float(row["Wait (s)"]) == stored.result.metrics.wait_time_s
    assert row["Pupil named"] == "Tomasz"
    assert row["Transcript"] == stored.result.transcript
    assert (row["wait_time: app"], row["wait_time: coach"], row["wait_time: verdict"]) == ("not met", "met", "met")
    assert row["wait_time: comment"] == "a long breath counts"
    assert (row["Passed (app)"], row["Passed"], row["Coach overruled"]) == ("no", "yes", "yes")
    assert row["Recording"] == stored.audio_path
    vocab = [r for r in rows if r["Action step"] == "key-vocabulary"]
    assert [r["uses_key_words: verdict"] for r in vocab] == ["met", "not met"]
    assert vocab[0]["wait_time: verdict"] == ""  # that step has no wait criterion


def test_csv_cells_that_look_like_formulas_are_kept_as_text(history_instance):
    """A comment such as "=HYPERLINK(...)" must not run when the coach opens the CSV in a spreadsheet."""
    folder, ids = history_instance
    store = open_store(folder)
    first = ids["sessions"][0]["attempts"][0]
    store.mark(first, "wait_time", None, '=HYPERLINK("http://example.com","click")')
    store.mark(ids["sessions"][1]["attempts"][0], "wait_time", None, "-2 s short, but fine")
    rows = csv_rows(export(folder))
    comments = {r["wait_time: comment"] for r in rows} - {""}
    assert comments == {"'=HYPERLINK(\"http://example.com\",\"click\")", "'-2 s short, but fine"}
    assert json.loads(export(folder, "--format", "json"))["attempts"][0]["verdicts"]  # JSON is left as it is
    assert float(rows[0]["Wait (s)"]) >= 0  # numbers stay numbers


def test_the_csv_opens_cleanly_in_a_spreadsheet_and_the_json_keeps_machine_names(history_instance):
    """A byte-order mark (else Excel reads UTF-8 as Windows-1252), headers in words, times in this
    computer's time zone as a spreadsheet reads them; the JSON is for tools and stays as it was."""
    folder, _ = history_instance
    out = folder.parent / "out.csv"
    india = {**os.environ, "TZ": "IST-5:30"}  # a POSIX zone: UTC+5:30 all year, no tz database needed
    export(folder, "-o", str(out), env=india)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfTeacher,Action step,")
    rows = csv_rows(out.read_text(encoding="utf-8"))
    assert {"Wait (s)", "Pupil named", "Session started", "Recorded", "Duration (s)", "Room signal-to-noise (dB)",
            "wait_time: verdict"} <= set(rows[0])
    assert not [h for h in rows[0] if "_" in h and ":" not in h]  # no machine names but the criteria's ids
    assert (rows[0]["Session started"], rows[0]["Recorded"]) == ("2026-11-03 14:30", "2026-11-03 14:30")
    assert rows[-1]["Session started"] == "2026-11-12 21:00"
    assert csv_rows(export(folder, env={**os.environ, "TZ": "UTC0"}))[0]["Session started"] == "2026-11-03 09:00"
    record = json.loads(export(folder, "--format", "json", env=india))["attempts"][0]
    assert record["session_started_at"] == "2026-11-03T09:00:00+00:00" and "wait_time_s" in record["metrics"]


def test_the_csv_figures_carry_the_coachs_marks_as_the_progress_page_does(history_instance):
    """Rep 1: the app did not hear whom the teacher named, so it timed no wait; the coach says it
    was Tomasz. The progress page then charts the pause after the question as the wait: so must the CSV."""
    folder, ids = history_instance
    store = open_store(folder)
    first = ids["sessions"][0]["attempts"][0]
    result = store.rep(first).result.stored
    result["metrics"] |= {"wait_time_s": None, "named_pupil": None, "name_start_s": None}
    with store.connect() as db:
        db.execute("UPDATE attempts SET result = ? WHERE id = ?", (json.dumps(result), first))
    store.mark(first, "names_pupil", True, "", pupil="Tomasz")
    kept = result["metrics"]["pause_after_question_s"]
    assert kept and metric_value(store.rep(first), "wait_time_s") == kept  # what the progress page charts
    row = csv_rows(export(folder))[0]
    assert (float(row["Wait (s)"]), row["Pupil named"], row["Pupil chosen by coach"]) == (kept, "Tomasz", "yes")
    assert float(row["Wait kept from the pause (s)"]) == kept
    metrics = json.loads(export(folder, "--format", "json"))["attempts"][0]["metrics"]
    assert (metrics["wait_time_s"], metrics["named_pupil"], metrics["wait_kept_s"]) == (kept, "Tomasz", kept)


def test_a_criterion_id_that_is_a_formula_is_text_in_the_csv_header(history_instance):
    """A hand-written step may name a criterion "=HYPERLINK(...)" (the editor refuses such ids:
    test_authoring_attack.py); its columns are headed by it. No cell of the CSV, headers included,
    may start a formula."""
    folder, _ = history_instance
    store = open_store(folder)
    formula = '=HYPERLINK("http://example.com","x")'
    with store.connect() as db:
        for attempt_id, text in db.execute("SELECT id, result FROM attempts").fetchall():
            result = json.loads(text)
            for criterion in result["criteria"]:
                criterion["id"] = {"wait_time": formula, "names_pupil": "@SUM(1)", "asks_question": "-1+2"}.get(
                    criterion["id"], criterion["id"])
            db.execute("UPDATE attempts SET result = ? WHERE id = ?", (json.dumps(result), attempt_id))
    text = export(folder)
    header = next(csv.reader(io.StringIO(text[1:])))
    assert f"'{formula}: verdict" in header and "'@SUM(1): comment" in header and "'-1+2: app" in header
    for row in csv.reader(io.StringIO(text[1:])):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a number, such as a negative difference, may start with "-"


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
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 10


def test_bad_export_requests_get_one_line_and_status_2(history_instance, tmp_path):
    folder, _ = history_instance
    for args, message in [
        (["--teacher", "Ms Nobody"], "no teacher called 'Ms Nobody'; the teachers are: Mr Byrne, Ms Okafor"),
        (["--step", "juggling"], "no reps of action step 'juggling'"),
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
    open_store(folder).mark(ids["sessions"][0]["attempts"][0], "wait_time", True, "counts")
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
    here, there = open_store(folder), open_store(laptop)
    for session in ids["sessions"]:
        for attempt_id in session["attempts"]:
            original = here.rep(attempt_id)
            copy = there.query_one("SELECT id FROM attempts WHERE uid = ?", original.uid)
            assert there.audio_file(there.rep(copy["id"])).read_bytes() == here.audio_file(original).read_bytes()

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
    mine = open_store(laptop)
    own = mine.start_session("Ms Okafor", "pose-pause-name", "Pose, pause, name", ["Siobhan"])
    # Back on the first laptop the coach overrules a verdict; then a new archive comes over.
    open_store(folder).mark(ids["sessions"][0]["attempts"][0], "wait_time", True, "later thought")
    export(folder, "--archive", str(archive))
    run = rehearse("import", str(archive), "--instance", str(laptop))
    assert "0 sessions, 0 attempts, 0 recordings, 1 coach marks" in run.stdout
    rows = csv_rows(export(laptop))
    assert rows[0]["wait_time: comment"] == "later thought"
    assert mine.session(own).teacher == "Ms Okafor"
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
