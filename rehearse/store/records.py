"""What the store hands out: a rep, a session, a coach's mark, a comment and a pass of taps, as frozen
records read once from their rows (rows.py builds them, in one place), so that every floor above
reads attributes instead of looking keys up in row dicts.

A rep's stored result is parsed once into the engine's typed view of it (scoring.stored.StoredResult),
or None if it is not scored. A changed copy is made with dataclasses.replace, never by mutation.
The names in SQL stay as the tables have them (the `attempts` table, its `rep` column: the number
of the rep in its session, `Rep.number` here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..scoring.stored import StoredResult


@dataclass(frozen=True, slots=True)
class Mark:
    """The coach's say on one criterion of a rep: a verdict (None: only a comment, or only the pupil
    named) and, on names_pupil, who the coach says was named where the app did not hear whom."""

    passed: bool | None = None
    comment: str = ""
    marked_at: str | None = None
    pupil: str | None = None


@dataclass(frozen=True, slots=True)
class TapPass:
    """One pass of a coach's taps along a rep (calibration.tap_pass), in seconds on its recording's clock."""

    id: int
    source: str
    question_end_s: float | None
    name_s: float | None
    tapped_at: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "question_end_s": self.question_end_s,
                "name_s": self.name_s, "tapped_at": self.tapped_at}


@dataclass(frozen=True, slots=True)
class Comment:
    """A coach's comment at a moment of a rep's recording (store/comments.py)."""

    id: int
    at_s: float
    text: str
    created_at: str
    edited_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at_s": self.at_s, "text": self.text, "created_at": self.created_at,
                "edited_at": self.edited_at}



@dataclass(frozen=True, slots=True)
class CommentOnRep:
    """A comment with the rep and session it was left on, for the list of a teacher's comments."""

    comment: Comment
    rep_id: int
    rep_number: int
    session_id: int
    step_title: str
    session_started_at: str

@dataclass(frozen=True, slots=True)
class Teacher:
    """One row of the `teachers` table."""

    id: int
    name: str
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class Rep:
    """One row of the `attempts` table, with its result read, its coach's marks by criterion, its
    passes of taps (oldest first) and its comments (in the order they are heard). A rep read across
    sessions (history.reps_in, history.sibling_reps) has its `session`; else that is None."""

    id: int
    session_id: int
    number: int  # its place in its session: 1, 2, ... (the column `rep`)
    status: str  # 'recording', 'scored' or 'unscored'
    created_at: str
    uid: str | None = None
    source: str = "live"
    audio_path: str = ""
    error: str | None = None
    duration_s: float | None = None
    app_passed: bool | None = None  # the engine's overall verdict, as stored (the column `passed`)
    result: StoredResult | None = None
    marks: Mapping[str, Mark] = field(default_factory=dict)  # read-only (rows.rep_of)
    taps: tuple[TapPass, ...] = ()
    comments: tuple[Comment, ...] = ()
    session: Session | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """One row of the `sessions` table with its teacher's name and its action step's id and title;
    the roster as its lines (the names as the coach left them), and the summary written when it was finished (JSON) read."""

    id: int
    teacher_id: int
    teacher: str
    step_id: str
    title: str
    started_at: str
    uid: str | None = None
    step_row: int | None = None  # its action step's row in action_steps (the column action_step_id)
    roster: tuple[str, ...] = ()
    reps_target: int = 10
    fluent_after: int = 3
    mode: str = "coached"
    finished_at: str | None = None
    summary: Any = None
    accurate_at: int | None = None
    fluent_at: int | None = None
    reps: int = 0
    reps_scored: int = 0
    reps_passed: int = 0
    went_well: str | None = None
    next_step_id: str | None = None
    next_observation: str | None = None
    planned_at: str | None = None


@dataclass(frozen=True, slots=True)
class Lesson:
    """A stretch of a real lesson observed (store/lessons.py): where its recording is, how far its
    analysis has got, and the analysis (the engine's JSON, rehearse.observe) once done."""

    id: int
    teacher_id: int
    teacher_name: str
    step_id: str
    step_title: str
    roster: tuple[str, ...]
    source: str                 # 'browser', 'upload' or 'cli'
    audio_path: str | None      # relative to the instance folder; None once deleted
    audio_state: str            # 'recording', 'original', 'voices-silenced' or 'deleted'
    status: str                 # 'recording', 'queued', 'analysing', 'done', 'failed' or 'cancelled'
    progress: float
    eta_s: float | None
    stage: str
    cancel_requested: bool
    error: str | None
    duration_s: float | None
    result: Mapping[str, Any] | None
    median_wait_s: float | None
    created_at: str
    analysed_at: str | None

    @property
    def finished(self) -> bool:
        """Nothing more will happen to it unless asked: analysed, failed or cancelled."""
        return self.status in ("done", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class LessonComment:
    """A coach's comment at a moment of a lesson's recording."""

    id: int
    at_s: float
    text: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at_s": self.at_s, "text": self.text, "created_at": self.created_at}
