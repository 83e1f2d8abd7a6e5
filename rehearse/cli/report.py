"""A scored attempt as plain text for the terminal: the verdict, what was said, one line per
criterion with its evidence, and the wait. Shared by `rehearse score` and `rehearse practice`."""

from __future__ import annotations

from ..scoring.result import Result


def verdict_line(result: Result) -> str:
    met = sum(v.passed for v in result.criteria)
    verdict = "PASSED" if result.passed else "NOT YET"
    return f"{verdict} ({met} of {len(result.criteria)} criteria met)"


def evidence_lines(result: Result) -> list[str]:
    """What was heard, each criterion with ✓/✗ and its evidence, and the wait with its moments."""
    lines = [f'  said: "{result.transcript}"']
    lines += [f"  {'✓' if v.passed else '✗'} {v.id}: {v.detail}" for v in result.criteria]
    m = result.metrics
    if m.get("wait_time_s") is not None:
        who = m["named_pupil"] or "a pupil (unclear who)"
        # To a tenth of a second, as the pages show it (`--json` keeps every decimal).
        lines.append(f"  wait time {m['wait_time_s']:.1f} s (question ended at {m['question_end_s']:.1f} s, "
                     f"{who} named at {m['name_start_s']:.1f} s)")
    return lines
