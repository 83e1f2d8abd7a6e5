"""What the CLI prints goes through here: no raw control character reaches the terminal.

Names, comments and step titles are typed by people (and some were kept before typed text had a
rule, typed_text.py); printed raw, an ESC in one would drive the terminal (colours, a cleared
screen, a changed window title), a BEL ring it, and a right-to-left override left open reverse the
rest of the line. `Guarded` wraps stdout and stderr for the whole command: every control character
but tab and line breaks is shown as "�", and the bidirectional controls are left out
(typed_text.for_terminal). The CLI's own control sequence — the live cue line's "clear the line" —
is written past the guard with `clear_line`, and only there.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, TextIO

from ..typed_text import for_terminal

CLEAR_LINE = "\r\x1b[K"  # back to the line's start, and clear it (the live cue line)


class Guarded:
    """A text stream whose `write` prints text without control characters (for_terminal); anything
    else (flush, isatty, fileno, buffer, encoding) is the stream's own."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(for_terminal(text))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def clear_line(out: TextIO) -> None:
    """Back to the start of the terminal's line, and clear it: the one control sequence the CLI
    writes itself, past the guard."""
    (out.stream if isinstance(out, Guarded) else out).write(CLEAR_LINE)


@contextmanager
def guarded_output() -> Iterator[None]:
    """stdout and stderr guarded for the duration of a command, then as they were."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Guarded(sys.stdout), Guarded(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
