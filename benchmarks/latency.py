"""Latency from "stop" to the verdict, through a real `rehearse serve` and a real WebSocket client.

    python benchmarks/latency.py [--clips N] [--tail 1.0]

Streams N labelled pose-pause-name clips (about 10 s each, plus `--tail` seconds of silence after
the name, as a teacher pauses before pressing stop) in real time, 100 ms blocks as the page sends
them, and times each from the "stop" message to the result message: median and p95. Also prints
whether the words were already worked out when "stop" came, and a CPU reference figure, because
this machine's speed varies with its neighbours. The page's own drawing adds a few milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import simple_websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.score_clips import cpu_reference  # noqa: E402
from benchmarks.timings import ready_at_stop  # noqa: E402
from rehearse.scoring.audio import load_audio  # noqa: E402
from rehearse.capture.recording import to_pcm16  # noqa: E402
from tests.server import new_session, running_server  # noqa: E402

CLIPS = ROOT / "tests" / "clips"


def server_peak_rss_mb(url: str) -> float | None:
    """Peak resident memory of the `rehearse serve` process behind `url` (Linux /proc), in MB."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if b"serve" in args and port.encode() in args:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            continue
    return None


def one_rep(url: str, session_id: int, audio: np.ndarray) -> tuple[float, dict]:
    ws = simple_websocket.Client.connect(url.replace("http", "ws") + f"/ws/sessions/{session_id}")
    ws.send(json.dumps({"type": "start"}))
    ws.receive(timeout=60)
    t0 = time.perf_counter()
    for i in range(0, len(audio), 1600):
        ws.send(to_pcm16(audio[i:i + 1600]))
        while ws.receive(timeout=0) is not None:
            pass
        time.sleep(max(0.0, t0 + (i + 1600) / 16000 - time.perf_counter()))
    stopped = time.perf_counter()
    ws.send(json.dumps({"type": "stop"}))
    while True:
        message = json.loads(ws.receive(timeout=600))
        if message["type"] in ("result", "error"):
            return time.perf_counter() - stopped, message  # the server closes the connection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10, help="how many attempts to time (default 10)")
    parser.add_argument("--tail", type=float, default=1.0, help="silence after the clip before stop, s")
    args = parser.parse_args()
    labels = json.loads((CLIPS / "labels.json").read_text())["clips"]
    names = sorted(n for n, c in labels.items() if c["scenario"] == "pose-pause-name" and c.get("pupil"))
    names = (names * (args.clips // len(names) + 1))[: args.clips]
    print(f"CPU reference now: {cpu_reference():.0f} GFLOP/s (float32 1000x1000 matmul)")
    latencies, ready, lengths = [], 0, []
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp) / "instance") as url:
        session_id = new_session(url, teacher="Benchmark")
        for name in names:
            audio = load_audio(CLIPS / name)
            audio = np.concatenate([audio, np.zeros(int(args.tail * 16000), dtype=np.float32)])
            latency, message = one_rep(url, session_id, audio)
            timings = (message.get("attempt") or {}).get("timings") or {}
            ready += ready_at_stop(timings)
            latencies.append(latency)
            lengths.append(len(audio) / 16000)
            print(f"  {name:42} {len(audio) / 16000:5.1f} s  stop->verdict {latency:6.2f} s"
                  f"  words ready at stop: {'yes' if ready_at_stop(timings) else 'no '}"
                  f"  {message['type']}")
        peak = server_peak_rss_mb(url)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(f"attempts: {len(latencies)}, {statistics.mean(lengths):.1f} s each on average")
    print(f"stop -> verdict: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, "
          f"best {latencies[0]:.2f} s (target: median <= 1.0 s)")
    print(f"words already worked out when stop came: {ready} of {len(latencies)}")
    print(f"server peak memory (RSS): {peak:.0f} MB" if peak else "server peak memory: unknown")
    print(f"CPU reference after: {cpu_reference():.0f} GFLOP/s")


if __name__ == "__main__":
    main()
