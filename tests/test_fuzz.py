"""Bad input found by machine: property-based tests (hypothesis) of the doors input comes in by.

1. The audio loader. Any file at all (arbitrary bytes, real recordings cut short or scribbled on,
   WAV headers with odd parameters) either loads as float32 mono 16 kHz or is refused with an
   AudioError in one line: never another exception, never a hang.
2. The step parser. Any text, any bytes, and TOML close to the real schema with its fields
   mutated either loads as a usable ActionStep or is refused with a StepError: never another
   exception. One bad file among good ones does not hide the good ones.
3. The WebSocket a rep is recorded over, against a real `rehearse serve`. Any sequence of frames
   (JSON of the wrong shape, non-JSON, huge or deeply nested text, start and stop in odd orders,
   empty, odd-length and random binary frames, a little real speech, early closes) leaves the
   server answering, the database intact, and every attempt scored or unscored with a readable
   recording: none is left 'recording' once its connection has gone.
4. A coach's taps along a rep (calibration). Any JSON a page might post as a pass of taps is either
   kept — every time a finite number inside the recording, and only the clock readings it came
   from — or refused with a RehearseError in one line: never another exception.

The runs are bounded and reproducible: the "ci" profile below is derandomized (the same examples
every run) and keeps no example database. To search harder locally:
    HYPOTHESIS_PROFILE=explore REHEARSE_FUZZ_SCALE=20 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import io
import json
import math
import os
import re
import signal
import sqlite3
import struct
import tempfile
import time
import tomllib
import urllib.request
import wave
from pathlib import Path

import av
import numpy as np
import pytest
import simple_websocket
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wsproto.events import CloseConnection, TextMessage
from wsproto.frame_protocol import CloseReason

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.coaching.calibration import CLOCKS, tap_pass
from rehearse.scoring.criteria import RULES
from rehearse.errors import AudioError, RehearseError, StepError
from rehearse.capture.recording import HEADER_BYTES, to_pcm16, wav_header
from rehearse.scoring.steps import SHIPPED, SHIPPED_AUDIO, ActionStep, check_all, load_step

from .conftest import CLIPS
from .server import new_session, running_server

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", derandomize=False, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SCALE = float(os.environ.get("REHEARSE_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    """How many examples a test tries: n, times REHEARSE_FUZZ_SCALE."""
    return max(1, round(n * SCALE))


class Hang(Exception):
    """The code under test ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str):
    """Raise Hang in the main thread if the block runs longer than `seconds` (a hypothesis deadline
    only complains after the example has finished, which a hang never does)."""
    def expire(signum, frame):
        raise Hang(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_line(message: str) -> bool:
    return bool(message.strip()) and "\n" not in message and "\r" not in message


# 1. The audio loader ------------------------------------------------------------------------------

AUDIO_LIMIT_S = 60  # the first PyAV call imports faster-whisper: seconds on a busy machine


def check_loads_or_refuses(path: Path) -> np.ndarray | None:
    """load_audio(path) gives float32 mono 16 kHz samples, or an AudioError in one line."""
    try:
        with time_limit(AUDIO_LIMIT_S, f"load_audio of {path.stat().st_size} bytes"):
            audio = load_audio(path)
    except AudioError as exc:
        assert one_line(str(exc)), repr(str(exc))
        assert str(path) in str(exc), str(exc)
        return None
    assert isinstance(audio, np.ndarray) and audio.dtype == np.float32 and audio.ndim == 1, audio
    assert audio.size > 0 and np.all(np.abs(audio) <= 1.0)
    # Plausible for its size: digital silence in FLAC or Opus is ~100 samples a byte; a WAV header
    # claiming a rate of 1 Hz made a 2 KB file 16 million samples (14 s and 400 MB to decode).
    assert audio.size <= 1000 * max(path.stat().st_size, 100), (audio.size, path.stat().st_size)
    return audio


def write_temp(data: bytes, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix, prefix="fuzz-")
    with os.fdopen(handle, "wb") as f:
        f.write(data)
    return Path(name)


def loads_or_refuses(data: bytes, suffix: str = ".wav") -> np.ndarray | None:
    path = write_temp(data, suffix)
    try:
        return check_loads_or_refuses(path)
    finally:
        path.unlink()


def encoded(samples: np.ndarray, codec: str, fmt: str, sample_fmt: str, rate: int) -> bytes | None:
    """`samples` (16 kHz) encoded with PyAV in memory; None if this PyAV build cannot."""
    buffer = io.BytesIO()
    try:
        with av.open(buffer, "w", format=fmt) as out:
            stream = out.add_stream(codec, rate=rate, layout="mono")
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for f in av.AudioResampler(format=sample_fmt, layout="mono", rate=rate).resample(frame):
                for packet in stream.encode(f):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    except (av.error.FFmpegError, ValueError):
        return None
    return buffer.getvalue()


@pytest.fixture(scope="module")
def recordings() -> list[tuple[str, bytes]]:
    """Real recordings to damage: shipped FLAC clips, the app's own WAV, and OGG/WebM/MP3."""
    found = [(p.suffix, p.read_bytes()) for p in (CLIPS / "silent.flac", CLIPS / "ppn-01-correct-oluwaseun-clean.flac",
                                                   SHIPPED_AUDIO / "cold-call-model.flac")]
    speech = load_audio(CLIPS / "ppn-01-correct-oluwaseun-clean.flac")[: 2 * SAMPLE_RATE]  # also warms up PyAV
    pcm = to_pcm16(speech)
    found.append((".wav", wav_header(len(pcm)) + pcm))
    for codec, fmt, suffix, sample_fmt, rate in [("libopus", "ogg", ".ogg", "flt", 48000),
                                                 ("libopus", "webm", ".webm", "flt", 48000),
                                                 ("mp3", "mp3", ".mp3", "fltp", 44100)]:
        if (data := encoded(speech, codec, fmt, sample_fmt, rate)) is not None:
            found.append((suffix, data))
    return found


@settings(max_examples=examples(60))
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".wav", ".flac", ".mp3", ".ogg", ".webm", ""]))
def test_any_bytes_load_or_are_refused(data, suffix):
    """Whatever a file holds (the name's suffix too is only a hint), the loader answers sensibly."""
    loads_or_refuses(data, suffix)


@st.composite
def damaged(draw, recordings):
    """A real recording cut short, scribbled on, with bytes spliced in or out."""
    suffix, data = draw(st.sampled_from(recordings))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete", "zero-tail"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            patch = draw(st.binary(min_size=1, max_size=64))
            data[at:at + len(patch)] = patch
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 4096))]
        elif kind == "zero-tail":
            data[at:] = bytes(len(data) - at)
    return suffix, bytes(data)


@settings(max_examples=examples(60))
@given(st.data())
def test_damaged_recordings_load_or_are_refused(recordings, data):
    """Real recordings (FLAC, the app's WAV, OGG, WebM, MP3), damaged: loaded or refused, quickly."""
    suffix, damaged_bytes = data.draw(damaged(recordings))
    loads_or_refuses(damaged_bytes, suffix)


def wav_bytes(channels: int, rate: int, bits: int, fmt_tag: int = 1, data: bytes = b"",
              declared: int | None = None, riff: int | None = None, block: int | None = None,
              fmt_size: int = 16, extra_chunk: bytes = b"") -> bytes:
    """A RIFF/WAVE file with exactly the header fields given (sizes wrap to 32 bits, as on disk)."""
    block = block if block is not None else channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block & 0xFFFFFFFF, block & 0xFFFF, bits)
    fmt = fmt + bytes(max(fmt_size - 16, 0)) if fmt_size >= 16 else fmt[:fmt_size]
    declared = len(data) if declared is None else declared
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + extra_chunk + b"data" + struct.pack("<I", declared) + data
    return b"RIFF" + struct.pack("<I", (len(body) if riff is None else riff) & 0xFFFFFFFF) + body


U32 = 0xFFFFFFFF
ODD_RATES = [0, 1, 2, 100, 4000, 7999, 8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000, 2**31 - 1, U32]


ODD_FIELDS = {
    "channels": st.sampled_from([0, 2, 3, 8, 255, 65535]),
    "rate": st.sampled_from(ODD_RATES) | st.integers(0, U32),
    "bits": st.sampled_from([0, 1, 7, 8, 12, 24, 32, 64, 65535]),
    "fmt_tag": st.sampled_from([3, 6, 7, 2, 0x11, 0x55, 0xFFFE, 0]) | st.integers(0, 0xFFFF),
    "declared": st.sampled_from([0, 1, U32, U32 - 1, 2**31]) | st.integers(0, 8000),
    "riff": st.sampled_from([0, 4, U32]) | st.integers(0, 8000),
    "block": st.sampled_from([0, 1, 3, 0xFFFF]),
    "fmt_size": st.sampled_from([18, 40, 14, 0, 1000]),
    "extra_chunk": st.sampled_from([b"LIST\x04\x00\x00\x00INFO", b"junk\xff\xff\xff\x7f", b"fact\x04\x00\x00\x00"]),
}


@st.composite
def odd_wavs(draw):
    """The app's own WAV (mono, 16 kHz, 16-bit) with up to three header fields made odd, and
    perhaps cut short: close enough to valid that the readers get far into it."""
    fields = {"channels": 1, "rate": SAMPLE_RATE, "bits": 16}
    for name in draw(st.lists(st.sampled_from(sorted(ODD_FIELDS)), max_size=3, unique=True)):
        fields[name] = draw(ODD_FIELDS[name])
    data = draw(st.binary(max_size=2000) | st.integers(0, 4000).map(bytes))
    wav = wav_bytes(data=data, **fields)
    return wav[:draw(st.integers(0, len(wav)))] if draw(st.booleans()) else wav


@settings(max_examples=examples(120))
@given(odd_wavs())
def test_wav_headers_with_odd_parameters_load_or_are_refused(wav):
    """0 channels, huge sizes, 8/24/32-bit, absurd rates, truncated data: loaded or refused."""
    loads_or_refuses(wav)


@pytest.mark.parametrize("rate", [1, 100, 7999])
def test_a_rate_too_low_is_refused_before_it_decodes_to_gigabytes(tmp_path, rate):
    """Found by the WAV fuzzing: a 2 KB WAV claiming 1 Hz decoded to 16 million samples (14 s, 400 MB);
    a 20 KB one to gigabytes. Such a rate is now refused, at once."""
    path = tmp_path / "slow.wav"
    path.write_bytes(wav_bytes(1, rate, 16, data=bytes(20000)))
    started = time.monotonic()
    with pytest.raises(AudioError, match=f"sample rate of {rate} Hz"):
        load_audio(path)
    assert time.monotonic() - started < 20


def test_a_recording_cut_mid_sample_loads():
    """Found by the WAV fuzzing: the app's own 16-bit WAV cut off after an odd number of bytes (a write
    interrupted) raised ValueError; the last half sample is now dropped."""
    pcm = to_pcm16(np.full(1000, 0.25, dtype=np.float32))
    audio = loads_or_refuses(wav_header(len(pcm)) + pcm[:501])
    assert audio is not None and len(audio) == 250 and audio[0] == 0.25


def test_a_chunk_claiming_more_than_the_file_is_refused():
    """Found by the WAV fuzzing: a chunk before the data claiming 2 GB made the wave module raise
    RuntimeError; such a file now goes on to PyAV, which says what is wrong with it."""
    loads_or_refuses(wav_bytes(1, SAMPLE_RATE, 16, data=bytes(100), extra_chunk=b"junk\xff\xff\xff\x7f"))


# 2. The step parser ---------------------------------------------------------------------------

SHIPPED_DATA = {p.stem: tomllib.loads(p.read_text()) for p in sorted(SHIPPED.glob("*.toml"))}


def check_step_or_refusal(path: Path) -> ActionStep | None:
    """load_step(path) gives an ActionStep fit to use, or a StepError in one line."""
    try:
        step = load_step(path)
    except StepError as exc:
        assert one_line(str(exc)), repr(str(exc))
        return None
    assert isinstance(step, ActionStep) and step.id == path.stem and step.criteria
    # What the pages and the engine read from a step must work for any step that was accepted.
    for criterion in step.criteria:
        assert criterion.rule in RULES and isinstance(criterion.description, str)
        for value in criterion.params.values():
            assert not isinstance(value, float) or math.isfinite(value), criterion
    assert step.foci and isinstance(step.key_metric, dict)
    assert all(isinstance(w, str) and w for w in step.key_words)
    band = step.wait_band
    assert band is None or (0 <= band[0] and (band[1] is None or band[0] <= band[1]))
    return step


def step_file(folder: Path, stem: str, content: bytes) -> Path:
    path = folder / f"{stem}.toml"
    path.write_bytes(content)
    return path


# Text that Python's own limits trip over: nesting past the recursion limit, a number longer than
# int() will read (4300 digits), one longer than repr() will print (in hexadecimal, which TOML reads).
TRICKY_TOML = st.sampled_from(["", "\ufeff", "a = 1", "[criteria]", "[[criteria]]\nrule = 1"]).flatmap(
    lambda head: st.sampled_from(["[" * 3000, "{a=" * 3000, "1" * 5000, "0x" + "f" * 5000, "1e99999", "nan"]).map(
        lambda value: head + "\nb = " + value + "\n"))


@settings(max_examples=examples(100))
@given(text=st.text(max_size=400) | TRICKY_TOML)
def test_any_text_is_a_step_or_refused(text):
    with tempfile.TemporaryDirectory() as folder:
        check_step_or_refusal(step_file(Path(folder), "step", text.encode("utf-8", "surrogatepass")))


@settings(max_examples=examples(100))
@given(data=st.binary(max_size=400) | st.sampled_from(list(SHIPPED_DATA)).flatmap(
    lambda stem: st.binary(max_size=40).map(lambda b: (SHIPPED / f"{stem}.toml").read_bytes()[:200] + b)))
def test_any_bytes_are_a_step_or_refused(data):
    """Non-UTF-8, a BOM, NUL bytes, a real file's start followed by garbage."""
    with tempfile.TemporaryDirectory() as folder:
        check_step_or_refusal(step_file(Path(folder), "step", data))


# TOML values of every kind, with the numbers most likely to upset a check.
class Huge(int):
    """An integer too long for Python to print in decimal: shown by its formula (hypothesis prints it)."""

    def __repr__(self) -> str:
        return "16**5000"


WEIRD_NUMBERS = st.sampled_from([-1, -0.5, 0, 0.0, -0.0, 1e-320, 1e308, 10**30, 2**63 - 1, 2**63, 10**400,
                                 -(10**400), Huge(16**5000), math.nan, -math.nan, math.inf, -math.inf])
WEIRD_TEXT = st.sampled_from(["", " ", "\n", "\t\t", "start", "wait_time", "None", "Siobhan (Shivawn)", "é", "\x00"])
SCALARS = (st.booleans() | st.integers() | st.floats() | WEIRD_NUMBERS | st.text(max_size=12) | WEIRD_TEXT
           | st.dates() | st.datetimes() | st.times())
KEYS = st.text(max_size=8) | st.sampled_from(["rule", "id", "min_s", "max_s", "words", "max", "phrases"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=3),
                      max_leaves=8)
PARAM_NAMES = sorted({name for rule in RULES.values() for name in rule.params} | {"id", "rule", "colour"})
ROSTER_ENTRIES = st.sampled_from(["Siobhan", "siobhan", "Tom", "Siobhan (Shivawn)", "Tom (", "(Tom)", "()", "",
                                  "  ", "123", "Tom ((T))", "Ní Bhriain", "O'Neil, Tom"]) | st.text(max_size=10)


def toml_string(text: str) -> str:
    escaped = "".join(c if c not in '"\\' and (ord(c) >= 0x20 or c == "\t") and ord(c) != 0x7F
                      else "\\" + c if c in '"\\' else f"\\u{ord(c):04x}" for c in text)
    return f'"{escaped}"'


def toml_value(value) -> str:
    """A TOML (1.0) rendering of a value made of what tomllib returns: inline, one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return hex(value) if value > 10**4000 else str(value)  # Python prints no more than 4300 digits
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(data: dict) -> str:
    return "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in data.items())


def criterion_of(draw, rule: str) -> dict:
    """A plausible criterion for `rule`: its parameters with values of the right kind, mostly."""
    item = {"rule": rule}
    for name, (kind, _) in RULES[rule].params.items():
        if draw(st.booleans()):
            item[name] = draw({float: st.floats(0, 30), int: st.integers(0, 5), bool: st.booleans(),
                               list: st.lists(st.sampled_from(["glucose", "partner", "first"]), min_size=1, max_size=3)}[kind])
    return item


@st.composite
def step_dicts(draw):
    """A shipped step's data with a few of its fields changed: types, values, missing, unknown."""
    data = copy.deepcopy(SHIPPED_DATA[draw(st.sampled_from(sorted(SHIPPED_DATA)))])
    for _ in range(draw(st.integers(1, 4))):
        mutation = draw(st.sampled_from(["drop", "field", "roster", "criteria", "criterion", "criterion",
                                         "criterion", "add-criterion"]))
        criteria = data.get("criteria")
        if mutation == "drop" and data:
            del data[draw(st.sampled_from(sorted(data)))]
        elif mutation == "field":
            name = draw(st.sampled_from(["id", "title", "goal", "strategy", "prompt", "model", "non_example",
                                         "archived", "roster", "criteria", "unknown", "Title"]))
            data[name] = draw(VALUES)
        elif mutation == "roster":
            data["roster"] = draw(st.lists(ROSTER_ENTRIES, max_size=6))
        elif mutation == "criteria":
            data["criteria"] = draw(st.sampled_from([[], [{}], [[]], {}]) | st.lists(VALUES, max_size=3))
        elif mutation == "add-criterion" and isinstance(criteria, list):
            criteria.append(criterion_of(draw, draw(st.sampled_from(sorted(RULES)))))
        elif mutation == "criterion" and isinstance(criteria, list) and criteria and isinstance(criteria[0], dict):
            item = criteria[draw(st.integers(0, len(criteria) - 1))]
            if not isinstance(item, dict):
                continue
            key = draw(st.sampled_from(PARAM_NAMES) | st.sampled_from(sorted(item) or ["rule"]))
            if draw(st.integers(0, 4)) == 0:
                item.pop(key, None)
            else:
                item[key] = draw(WEIRD_NUMBERS | VALUES | st.sampled_from(sorted(RULES) + ["", "unknown_rule"])
                                 | st.lists(WEIRD_TEXT | VALUES, max_size=3) | st.sampled_from([[], [""], [" "]]))
    return data


def stem_for(data: dict, draw) -> str:
    """The file name: the step's id when it can be one (so the parse goes deep), sometimes another."""
    cid = data.get("id")
    if isinstance(cid, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,40}", cid) and draw(st.integers(0, 9)):
        return cid
    return "step"


@settings(max_examples=examples(250))
@given(st.data())
def test_mutated_steps_load_or_are_refused(data):
    """TOML close to the real schema, mutated: negative, huge, NaN and infinite numbers, empty lists,
    wrong types, unknown rules and parameters, missing fields. Either a usable step or one line."""
    content = data.draw(step_dicts())
    text = toml_document(content)
    tomllib.loads(text)  # the test's own TOML writer is right
    with tempfile.TemporaryDirectory() as folder:
        check_step_or_refusal(step_file(Path(folder), stem_for(content, data.draw), text.encode()))


@pytest.mark.parametrize("line,field", [
    ('rule = ["wait_time"]', "criteria[0].rule"),
    ("rule = {}", "criteria[0].rule"),
    ('rule = "wait_time"\nmin_s = 1' + "0" * 400, "criteria[0].min_s"),
    ('rule = "wait_time"\nmin_s = inf', "criteria[0].min_s"),
    ('rule = "max_seconds"\nmax = nan', "criteria[0].max"),
    ('rule = "max_seconds"\nmax = 0x' + "f" * 5000, "criteria[0].max"),
    ('rule = "max_words"\nmax = 0x' + "f" * 5000, "criteria[0].max"),
    ('rule = "max_words"\nmax = 9223372036854775808', "criteria[0].max"),
])
def test_found_by_fuzzing_bad_criteria_are_refused_in_one_line(tmp_path, line, field):
    """Found by the step fuzzing: a list or table as a rule raised TypeError (unhashable), a
    400-digit number of seconds OverflowError, a 6000-digit one (hexadecimal) ValueError when the
    message showed it; an infinite number of seconds, or of words, was accepted."""
    path = tmp_path / "step.toml"
    path.write_text('id = "step"\ntitle = "t"\ngoal = "g"\nstrategy = "s"\nprompt = "p"\n'
                    f'roster = ["Tom"]\n[[criteria]]\n{line}\n')
    with pytest.raises(StepError, match=re.escape(f"field '{field}'")) as info:
        load_step(path)
    assert one_line(str(info.value))


@pytest.mark.parametrize("value", ["[" * 3000, "1" * 5000])
def test_found_by_fuzzing_toml_python_cannot_read_is_refused_in_one_line(tmp_path, value):
    """Found by the step fuzzing: tomllib lets RecursionError (deep nesting) and ValueError (a
    number of over 4300 digits) through; both are now "not valid TOML"."""
    path = step_file(tmp_path, "step", f"a = {value}\n".encode())
    with pytest.raises(StepError, match="not valid TOML") as info:
        load_step(path)
    assert one_line(str(info.value))


@pytest.fixture(scope="module")
def no_step_folders_from_the_environment():
    saved = os.environ.pop("REHEARSE_SCENARIOS", None)
    yield
    if saved is not None:
        os.environ["REHEARSE_SCENARIOS"] = saved


@settings(max_examples=examples(40))
@given(data=st.data())
def test_one_bad_step_does_not_hide_the_good_ones(no_step_folders_from_the_environment, data):
    """A school's folder with a good step of its own and a broken one (perhaps shadowing a shipped
    step): check_all still returns every good step, and one line for the broken one."""
    bad = data.draw(step_dicts().map(toml_document).map(str.encode) | st.binary(max_size=200))
    stem = data.draw(st.sampled_from(["broken", *sorted(SHIPPED_DATA)]))
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        (instance / "scenarios").mkdir()
        own = copy.deepcopy(SHIPPED_DATA["cold-call"]) | {"id": "own-step"}
        step_file(instance / "scenarios", "own-step", toml_document(own).encode())
        step_file(instance / "scenarios", stem, bad)
        good, errors = check_all(instance)
    ids = [s.id for s in good]
    bad_loaded = stem in ids and next(s for s in good if s.id == stem).path.parent != SHIPPED
    assert "own-step" in ids and set(SHIPPED_DATA) - {stem} <= set(ids)
    assert len(errors) == (0 if bad_loaded else 1) and all(one_line(e) for e in errors)
    assert len(ids) == len(set(ids))


# 3. The WebSocket, against a real server ----------------------------------------------------------

BLOCK_LIMIT_BYTES = 48000  # at most 1.5 s of audio per example, so that scoring is quick
HANDLER_TIMEOUT_S = 240  # a rep's handler ends by then: 30 s without a frame, or scoring on a busy machine
GRACE_S = 5  # once its handler has ended, a rep must have left 'recording' within this
EXAMPLE_LIMIT_S = 600
MESSAGE_TYPES = ("started", "cue", "limit", "result", "error")
SPEECH = None  # 16-bit PCM of a real clip, read once


def speech_pcm() -> bytes:
    global SPEECH
    if SPEECH is None:
        SPEECH = to_pcm16(load_audio(CLIPS / "ppn-01-correct-oluwaseun-clean.flac"))
    return SPEECH


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real `rehearse serve` for the whole property test (the model loads once)."""
    instance = tmp_path_factory.mktemp("fuzz") / "instance"
    with running_server(instance) as url:
        yield url, instance


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)
FRAME_LIMIT_BYTES = 64 * 1024  # the server closes the connection on a bigger frame (stream.MAX_FRAME_BYTES)
TEXT_FRAMES = (
    st.sampled_from(['{"type": "start"}', '{"type": "stop"}', '{"type": "start", "rep": 99}', '{"type": "Stop"}',
                     '{"type": null}', '{"type": ["stop"]}', '{"type": {"type": "stop"}}', '["start"]', '"start"',
                     "start", "stop", "", "null", "{", "{}", "1e999", "-0", "\ufeff{\"type\": \"stop\"}",
                     '{"type": "stop", "type": "start"}', "1" * 5000]).map(lambda t: ("text", t))
    | JSON.map(lambda v: ("text", json.dumps(v)))
    | st.dictionaries(st.sampled_from(["type", "Type", "attempt"]), JSON, max_size=2).map(lambda v: ("text", json.dumps(v)))
    | st.text(max_size=40).map(lambda t: ("text", t))
    | st.integers(990, 3000).map(lambda n: ("nested", n))  # deeper than Python's recursion limit
    | st.integers(1, 3000).map(lambda n: ("nested objects", n))
    # Large, but under the limit: a frame over it is the subject of test_a_frame_over_the_limit_ends_the_rep
    | st.integers(30_000, FRAME_LIMIT_BYTES - 100).map(lambda n: ("large", n))
)


@st.composite
def binary_frames(draw):
    """A binary frame: real speech (by its place in the clip, so that a failing example reads well),
    silence, random bytes, odd lengths, nothing."""
    kind = draw(st.sampled_from(["speech", "speech", "silence", "random", "short", "empty"]))
    if kind == "speech":
        return "speech", draw(st.integers(0, 9 * SAMPLE_RATE)), draw(st.sampled_from([1600, 4800, 8000, 1, 3200]))
    if kind == "silence":
        return "silence", draw(st.integers(1, 8000))
    if kind == "random":
        return "binary", draw(st.binary(max_size=3200))
    if kind == "short":
        return "binary", draw(st.binary(min_size=1, max_size=5))  # odd lengths among them
    return "binary", b""


def frame_bytes(frame: tuple) -> bytes | str:
    """What a frame of a conversation sends: bytes for a binary frame, str for a text frame."""
    kind = frame[0]
    if kind == "speech":
        return speech_pcm()[2 * frame[1]:2 * (frame[1] + frame[2])]
    if kind == "silence":
        return bytes(2 * frame[1])
    if kind == "nested":
        return "[" * frame[1] + "]" * frame[1]
    if kind == "nested objects":
        return '{"a":' * frame[1] + "1" + "}" * frame[1]
    if kind == "large":
        return '{"type": "' + "s" * frame[1] + '"}'
    return frame[1]


def audio_bytes(frame: tuple) -> int | None:
    """How many bytes of audio a frame carries; None for a text frame or an action."""
    return len(frame_bytes(frame)) if frame[0] in ("speech", "silence", "binary") else None


START, STOP = ("text", '{"type": "start"}'), ("text", '{"type": "stop"}')


@st.composite
def conversations(draw):
    """Where to connect, the frames to send (most often after a start, ending with a stop), and
    whether to wait for the server's reply or leave at once. Audio is the commonest frame, since a
    text frame other than stop ends the rep; most conversations are with a session's rep."""
    where = draw(st.sampled_from(["session"] * 12 + ["model", "missing session", "bad kind", "unknown step"]))
    frames = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["audio"] * 6 + ["text", "text", "pause", "close"]))
        frames.append(draw(binary_frames()) if kind == "audio" else draw(TEXT_FRAMES) if kind == "text" else (kind,))
    if draw(st.sampled_from([True, True, True, False])):
        frames.insert(0, START)
    if draw(st.sampled_from([True, True, False])):
        frames.append(STOP)
    budget, kept = BLOCK_LIMIT_BYTES, []
    for frame in frames:
        size = audio_bytes(frame) or 0
        if size <= budget:
            budget -= size
            kept.append(frame)
    return where, kept, draw(st.sampled_from(["wait", "wait", "leave"]))


def socket_path(url: str, where: str) -> str:
    if where == "session":
        return f"/ws/sessions/{new_session(url)}"
    return {"missing session": "/ws/sessions/999999", "bad kind": "/ws/steps/pose-pause-name/sample",
            "unknown step": "/ws/steps/no-such-step/model", "model": "/ws/steps/cold-call/model"}[where]


def expects_reply(frames: list[tuple]) -> bool:
    """Start, then only even-length audio, then stop: the page is owed a verdict (or an error)."""
    if len(frames) < 2 or frames[0] != START or frames[-1] != STOP:
        return False
    return all(audio_bytes(f) is not None and audio_bytes(f) % 2 == 0 for f in frames[1:-1])


class Conversation:
    """A WebSocket client that tolerates the server going away at any moment, and keeps every
    message the server sent."""

    def __init__(self, url: str, path: str):
        self.path = path
        self.ws = simple_websocket.Client.connect(url.replace("http", "ws", 1) + path)
        self.messages: list[dict] = []
        self.open = True

    def send(self, data) -> None:
        if self.open:
            try:
                self.ws.send(data)
            except (simple_websocket.ConnectionClosed, OSError):
                self.open = False
        self.drain(0)

    def drain(self, timeout: float) -> None:
        """Take what the server has sent, waiting up to `timeout` for the next message."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.ws.receive(timeout=max(0.0, deadline - time.monotonic()))
            except simple_websocket.ConnectionClosed:
                self.open = False
                return
            if message is None:
                return
            assert isinstance(message, str), message
            parsed = json.loads(message)
            assert isinstance(parsed, dict) and parsed.get("type") in MESSAGE_TYPES, parsed
            self.messages.append(parsed)
            if parsed["type"] == "error":
                assert one_line(parsed["message"]), parsed

    def got(self, *types: str) -> bool:
        return any(m["type"] in types for m in self.messages)

    def wait_for_reply(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.open and not self.got("result", "error") and time.monotonic() < deadline:
            self.drain(min(1.0, deadline - time.monotonic()))

    def close(self) -> None:
        with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
            self.ws.close()
        self.open = False


def read_rows(instance: Path, table: str, where: str = "1", *args) -> list[dict]:
    """The stored rows, read straight from the file, read-only."""
    with contextlib.closing(sqlite3.connect(f"file:{instance / 'rehearse.sqlite'}?mode=ro", uri=True,
                                            timeout=30)) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} WHERE {where}", args)]


def integrity(instance: Path) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{instance / 'rehearse.sqlite'}?mode=ro", uri=True,
                                            timeout=30)) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def server_log(instance: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(instance.parent.glob("server-*.log")))


class Checkpoint:
    """What the server had stored and logged before an example, so that each example is judged on
    what it did (a row it left stuck would otherwise fail every later example too)."""

    def __init__(self, instance: Path, from_the_start: bool = False):
        self.instance = instance
        self.attempt = 0 if from_the_start else max([r["id"] for r in read_rows(instance, "attempts")], default=0)
        self.example = 0 if from_the_start else max([r["id"] for r in read_rows(instance, "examples")], default=0)
        self.log = 0 if from_the_start else len(server_log(instance))

    def rows(self, status: str | None = None) -> list[dict]:
        status_is = "" if status is None else f" AND status = '{status}'"
        return (read_rows(self.instance, "attempts", f"id > ?{status_is}", self.attempt)
                + read_rows(self.instance, "examples", f"id > ? AND source = 'live'{status_is}", self.example))

    def new_log(self) -> str:
        return server_log(self.instance)[self.log:]


def check_log(log: str) -> None:
    """An exception that escaped a handler is a bug even when the client saw nothing of it."""
    assert "Traceback" not in log, log[-6000:]


def wait_for_handler(since: Checkpoint, path: str, timeout: float = HANDLER_TIMEOUT_S) -> None:
    """Wait until the server has finished with the connection to `path`: the development server
    logs the request ("GET /ws/... HTTP/1.1" 200) when its handler returns."""
    deadline = time.monotonic() + timeout
    while f'"GET {path} HTTP/1.1"' not in (log := since.new_log()):
        check_log(log)
        assert time.monotonic() < deadline, f"the handler of {path} still runs after {timeout} s"
        time.sleep(0.3)


def wait_until_settled(since: Checkpoint) -> None:
    """Once the handlers are done, no rep may stay 'recording' beyond a short grace."""
    deadline = time.monotonic() + GRACE_S
    while stuck := since.rows("recording"):
        check_log(since.new_log())
        assert time.monotonic() < deadline, f"left 'recording' after its connection ended: {stuck}"
        time.sleep(0.3)


def check_recording(instance: Path, row: dict) -> None:
    """A stored rep: scored or unscored, and a WAV that is whole and loads, or is empty and unscored."""
    assert row["status"] in ("scored", "unscored"), row
    path = instance / row["audio_path"]
    assert path.is_file(), row
    size = path.stat().st_size
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE), row
        assert HEADER_BYTES + 2 * w.getnframes() == size, (row, size, w.getnframes())  # header matches data
        frames = w.getnframes()
    try:
        load_audio(path)
    except AudioError:
        assert frames == 0 and row["status"] == "unscored", row
    if row["status"] == "unscored":
        assert row["error"] and one_line(row["error"]), row


def check_server(url: str, since: Checkpoint) -> None:
    """The server answers, the database is intact, no exception escaped into the log, and every rep
    recorded since the checkpoint has settled with a readable recording."""
    with urllib.request.urlopen(url + "/", timeout=60) as response:
        assert response.status == 200
    assert integrity(since.instance) == "ok"
    check_log(since.new_log())
    wait_until_settled(since)
    for row in since.rows():
        check_recording(since.instance, row)


@settings(max_examples=examples(25), deadline=None)
@given(conversations())
@example(("session", [START, ("speech", 2 * SAMPLE_RATE, 8000), ("speech", 9 * SAMPLE_RATE, 16000), STOP], "wait"))
@example(("session", [START, ("binary", bytes(range(256)) * 12), STOP], "wait"))  # noise: no speech
@example(("session", [START, ("speech", 0, 8000), ("large", 60_000), STOP], "wait"))
@example(("model", [START, ("speech", 9 * SAMPLE_RATE, 8000), STOP], "wait"))
@example(("session", [START, ("speech", SAMPLE_RATE, 8000), ("close",)], "leave"))  # the tab closed mid-rep
@example(("session", [("speech", SAMPLE_RATE, 1600), START, STOP], "wait"))  # audio before start
def test_any_frames_leave_the_server_and_its_records_sound(server, conversation):
    """Frames of every kind in every order over the rep's WebSocket: the server keeps answering, the
    database stays intact, and each rep ends scored or unscored with its recording readable."""
    url, instance = server
    where, frames, ending = conversation
    since = Checkpoint(instance)
    with time_limit(EXAMPLE_LIMIT_S, "one conversation with the server"):
        client = Conversation(url, socket_path(url, where))
        try:
            for frame in frames:
                if frame[0] == "close":
                    break
                if frame[0] == "pause":
                    client.drain(0.2)
                else:
                    client.send(frame_bytes(frame))
            if ending == "wait" and frames and frames[-1] == STOP:
                client.wait_for_reply(HANDLER_TIMEOUT_S)
                if expects_reply(frames) and client.got("started"):  # a rep was recorded: it is owed
                    assert client.got("result", "error"), client.messages  # its verdict or an error
            else:
                client.drain(0.2)
        finally:
            client.close()
        assert len([m for m in client.messages if m["type"] == "started"]) <= 1, client.messages
        wait_for_handler(since, client.path)
        check_server(url, since)


def test_leaving_right_after_start_settles_the_rep(server):
    """Found by the WebSocket fuzzing: a page that sends {"type": "start"} and closes at once (the
    server's "started" meets a closed socket) used to leave its new rep 'recording' for good."""
    url, instance = server
    since = Checkpoint(instance)
    path = socket_path(url, "session")
    ws = simple_websocket.Client.connect(url.replace("http", "ws", 1) + path)
    # The start and the close in one write, so that the server has read both before it answers.
    ws.sock.send(ws.ws.send(TextMessage(START[1])) + ws.ws.send(CloseConnection(CloseReason.NORMAL_CLOSURE)))
    wait_for_handler(since, path)
    check_server(url, since)
    rows = since.rows()
    assert len(rows) == 1 and rows[0]["status"] == "unscored" and "dropped" in rows[0]["error"], rows


def test_after_fuzzing_every_rep_is_settled(server):
    """At the end, over everything the tests above left: the same checks, once more."""
    url, instance = server
    check_server(url, Checkpoint(instance, from_the_start=True))


def test_a_frame_over_the_limit_ends_the_rep(server):
    """Found by the WebSocket fuzzing: a frame over the server's 64 KB limit. The rep ends at once,
    unscored, saying what arrived, with no exception in the log (it used to wait out the 30 s
    receive timeout, or meet wsproto's LocalProtocolError sending the error on a closing socket)."""
    url, instance = server
    since = Checkpoint(instance)
    client = Conversation(url, socket_path(url, "session"))
    for frame in [START, ("speech", 2 * SAMPLE_RATE, 8000), ("large", FRAME_LIMIT_BYTES)]:  # mid-rep
        client.send(frame_bytes(frame))
    client.drain(1.0)
    client.close()
    wait_for_handler(since, client.path, timeout=15)
    check_server(url, since)
    rows = since.rows()
    assert len(rows) == 1 and "KB" in rows[0]["error"], rows
    # The speech sent before it is kept, even when the server had not yet read it (nor sent
    # "started") when the oversize frame closed the connection.
    assert rows[0]["duration_s"] == 0.5, rows


# 4. A coach's taps ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10)
readings = st.dictionaries(st.sampled_from([k for keys in CLOCKS.values() for k in keys]) | st.text(max_size=6),
                           st.floats() | st.integers() | st.none() | st.booleans() | st.text(max_size=4), max_size=4)
taps = st.fixed_dictionaries({"mark": st.sampled_from(["question_end", "name"]) | json_values,
                              "clock": readings | json_values})


@settings(max_examples=examples(400))
@given(source=st.sampled_from(sorted(CLOCKS)) | json_values, pass_=st.lists(taps | json_values, max_size=3) | json_values,
       duration=st.none() | st.floats(0, 600))
def test_any_pass_of_taps_is_kept_on_the_recording_or_refused_in_one_line(source, pass_, duration):
    try:
        tapped = tap_pass(source, pass_, duration)
    except RehearseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    end = math.inf if duration is None else duration
    times = [tapped["question_end_s"], tapped["name_s"]]
    assert any(t is not None for t in times)
    assert all(t is None or (math.isfinite(t) and 0 <= t <= end) for t in times)
    assert all(set(t["clock"]) <= set(CLOCKS[source]) for t in tapped["clock"])
    json.dumps(tapped["clock"], allow_nan=False)  # what is stored is plain JSON
