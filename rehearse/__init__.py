"""rehearse: score a spoken rehearsal of a teaching action step, attempt after attempt."""

__version__ = "0.1.0"
