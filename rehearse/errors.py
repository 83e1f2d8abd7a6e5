"""The errors the engine raises for bad input: each carries one line a person can act on."""


class RehearseError(Exception):
    """Base class: the message is one line that says what was wrong and what to do."""


class AudioError(RehearseError):
    """A recording that is missing, unreadable, empty or silent."""


class StepError(RehearseError):
    """An unknown step id or a malformed step file."""


class RosterError(RehearseError):
    """A class roster that cannot be used (empty, duplicated or unreadable names)."""


class SpeechModelError(RehearseError):
    """The speech model (Whisper) cannot be found or loaded."""
