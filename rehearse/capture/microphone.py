"""Recording from a microphone with sounddevice (PortAudio): find an input device, open it, and
deliver 16 kHz 16-bit mono PCM blocks, as the browser does for the web app.

Everything that can go wrong with a sound card becomes one MicrophoneError line that says what to
install or choose: no PortAudio library, no input device, an unknown --device, a device that is
busy or refuses to open, a device that stopped sending audio, and one that sends only silence
(a muted or unplugged microphone; `SilenceWatch`).

PortAudio probes every sound system it knows when it starts (ALSA, JACK, OSS), and those libraries
print their failures straight to the terminal; `quiet_stderr` keeps that noise off the teacher's
screen. Errors still arrive, as return codes.
"""

from __future__ import annotations

import os
import queue
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import RehearseError
from ..scoring.audio import SAMPLE_RATE

BLOCK_S = 0.1  # PortAudio hands over audio in blocks this long
SILENT_DEVICE_S = 3.0  # a device that delivers nothing louder than...
SILENT_PEAK = 10 ** (-80 / 20)  # ...-80 dBFS for this long is muted, unplugged or the wrong input
NO_AUDIO_S = 5.0  # no block at all for this long: the device has stopped
INSTALL_PORTAUDIO = ("on Debian or Ubuntu: sudo apt-get install libportaudio2; "
                     "on macOS: brew install portaudio")
PA_DEVICE_UNAVAILABLE = -9985  # PortAudio's paDeviceUnavailable
EBUSY = -16  # ALSA reports a busy device as -EBUSY


class MicrophoneError(RehearseError):
    """The microphone cannot be used; the message says what to install or choose."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_rate: float
    is_default: bool

    def describe(self) -> str:
        default = "  (default)" if self.is_default else ""
        return (f"{self.index:3}  {self.name}  [{self.host_api}, {self.channels} ch, "
                f"{self.default_rate:.0f} Hz]{default}")


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send what C libraries print to stderr (file descriptor 2) to /dev/null for a moment."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (an embedded interpreter): nothing to quiet
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def portaudio():
    """The sounddevice module, or a MicrophoneError saying how to install PortAudio."""
    try:
        with quiet_stderr():
            import sounddevice
    except OSError:
        raise MicrophoneError(f"cannot record: the PortAudio library is not installed ({INSTALL_PORTAUDIO}), "
                              "then run `rehearse devices`") from None
    return sounddevice


def input_devices() -> list[InputDevice]:
    """Every device PortAudio can record from, the system's default first marked."""
    sd = portaudio()
    with quiet_stderr():
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    return [InputDevice(i, d["name"], apis[d["hostapi"]]["name"], d["max_input_channels"],
                        d["default_samplerate"], i == default_in)
            for i, d in enumerate(devices) if d["max_input_channels"] > 0]


def choose_device(spec: str | None) -> InputDevice:
    """The device to record from: by number or (part of its) name, else the system's default."""
    devices = input_devices()
    if not devices:
        raise MicrophoneError("no microphone found: no sound device can record; plug one in or switch it on "
                              "in the system's sound settings, then run `rehearse devices`")
    if spec is None or spec == "":
        return next((d for d in devices if d.is_default), devices[0])
    if spec.strip().isdigit():
        found = [d for d in devices if d.index == int(spec)]
    else:
        wanted = spec.strip().lower()
        found = [d for d in devices if d.name.lower() == wanted] or [
            d for d in devices if wanted in d.name.lower()]
    if len(found) == 1:
        return found[0]
    names = "; ".join(f"{d.index} {d.name}" for d in devices)
    if not found:
        raise MicrophoneError(f"no input device {spec!r}; choose one of: {names} (rehearse devices lists them)")
    raise MicrophoneError(f"{spec!r} matches several input devices; give the number: "
                          + "; ".join(f"{d.index} {d.name}" for d in found))


def explain_portaudio_error(exc: Exception, device: InputDevice) -> str:
    """One line for a PortAudio failure to open or run `device`."""
    args = getattr(exc, "args", ())
    code = args[1] if len(args) > 1 else None
    host_code = args[2][1] if len(args) > 2 and isinstance(args[2], tuple) else None
    text = str(args[0]) if args else str(exc)
    if code == PA_DEVICE_UNAVAILABLE or host_code == EBUSY or "busy" in text.lower():
        return (f"the microphone '{device.name}' is busy: another program is using it (a video call, a "
                "recorder, a browser tab); close that program, or choose another with --device "
                "(rehearse devices lists them)")
    return (f"cannot record from '{device.name}': {text}; check that it is plugged in and switched on, "
            "or choose another with --device (rehearse devices lists them)")


class SilenceWatch:
    """Notices a device that delivers only silence: nothing above SILENT_PEAK for SILENT_DEVICE_S."""

    def __init__(self):
        self.samples = 0
        self.peak = 0.0

    def feed(self, pcm: bytes) -> None:
        """Take a block of 16-bit PCM."""
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
        self.samples += len(samples)
        if len(samples):
            self.peak = max(self.peak, float(np.max(np.abs(samples.astype(np.int32)))) / 32768)

    @property
    def silent_device(self) -> bool:
        return self.samples >= SILENT_DEVICE_S * SAMPLE_RATE and self.peak < SILENT_PEAK


class Microphone:
    """An open input stream; `read` returns 16 kHz 16-bit mono PCM blocks as they arrive.

    It records at 16 kHz when the device offers it, else at the device's own rate, resampled by
    PyAV (libswresample), which faster-whisper brings with it.
    """

    def __init__(self, device: InputDevice):
        self.device = device
        self.overflows = 0  # blocks PortAudio had to drop because the reader was late
        self._blocks: queue.Queue[bytes] = queue.Queue()
        self._stream = None
        self._resampler = None

    def __enter__(self) -> "Microphone":
        sd = portaudio()
        rate = SAMPLE_RATE
        try:
            with quiet_stderr():
                try:
                    sd.check_input_settings(self.device.index, channels=1, dtype="int16", samplerate=rate)
                except sd.PortAudioError:
                    rate = int(self.device.default_rate)
                    from av.audio.resampler import AudioResampler
                    self._resampler = AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
                self._rate = rate
                self._stream = sd.RawInputStream(device=self.device.index, channels=1, dtype="int16",
                                                 samplerate=rate, blocksize=int(rate * BLOCK_S), latency="low",
                                                 callback=self._arrived)
                self._stream.start()
        except sd.PortAudioError as exc:
            self.close()
            raise MicrophoneError(explain_portaudio_error(exc, self.device)) from None
        return self

    def _arrived(self, data, frames, time, status) -> None:  # PortAudio's thread: no work here
        if status.input_overflow:
            self.overflows += 1
        self._blocks.put(bytes(data))

    def read(self, timeout: float) -> bytes | None:
        """The next block as 16 kHz PCM (possibly empty while the resampler fills), or None if
        nothing arrived within `timeout` seconds."""
        try:
            block = self._blocks.get(timeout=timeout) if timeout > 0 else self._blocks.get_nowait()
        except queue.Empty:
            return None
        return self._resample(block) if self._resampler else block

    def _resample(self, block: bytes) -> bytes:
        import av

        frame = av.AudioFrame.from_ndarray(np.frombuffer(block, dtype="<i2").reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate = self._rate
        return b"".join(out.to_ndarray().astype("<i2").tobytes() for out in self._resampler.resample(frame))

    def close(self) -> None:
        if self._stream is not None:
            with quiet_stderr():
                try:
                    self._stream.stop()
                    self._stream.close()
                except Exception:  # noqa: BLE001 - closing a stream that failed: nothing to add
                    pass
            self._stream = None

    def __exit__(self, *exc) -> None:
        self.close()
