"""Things happening at once, for real: six reps started at the same moment over six WebSockets, six
uploads at once (each must get its own rep number and keep its own audio), and a second
`rehearse serve` (or `rehearse practice`) on a folder a first server is using: refused, so its
start-up recovery cannot mark the first one's live rep as stopped."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import wave
from concurrent.futures import ThreadPoolExecutor

import simple_websocket

from .server import Visitor, free_port, new_session, running_server, server_process

AT_ONCE = 6
BLOCK_BYTES = 3200  # 100 ms of 16-bit samples, as the page sends


def quiet_pcm(value: int, blocks: int = 5) -> bytes:
    """Half a second of near-silence made of one sample value: each client's audio is its own."""
    return value.to_bytes(2, "little", signed=True) * (BLOCK_BYTES // 2 * blocks)


def rows(instance) -> list[dict]:
    with sqlite3.connect(instance / "rehearse.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM attempts ORDER BY rep")]


def wav_data(path) -> bytes:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def record_at_once(url: str, session_id: int, value: int, barrier: threading.Barrier) -> dict:
    """One page: connect, start together with the others, send its own audio, stop; return what it
    was told (the "started" message and the last reply), or what went wrong."""
    ws = simple_websocket.Client.connect(url.replace("http", "ws") + f"/ws/sessions/{session_id}")
    try:
        barrier.wait(timeout=60)
        ws.send(json.dumps({"type": "start"}))
        started = json.loads(ws.receive(timeout=60))
        pcm = quiet_pcm(value)
        for i in range(0, len(pcm), BLOCK_BYTES):
            ws.send(pcm[i:i + BLOCK_BYTES])
        ws.send(json.dumps({"type": "stop"}))
        while (reply := json.loads(ws.receive(timeout=240)))["type"] not in ("result", "error"):
            pass
        return {"value": value, "started": started, "reply": reply}
    except simple_websocket.ConnectionClosed:
        return {"value": value, "closed": "the server closed the connection without a message"}
    finally:
        if ws.connected:
            ws.close()


def test_six_reps_started_at_once_each_get_their_own_number_and_keep_their_audio(tmp_path):
    instance = tmp_path / "instance"
    with running_server(instance) as url:
        session_id = new_session(url)
        barrier = threading.Barrier(AT_ONCE)
        with ThreadPoolExecutor(AT_ONCE) as pool:
            outcomes = list(pool.map(lambda v: record_at_once(url, session_id, v, barrier), range(1, AT_ONCE + 1)))
        assert all("closed" not in o for o in outcomes), outcomes
        assert sorted(o["started"]["rep"] for o in outcomes) == list(range(1, AT_ONCE + 1))
        for outcome in outcomes:  # each page is told about its own rep: near-silence, kept unscored
            assert outcome["reply"]["attempt"]["rep"] == outcome["started"]["rep"]
            assert "no speech" in outcome["reply"]["message"]
        stored = rows(instance)
        assert [r["rep"] for r in stored] == list(range(1, AT_ONCE + 1))
        assert len({r["audio_path"] for r in stored}) == AT_ONCE
        by_rep = {o["started"]["rep"]: o["value"] for o in outcomes}
        for row in stored:  # every rep's file holds exactly the audio its page sent
            assert row["status"] == "unscored"
            assert wav_data(instance / row["audio_path"]) == quiet_pcm(by_rep[row["rep"]])


def wav_bytes(value: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(quiet_pcm(value))
    return buffer.getvalue()


def upload(visitor: Visitor, session_id: int, body: bytes, barrier: threading.Barrier) -> tuple[int, dict]:
    """POST a recording as the session page does (multipart, with the page's CSRF token)."""
    boundary = uuid.uuid4().hex
    data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"recording\"; filename=\"rep.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{visitor.url}/api/sessions/{session_id}/uploads", data=data, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRF-Token": visitor.token})
    barrier.wait(timeout=60)
    try:
        with visitor.opener.open(request, timeout=300) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode(errors="replace")[:300]}


def test_six_uploads_at_once_each_get_their_own_rep_and_file(tmp_path):
    instance = tmp_path / "instance"
    with running_server(instance) as url:
        session_id = new_session(url)
        visitor = Visitor(url)
        html = visitor.get(f"/sessions/{session_id}").read().decode()
        visitor.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
        barrier = threading.Barrier(AT_ONCE)
        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(pool.map(lambda v: upload(visitor, session_id, wav_bytes(v), barrier),
                                    range(1, AT_ONCE + 1)))
        assert [status for status, _ in answers] == [201] * AT_ONCE, answers
        assert sorted(body["rep"] for _, body in answers) == list(range(1, AT_ONCE + 1))
        stored = rows(instance)
        assert [r["rep"] for r in stored] == list(range(1, AT_ONCE + 1))
        files = {(instance / r["audio_path"]).read_bytes() for r in stored}
        assert files == {wav_bytes(v) for v in range(1, AT_ONCE + 1)}  # each upload kept, none over another


REFUSED_WITHIN_S = 120  # a refused start ends at once; one that is not refused would serve on and on


def at_most(seconds: float, *args: str) -> subprocess.CompletedProcess:
    """Run `rehearse *args`; a process still running after `seconds` (a second server that started) is
    stopped and reported."""
    try:
        return subprocess.run([sys.executable, "-m", "rehearse", *args], capture_output=True, text=True,
                              timeout=seconds)
    except subprocess.TimeoutExpired as running:
        said = running.stdout.decode(errors="replace") if isinstance(running.stdout, bytes) else running.stdout
        raise AssertionError(f"`rehearse {args[0]}` was not refused: it started\n{said}") from None


def test_a_second_server_on_the_same_folder_is_refused_and_the_first_ones_rep_goes_on(tmp_path):
    instance = tmp_path / "instance"
    with server_process(instance) as (url, first):
        session_id = new_session(url)
        ws = simple_websocket.Client.connect(url.replace("http", "ws") + f"/ws/sessions/{session_id}")
        ws.send(json.dumps({"type": "start"}))
        started = json.loads(ws.receive(timeout=60))
        ws.send(quiet_pcm(1))  # a rep is being recorded

        second = at_most(REFUSED_WITHIN_S, "serve", "--port", str(free_port()), "--instance", str(instance))
        assert second.returncode == 2
        assert second.stderr.strip() == (f"rehearse: another rehearse server is using {instance} (pid {first.pid}); "
                                         "stop it, or use --instance to choose another folder")
        alone = at_most(REFUSED_WITHIN_S, "practice", "--instance", str(instance), "--device", "none")  # alone too
        assert alone.returncode == 2
        assert alone.stderr.strip().startswith(f"rehearse: another rehearse server is using {instance} (pid {first.pid})")
        assert rows(instance)[0]["status"] == "recording"  # the second did not settle the first one's live rep

        ws.send(quiet_pcm(2))
        ws.send(json.dumps({"type": "stop"}))
        while (reply := json.loads(ws.receive(timeout=240)))["type"] not in ("result", "error"):
            pass
        ws.close()
        assert reply["attempt"]["id"] == started["attempt"] and "no speech" in reply["message"]
        assert wav_data(instance / rows(instance)[0]["audio_path"]) == quiet_pcm(1) + quiet_pcm(2)
    with running_server(instance) as url:  # the first has stopped: the folder is free again (no stale lock)
        with urllib.request.urlopen(url + "/", timeout=60) as page:
            assert page.status == 200
