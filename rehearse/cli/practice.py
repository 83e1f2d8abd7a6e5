"""`rehearse practice`: rehearse an action step alone, in the terminal, with the laptop's microphone.

The action step is shown (goal, strategy, success criteria, prompt). Each rep starts with Enter and
stops with Enter, or by itself once a pupil has been named after the wait and the teacher has
fallen quiet (`LiveRep.finished_by_itself`). While recording, one line shows the wait-time
counter against the target. After each rep come the verdicts with their evidence; if the app did
not hear clearly whom the teacher named, one question, who? (kept as the coach's one tap is, and
teaching the app how this teacher says the name, which the next reps are scored with); then "again
or quit". At the end, the reps, whether the step became accurate and fluent, and where they are kept.

Reps are stored exactly as the web app stores them (the same tables, the same WAV layout, written as
the audio arrives) in a session marked 'solo', so the coach sees them in the history. Whatever goes
wrong, the reps already recorded stay on disk and in the history; a microphone that fails says so in
one line (MicrophoneError) after the session is closed.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from ..capture.cue import CueState
from ..capture.live import MAX_ATTEMPT_S, LiveRep
from ..capture.microphone import NO_AUDIO_S, InputDevice, Microphone, MicrophoneError, SilenceWatch
from ..coaching.progress import progress_of
from ..errors import RehearseError
from ..scoring.pipeline import Scorer
from ..scoring.name_sounds import parse_roster, roster_entries
from ..scoring.steps import ActionStep, check_all, offered_step
from ..store import learnt
from ..reps.scoring import keep_result, mark_named
from ..store.database import Store, checked_name
from .names import read_choice, who_question
from .report import evidence_lines, verdict_line
from .terminal import clear_line

WARM_UP_REPS = 3
REDRAW_S = 0.1  # the cue line is redrawn at most this often
BAR_CELLS = 10


@dataclass
class Plan:
    """What to practise: who, which action step with which class list, how many reps."""

    teacher: str
    step: ActionStep
    roster_lines: list[str]
    reps: int
    warm_up: bool = False


class Keys:
    """Lines typed at the terminal, read by a background thread so that recording never waits for
    the keyboard. None stands for the end of input (Ctrl+D, or a closed pipe)."""

    def __init__(self, stream: TextIO):
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True, name="rehearse-keys").start()

    def _read(self, stream: TextIO) -> None:
        for line in stream:
            self._lines.put(line.strip())
        self._lines.put(None)

    def ask(self, prompt: str, out: TextIO) -> str | None:
        """Show `prompt`, forget keys pressed before it (during scoring, say), wait for a line."""
        while True:
            try:
                if self._lines.get_nowait() is None:
                    return None
            except queue.Empty:
                break
        out.write(prompt)
        out.flush()
        return self._lines.get()

    def pressed(self) -> bool:
        """Was Enter pressed (or input closed) since the last look?"""
        try:
            self._lines.get_nowait()
        except queue.Empty:
            return False
        return True


def cue_text(state: CueState | None, target_s: float | None, elapsed_s: float) -> str:
    """The one live line while a rep is recorded: the time, and once the question has ended, the
    wait so far against the target (a bar that fills at the target)."""
    head = f"● rec {elapsed_s:4.1f} s"
    if state is None or target_s is None or state.state == "listening":
        return f"{head} · Enter to stop"
    if state.state == "waiting":
        filled = min(BAR_CELLS, int(state.wait_s / target_s * BAR_CELLS)) if target_s else BAR_CELLS
        bar = "▮" * filled + "▯" * (BAR_CELLS - filled)
        tail = "  ✓ now name a pupil" if state.reached else ""
        return f"{head} · wait {state.wait_s:4.1f} s of {target_s:g} s {bar}{tail}"
    kept = "✓ target reached" if state.reached else f"✗ under the {target_s:g} s target"
    return f"{head} · you waited {state.wait_s:.1f} s {kept} · Enter to stop"


class CueLine:
    """Shows the cue on one terminal line, redrawn in place; where output is not a terminal, one
    line per change of state instead."""

    def __init__(self, out: TextIO):
        self.out = out
        self.tty = out.isatty()
        self._shown = ""
        self._kind = ""
        self._at = 0.0

    def show(self, text: str, kind: str) -> None:
        now = time.monotonic()
        if self.tty:
            if text != self._shown and (now - self._at >= REDRAW_S or kind != self._kind):
                clear_line(self.out)
                self.out.write(text)
                self.out.flush()
                self._shown, self._at = text, now
        elif kind != self._kind:
            self.out.write(text + "\n")
            self.out.flush()
        self._kind = kind

    def end(self) -> None:
        if self.tty and self._shown:
            self.out.write("\n")
            self.out.flush()


def step_card(plan: Plan) -> str:
    """The action step as the teacher reads it before practising (shorter for a warm-up)."""
    s = plan.step
    lines = [f"{s.title}  ({s.id})" + ("  — warm-up" if plan.warm_up else "")]
    if not plan.warm_up:
        lines += [f"  Goal:     {s.goal}", f"  Strategy: {s.strategy}"]
    lines.append("  Success criteria:")
    lines += [f"    - {c.description}" for c in s.criteria]
    if not plan.warm_up:
        lines.append(f"  Prompt:   {s.prompt}")
    if plan.roster_lines:
        lines.append(f"  Class:    {', '.join(plan.roster_lines)}")
    return "\n".join(lines)


def make_plan(store: Store, keys: Keys, out: TextIO, step_id: str | None, teacher: str | None,
              reps: int | None, roster: str | None, warm_up: bool) -> Plan:
    """Decide who practises what: named on the command line, else asked, else where they left off."""
    teacher = checked_name(teacher or ask_teacher(store, keys, out))
    last = store.last_session(teacher)
    if warm_up:
        if step_id is None and last is None:
            raise RehearseError(f"{teacher} has no action step to warm up on yet; name one: "
                                "rehearse practice pose-pause-name (rehearse steps lists them)")
        step_id = step_id or last.step_id
    elif step_id is None:
        step_id = last.step_id if last else ask_step(store, keys, out)
    step = offered_step(step_id, store.instance)
    if roster is not None:
        roster_lines = roster_entries(roster)
    else:  # the class list of their last session on this step (the coach may have set it), else the file's
        previous = store.last_session(teacher, step.id)
        roster_lines = list(previous.roster) if previous and previous.roster else [p.name for p in step.roster]
    parse_roster(roster_lines)  # a bad class list: one line now, not at the first rep
    reps = WARM_UP_REPS if warm_up and reps is None else (reps or 5)
    if not 1 <= reps <= 50:
        raise RehearseError(f"--reps {reps} is out of range; choose 1 to 50")
    return Plan(teacher, step, roster_lines, reps, warm_up)


def ask_teacher(store: Store, keys: Keys, out: TextIO) -> str:
    recent = store.recent_sessions(1)
    default = recent[0].teacher if recent else ""
    answer = keys.ask(f"Who is practising?{f' [{default}]' if default else ''} ", out)
    name = (answer or "").strip() or default
    if not name:
        raise RehearseError("who is practising? give your name with --teacher NAME")
    return name


def ask_step(store: Store, keys: Keys, out: TextIO) -> str:
    steps = [s for s in check_all(store.instance)[0] if not s.archived]
    out.write("Which action step?\n" + "".join(f"  {i}. {s.title}  ({s.id})\n"
                                               for i, s in enumerate(steps, 1)))
    answer = (keys.ask("Number: ", out) or "").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(steps):
        return steps[int(answer) - 1].id
    raise RehearseError(f"no action step {answer!r} in the list; name one: rehearse practice "
                        "pose-pause-name (rehearse steps lists them)")


def practise(store: Store, scorer: Scorer, device: InputDevice, plan: Plan, keys: Keys, out: TextIO) -> int:
    """Run the session; return the exit status. A MicrophoneError closes the session, then is raised."""
    out.write("\n" + step_card(plan) + "\n\n")
    out.write(f"Microphone: {device.name}.  Loading the speech model…")
    out.flush()
    scorer.warm_up()
    out.write(" ready.\n")
    session_id = store.start_session(plan.teacher, plan.step.id, plan.step.title, plan.roster_lines,
                                     plan.reps, mode="solo")
    teacher_id = store.session(session_id).teacher_id
    status = 0
    try:
        for rep in range(1, plan.reps + 1):
            first = "Press Enter to start, speak, press Enter to stop" if rep == 1 else "Again? Enter to start"
            answer = keys.ask(f"\nRep {rep} of {plan.reps}. {first} (q to quit): ", out)
            if answer is None or answer.lower() in ("q", "quit"):
                break
            # with how this teacher says the names, as learnt up to now (this session's reps too)
            roster = learnt.roster_for(store, teacher_id, parse_roster(plan.roster_lines))
            record_and_score(store, scorer, device, session_id, plan.step, roster, keys, out)
    except KeyboardInterrupt:
        out.write("\nStopped.\n")
        status = 130
    finally:
        summary(store, session_id, out)
    return status


def record_and_score(store: Store, scorer: Scorer, device: InputDevice, session_id: int,
                     step: ActionStep, roster, keys: Keys, out: TextIO) -> None:
    rep = store.new_rep(session_id, "live")
    live = LiveRep(scorer, step, store.audio_file(rep), roster)
    try:
        how = record(device, live, keys, CueLine(out))
    except (MicrophoneError, KeyboardInterrupt) as exc:
        live.close()
        why = str(exc) if isinstance(exc, MicrophoneError) else "stopped with Ctrl+C"
        store.save_failure(rep.id, f"{why}; the recording up to then is kept ({live.duration_s:.1f} s)",
                           live.duration_s)
        raise
    if how == "auto":
        out.write(f"Stopped by itself: {live.named_pupil()} was named and you have finished.\n")
    elif how == "limit":
        out.write(f"Stopped at the {MAX_ATTEMPT_S} s limit of a rep.\n")
    out.write("Scoring…")
    out.flush()
    try:
        result = live.finish()
    except RehearseError as exc:
        store.save_failure(rep.id, str(exc), live.duration_s)
        out.write(f"\rRep {rep.number} not scored: {exc}\n")
        return
    except Exception as exc:  # noqa: BLE001 - keep the rep and say so; the next rep may work
        message = f"scoring failed ({type(exc).__name__}: {exc}); the recording is kept: score it again"
        store.save_failure(rep.id, message, live.duration_s)
        out.write(f"\rRep {rep.number} not scored: {message}\n")
        return
    keep_result(store, rep.id, result)
    out.write(f"\rRep {rep.number}: {verdict_line(result)}\n" + "\n".join(evidence_lines(result)) + "\n")
    ask_who_was_named(store, rep.id, result.to_dict(), [p.name for p in roster], keys, out)


def ask_who_was_named(store: Store, rep_id: int, result: dict, roster: list[str], keys: Keys, out: TextIO) -> None:
    """After a rep whose pupil the app did not hear clearly (or heard none of after the wait), ask who
    was named (names.who_question) and keep the answer as the coach's one tap does: a pupil is the
    mark on names_pupil, and the app learns how this teacher says the name (scoring.mark_named);
    no one overrules an unclear name; Enter skips."""
    asked = who_question(result, roster)
    if asked is None:
        return
    prompt, offered = asked
    try:
        pupil = read_choice(keys.ask(prompt, out), offered, roster)
    except RehearseError as exc:
        out.write(f"{exc}; skipped (the coach can still say who on the rep's page).\n")
        return
    if pupil == "":
        if next(c["passed"] for c in result["criteria"] if c["id"] == "names_pupil"):
            store.mark(rep_id, "names_pupil", False)
        out.write("Noted: no pupil was named.\n")
    elif pupil is not None:
        try:
            taught = mark_named(store, rep_id, pupil)
        except RehearseError as exc:  # its recording unreadable: the answer is kept, nothing learnt
            out.write(f"Noted: you named {pupil}; nothing learnt from this rep ({exc}).\n")
            return
        out.write(f"Noted: you named {pupil}." + (f' From now on the app listens for {pupil} the way you say it '
                                                  f'(heard "{taught["heard"]}").' if taught else "") + "\n")


def record(device: InputDevice, live: LiveRep, keys: Keys, line: CueLine) -> str:
    """Record until Enter ("enter"), the teacher has finished ("auto"), or the length limit
    ("limit"). MicrophoneError if the device goes quiet for good or stops sending audio."""
    band = live.step.wait_band
    target = band[0] if band else None
    watch = SilenceWatch()
    with Microphone(device) as mic:
        last_audio = time.monotonic()
        while True:
            block = mic.read(timeout=REDRAW_S)
            if block is None and time.monotonic() - last_audio > NO_AUDIO_S:
                raise MicrophoneError(f"'{device.name}' stopped sending audio; check the cable or "
                                      "choose another with --device (rehearse devices lists them)")
            while block is not None:  # everything that has arrived, then look at the cue once
                last_audio = time.monotonic()
                live.add(block)
                watch.feed(block)
                block = mic.read(timeout=0)
            if watch.silent_device:
                raise MicrophoneError(
                    f"'{device.name}' delivers only silence: it is muted, unplugged or not the "
                    "microphone; unmute it in the system's sound settings, or choose another with "
                    "--device (rehearse devices lists them)")
            state = live.cue.state if live.shows_cue else None
            line.show(cue_text(state, target, live.duration_s), state.state if state else "listening")
            if keys.pressed():
                how = "enter"
            elif live.finished_by_itself():
                how = "auto"
            elif live.duration_s >= MAX_ATTEMPT_S:
                how = "limit"
            else:
                continue
            line.end()
            return how


def summary(store: Store, session_id: int, out: TextIO) -> None:
    """Close the session and say what it came to and where it is kept."""
    session = store.session(session_id)
    reps = store.reps(session_id)
    progress = progress_of(reps, session.fluent_after)
    store.finish_session(session_id, progress)
    n = len(reps)
    out.write(f"\n{n} rep{'s' if n != 1 else ''}, {progress['scored']} scored, "
              f"{progress['passed']} met every criterion.\n")
    if progress["accurate_at"]:
        out.write(f"Accurate since rep {progress['accurate_at']}.\n")
    elif progress["scored"]:
        out.write("Accurate: not yet (a rep that meets every criterion makes it accurate).\n")
    if progress["fluent_at"]:
        out.write(f"Fluent since rep {progress['fluent_at']}.\n")
    elif progress["accurate_at"]:
        out.write(f"Fluent: not yet ({progress['fluent_after']} reps in a row that meet every criterion "
                  "without hesitating, with steady waits).\n")
    if n:
        folder = store.audio_file(reps[0]).parent
        out.write(f"Kept as a solo session of {session.teacher} in {store.path.parent}; "
                  f"recordings in {folder}. The coach sees it under History.\n")
    out.flush()
