"""Fill a real store with real scored attempts: labelled clips scored by the real model, copied in
as the recordings, on the days a test needs (the only thing set by hand is the date)."""

from __future__ import annotations

import shutil
from typing import Any

from rehearse.reps.scoring import keep_result
from rehearse.scoring.steps import get_step
from rehearse.store.database import Store

from .conftest import CLIPS, LABELS

# Ms Okafor: first session on 3 Nov — short pause, then right (accurate at rep 2), then short again;
# second on 10 Nov — three right in a row, steady (fluent at rep 3). Mr Byrne: one session on each of
# two action steps on 12 Nov.
HISTORY = [
    ("Ms Okafor", "pose-pause-name", "2026-11-03T09:00:00+00:00",
     ["ppn-08-short-pause-tomasz-clean.flac", "ppn-00-correct-siobhan-clean.flac",
      "ppn-09-short-pause-chloe-clean.flac"]),
    ("Ms Okafor", "pose-pause-name", "2026-11-10T09:00:00+00:00",
     ["ppn-01-correct-oluwaseun-clean.flac", "ppn-02-correct-niamh-clean.flac",
      "ppn-04-correct-priya-clean.flac"]),
    ("Mr Byrne", "pose-pause-name", "2026-11-12T15:00:00+00:00", ["ppn-05-correct-aoife-clean.flac"]),
    ("Mr Byrne", "key-vocabulary", "2026-11-12T15:30:00+00:00", ["vocab-good.flac", "vocab-missing.flac"]),
]


def seed(store: Store, scored, plan=HISTORY) -> dict[str, Any]:
    """Store each session of the plan with its clips as scored reps; return the ids made."""
    sessions = []
    for teacher, step_id, started_at, clips in plan:
        step = get_step(step_id)
        roster = LABELS["roster"] if step_id == "pose-pause-name" else [p.name for p in step.roster]
        session_id = store.start_session(teacher, step_id, step.title, roster, reps_target=3)
        attempts = []
        for clip in clips:
            attempt = store.new_rep(session_id, "upload", ".flac")
            path = store.audio_file(attempt)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(CLIPS / clip, path)
            keep_result(store, attempt.id, scored(clip))
            attempts.append(attempt.id)
        with store.connect() as db:  # the one thing set by hand: the day it happened
            db.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (started_at, session_id))
            db.execute("UPDATE attempts SET created_at = ? WHERE session_id = ?", (started_at, session_id))
        sessions.append({"id": session_id, "teacher": teacher, "step": step_id, "attempts": attempts})
    return {"sessions": sessions}
