"""Load: rehearsals streaming at once while the coach's pages are loaded, through a real `rehearse serve`.

    python benchmarks/load.py [--seconds 60] [--streams 4] [--pages 20]

Why (issue 7): a school may run several coaching meetings on one laptop's server while coaches look
back over the history. With 4 rehearsals streaming at once and 20 page loads a second for a minute
there must be no errors, every rep's feedback within 2 s of "stop", and the server's memory steady
(the speech model shared, loaded once). How:

1. A real `rehearse serve` is started on a copy of the speech model (the same files, in a folder
   of this run's own), so that opening its model.bin can be counted (Linux inotify): how many times
   the speech model was loaded, at start and during the load.
2. One labelled clip is streamed and scored in a session of its own, so the pages have a scored
   rep, a recording, a teacher and a progress chart to show, and the speech model is surely loaded.
3. For --seconds: each of --streams WebSocket clients rehearses reps back to back in its own session,
   as the page does — a labelled pose-pause-name clip sent as 100 ms blocks of 16-bit PCM paced in
   real time (the clip as it is: it ends 0.8 s after the pupil's name), then {"type": "stop"} —
   and times "stop" -> result. A rep under way when the time is up is finished and counted. Alongside,
   --pages GET requests a second (on a fixed schedule, from a pool of threads so a slow page does not
   hold up the next) go round the real pages: start, history, a session page and its JSON, the
   action steps, a rep's page, a teacher, progress, a recording. They go on until the last rep is in.
4. Every ~2 s the server's resident memory (VmRSS in /proc/<pid>/status) is read.

Errors: a page that does not answer 2xx, a WebSocket "error" message, a client exception, and a
traceback in the server's log. Prints the figures; exits 1 if there was any error. `run()` returns
them for tests/test_load.py. Also prints a CPU reference and the CPU pressure the kernel reported
during the run, because this machine's speed varies with its neighbours.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simple_websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.score_clips import cpu_reference  # noqa: E402
from benchmarks.timings import ready_at_stop  # noqa: E402
from rehearse.scoring.audio import SAMPLE_RATE, load_audio  # noqa: E402
from rehearse.capture.recording import to_pcm16  # noqa: E402
from rehearse.scoring.words.faster import find_speech_model  # noqa: E402
from tests.conftest import CLIPS, LABELS  # noqa: E402
from tests.server import new_session, running_server  # noqa: E402

BLOCK = SAMPLE_RATE // 10  # 100 ms, as the page sends
FEEDBACK_TARGET_S = 2.0
RESULT_TIMEOUT_S = 180
PAGE_TIMEOUT_S = 60
PAGE_THREADS = 16
LATE_S = 1.0  # a page request sent this much after its turn (every page thread was busy) is late
SEED_CLIP = "ppn-00-correct-siobhan-clean.flac"
# The reps: every clean pose-pause-name clip (correct, short pause, name first, no name, hesitation,
# fillers), each client starting at a different place in the list.
REP_CLIPS = sorted(n for n, c in LABELS["clips"].items()
                   if c["scenario"] == "pose-pause-name" and c["noise"] == "clean")


@dataclass
class Rep:
    stream: int
    clip: str
    audio_s: float
    feedback_s: float
    words_ready: bool
    timings: dict[str, Any]
    passed: bool | None  # the verdict (None: the rep came back without one)

    @property
    def agrees(self) -> bool:
        """Is the verdict the clip's label? A figure (int8 decoding differs between CPUs), not a test."""
        return self.passed == LABELS["clips"][self.clip]["passed"]


@dataclass
class Figures:
    """What a run measured. Times in seconds unless named _ms; memory in MB."""

    seconds: float
    streams: int
    pages_per_s: float
    reps: list[Rep] = field(default_factory=list)
    pages: list[tuple[str, float]] = field(default_factory=list)  # (page, ms), answered 2xx
    errors: list[str] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (s since the load began, MB)
    threads: list[tuple[float, int]] = field(default_factory=list)  # (s, the server's threads)
    pages_sent: int = 0
    late_pages: int = 0  # sent over LATE_S after their turn: the server could not keep up the rate
    model_opens_at_start: int = 0
    model_opens_during: int = 0
    elapsed_s: float = 0.0  # from the first request to the last answer
    cpu_pressure: float | None = None  # share of the run some task waited for a CPU (/proc/pressure)
    server_cpu_s: float | None = None
    cpu_reference: tuple[float, float] = (0.0, 0.0)  # GFLOP/s before, after

    @property
    def feedback(self) -> list[float]:
        return sorted(r.feedback_s for r in self.reps)

    def rss_at(self, t: float) -> float:
        """The first memory sample taken at or after `t` seconds into the load."""
        return next(mb for s, mb in self.rss if s >= t)

    def rss_rise_mb(self) -> float:
        """How far memory rose from 10 s into the load (every stream's first rep under way, the speech model,
        the VAD and the allocators' working sets in) to its end (the median of the last ~10 s: one
        sample may catch a Whisper pass's work space). Measured 2026-11-30: 86 MB, then level."""
        late = [mb for t, mb in self.rss if t >= 10]
        return statistics.median(late[-5:]) - self.rss_at(10)

    def rss_climb_mb(self) -> float:
        """The mean of the last third of the samples from 10 s on, less the middle third's: a leak
        shows as a climb that does not level off (a steady server varies by a few MB)."""
        late = [mb for t, mb in self.rss if t >= 10]
        thirds = len(late) // 3
        return statistics.mean(late[2 * thirds:]) - statistics.mean(late[thirds: 2 * thirds])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class FileOpens:
    """Counts the times any process opens one file (Linux inotify, IN_OPEN)."""

    IN_OPEN = 0x20

    def __init__(self, path: Path):
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0 or self._libc.inotify_add_watch(self._fd, str(path).encode(), self.IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), f"cannot watch {path} with inotify")
        self.count = 0

    def read(self) -> int:
        """The opens so far."""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return self.count
            offset = 0
            while offset < len(data):  # struct inotify_event: wd, mask, cookie, len, name[len]
                name_len = int.from_bytes(data[offset + 12: offset + 16], sys.byteorder)
                self.count += 1
                offset += 16 + name_len

    def close(self) -> None:
        os.close(self._fd)


def server_pid(url: str) -> int:
    """The pid of the `rehearse serve` process listening at `url`."""
    port = url.rsplit(":", 1)[1].encode()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if b"serve" in args and b"--port" in args and args[args.index(b"--port") + 1] == port:
                return int(proc.name)
    raise RuntimeError(f"no rehearse serve process for {url}")


def status_of(pid: int) -> tuple[float, int]:
    """A process's resident memory (MB) and number of threads, from /proc/<pid>/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_stalled_us() -> int | None:
    """Microseconds so far in which some task waited for a CPU (the kernel's CPU pressure)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1])
    return None


@contextlib.contextmanager
def serving(folder: Path):
    """A real `rehearse serve` on a copy of the speech model; yield (url, pid, opens of model.bin)."""
    model = folder / "model"
    shutil.copytree(find_speech_model(None), model)
    opens = FileOpens(model / "model.bin")
    before = os.environ.get("REHEARSE_SPEECH_MODEL")
    os.environ["REHEARSE_SPEECH_MODEL"] = str(model)  # running_server passes its environment on
    try:
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(running_server(folder / "instance"))
            finally:
                if before is None:
                    del os.environ["REHEARSE_SPEECH_MODEL"]
                else:
                    os.environ["REHEARSE_SPEECH_MODEL"] = before
            yield url, server_pid(url), opens
    finally:
        opens.close()


def rehearse(url: str, session_id: int, audio: np.ndarray, real_time: bool = True) -> tuple[float, dict]:
    """One rep over the WebSocket as the page records it; (seconds from stop to the answer, answer).
    Raises RuntimeError for an "error" message."""
    ws = simple_websocket.Client.connect(url.replace("http", "ws") + f"/ws/sessions/{session_id}")
    try:
        ws.send(json.dumps({"type": "start"}))
        started = json.loads(ws.receive(timeout=60))
        if started.get("type") != "started":
            raise RuntimeError(f"not started: {started}")
        t0 = time.perf_counter()
        for i in range(0, len(audio), BLOCK):
            ws.send(to_pcm16(audio[i:i + BLOCK]))
            while (message := ws.receive(timeout=0)) is not None:
                if json.loads(message).get("type") != "cue":
                    raise RuntimeError(f"while streaming: {message[:300]}")
            if real_time:
                time.sleep(max(0.0, t0 + (i + BLOCK) / SAMPLE_RATE - time.perf_counter()))
        stopped = time.perf_counter()
        ws.send(json.dumps({"type": "stop"}))
        while True:
            message = ws.receive(timeout=RESULT_TIMEOUT_S)
            if message is None:
                raise RuntimeError(f"no answer {RESULT_TIMEOUT_S} s after stop")
            reply = json.loads(message)
            if reply["type"] == "result":
                return time.perf_counter() - stopped, reply
            if reply["type"] != "cue":
                raise RuntimeError(f"after stop: {reply.get('message') or reply}")
    finally:
        with contextlib.suppress(Exception):  # the server closes it after the answer
            ws.close()


def fetch(url: str) -> tuple[int, float]:
    """One GET, read to the end: (HTTP status, milliseconds)."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT_S) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, (time.perf_counter() - start) * 1000


def page_paths(instance: Path, seed_session: int, sessions: list[int]) -> list[tuple[str, Any]]:
    """(page, path or a function of the request number giving one) for each page loaded."""
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        teacher, step = db.execute("SELECT teacher_id, action_step_id FROM sessions WHERE id = ?",
                                   (seed_session,)).fetchone()
        attempt = db.execute("SELECT id FROM attempts WHERE session_id = ? AND status = 'scored'",
                             (seed_session,)).fetchone()[0]
    everyone = [seed_session] + sessions  # session pages go round all of them, the live ones too
    return [
        ("start", "/"),
        ("history", "/history"),
        ("session", lambda n: f"/sessions/{everyone[n % len(everyone)]}"),
        ("session JSON", lambda n: f"/api/sessions/{everyone[n % len(everyone)]}"),
        ("action steps", "/steps"),
        ("rep", f"/attempts/{attempt}"),
        ("teacher", f"/teachers/{teacher}"),
        ("progress", f"/progress/{teacher}/{step}"),
        ("recording", f"/attempts/{attempt}/audio"),
    ]


def run(seconds: float = 60, streams: int = 4, pages_per_s: float = 20, sample_every_s: float = 2,
        out=print) -> Figures:
    """Run the load against a new server and return what was measured (see the module's docstring)."""
    figures = Figures(seconds, streams, pages_per_s)
    audio = {name: load_audio(CLIPS / name) for name in set(REP_CLIPS) | {SEED_CLIP}}
    lock = threading.Lock()

    def error(text: str) -> None:
        with lock:
            figures.errors.append(text)
        out(f"  ERROR {text}")

    reference_before = cpu_reference()
    with tempfile.TemporaryDirectory(prefix="rehearse-load-") as tmp, serving(Path(tmp)) as (url, pid, opens):
        instance = Path(tmp) / "instance"
        out(f"server at {url} (pid {pid}); CPU reference {reference_before:.0f} GFLOP/s (float32 1000x1000 matmul)")
        seed_session = new_session(url, teacher="Load seed")
        started = time.perf_counter()
        rehearse(url, seed_session, audio[SEED_CLIP], real_time=False)
        figures.model_opens_at_start = opens.read()
        out(f"seed rep scored {time.perf_counter() - started:.1f} s after it was sent (the speech model loads at start)")
        sessions = [new_session(url, teacher=f"Load teacher {i + 1}") for i in range(streams)]
        pages = page_paths(instance, seed_session, sessions)

        t0 = time.monotonic()
        deadline = t0 + seconds
        stalled_before, cpu_before = cpu_stalled_us(), cpu_seconds(pid)
        streaming_done = threading.Event()
        sampling_done = threading.Event()

        def sample() -> None:
            while True:
                with contextlib.suppress(OSError, KeyError, ValueError):
                    mb, threads = status_of(pid)
                    figures.rss.append((time.monotonic() - t0, mb))
                    figures.threads.append((time.monotonic() - t0, threads))
                if sampling_done.wait(sample_every_s):
                    return

        def stream(i: int) -> None:
            n = i * len(REP_CLIPS) // max(streams, 1)
            while time.monotonic() < deadline:
                clip = REP_CLIPS[n % len(REP_CLIPS)]
                n += 1
                try:
                    latency, reply = rehearse(url, sessions[i], audio[clip])
                except Exception as exc:  # noqa: BLE001 - every failure is a figure
                    error(f"stream {i + 1}, {clip}: {type(exc).__name__}: {exc}")
                    continue
                attempt = reply["attempt"]
                timings = attempt.get("timings") or {}
                rep = Rep(i + 1, clip, len(audio[clip]) / SAMPLE_RATE, latency, ready_at_stop(timings),
                          timings, attempt.get("passed"))
                with lock:
                    figures.reps.append(rep)
                out(f"  stream {rep.stream} {clip:40} {rep.audio_s:5.1f} s  stop->result {latency:5.2f} s"
                    f"  words ready: {'yes' if rep.words_ready else 'no '}  vad {timings.get('vad_s', '?')} s"
                    f"  words {timings.get('words_s', '?')} s  scoring {timings.get('total_s', '?')} s"
                    f"{'' if latency <= FEEDBACK_TARGET_S else '  OVER ' + str(FEEDBACK_TARGET_S) + ' s'}")

        def load_page(name: str, path: str) -> None:
            try:
                status, ms = fetch(url + path)
            except Exception as exc:  # noqa: BLE001
                return error(f"GET {path}: {type(exc).__name__}: {exc}")
            if not 200 <= status < 300:
                return error(f"GET {path}: HTTP {status}")
            with lock:
                figures.pages.append((name, ms))

        sampler = threading.Thread(target=sample, name="load-rss", daemon=True)
        sampler.start()
        clients = [threading.Thread(target=stream, args=(i,), name=f"load-stream-{i + 1}") for i in range(streams)]
        for client in clients:
            client.start()
        threading.Thread(target=lambda: ([c.join() for c in clients], streaming_done.set()), daemon=True).start()
        free = threading.BoundedSemaphore(PAGE_THREADS)
        with ThreadPoolExecutor(PAGE_THREADS, thread_name_prefix="load-page") as pool:
            n = 0
            # On schedule until the time is up and the last rep is in. When every page thread is
            # still waiting for an answer, the next request goes when one is free (counted as late).
            while pages_per_s > 0 and (time.monotonic() < deadline or not streaming_done.is_set()):
                name, path = pages[n % len(pages)]
                free.acquire()
                if time.monotonic() - (t0 + n / pages_per_s) > LATE_S:
                    figures.late_pages += 1
                pool.submit(load_page, name, path(n // len(pages)) if callable(path) else path).add_done_callback(
                    lambda _: free.release())
                n += 1
                time.sleep(max(0.0, t0 + n / pages_per_s - time.monotonic()))
            figures.pages_sent = n
            streaming_done.wait()
        figures.elapsed_s = time.monotonic() - t0
        stalled_after = cpu_stalled_us()
        figures.server_cpu_s = cpu_seconds(pid) - cpu_before
        sampling_done.set()
        sampler.join()
        with contextlib.suppress(OSError, KeyError, ValueError):
            mb, threads = status_of(pid)
            figures.rss.append((time.monotonic() - t0, mb))
            figures.threads.append((time.monotonic() - t0, threads))
        figures.model_opens_during = opens.read() - figures.model_opens_at_start
        if stalled_before is not None and stalled_after is not None:
            figures.cpu_pressure = (stalled_after - stalled_before) / 1e6 / figures.elapsed_s
        log = next(Path(tmp).glob("server-*.log")).read_text(errors="replace")
        for chunk in log.split("Traceback (most recent call last):")[1:]:
            error("server log: Traceback ..." + " | ".join(chunk.strip().splitlines()[-2:]))
    figures.cpu_reference = (reference_before, cpu_reference())
    return figures


def report(f: Figures, out=print) -> None:
    feedback = f.feedback
    out(f"\nload: {f.streams} streams + {f.pages_per_s:g} pages/s for {f.seconds:g} s "
        f"(all in after {f.elapsed_s:.0f} s)")
    if feedback:
        per_stream = [sum(r.stream == s for r in f.reps) for s in range(1, f.streams + 1)]
        out(f"reps: {len(feedback)} ({'/'.join(map(str, per_stream))} per stream); "
            f"verdict as labelled: {sum(r.agrees for r in f.reps)} of {len(f.reps)}; "
            f"words ready at stop: {sum(r.words_ready for r in f.reps)} of {len(f.reps)}")
        out(f"feedback (stop -> result): median {statistics.median(feedback):.2f} s, "
            f"p95 {percentile(feedback, 0.95):.2f} s, max {feedback[-1]:.2f} s; "
            f"over {FEEDBACK_TARGET_S:g} s: {sum(x > FEEDBACK_TARGET_S for x in feedback)} "
            f"(target: every rep <= {FEEDBACK_TARGET_S:g} s)")
    else:
        out("reps: none finished")
    if f.pages:
        ms = [m for _, m in f.pages]
        out(f"pages: {f.pages_sent} sent, {len(ms)} answered ({len(ms) / f.elapsed_s:.1f}/s), "
            f"{f.late_pages} sent over {LATE_S:g} s late; median {statistics.median(ms):.0f} ms, "
            f"p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms")
        by_page: dict[str, list[float]] = {}
        for name, m in f.pages:
            by_page.setdefault(name, []).append(m)
        out("  " + "; ".join(f"{name} {statistics.median(v):.0f}/{percentile(v, 0.95):.0f}"
                             for name, v in by_page.items()) + " (median/p95 ms)")
    if f.rss:
        first = f.rss_at(min(10.0, f.rss[-1][0]))
        out(f"server memory (RSS): at start {f.rss[0][1]:.0f} MB, after 10 s {first:.0f} MB, "
            f"max {max(mb for _, mb in f.rss):.0f} MB, last {f.rss[-1][1]:.0f} MB "
            f"({len(f.rss)} samples); threads at start {f.threads[0][1]}, max {max(n for _, n in f.threads)}, "
            f"last {f.threads[-1][1]}")
        out("  RSS every ~10 s: " + " ".join(f"{mb:.0f}" for i, (_, mb) in enumerate(f.rss) if i % 5 == 0))
        if sum(t >= 10 for t, _ in f.rss) >= 6:
            out(f"  rise from 10 s in to the end: {f.rss_rise_mb():+.0f} MB; "
                f"last third against the middle third: {f.rss_climb_mb():+.0f} MB (a leak keeps climbing)")
    out(f"speech model opened (loaded): {f.model_opens_at_start} at start, {f.model_opens_during} during the load")
    if f.server_cpu_s is not None:
        out(f"server CPU time: {f.server_cpu_s:.0f} s in {f.elapsed_s:.0f} s "
            f"({f.server_cpu_s / f.elapsed_s:.2f} cores)")
    if f.cpu_pressure is not None:
        out(f"CPU pressure during the run: some task waited for a CPU {100 * f.cpu_pressure:.0f}% of the time")
    out(f"CPU reference: {f.cpu_reference[0]:.0f} GFLOP/s before, {f.cpu_reference[1]:.0f} after")
    out(f"errors: {len(f.errors)}")
    for text in f.errors[:20]:
        out(f"  {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the load lasts (default 60)")
    parser.add_argument("--streams", type=int, default=4, help="rehearsals streaming at once (default 4)")
    parser.add_argument("--pages", type=float, default=20, help="page loads a second (default 20)")
    args = parser.parse_args()
    figures = run(args.seconds, args.streams, args.pages)
    report(figures)
    return 1 if figures.errors else 0


if __name__ == "__main__":
    sys.exit(main())
