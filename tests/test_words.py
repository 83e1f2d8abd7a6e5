"""Stage 3, words: no invented words reach the transcript, and decoding is bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.scoring.speech import find_speech
from rehearse.scoring.words.base import MAX_TOKENS, Word, drop_piled_up, drop_repeats, give_length, max_tokens_for
from rehearse.scoring.words.openai import move_old_checkpoints

JFK = Path(__file__).resolve().parent.parent.parent / "shared" / "audio" / "jfk.flac"


def words(*texts: str) -> list[Word]:
    return [Word(t, i * 0.3, i * 0.3 + 0.25) for i, t in enumerate(texts)]


def test_a_looping_word_or_phrase_is_kept_once():
    assert [w.word for w in drop_repeats(words("Ask", "hey,", "hey,", "hey,", "hey."))] == ["Ask", "hey,"]
    looped = words("Ngozi,", "Ngozi,", "Ngozi,", "Ngozi.")
    assert [w.word for w in drop_repeats(looped)] == ["Ngozi,"]
    phrase = words("mm", "hmm", "mm", "hmm", "mm", "hmm", "okay")
    assert [w.word for w in drop_repeats(phrase)] == ["mm", "hmm", "okay"]


def test_a_word_said_twice_stays():
    assert [w.word for w in drop_repeats(words("No,", "no,", "think", "again."))] == ["No,", "no,", "think", "again."]


def test_words_piled_up_at_one_instant_are_dropped_but_a_lone_one_stays():
    piled = [Word("Ask", 0.0, 0.4)] + [Word("hey,", 10.44, 10.44) for _ in range(20)]
    assert [w.word for w in drop_piled_up(piled)] == ["Ask"]
    lone = [Word("chlorophyll,", 4.52, 5.48), Word("glucose", 5.94, 5.94), Word("and", 5.94, 6.36)]
    assert drop_piled_up(lone) == lone


def test_a_word_placed_at_one_instant_is_given_some_length():
    """jfk.flac once gave "my" at 1.445-1.445 s: it takes free time before it, else half the next word."""
    free = give_length([Word("so,", 0.745, 1.105), Word("my", 1.445, 1.445), Word("fellow", 1.445, 1.785)])
    assert [(w.start, w.end) for w in free] == [(0.745, 1.105), (1.325, 1.445), (1.445, 1.785)]
    packed = give_length([Word("so,", 0.745, 1.445), Word("my", 1.445, 1.445), Word("fellow", 1.445, 1.785)])
    assert [(w.start, w.end) for w in packed] == [(0.745, 1.445), (1.445, 1.615), (1.615, 1.785)]
    last = give_length([Word("Priya", 2.0, 2.4), Word("go.", 2.4, 2.4)])
    assert all(w.end > w.start for w in last) and last[-1].start == 2.4


def test_decoding_is_bounded_by_the_length_of_the_speech():
    assert max_tokens_for(np.zeros(SAMPLE_RATE * 2, np.float32)) < max_tokens_for(np.zeros(SAMPLE_RATE * 10, np.float32))
    assert max_tokens_for(np.zeros(SAMPLE_RATE * 600, np.float32)) == MAX_TOKENS


@pytest.mark.skipif(not JFK.is_file(), reason="the shared recordings are not beside the project")
def test_a_real_recording_gets_no_invented_tail(scorer):
    """whisper's own test recording: real speech, a real room, silence after the last word."""
    audio = load_audio(JFK)
    heard = scorer.transcriber.words(audio, find_speech(audio))
    text = " ".join(w.word for w in heard).lower()
    assert "fellow americans" in text and "your country" in text and "do for you" in text
    assert drop_repeats(drop_piled_up(heard)) == heard  # nothing looped, nothing piled up
    assert all(w.end > w.start for w in heard), [w for w in heard if w.end <= w.start]  # no word of no length
    americans = [w for w in heard if w.word.strip(" ,.").lower() == "americans"]
    assert americans and americans[0].start <= 1.8 <= americans[0].end  # whisper's own timing check
    assert heard[-1].end <= len(audio) / SAMPLE_RATE


def test_checkpoints_kept_in_the_old_models_folder_move_to_speech_models(tmp_path):
    """An instance folder's models/ (speech-models/ before its rename) keeps the checkpoints that
    openai-whisper converted: they move over rather than being converted again, and anything else
    there stays where it is."""
    old = tmp_path / "models"
    old.mkdir()
    (old / "tiny.en-converted.pt").write_bytes(b"weights")
    (old / "notes.txt").write_text("mine")
    move_old_checkpoints(tmp_path / "speech-models")
    assert (tmp_path / "speech-models" / "tiny.en-converted.pt").read_bytes() == b"weights"
    assert [p.name for p in old.iterdir()] == ["notes.txt"]
    (old / "notes.txt").unlink()
    (old / "base.en-converted.pt").write_bytes(b"more")
    move_old_checkpoints(tmp_path / "speech-models")
    assert not old.exists() and (tmp_path / "speech-models" / "base.en-converted.pt").read_bytes() == b"more"
