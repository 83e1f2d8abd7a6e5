"""`rehearse practice` through the real PortAudio path: wait-time error and how soon a rep stops by itself.

Each labelled clip is played in real time into the test microphone (tests/fake_microphone.py: a
PulseAudio null sink that PortAudio records through ALSA's pulse plugin), as one rep of one solo
session driven at the terminal. Per clip it prints the wait the terminal reported against the label,
whether the verdict matched, and the seconds from the end of the clip's speech to "Stopped by itself"
(the rule waits for 3 s of quiet after the name, plus the time the words take to work out).

    .venv/bin/python benchmarks/practice_mic.py [CLIP ...]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearse.scoring.audio import SAMPLE_RATE, load_audio  # noqa: E402
from tests import fake_microphone  # noqa: E402
from tests.conftest import CLIPS, LABELS  # noqa: E402

DEFAULT = ["ppn-00-correct-siobhan-clean.flac", "ppn-01-correct-oluwaseun-clean.flac",
           "ppn-02-correct-niamh-clean.flac", "ppn-08-short-pause-tomasz-clean.flac",
           "ppn-00-correct-siobhan-noisy.flac"]


def main(clips: list[str]) -> None:
    problem = fake_microphone.available()
    if problem:
        sys.exit(f"practice_mic: the test microphone {problem}")
    mic = fake_microphone.FakeMicrophone().start()
    mic.hum()
    instance = Path(tempfile.mkdtemp(prefix="rehearse-bench-"))
    child = pexpect.spawn(str(Path(sys.executable).with_name("rehearse")),
                          ["practice", "pose-pause-name", "--reps", str(len(clips)), "--teacher", "Bench",
                           "--device", fake_microphone.DEVICE, "--instance", str(instance)],
                          env=mic.env, encoding="utf-8", timeout=300, dimensions=(40, 200))
    rows = []
    try:
        for clip in clips:
            label = LABELS["clips"][clip]
            child.expect(r"\(q to quit\): ")
            child.sendline("")
            child.expect("● rec")
            mic.play(CLIPS / clip, then_quiet_s=25)
            played = time.monotonic()
            speech_s = len(load_audio(CLIPS / clip)) / SAMPLE_RATE
            how = child.expect(["Stopped by itself", pexpect.TIMEOUT], timeout=speech_s + 20)
            stop_after = time.monotonic() - played - speech_s if how == 0 else None
            if stop_after is None:  # a wait under 1.5 s reads as a hesitation: no stop by itself
                child.sendline("")
            child.expect(r"(PASSED|NOT YET)")
            passed = child.match.group(1) == "PASSED"
            child.expect(r"\n(?:  wait time (\d+\.\d+) s|Rep \d+ of|\d+ reps?,)")
            wait = float(child.match.group(1)) if child.match.group(1) else None
            rows.append((clip, label["wait_time"], wait, passed == label["passed"], stop_after))
        child.expect(r"met every criterion")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        mic.stop()
    print(f"{'clip':42} {'label s':>8} {'heard s':>8} {'error ms':>9} {'verdict':>8} {'stop after s':>13}")
    errors, stops = [], []
    for clip, truth, wait, agrees, stop_after in rows:
        error = None if wait is None or truth is None else round((wait - truth) * 1000)
        errors += [abs(error)] if error is not None else []
        stops += [stop_after] if stop_after is not None else []
        print(f"{clip:42} {truth if truth is not None else '-':>8} {wait if wait is not None else '-':>8} "
              f"{error if error is not None else '-':>9} {'agrees' if agrees else 'DIFFERS':>8} "
              f"{f'{stop_after:.1f}' if stop_after is not None else 'Enter':>13}")
    if errors:
        print(f"wait error: median {statistics.median(errors)} ms, max {max(errors)} ms over {len(errors)} reps")
    if stops:
        print(f"stopped by itself {len(stops)} of {len(rows)}: median {statistics.median(stops):.1f} s after "
              f"the clip's speech ended (3.0 s of it is the quiet the rule waits for)")
    print(f"verdicts agreeing with the labels: {sum(r[3] for r in rows)} of {len(rows)}")


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
