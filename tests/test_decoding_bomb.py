"""A decoding bomb: a small compressed recording that decodes to hours. It is refused with one line
as soon as the decoding passes the longest rep, in memory bounded by that limit rather than by what
the file would decode to — through the engine, `rehearse score`, and an upload to a real server.

The bomb is an hour of FLAC silence at 8 kHz: 0.66 MB on disk, 345 MB as 16 kHz samples (int16
while decoding, then float32); decoded whole, as before, it took a process from ~80 MB to ~1 GB."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from pathlib import Path

import pytest

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.errors import AudioError

from .conftest import CLIPS
from .server import new_session, server_process
from .test_audio import tone, write_wav
from .test_cli import rehearse
from .test_lesson_audio import encode_long_flac

BOMB_S = 3600
FULL_DECODE_MB = BOMB_S * SAMPLE_RATE * (2 + 4) / 2**20  # int16 pieces, then the float32 array: 330 MiB
BOUND_MB = 120  # what refusing it may cost, at most: a 180 s rep decoded is 16 MB


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = encode_long_flac(tmp_path_factory.mktemp("bomb") / "an-hour-of-silence.flac", BOMB_S, noise=False)
    assert path.stat().st_size < 1_000_000
    return path


def test_the_engine_refuses_it_at_the_limit_in_bounded_memory(bomb):
    """Measured in a fresh process: its peak resident memory before and after load_audio."""
    code = textwrap.dedent(f"""
        import json, resource
        from rehearse.scoring.audio import load_audio
        from rehearse.errors import AudioError
        import av, numpy  # loaded before the first reading, so that only the decoding is measured
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            load_audio({str(bomb)!r}, 180)
            message = None
        except AudioError as exc:
            message = str(exc)
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(json.dumps({{"message": message, "growth_mb": growth}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["message"] == (f"{bomb}: this recording is longer than 3 minutes; a rep may be at most 180 s, "
                                   "so trim it to the rep itself and try again")
    assert measured["growth_mb"] < BOUND_MB < FULL_DECODE_MB / 2


def test_a_plain_wav_past_the_limit_is_refused_and_one_at_it_is_read(tmp_path):
    """The direct path for the app's own WAV reads at most one sample past the limit."""
    write_wav(tmp_path / "three.wav", tone(3.0, SAMPLE_RATE), SAMPLE_RATE)
    with pytest.raises(AudioError, match=r"longer than 2 s; a rep may be at most 2 s") as info:
        load_audio(tmp_path / "three.wav", 2)
    assert "\n" not in str(info.value)
    assert len(load_audio(tmp_path / "three.wav", 3)) == 3 * SAMPLE_RATE
    write_wav(tmp_path / "stereo.wav", tone(3.0, 44100), 44100, channels=2)  # through PyAV
    with pytest.raises(AudioError, match="longer than 2 s"):
        load_audio(tmp_path / "stereo.wav", 2)
    assert abs(len(load_audio(tmp_path / "stereo.wav", 4)) - 3 * SAMPLE_RATE) < 400


def test_rehearse_score_refuses_it_with_one_line_and_status_2(bomb):
    """`rehearse score`, run by a small parent that reports its child's peak memory."""
    code = textwrap.dedent(f"""
        import json, resource, subprocess, sys
        done = subprocess.run([sys.executable, "-m", "rehearse", "score", {str(bomb)!r}, {str(CLIPS / "silent.flac")!r},
                               "--step", "pose-pause-name"], capture_output=True, text=True)
        print(json.dumps({{"status": done.returncode, "stderr": done.stderr,
                          "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    lines = run["stderr"].splitlines()
    assert run["peak_mb"] < 100 + BOUND_MB < FULL_DECODE_MB  # Python, numpy, PyAV and VAD: ~100 MB
    assert run["status"] == 2 and len(lines) == 2 and "Traceback" not in run["stderr"]
    assert lines[0] == (f"rehearse: {bomb}: this recording is longer than 3 minutes; a rep may be at most 180 s, "
                        "so trim it to the rep itself and try again")
    assert "no speech found" in lines[1]  # the next file is still scored

    longer = rehearse("score", str(bomb), "--step", "pose-pause-name", "--max-attempt-s", "30")
    assert longer.returncode == 2 and "longer than 30 s; a rep may be at most 30 s" in longer.stderr


def peak_mb(pid: int) -> float:
    """A process's peak resident memory so far (Linux: VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def upload(url: str, session_id: int, path: Path, token: str, opener) -> dict:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"recording\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n")
    body = head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/api/sessions/{session_id}/uploads", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRF-Token": token})
    with opener.open(request, timeout=600) as response:
        return json.loads(response.read())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads a process's peak memory from /proc")
def test_an_uploaded_bomb_is_kept_unscored_and_the_server_stays_small(bomb, tmp_path):
    import http.cookiejar

    instance = tmp_path / "instance"
    with server_process(instance) as (url, process):
        session_id = new_session(url)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        html = opener.open(f"{url}/sessions/{session_id}", timeout=60).read().decode()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
        first = upload(url, session_id, CLIPS / "ppn-00-correct-siobhan-clean.flac", token, opener)
        assert first["status"] == "scored"  # the model is loaded and has worked: the memory it takes is counted
        before = peak_mb(process.pid)
        refused = upload(url, session_id, bomb, token, opener)
        assert peak_mb(process.pid) - before < BOUND_MB < FULL_DECODE_MB / 2
        assert refused["status"] == "unscored"
        assert refused["error"] == ("this recording is longer than 3 minutes; a rep may be at most 180 s, "
                                    "so trim it to the rep itself and try again")
        assert (instance / "recordings" / f"session-{session_id}" / "rep-02.flac").stat().st_size == bomb.stat().st_size
