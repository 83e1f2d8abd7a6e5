"""The one list of audio formats (rehearse/scoring/formats.py): the decoder reads a real file of
every format on it, and every place that offers formats (the upload check, the upload inputs'
`accept=`, the CLI's help, the decoder's message, the MIME types recordings are served with)
offers exactly those; no other source file keeps a list of its own."""

from __future__ import annotations

import io
import re
from pathlib import Path

import av
import numpy as np
import pytest
from werkzeug.datastructures import FileStorage

from rehearse.cli.main import build_parser
from rehearse.errors import AudioError, RehearseError
from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.formats import FORMATS, HEAD_BYTES, accept, by_suffix, looks_like_audio, mime_type, suffixes
from rehearse.web import create_app
from rehearse.web.report_audio import Embedded
from rehearse.web.uploads import checked_suffix

from .conftest import CLIPS
from .page_client import page_client
from .test_audio import encode, tone

ROOT = Path(__file__).resolve().parent.parent
# How to make a file of each suffix with PyAV: (codec, container, sample format); None: a clip of
# tests/clips. A format added to the registry needs a way to make one here, so that it is decoded.
MAKE = {
    ".wav": ("pcm_s16le", "wav", "s16"),
    ".flac": None,
    ".mp3": ("mp3", "mp3", "fltp"),
    ".m4a": ("aac", "ipod", "fltp"),
    ".mp4": ("aac", "mp4", "fltp"),
    ".aac": ("aac", "adts", "fltp"),
    ".ogg": ("libopus", "ogg", "flt"),
    ".webm": ("libopus", "webm", "flt"),
}
LABELS = [f.label for f in FORMATS]
NOT_TAKEN = [".txt", ".pdf", ".png", ".aiff", ".wma", ".opus", ".m4b", ""]


def made(tmp_path: Path, suffix: str) -> Path:
    if MAKE[suffix] is None:
        return next(CLIPS.glob(f"ppn-*{suffix}"))
    codec, container, sample_fmt = MAKE[suffix]
    rate = 48000 if codec == "libopus" else 44100  # not 16 kHz: the WAV goes through PyAV too
    path = tmp_path / f"made{suffix}"
    encode(path, tone(1.5, rate), rate, codec, container, sample_fmt)
    return path


def upload_of(path: Path, name: str | None = None) -> FileStorage:
    return FileStorage(io.BytesIO(path.read_bytes()), filename=name or path.name)


def test_every_suffix_has_a_way_to_make_a_file():
    assert sorted(MAKE) == sorted(suffixes()), "tell MAKE how to make a file of the new format"


@pytest.mark.parametrize("suffix", suffixes())
def test_a_real_file_of_every_format_is_decoded_and_taken_as_an_upload(tmp_path, suffix):
    path = made(tmp_path, suffix)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and len(audio) > SAMPLE_RATE and np.abs(audio).max() > 0.05
    assert looks_like_audio(path.read_bytes()[:HEAD_BYTES]), f"{path.name}'s first bytes are not in the registry"
    assert checked_suffix(upload_of(path)) == suffix
    assert checked_suffix(upload_of(path, "REP" + suffix.upper())) == suffix  # the name's case does not matter
    assert mime_type(suffix) == by_suffix(suffix).mime and mime_type(suffix).startswith("audio/")


@pytest.mark.parametrize("suffix", NOT_TAKEN)
def test_any_other_name_is_refused_in_one_line_naming_every_suffix(suffix):
    with pytest.raises(RehearseError) as info:
        checked_suffix(FileStorage(io.BytesIO(b"RIFF\0\0\0\0WAVEfmt "), filename=f"notes{suffix}"))
    message = str(info.value)
    assert "is not a recording rehearse can read" in message and "\n" not in message
    assert re.findall(r"\.\w+", message.split("expected one of", 1)[1]) == suffixes()


@pytest.mark.parametrize("head", [b"%PDF-1.7 minutes", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", b"PK\x03\x04\x14\0\0\0",
                                  b"hello", b""])
def test_a_document_named_as_any_format_is_refused(head):
    for suffix in suffixes():
        with pytest.raises(RehearseError, match="does not hold audio"):
            checked_suffix(FileStorage(io.BytesIO(head * 4), filename=f"notes{suffix}"))


def test_no_file_names_every_format():
    with pytest.raises(RehearseError) as info:
        checked_suffix(None)
    assert listed(str(info.value)) == LABELS


def listed(text: str) -> list[str]:
    """The formats a text lists in brackets, "(WAV, FLAC, ... or WebM)"."""
    (inside,) = re.findall(r"\(([^()]*\b(?:WAV|MP3)\b[^()]*)\)", text)
    return re.split(r", | or ", inside)


def test_the_cli_help_names_every_format():
    commands = build_parser()._subparsers._group_actions[0].choices
    (files,) = [a for a in commands["score"]._actions if a.dest == "files"]
    assert listed(files.help) == LABELS
    learn = commands["names"]._subparsers._group_actions[0].choices["learn"]
    (file,) = [a for a in learn._actions if a.dest == "file"]
    assert listed(file.help) == LABELS


def test_the_decoders_message_names_every_format(tmp_path):
    path = tmp_path / "bad.mp3"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(AudioError, match="not a readable recording") as info:
        load_audio(path)
    assert re.split(r", | or ", str(info.value).split("expected ", 1)[1].removesuffix(" audio")) == LABELS


def test_the_upload_inputs_accept_exactly_the_registry(tmp_path):
    app = create_app({"INSTANCE": tmp_path / "instance", "WARM_UP": False})
    client = page_client(app)
    started = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "pose-pause-name", "roster": "",
                                             "reps": "10"})
    pages = [client.get(started.headers["Location"]).text, client.get("/steps/pose-pause-name").text]
    wanted = set(suffixes()) | {f.mime for f in FORMATS}
    for page in pages:
        found = re.findall(r'<input[^>]*type="file"[^>]*accept="([^"]*)"', page)
        assert found and all(set(a.split(",")) == wanted for a in found), found
    assert accept().split(",")[: len(suffixes())] == suffixes()


def test_the_report_labels_each_format_by_the_registry():
    for f in FORMATS:
        assert Embedded("data:", f.mime, 2048).label == f"{f.label}, 2 KB"


def test_no_other_source_file_keeps_a_list_of_formats():
    """Three or more of the registry's suffixes, MIME types or labels on one line is a list."""
    words = {w for f in FORMATS for w in (*f.suffixes, f.mime, f.label)}
    pattern = re.compile("|".join(rf"(?<![\w/.]){re.escape(w)}(?![\w/])" for w in sorted(words, key=len, reverse=True)))
    sources = [*(ROOT / "rehearse").rglob("*.py"), *(ROOT / "templates").glob("*.html"), *(ROOT / "static").glob("*.js")]
    lists = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sources if path.name != "formats.py"
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if len(set(pattern.findall(line))) >= 3]
    assert lists == []


def test_the_docs_lists_of_formats_are_the_registry():
    """The README and docs/ name the formats for people; each list of them there (three labels or
    more in a row) names exactly the registry's, so a format added to formats.py fails here until
    the docs say it too."""
    label = "|".join(re.escape(f.label) for f in FORMATS)
    run = re.compile(rf"\b(?:{label})(?:(?:, | or | and )(?:{label}))+\b")
    docs = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    wrong = [f"{path.relative_to(ROOT)}: {found}" for path in docs for found in run.findall(path.read_text())
             if len(re.split(r", | or | and ", found)) >= 3
             and sorted(re.split(r", | or | and ", found)) != sorted(f.label for f in FORMATS)]
    assert wrong == []
