"""`rehearse names`: the pupils' names the app has learnt, the way each teacher says them, and the
question `rehearse practice` asks after a rep whose pupil it did not hear clearly.

The speech model mishears unusual names; once told who was named in a rep, the app keeps that rep's
name piece as how this teacher says this pupil's name and scores the teacher's next reps with it
(store/learnt.py). `names learn FILE` learns one from a recording made for it (a rep: question, wait,
name), `names list` shows what was learnt of a teacher and from which rep, `names forget` forgets it
(the pieces of voice are deleted from the files). Bad input is one line and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any, Mapping, Sequence

from ..errors import RehearseError
from .common import instance_folder, make_scorer, open_store

MAX_KEYS = 9  # pupils offered by number in practice's question: one key each


def names(args: argparse.Namespace) -> int:
    if args.names_command == "learn":
        return learn(args)
    if args.names_command == "list":
        return list_learnt(args)
    return forget(args)


def learn(args: argparse.Namespace) -> int:
    """Score FILE against the step (with what the teacher's reps taught so far), cut the name piece
    after the wait and keep it for the teacher and pupil; the teacher is added if new."""
    from ..capture.live import MAX_ATTEMPT_S
    from ..scoring.audio import load_audio
    from ..scoring.name_learning import learnt_sound
    from ..scoring.name_sounds import parse_roster
    from ..scoring.steps import get_step
    from ..store import learnt
    from ..reps import open_store
    from ..store.database import checked_name
    from ..store.history import teacher_named

    folder = instance_folder(args.instance)
    step = get_step(args.step, folder)
    roster = parse_roster(args.roster) if args.roster is not None else list(step.roster)
    pupil = learnt.on_roster([p.name for p in roster], args.pupil)
    if pupil is None:
        raise RehearseError(f"{args.pupil!r} is not on the class list ({', '.join(p.name for p in roster) or 'empty'}); "
                            "give --roster with their name")
    if not args.teacher.strip():
        raise RehearseError("--teacher is empty; give the name of the teacher speaking")
    teacher = checked_name(args.teacher, "--teacher")
    store = open_store(folder) if (folder / "rehearse.sqlite").is_file() else None  # made only to keep what is learnt
    try:
        known = teacher_named(store, teacher)["id"] if store else None
    except RehearseError:  # a teacher new here: added once there is something to keep
        known = None
    scorer = make_scorer(args, max_file_s=MAX_ATTEMPT_S)
    audio = load_audio(args.file, MAX_ATTEMPT_S)
    result = scorer.score(audio, step, learnt.roster_for(store, known, roster), name=args.file)
    sound = learnt_sound(audio, result.to_dict(), next(p for p in roster if p.name == pupil))
    if sound is None:
        raise RehearseError(f"{args.file}: nothing was said after the question, so there is no name to learn; "
                            "record the question, the wait, then the pupil's name, as in a rep")
    store = store or open_store(folder)
    learnt.learn(store, known or store.add_teacher(teacher), pupil, sound, source="file")
    heard = f'heard "{sound.heard}"' if sound.heard else "no words written"
    print(f"rehearse: learnt how {teacher} says {pupil} ({heard}, {len(sound.pcm) / learnt.BYTES_PER_S:.1f} s of "
          f"{args.file}); {teacher}'s reps are scored with it from now on" + ("" if known else f" ({teacher} is new here)"))
    return 0


def list_learnt(args: argparse.Namespace) -> int:
    from ..store import learnt
    from ..store.history import teacher_named

    store = open_store(args.instance)
    teacher = teacher_named(store, args.teacher)
    rows = learnt.learnt_list(store, teacher["id"])
    if not rows:
        print(f"{teacher['name']}: no names learnt yet (they are learnt when the coach says who was named "
              "in a rep the app did not hear clearly, or with `rehearse names learn`)")
    for row in rows:
        print(learnt_line(row))
    return 0


def learnt_line(row: Mapping[str, Any]) -> str:
    """One learnt name as a person reads it: "Caoimhe — heard 'Kida', learnt from session 4 rep 3 on 7 Dec 2026"."""
    from ..web.figures import local_text

    heard = f"heard '{row['heard']}'" if row["heard"] else "no words written"
    if row["source"] == "file":
        origin = "a recording made for it"
    elif row["rep"] is not None:
        origin = f"session {row['session_id']} rep {row['rep']}"
    else:
        origin = "a rep no longer kept"
    return f"{row['pupil']} — {heard}, learnt from {origin} on {local_text(row['learnt_at'], 'date')}"


def forget(args: argparse.Namespace) -> int:
    from ..store import learnt
    from ..store.history import teacher_named

    store = open_store(args.instance)
    teacher = teacher_named(store, args.teacher)
    count = learnt.forget(store, teacher["id"], args.pupil)
    if args.pupil is not None and not count:
        pupils = sorted({r["pupil"] for r in learnt.learnt_list(store, teacher["id"])})
        raise RehearseError(f"nothing learnt of how {teacher['name']} says {args.pupil!r}; learnt: "
                            f"{', '.join(pupils) or 'nothing yet'}")
    pieces = f"{count} piece{'s' if count != 1 else ''} of recording deleted"
    if args.pupil is not None:
        print(f"rehearse: forgot how {teacher['name']} says {args.pupil} ({pieces})")
    else:
        print(f"rehearse: forgot every name learnt of {teacher['name']} ({pieces})" if count
              else f"rehearse: nothing learnt of {teacher['name']} to forget")
    return 0


# `rehearse practice`: who was named, when the app did not hear clearly ---------------------------

def who_question(result: Mapping[str, Any], roster: Sequence[str]) -> tuple[str, list[str]] | None:
    """What practice asks after a scored rep whose pupil was unclear, or of whom none was heard after
    the wait (its verdict says so): the prompt and the pupils offered, one key each (the likeliest
    first, then the class in order, at most MAX_KEYS). None when there is nothing to ask: the name
    was heard, the step names no pupil, or nothing was said after the question."""
    from ..scoring.name_learning import name_piece

    verdicts = {c["id"]: c["passed"] for c in result.get("criteria", [])}
    likely = result["metrics"].get("name_unclear_likely") or []
    if "names_pupil" not in verdicts or (verdicts["names_pupil"] and not likely) or name_piece(result) is None:
        return None
    offered = list(dict.fromkeys([p for p in likely if p in roster] + list(roster)))[:MAX_KEYS]
    keys = "  ".join(f"{i} {pupil}" for i, pupil in enumerate(offered, 1))
    more = ", or type the name" if len(roster) > len(offered) else ""
    return f"Who did you name? {keys}  0 no one  (Enter: skip{more}) ", offered


def read_choice(answer: str | None, offered: Sequence[str], roster: Sequence[str]) -> str | None:
    """The answer to who_question: a pupil of the class, "" for no one, None to skip (Enter, end of
    input). RehearseError for anything else."""
    answer = " ".join((answer or "").split())
    if not answer:
        return None
    if answer == "0":
        return ""
    if answer.isdigit() and 1 <= int(answer) <= len(offered):
        return offered[int(answer) - 1]
    from ..store.learnt import on_roster

    named = on_roster(roster, answer)
    if named is None:
        raise RehearseError(f"{answer[:40]!r} is not one of the numbers, nor a name in the class")
    return named
