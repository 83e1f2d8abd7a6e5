"""Make the voice test clips (tests/clips/voices/): the teacher (piper's joe) and other voices.

The teacher: "reps" (what the teacher's rehearsals would give to enrol the voice) and "lesson"
(different sentences, for the lesson itself). Other voices: flite's slt (a woman), and espeak-ng's
en-gb+f3 raised 4 semitones with sox (a child-like voice). Each file is one voice's sentences, each
trimmed and joined by 0.3 s of silence, peak 0.5; sentences.json holds each sentence's
[start, end) in samples. The tests build lessons from them.

Run once (needs the `clips` extra, espeak-ng, flite and sox); the FLACs are committed:
    python tests/make_voice_clips.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from make_clips import SAMPLE_RATE, load_voice, say, trim, write_flac  # noqa: E402

OUT = Path(__file__).parent / "clips" / "voices"

REPS = [
    "Before we start, I want everyone looking at the board, pens down.",
    "Today we are going to look at how plants make their own food.",
    "Think about what a leaf needs from the air and from the soil.",
    "Take thirty seconds to talk to your partner about it.",
    "Let me hear from someone on this side of the room.",
    "That is a good start, but what else does the plant need?",
    "Remember what we said last week about sunlight and energy.",
    "I am going to give you some thinking time before I ask anyone.",
    "Write your answer on your mini whiteboard, then hold it up.",
    "Some of you wrote glucose, and that is exactly right.",
    "Now look at the diagram on page forty and find the stomata.",
    "Who can explain what the stomata are for, in their own words?",
]
LESSON = [
    "Good morning, everyone, settle down and open your books.",
    "Yesterday we measured how fast the ice melted in each cup.",
    "Why do you think the cup by the window melted first?",
    "I will wait until every hand is down and everyone is thinking.",
    "Look carefully at the numbers in the second column of the table.",
    "What pattern do you notice when the temperature goes up?",
]
OTHERS = {
    "pupil-slt": ("flite", "slt", 0),
    "pupil-child": ("espeak", "en-gb+f3", 4),
}
PUPIL_LINES = [
    "Because the sun was shining on it all morning.",
    "I think it was warmer near the window, miss.",
    "The numbers get bigger every time.",
    "Is it because of the heat from the radiator?",
    "We put the thermometer in the water first.",
    "Can I go and get my book from my bag?",
]


def tts(engine: str, voice: str, semitones: int, text: str) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        cmd = (["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text] if engine == "espeak"
               else ["flite", "-voice", voice, "-t", text, "-o", str(raw)])
        subprocess.run(cmd, check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), str(out), "pitch", str(100 * semitones)],
                       check=True, capture_output=True)
        audio = trim(decode_audio(str(out), sampling_rate=SAMPLE_RATE))
    return (audio / np.abs(audio).max() * 0.5).astype(np.float32)


def joined(parts: list[np.ndarray]) -> tuple[np.ndarray, list[list[int]]]:
    """The parts joined by 0.3 s of silence, and each part's [start, end) in samples."""
    gap = np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.float32)
    spans, at = [], 0
    for part in parts:
        spans.append([at, at + len(part)])
        at += len(part) + len(gap)
    return np.concatenate([x for p in parts for x in (p, gap)][:-1]), spans


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    joe = load_voice()
    clips = {"teacher-reps": [say(joe, t) for t in REPS], "teacher-lesson": [say(joe, t) for t in LESSON]}
    for name, (engine, voice, semitones) in OTHERS.items():
        clips[name] = [tts(engine, voice, semitones, t) for t in PUPIL_LINES]
    sentences = {}
    for name, parts in clips.items():
        audio, sentences[name] = joined(parts)
        write_flac(OUT / f"{name}.flac", audio)
    (OUT / "sentences.json").write_text(json.dumps(sentences, indent=1) + "\n")


if __name__ == "__main__":
    main()
