"""The commands that list what there is: the microphones (`rehearse devices`) and the action steps
(`rehearse steps`, with --check the step files' problems and the authoring guidance)."""

from __future__ import annotations

import sys

from .common import BAD_INPUT


def list_devices() -> int:
    from ..capture.microphone import MicrophoneError, input_devices

    devices = input_devices()
    if not devices:
        raise MicrophoneError("no microphone found: no sound device can record; plug one in or switch it on "
                              "in the system's sound settings")
    print("Input devices (give the number or part of the name to rehearse practice --device):")
    for device in devices:
        print(device.describe())
    return 0


def list_steps(check: bool, instance) -> int:
    from ..coaching.authoring import guidance
    from ..scoring.steps import check_all

    good, bad = check_all(instance)
    for s in good:
        print(f"{s.id:22} {s.title}" + ("  (archived)" if s.archived else ""))
        if check:
            print(f"{'':22}   {s.path}")
            for c in s.criteria:
                print(f"{'':22}   - {c.description}")
            for warning in guidance(s):
                print(f"{'':22}   ! {warning}")
    for line in bad:
        print(f"rehearse: {line}", file=sys.stderr)
    if check:
        print(f"{len(good)} step files valid, {len(bad)} invalid", file=sys.stderr if bad else sys.stdout)
    return BAD_INPUT if bad else 0
