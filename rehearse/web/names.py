"""The class's names the way each teacher says them (issue 28), where the pages show names.

- The start page: beside the class list box, the names the app has learnt how the teacher typed
  says, and the names it expects to find hard (scoring.name_sounds.hard_to_hear: no said-as spelling,
  nothing learnt, many pieces to the speech model's tokenizer), each with a quiet offer to add how it
  sounds ("Caoimhe (Keeva)"). start.js asks for them again (`POST /class-names`, so that pupils'
  names stay out of addresses and server logs) as the box or the teacher changes.
- The session page: the class as set, each line with its hint, and "learnt" where it is.
- The teacher's page: what was learnt (store/learnt.py), each name with what the app heard there,
  the rep it came from, its piece of recording to play (served as a WAV, as the recordings are: the
  same sign-in and headers) and Forget; Forget all.
"""

from __future__ import annotations

import io
import re
from typing import Any, Callable, Iterable

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for

from ..capture.recording import wav_header
from ..errors import RehearseError
from ..scoring.name_sounds import hard_to_hear, parse_roster, roster_entries
from ..store import history, learnt
from ..store.database import Store
from . import context
from .context import teacher_or_404

bp = Blueprint("names", __name__)

MAX_ROSTER_CHARS = 20_000  # of a class list box asked about: far more than any class
EMPTY_HINT = re.compile(r"\s*\(\s*\)\s*$")


def class_lines(text: str) -> list[str]:
    """A typed class list's entries (names.roster_entries), a hint left empty dropped: the start
    page's offer writes "Zofia ()" for the coach to complete, and one not completed is no error."""
    return [EMPTY_HINT.sub("", entry) for entry in roster_entries(text)]


def token_counter(scorer) -> Callable[[str], int] | None:
    """How many of the speech model's own tokens a name takes, for hard_to_hear; None when the
    model cannot be loaded (then no name is called hard)."""
    try:
        return scorer.transcriber.tokens_in
    except RehearseError:
        return None


def class_notes(store: Store, scorer, teacher: str, roster_text: str) -> dict[str, Any]:
    """What the start page says of the names in its class list box, for the teacher typed: the
    names learnt for that teacher, and the names the app expects to find hard with nothing to help
    it. Nothing when the list cannot be read (the form says why when it is sent)."""
    try:
        known = history.teacher_named(store, teacher) if teacher.strip() else None
    except RehearseError:  # a teacher new here: nothing learnt yet
        known = None
    teacher = known["name"] if known else " ".join(teacher.split())
    try:
        roster = parse_roster(class_lines(roster_text[:MAX_ROSTER_CHARS]))
    except RehearseError:
        return {"teacher": teacher, "learnt": [], "hard": []}
    roster = learnt.roster_for(store, known and known["id"], roster)
    count = token_counter(scorer)
    return {"teacher": teacher, "learnt": [p.name for p in roster if p.learnt],
            "hard": [p.name for p in roster if count and hard_to_hear(p, count)]}


def roster_view(store: Store, teacher_id: int, lines: Iterable[str]) -> list[dict[str, Any]]:
    """A session's class as set (each line as typed, with how the name sounds), each marked when the
    app has learnt how the teacher says it."""
    lines = list(lines)
    known = {pupil.casefold() for pupil in learnt.learnt_for(store, teacher_id)}
    try:
        names = [p.name for p in parse_roster(lines)] if lines else []
    except RehearseError:  # a list kept from elsewhere that no longer reads: shown as it is
        names = [""] * len(lines)
    return [{"line": line, "learnt": name.casefold() in known} for line, name in zip(lines, names)]


def learnt_view(store: Store, teacher_id: int) -> list[dict[str, Any]]:
    """What the app has learnt of a teacher, for their page: each name with where to play it and
    where to forget it."""
    return [row | {"audio_url": url_for("names.piece", teacher_id=teacher_id, learnt_id=row["id"]),
                   "forget_url": url_for("names.forget_one", teacher_id=teacher_id, learnt_id=row["id"])}
            for row in learnt.learnt_list(store, teacher_id)]


@bp.post("/class-names")
def class_names():
    """The start page's notes on its class list (start.js): a piece of the page, not a page."""
    store, scorer = context.store(), context.scorer()
    return render_template("class_names.html",
                           notes=class_notes(store, scorer, request.form.get("teacher", ""),
                                             request.form.get("roster", "")))


@bp.get("/teachers/<int:teacher_id>/names/<int:learnt_id>/audio")
def piece(teacher_id: int, learnt_id: int):
    """One learnt name's piece of the teacher's recording, as a WAV (16 kHz 16-bit mono)."""
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    sound = learnt.learnt_piece(store, teacher_id, learnt_id)
    if sound is None:
        abort(404, description=f"nothing learnt of {teacher.name}'s has the number {learnt_id}; "
                               "it may have been forgotten")
    return send_file(io.BytesIO(wav_header(len(sound.pcm)) + sound.pcm), mimetype="audio/wav",
                     download_name=f"learnt-name-{learnt_id}.wav", conditional=True)


@bp.post("/teachers/<int:teacher_id>/names/<int:learnt_id>/forget")
def forget_one(teacher_id: int, learnt_id: int):
    store = context.store()
    teacher = teacher_or_404(teacher_id)
    if not learnt.forget(store, teacher_id, learnt_id=learnt_id):
        abort(404, description=f"nothing learnt of {teacher.name}'s has the number {learnt_id}; "
                               "it may have been forgotten already")
    return _forgotten(teacher_id, 1)


@bp.post("/teachers/<int:teacher_id>/names/forget")
def forget_all(teacher_id: int):
    store = context.store()
    teacher_or_404(teacher_id)
    return _forgotten(teacher_id, learnt.forget(store, teacher_id))


def _forgotten(teacher_id: int, count: int):
    # Only the count travels in the address (the browser keeps it in its history), no pupil's name.
    return redirect(url_for("review.teacher_page", teacher_id=teacher_id, forgot=count, _anchor="names"))

