"""What a rep's stored `timings` say about the work done ahead while it was recorded (live.py)."""

from __future__ import annotations


def ready_at_stop(timings: dict) -> bool:
    """Were the rep's words already worked out when it stopped? score() took them from the work
    ahead (`words_reused`) without waiting for a job ahead still running at stop."""
    return bool(timings.get("words_reused")) and not timings.get("waited_for_work_ahead_s")
