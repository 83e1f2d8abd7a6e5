"""How each teacher says their pupils' names, learnt from their own reps: the learnt_names table.

The speech model mishears unusual names ("Kida" for Caoimhe), and each teacher says a name their
own way. When the coach says in one tap who was named in a rep the app got unclear or wrong
(reps.scoring.mark_named; `rehearse practice` asks the teacher), that rep's name piece (its stretch of
the recording and what Whisper wrote there, scoring/name_learning.py) is kept here as how *this* teacher
says *this* pupil's name; `rehearse names learn` keeps one from a recording made for it. Every later
rep of that teacher is scored with them (`roster_for`: reps.scoring.score_stored, `rehearse practice`,
`rehearse score --teacher`), and no other teacher's is. Only the KEEP latest per pupil are kept, so
a teacher's changing pronunciation wins. Learning never changes a result already stored: only reps
scored afterwards hear with it.

The pieces are the teacher's voice, kept as carefully as the recordings: deleted with the teacher
(ON DELETE CASCADE; secure_delete overwrites the rows), forgotten on request (`forget`, which also
empties the write-ahead log), and carried by archives, merged by their uid (`merge`, after
ARCHIVE_CHECKS) like comments and taps.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from ..errors import RehearseError
from ..scoring.audio import SAMPLE_RATE
from ..scoring.name_learning import MAX_PIECE_S
from ..scoring.name_sounds import LearntSound, Pupil, with_learnt
from .database import Store, new_uid

KEEP = 3  # learnt names kept per teacher and pupil: the latest
SOURCES = ("rep", "file")  # a rep the coach (or the teacher, practising) said who was named in; a file made for it
BYTES_PER_S = 2 * SAMPLE_RATE  # 16-bit mono PCM
MAX_AUDIO_BYTES = int((MAX_PIECE_S + 0.01) * BYTES_PER_S)  # a piece's end is rounded to the millisecond
MAX_TEXT = 200  # characters of a pupil's name or of what was heard


def learnt_time() -> str:
    """When a name was learnt, to the millisecond: the latest KEEP win, and two may come within a second."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def learn(store: Store, teacher_id: int, pupil: str, sound: LearntSound, attempt_uid: str | None = None,
          source: str = "rep") -> int:
    """Keep `sound` as how the teacher says `pupil` (the roster's spelling); return its id. A rep
    teaches one name (the coach's latest word on it): what `attempt_uid` taught before is replaced.
    Older pieces of the same pupil beyond the KEEP latest are deleted."""
    pupil, heard = " ".join(str(pupil).split()), " ".join(sound.heard.split())[:MAX_TEXT]
    if not pupil or len(pupil) > MAX_TEXT:
        raise RehearseError(f"a learnt name needs the pupil's name (1 to {MAX_TEXT} characters)")
    if source not in SOURCES:
        raise RehearseError(f"a learnt name comes from {' or '.join(SOURCES)}, not {source!r}")
    if not sound.pcm or len(sound.pcm) % 2 or len(sound.pcm) > MAX_AUDIO_BYTES:
        raise RehearseError(f"a learnt name's piece is 16-bit audio of at most {MAX_PIECE_S:g} s "
                            f"({len(sound.pcm)} bytes given)")
    with store.connect() as db:
        if attempt_uid is not None:
            db.execute("DELETE FROM learnt_names WHERE attempt_uid = ?", (attempt_uid,))
        cur = db.execute(
            "INSERT INTO learnt_names(uid, teacher_id, pupil, heard, audio, attempt_uid, source, learnt_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (new_uid(), teacher_id, pupil, heard, sound.pcm, attempt_uid, source, learnt_time()))
        _keep_latest(db, teacher_id, pupil)
        return int(cur.lastrowid)


def _keep_latest(db: sqlite3.Connection, teacher_id: int, pupil: str) -> None:
    db.execute("DELETE FROM learnt_names WHERE teacher_id = ? AND pupil = ? COLLATE NOCASE AND id NOT IN"
               " (SELECT id FROM learnt_names WHERE teacher_id = ? AND pupil = ? COLLATE NOCASE"
               "  ORDER BY learnt_at DESC, id DESC LIMIT ?)", (teacher_id, pupil, teacher_id, pupil, KEEP))


def on_roster(names: Iterable[str], pupil: str) -> str | None:
    """`pupil` as the class list `names` spells it (matched in any case, spaces evened), or None."""
    wanted = " ".join(pupil.split()).casefold()
    return next((name for name in names if name.casefold() == wanted), None)


def learnt_for(store: Store, teacher_id: int, besides: str | None = None) -> dict[str, list[LearntSound]]:
    """What scoring needs of one teacher: pupil -> how they say the name, latest first (at most KEEP).
    `besides`: a rep's uid, whose own piece is left out (scored again, it would hear what it was told)."""
    spelt: dict[str, str] = {}  # a pupil's name, any case -> the spelling learnt last
    out: dict[str, list[LearntSound]] = {}
    for row in store.query_all("SELECT pupil, heard, audio FROM learnt_names WHERE teacher_id = ? AND (? IS NULL"
                               " OR attempt_uid IS NOT ?) ORDER BY learnt_at DESC, id DESC", teacher_id, besides, besides):
        sounds = out.setdefault(spelt.setdefault(row["pupil"].casefold(), row["pupil"]), [])
        if len(sounds) < KEEP:
            sounds.append(LearntSound(row["heard"], bytes(row["audio"])))
    return out


def roster_for(store: Store, teacher_id: int | None, roster: Sequence[Pupil],
               besides: str | None = None) -> list[Pupil]:
    """The roster as this teacher's reps are scored: each pupil with how the teacher says their name
    (learnt_for; matched to the roster's spelling in any case). No teacher: the roster as it is.
    `besides`: the uid of the rep being scored, which is never scored with what it taught itself."""
    if teacher_id is None:
        return list(roster)
    learnt = {pupil.casefold(): sounds for pupil, sounds in learnt_for(store, teacher_id, besides).items()}
    return with_learnt(roster, {p.name: learnt.get(p.name.casefold(), []) for p in roster})


def learnt_list(store: Store, teacher_id: int) -> list[dict[str, Any]]:
    """What the app has learnt of one teacher, for a person to read: per pupil (in name order) the
    latest first, each with what was heard, its length, and the rep it came from (`attempt_id`,
    `session_id`, `rep`: None when it came from a file, or the rep is no longer kept)."""
    rows = store.query_all(
        "SELECT l.id, l.uid, l.pupil, l.heard, l.source, l.learnt_at, length(l.audio) AS audio_bytes,"
        " a.id AS attempt_id, a.session_id, a.rep, a.created_at AS rep_at FROM learnt_names l"
        " LEFT JOIN attempts a ON a.uid = l.attempt_uid WHERE l.teacher_id = ?"
        " ORDER BY l.pupil COLLATE NOCASE, l.learnt_at DESC, l.id DESC", teacher_id)
    return [dict(r) | {"seconds": round(r["audio_bytes"] / BYTES_PER_S, 2)} for r in rows]


def taught_by(store: Store, attempt_uid: str) -> dict[str, Any] | None:
    """What one rep taught, while it is kept (the coach's latest word on who was named in it): its
    id, the pupil, what was heard and the teacher's name; None if it taught nothing kept."""
    row = store.query_one("SELECT l.id, l.pupil, l.heard, t.name AS teacher FROM learnt_names l"
                          " JOIN teachers t ON t.id = l.teacher_id WHERE l.attempt_uid = ?", attempt_uid)
    return None if row is None else dict(row)


def learnt_piece(store: Store, teacher_id: int, learnt_id: int) -> LearntSound | None:
    """One learnt name of a teacher, with its piece of recording (to play it back); None if the
    teacher has no such learnt name."""
    row = store.query_one("SELECT heard, audio FROM learnt_names WHERE id = ? AND teacher_id = ?", learnt_id, teacher_id)
    return None if row is None else LearntSound(row["heard"], bytes(row["audio"]))


def forget(store: Store, teacher_id: int, pupil: str | None = None, learnt_id: int | None = None) -> int:
    """Forget what was learnt of a teacher: everything, one pupil's (any case), or one learnt name.
    The rows are overwritten and the write-ahead log emptied, so the pieces of voice are gone from
    the files. Returns how many were forgotten."""
    with store.connect() as db:
        count = db.execute(
            "DELETE FROM learnt_names WHERE teacher_id = ? AND (? IS NULL OR pupil = ? COLLATE NOCASE)"
            " AND (? IS NULL OR id = ?)", (teacher_id, pupil, pupil, learnt_id, learnt_id)).rowcount
    if count:
        store.empty_log()
    return count


def forget_rep(store: Store, attempt_uid: str) -> int:
    """Forget what one rep taught (the coach undid or changed their word on who was named)."""
    with store.connect() as db:
        count = db.execute("DELETE FROM learnt_names WHERE attempt_uid = ?", (attempt_uid,)).rowcount
    if count:
        store.empty_log()
    return count


# An archive's learnt names, checked before its merge (archive.ROW_CHECKS): each finds the first that
# is wrong, so that what comes in holds to what `learn` keeps.
ARCHIVE_CHECKS = [
    ("SELECT l.id FROM learnt_names l LEFT JOIN teachers t ON t.id = l.teacher_id WHERE t.id IS NULL",
     "learnt name {} has no teacher in the archive"),
    ("SELECT id FROM learnt_names WHERE typeof(uid) != 'text' OR typeof(learnt_at) != 'text'"
     " OR (attempt_uid IS NOT NULL AND typeof(attempt_uid) != 'text')"
     f" OR source NOT IN ({', '.join(repr(s) for s in SOURCES)})",
     "learnt name {} has no unique id, date or source"),
    (f"SELECT id FROM learnt_names WHERE typeof(pupil) != 'text' OR trim(pupil) = '' OR length(pupil) > {MAX_TEXT}"
     f" OR typeof(heard) != 'text' OR length(heard) > {MAX_TEXT}",
     f"learnt name {{}}'s pupil or what was heard is not text of at most {MAX_TEXT} characters"),
    (f"SELECT id FROM learnt_names WHERE typeof(audio) != 'blob' OR length(audio) = 0 OR length(audio) % 2"
     f" OR length(audio) > {MAX_AUDIO_BYTES}", f"learnt name {{}}'s audio is not 16-bit audio of at most "
     f"{MAX_PIECE_S:g} s"),
]


def merge(db: sqlite3.Connection, learnt: Iterable[Mapping[str, Any]], teacher_ids: Mapping[int, int]) -> int:
    """An archive's learnt names, into the importing store's transaction `db`, each for its teacher
    here (`teacher_ids`: the archive's id -> this store's): added unless here already (by uid); then,
    as `learn` keeps them, one per rep (the latest: the coach's word changed on one laptop) and the
    KEEP latest per teacher and pupil. Returns how many were added (and kept)."""
    before = {r[0] for r in db.execute("SELECT uid FROM learnt_names")}
    pupils, reps = set(), set()
    for row in learnt:
        teacher_id = teacher_ids[row["teacher_id"]]
        db.execute("INSERT OR IGNORE INTO learnt_names(uid, teacher_id, pupil, heard, audio, attempt_uid, source,"
                   " learnt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (row["uid"], teacher_id, row["pupil"], row["heard"], row["audio"], row["attempt_uid"],
                    row["source"], row["learnt_at"]))
        pupils.add((teacher_id, row["pupil"]))
        reps.add(row["attempt_uid"])
    for attempt_uid in reps - {None}:
        db.execute("DELETE FROM learnt_names WHERE attempt_uid = ? AND id != (SELECT id FROM learnt_names"
                   " WHERE attempt_uid = ? ORDER BY learnt_at DESC, id DESC LIMIT 1)", (attempt_uid, attempt_uid))
    for teacher_id, pupil in pupils:
        _keep_latest(db, teacher_id, pupil)
    return len({r[0] for r in db.execute("SELECT uid FROM learnt_names")} - before)
