"""Each question of a lesson as a short clip inside the lesson's report, so the teacher who keeps the
report can hear the question and the wait after it: from LEAD_S before the question to CLIP_AFTER_S
after the name (or the next speech, or the question's end), at most CLIP_MAX_S, as MP3 data: URIs
(report_audio.mp3_bytes, as a rep's report embeds its recording).

Only a kept recording whose other voices are silenced ('voices-silenced', observe/privacy.py) is cut
into clips: a report travels (by e-mail, on a stick), and the pupils' voices must not travel with it.
A lesson kept as it was recorded ('original'), or whose recording is deleted, gets no clips and a note
saying why. The recording is decoded once (observe.lesson_audio.LessonAudio: a file on disk, read a
stretch at a time), so a report costs about one decoding of the lesson and CLIP_MAX_S of encoding
per question.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import RehearseError
from ..observe.lesson_audio import LessonAudio
from .report_audio import MP3, mp3_bytes

LEAD_S = 0.5
CLIP_AFTER_S = 2.0  # after the name: to hear who was named and how
CLIP_MAX_S = 20.0  # a question, its wait and the name; a longer stretch is cut here


def clip_span(q: Mapping[str, Any]) -> tuple[float, float]:
    """The stretch of a question's clip: from just before it to just after the name (or the next speech)."""
    start = max(0.0, float(q["start"]) - LEAD_S)
    after = max(v for v in (q.get("end"), q.get("next_speech"), q.get("name_at")) if v is not None)
    return start, min(float(after) + CLIP_AFTER_S, start + CLIP_MAX_S)


def question_clips(path: Path | None, audio_state: str, questions: Iterable[Mapping[str, Any]]
                   ) -> tuple[dict[int, str], str | None]:
    """{question index: data: URI} for the questions posed, and a note when there are none (why)."""
    if path is None or audio_state == "deleted":
        return {}, "The lesson's recording was deleted: the report holds its figures only."
    if audio_state != "voices-silenced":
        return {}, ("No sound is in this report: the kept recording has the pupils' voices in it (other voices were "
                    "not silenced), and they must not travel with a report. It can be played in rehearse.")
    try:
        audio = LessonAudio.open(path)
    except (RehearseError, OSError) as exc:
        return {}, f"No sound is in this report: the recording could not be read ({exc})."
    with audio:
        clips = {}
        for index, q in enumerate(questions):
            if q.get("kind", "posed") != "posed":
                continue
            start, end = clip_span(q)
            samples = audio.samples(start, end)
            if samples.size:
                clips[index] = f"data:{MP3};base64,{base64.b64encode(mp3_bytes(samples)).decode('ascii')}"
    return clips, None
