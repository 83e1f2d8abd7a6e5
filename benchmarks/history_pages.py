"""Page times over a large history (50 teachers x 200 attempts), through a real `rehearse serve`.

    python benchmarks/history_pages.py [--teachers 50] [--attempts 200] [--repeat 20] [--instance DIR]
    python benchmarks/history_pages.py --quick          # 5 teachers x 40 attempts, 5 requests a page

Why: the coach's pages must stay fast as the history grows: with 50 teachers x 200 attempts each,
every page in at most 200 ms. How:

1. A handful of labelled clips are scored once by the real speech model (pass, fail and hesitant reps of
   pose-pause-name, key-vocabulary and cold-call; the cold-call fail is a pose-pause-name clip judged
   by cold-call's criteria), so every stored result is one the engine really produced.
2. Each teacher gets sessions of 10 reps over the last 120 days, across the three action steps; each
   rep is a copy of a template result with its wait time moved a little (kept inside or outside the
   step's band as the template's was), and teachers fail less as the weeks go by. Sessions,
   attempts and coach marks (about 2% of attempts) are made through the Store API, as the app makes
   them (its commits just do not wait for the disk); only the dates are set by hand, in SQL. No
   recordings are written: the attempts' audio paths point at files that do not exist (no page timed
   here reads them).
3. The real server is started on the seeded instance; once its CPU use settles (the speech model
   loads at start), each page is requested over HTTP --repeat times after 2 warm-ups: median, p95
   and max milliseconds, the server's mean CPU time per request (from /proc), and the page's size.
   A page is within target when its p95 is <= 200 ms. A 404 is reported as a missing route. The
   full export is a download: timed 3 times, no target.

Also prints the seeding time, the database's size and counts, the server's peak memory, and a CPU
reference figure, because this machine's speed varies with its neighbours. With --instance DIR an
instance seeded before is reused as it is (no seeding); the server's log goes beside DIR.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, datetime, time as day_time, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.latency import server_peak_rss_mb  # noqa: E402
from benchmarks.score_clips import cpu_reference  # noqa: E402
from rehearse.scoring.pipeline import Scorer  # noqa: E402
from rehearse.scoring.name_sounds import parse_roster  # noqa: E402
from rehearse.coaching.progress import progress_of  # noqa: E402
from rehearse.scoring.steps import ActionStep, get_step  # noqa: E402
from rehearse.store.database import Store  # noqa: E402
from tests.conftest import CLIPS, LABELS  # noqa: E402
from tests.server import running_server  # noqa: E402

TARGET_MS = 200
REPS_PER_SESSION = 10
FLUENT_AFTER = 3  # the app's default
DAYS = 120
MARK_SHARE = 0.02

# Per action step: the clips whose real results every seeded rep is copied from, by kind.
TEMPLATES = {
    "pose-pause-name": {
        "pass": ["ppn-00-correct-siobhan-clean.flac", "ppn-03-correct-xavier-clean.flac"],
        "hesitant": ["ppn-16-hesitation-imogen-clean.flac"],  # passes, with a pause inside the question
        "fail": ["ppn-08-short-pause-tomasz-clean.flac", "ppn-12-name-first-jamal-clean.flac"],
    },
    "key-vocabulary": {"pass": ["vocab-good.flac"], "fail": ["vocab-missing.flac"]},
    "cold-call": {"pass": ["cold-call-good.flac"], "fail": ["ppn-10-short-pause-kwame-clean.flac"]},
}
# The order in which a teacher's sessions visit the action steps (shifted per teacher).
STEP_CYCLE = ["pose-pause-name", "pose-pause-name", "key-vocabulary", "pose-pause-name", "cold-call"]


class SeedingStore(Store):
    """The Store, with commits not waiting for the disk (synchronous=NORMAL, safe in WAL mode):
    seeding makes some 20,000 small commits, and fsync-ing each would dominate the seeding time."""

    def connect(self) -> sqlite3.Connection:
        db = super().connect()
        db.execute("PRAGMA synchronous=NORMAL")
        return db


def score_templates(steps: dict[str, ActionStep]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Score each template clip once with the real speech model; the results as `keep_result` stores them."""
    scorer = Scorer()
    roster = parse_roster(LABELS["roster"])
    templates: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for step, kinds in TEMPLATES.items():
        for kind, clips in kinds.items():
            for clip in clips:
                result = scorer.score_file(CLIPS / clip, steps[step],
                                           roster if step == "pose-pause-name" else None)
                as_stored = result.to_dict() | {"timings": result.timings}
                if as_stored["passed"] != (kind != "fail"):
                    print(f"  note: {clip} on {step} scored passed={as_stored['passed']}, expected "
                          f"{kind!r}; kept as scored")
                templates.setdefault(step, {}).setdefault(kind, []).append(as_stored)
    return templates


def varied(template: dict[str, Any], step: ActionStep, rng: random.Random) -> dict[str, Any]:
    """A copy of a template result with the wait time moved by up to half a second, kept on the
    same side of the step's wait band as the template's, so charts are not flat."""
    result = copy.deepcopy(template)
    metrics = result["metrics"]
    wait, band = metrics.get("wait_time_s"), step.wait_band
    if wait is None or band is None:
        return result
    low, high = band[0], band[1] if band[1] is not None else float("inf")
    new = wait + rng.uniform(-0.5, 0.5)
    if low <= wait <= high:
        new = min(max(new, low + 0.05), high - 0.05)
    elif wait < low:
        new = min(max(new, 0.3), low - 0.05)
    new = round(new, 3)
    if metrics.get("name_start_s") is not None:
        metrics["name_start_s"] = round(metrics["name_start_s"] + new - wait, 3)
    metrics["wait_time_s"] = new
    return result


def pick(templates: dict[str, list[dict[str, Any]]], progress: float, rng: random.Random) -> dict[str, Any]:
    """A template for one rep: mostly fails and hesitant passes early on, clean passes later
    (`progress` runs from 0, the teacher's first session on the step, to 1, the last)."""
    fail = 0.05 + 0.65 * (1 - progress)
    hesitant = fail + (0.05 + 0.25 * (1 - progress) if "hesitant" in templates else 0)
    draw = rng.random()
    kind = "fail" if draw < fail else "hesitant" if draw < hesitant else "pass"
    return rng.choice(templates[kind])


def plan(teacher_index: int, attempts: int, rng: random.Random) -> list[dict[str, Any]]:
    """One teacher's sessions, oldest first: action step, start time, reps, and how far along the
    teacher is on that step (0 to 1)."""
    count = -(-attempts // REPS_PER_SESSION)
    midnight = datetime.combine(date.today(), day_time(), tzinfo=timezone.utc)
    sessions = []
    for i in range(count):
        days_ago = DAYS - i * DAYS / count - rng.uniform(0, DAYS / count * 0.8)
        started = midnight - timedelta(days=int(days_ago)) + timedelta(hours=rng.uniform(8, 16))
        sessions.append({"step": STEP_CYCLE[(teacher_index + i) % len(STEP_CYCLE)], "started": started,
                         "reps": min(REPS_PER_SESSION, attempts - i * REPS_PER_SESSION)})
    for step in {s["step"] for s in sessions}:
        mine = [s for s in sessions if s["step"] == step]
        for n, session in enumerate(mine):
            session["progress"] = n / (len(mine) - 1) if len(mine) > 1 else 1.0
    return sessions


def seed(store: Store, steps: dict[str, ActionStep], templates, teachers: int, attempts: int,
         rng: random.Random) -> None:
    """Store teachers x attempts scored reps through the Store API, with coach marks; then set the
    dates by hand and finish each session with its summary, as the Finish button does."""
    for t in range(teachers):
        teacher = f"Teacher {t + 1:02d}"
        for planned in plan(t, attempts, rng):
            step = steps[planned["step"]]
            roster = (LABELS["roster"] if step.id == "pose-pause-name"
                      else [p.name for p in step.roster])
            session_id = store.start_session(teacher, step.id, step.title, roster,
                                             reps_target=REPS_PER_SESSION, fluent_after=FLUENT_AFTER)
            for _ in range(planned["reps"]):
                rep = store.new_rep(session_id, "live")
                result = varied(pick(templates[step.id], planned["progress"], rng), step, rng)
                result["file"] = str(store.audio_file(rep))
                store.save_result(rep.id, result)
                if rng.random() < MARK_SHARE:
                    verdict = rng.choice(result["criteria"])
                    store.mark(rep.id, verdict["id"], not verdict["passed"],
                               rng.choice(["", "Heard it differently in the room.", "Close call."]))
            store.finish_session(session_id, progress_of(store.reps(session_id), FLUENT_AFTER))
            started, reps = planned["started"], planned["reps"]
            with store.connect() as db:  # set by hand: when it happened
                db.execute("UPDATE sessions SET started_at = ?, finished_at = ? WHERE id = ?",
                           (iso(started), iso(started + timedelta(seconds=90 * reps + 60)), session_id))
                db.executemany("UPDATE attempts SET created_at = ? WHERE session_id = ? AND rep = ?",
                               [(iso(started + timedelta(seconds=90 * rep)), session_id, rep)
                                for rep in range(1, reps + 1)])


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def counts(db: sqlite3.Connection) -> dict[str, int]:
    return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("teachers", "action_steps", "sessions", "attempts", "coach_marks")}


def pages(db: sqlite3.Connection) -> list[tuple[str, str, bool]]:
    """(page, path, is a download) for each page to time, with ids read from the database: the
    teacher with the most attempts on one action step, and that step."""
    teacher, step = db.execute(
        "SELECT s.teacher_id, s.action_step_id FROM attempts x JOIN sessions s ON s.id = x.session_id"
        " GROUP BY 1, 2 ORDER BY COUNT(*) DESC, 1, 2 LIMIT 1").fetchone()
    first, last = db.execute(
        "SELECT MIN(x.id), MAX(x.id) FROM attempts x JOIN sessions s ON s.id = x.session_id"
        " WHERE s.teacher_id = ? AND s.action_step_id = ?", (teacher, step)).fetchone()
    session = db.execute("SELECT id FROM sessions WHERE teacher_id = ? AND action_step_id = ?"
                         " ORDER BY started_at DESC LIMIT 1", (teacher, step)).fetchone()[0]
    since, until = date.today() - timedelta(days=60), date.today() - timedelta(days=30)
    return [
        ("start page", "/", False),
        ("history", "/history", False),
        ("history, one teacher", f"/history?teacher={teacher}", False),
        ("history, step + dates", f"/history?step={step}&from={since}&to={until}", False),
        ("history, page 5", "/history?page=5", False),
        ("teacher", f"/teachers/{teacher}", False),
        ("progress", f"/progress/{teacher}/{step}", False),
        ("attempt", f"/attempts/{last}", False),
        ("compare", f"/compare?a={first}&b={last}", False),
        ("session summary", f"/sessions/{session}/summary", False),
        ("export CSV, one teacher", f"/export.csv?teacher={teacher}", False),
        ("export JSON, one teacher", f"/export.json?teacher={teacher}", False),
        ("export CSV, everything", "/export.csv", True),
    ]


def server_pid(url: str) -> int | None:
    """The pid of the `rehearse serve` process behind `url` (running_server does not expose it)."""
    port = url.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", f"rehearse serve --port {port} "], capture_output=True, text=True)
    pids = [int(p) for p in found.stdout.split()]
    return pids[0] if pids else None


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc; None if unknown."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int | None, timeout_s: float = 180) -> float:
    """Wait until the server used < 0.2 s of CPU over 2 s (the speech model has loaded); return seconds waited."""
    start = time.monotonic()
    if pid is None:
        time.sleep(20)
        return time.monotonic() - start
    before = cpu_seconds(pid)
    while time.monotonic() - start < timeout_s:
        time.sleep(2)
        now = cpu_seconds(pid)
        if now - before < 0.2:
            break
        before = now
    return time.monotonic() - start


def fetch(url: str) -> tuple[float, int, int]:
    """One GET, read to the end: milliseconds, HTTP status, bytes."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    return (time.perf_counter() - start) * 1000, status, len(body)


def time_page(url: str, repeat: int, pid: int | None) -> dict[str, Any]:
    """2 warm-up requests, then `repeat` timed ones; or the status if the page did not answer 200.
    Also the server's mean CPU time per request: what the page costs, apart from waiting for a CPU
    (though on a virtual machine short of CPU, time the host takes away may be counted in it)."""
    for _ in range(2):
        _, status, size = fetch(url)
        if status != 200:
            return {"status": status}
    cpu_before = cpu_seconds(pid)
    times = sorted(fetch(url)[0] for _ in range(repeat))
    cpu_after = cpu_seconds(pid)
    return {"status": 200, "median": statistics.median(times), "max": times[-1], "kb": size / 1024,
            "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
            "cpu": None if pid is None else (cpu_after - cpu_before) * 1000 / repeat}


def report(rows: list[tuple[str, str, bool, dict[str, Any]]], repeat: int) -> None:
    print(f"\n{'page':26} {'median':>8} {'p95':>8} {'max':>8} {'CPU/req':>8} {'size':>9}  {'target':9} URL")
    for name, path, download, t in rows:
        if t["status"] != 200:
            verdict = "route missing" if t["status"] == 404 else f"HTTP {t['status']}"
            print(f"{name:26} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {'-':>9}  {verdict:9} {path}")
            continue
        verdict = ("download" if download else "ok" if t["p95"] <= TARGET_MS
                   else "p95 over" if t["median"] <= TARGET_MS else "SLOW")
        cpu = "?" if t["cpu"] is None else f"{t['cpu']:.0f}ms"
        print(f"{name:26} {t['median']:6.0f}ms {t['p95']:6.0f}ms {t['max']:6.0f}ms {cpu:>8} {t['kb']:7.0f}KB"
              f"  {verdict:9} {path}")
    print(f"(times over {repeat} requests after 2 warm-ups, downloads over {min(repeat, 3)}; "
          f"target: p95 <= {TARGET_MS} ms; CPU/req: the server's CPU time per request)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=50)
    parser.add_argument("--attempts", type=int, default=200, help="attempts per teacher (default 200)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--instance", help="seed (or reuse) this instance folder and keep it")
    parser.add_argument("--quick", action="store_true", help="5 teachers x 40 attempts, 5 requests a page")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args()
    if args.quick:
        args.teachers, args.attempts, args.repeat = 5, 40, 5

    print(f"CPU reference now: {cpu_reference():.0f} GFLOP/s (float32 1000x1000 matmul)")
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(args.instance).resolve() if args.instance else Path(tmp) / "instance"
        store = SeedingStore.open(instance, progress_of)
        with store.connect() as db:
            seeded = counts(db)["attempts"]
        if seeded:
            print(f"reusing {instance}: {seeded} attempts already there (not seeding)")
        else:
            steps = {step: get_step(step) for step in TEMPLATES}
            start = time.perf_counter()
            templates = score_templates(steps)
            print(f"scored {sum(len(c) for k in TEMPLATES.values() for c in k.values())} template clips "
                  f"in {time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            seed(store, steps, templates, args.teachers, args.attempts, random.Random(args.seed))
            print(f"seeded {args.teachers} teachers x {args.attempts} attempts in "
                  f"{time.perf_counter() - start:.1f} s (Store API; no recording files written: "
                  f"audio paths point at files that do not exist)")
        with store.connect() as db:
            numbers, to_time = counts(db), pages(db)
        size_mb = sum(p.stat().st_size for p in instance.glob("rehearse.sqlite*")) / 2**20
        print("database: " + ", ".join(f"{n} {table}" for table, n in numbers.items())
              + f"; {size_mb:.1f} MB on disk (with its WAL)")

        with running_server(instance) as url:
            pid = server_pid(url)
            print(f"server at {url} (pid {pid}); waited {wait_until_idle(pid):.0f} s for it to settle")
            rows = [(name, path, download,
                     time_page(url + path, min(args.repeat, 3) if download else args.repeat, pid))
                    for name, path, download in to_time]
            peak = server_peak_rss_mb(url)
        report(rows, args.repeat)
    print(f"server peak memory (RSS): {peak:.0f} MB" if peak else "server peak memory: unknown")
    print(f"CPU reference after: {cpu_reference():.0f} GFLOP/s")


if __name__ == "__main__":
    main()
