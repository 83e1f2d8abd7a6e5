"""The one rule for text a person types, and how such text is shown inside the app's own.

Every field a person types — a teacher's name, a class list's pupils, a comment on a recording, an
overrule's note, the coach's note at a meeting's end, a step's fields — is checked here, whoever
asks (the web, the CLI, a test): it may hold no control character (NUL, ESC, BEL…: invisible,
and raw on a terminal; tab and line breaks excepted, which forms turn into spaces and lines) and no
half of a surrogate pair, and it may not be only invisible characters (zero-width spaces, joiners,
direction marks), which would be kept as "something" that nobody can see, read or type again.

A person's name is also normalised (NFC, one space between words), and two names are one person's
when they differ only by case (any script: "ÉVA" is "éva"), by the form of their accents (NFC or
NFD "Zoë") or by invisible characters ("Tom" and "Tom" with a zero-width space): `name_key`.

Typed text put inside the app's own sentences is isolated (`isolated`; the web's `bdi` filter), so
that a right-to-left override left open in it cannot reverse the app's words after it; and what goes
to a terminal or a CSV has its control characters replaced (`printable`), never printed raw.

This module imports nothing of the app (it says what is wrong; its callers raise): the engine, the
store, coaching, the web and the CLI all use it.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 100  # characters in a teacher's name
SHOWN_CONTROL = "\ufffd"  # what a control character is shown as: the replacement character, "�"
# The bidirectional controls that open or close an embedding, override or isolate (not the marks
# LRM/RLM/ALM, which change the direction of nothing after them).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate
# Letters that show as nothing (Hangul fillers, the combining grapheme joiner), beside category Cf.
BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")


def first_control(text: str) -> str | None:
    """The first character of `text` that no saved text may hold, or None: a control character
    other than tab and line breaks (C0, DEL, C1), or half of a surrogate pair."""
    return next((ch for ch in text if _control(ch)), None)


def _control(ch: str) -> bool:
    kind = unicodedata.category(ch)
    return (kind == "Cc" and ch not in "\t\n\r") or kind == "Cs"


def invisible(ch: str) -> bool:
    """A character that shows as nothing: white space, a format character (zero-width space and
    joiners, direction marks and controls, the byte-order mark), a control character, a blank letter."""
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Cs") or ch in BLANK_LETTERS


def only_invisible(text: str) -> bool:
    """Does `text` hold something other than white space, but nothing anyone can see?"""
    return not text.isspace() and text != "" and all(invisible(ch) for ch in text)


def text_problem(label: str, value: str, max_chars: int | None) -> str | None:
    """What makes typed text unsavable, in one line starting with its `label`: more than
    `max_chars` characters (None: the field's length is checked where it is read), a control
    character, or only invisible characters; None if it can be kept (empty text included: whether
    a field may be empty is its own rule)."""
    if max_chars is not None and len(value) > max_chars:
        return f"{label}: {len(value)} characters is too long to save; shorten it to at most {max_chars}"
    bad = first_control(value)
    if bad is not None:
        return (f"{label}: holds an invisible control character (U+{ord(bad):04X}), "
                "perhaps pasted from another program; type the text again without it")
    if only_invisible(value):
        return (f"{label}: holds only invisible characters (such as zero-width spaces), perhaps pasted "
                "from another program; type the text again")
    return None


def name_problem(name: str, label: str = "the teacher's name") -> str | None:
    """What makes a person's name (as `normal_name` gives it) one no one can keep, in one line:
    empty, too long, or what no typed text may hold (`text_problem`); None if it can be kept."""
    if not name:
        return f"{label} is empty: type the name"
    return text_problem(label, name, MAX_NAME)


def normal_name(value: str) -> str:
    """A person's name as typed, as it is kept: NFC, one space between words, trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def name_key(name: str) -> str:
    """What makes two names one person's: the name without invisible characters (but the spaces
    between words), in NFC and case-folded (any script). Empty for a name of nothing visible (a row
    kept before this rule)."""
    text = unicodedata.normalize("NFC", name)
    visible = "".join(" " if ch.isspace() else "" if invisible(ch) else ch for ch in text)
    return unicodedata.normalize("NFC", " ".join(visible.split()).casefold())


def same_name(typed: str, kept: str) -> bool:
    """Is `typed` the name `kept`, as a person reads it on a page? The same `name_key`, or (for a
    name kept before this rule, of nothing visible but control characters) the same as it is shown,
    each control character as "�" (`printable`)."""
    key = name_key(typed)
    if key:
        return key == name_key(kept) or key == name_key(printable(kept))
    return False


def printable(text: str) -> str:
    """`text` with each control character (but tab and line breaks) shown as "�": for a CSV cell
    or a terminal, where a raw ESC, BEL or NUL would act instead of being read."""
    if not any(_control(ch) for ch in text):
        return text
    return "".join(SHOWN_CONTROL if _control(ch) else ch for ch in text)


def for_terminal(text: str) -> str:
    """`printable`, and without the bidirectional controls that open or close an embedding, override
    or isolate: on a terminal that lays out right-to-left text, one left open in a name would
    reverse the rest of the line. (A terminal cannot isolate text as a page can.)"""
    text = printable(text)
    if not any(ch in BIDI_CONTROLS for ch in text):
        return text
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)


def isolated(text: str) -> str:
    """Typed text to put inside the app's own plain-text sentence: between FSI and PDI, so that its
    direction, and any embedding or override left open in it, ends where it ends (Unicode's bidi
    algorithm closes everything opened inside an isolate at its PDI)."""
    return f"{FSI}{text}{PDI}"
