"""A microphone for tests on a machine with no sound card, reached through the real PortAudio path.

A private PulseAudio server (its own socket, its own folder) runs a null sink; ALSA's pulse plugin,
named `rehearsemic` in an .asoundrc under a test HOME, records from that sink's monitor. PortAudio
(via sounddevice) sees it as an ordinary ALSA input device. The test plays a labelled clip into the
sink (from the server's sample cache) when it wants the teacher to speak, so the audio arrives in real time, paced by
PulseAudio's clock, exactly as from a microphone. `hum` adds a quiet room noise under it; `mute`
plays digital silence (a muted microphone).

Needs Debian's pulseaudio, pulseaudio-utils and libasound2-plugins (`make test` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from rehearse.scoring.audio import SAMPLE_RATE, load_audio
from rehearse.capture.recording import to_pcm16, wav_header

DEVICE = "rehearsemic"
ASOUNDRC = f"""pcm.{DEVICE} {{
    type pulse
    hint {{ show on description "rehearse test microphone (PulseAudio null sink)" }}
}}
ctl.{DEVICE} {{ type pulse }}
"""


def room_noise(seconds: float, level: float = 0.002) -> np.ndarray:
    return np.random.default_rng(7).normal(0, level, int(seconds * SAMPLE_RATE)).astype(np.float32)


def available() -> str | None:
    """Why the fake microphone cannot run here, or None if it can."""
    missing = [tool for tool in ("pulseaudio", "pacat", "pactl") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
    if not any(Path(d).glob("libasound_module_pcm_pulse.so")
               for d in ("/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib/aarch64-linux-gnu/alsa-lib")):
        return "needs ALSA's pulse plugin (apt-get install libasound2-plugins)"
    return None


class FakeMicrophone:
    def __init__(self):
        # A short path: a Unix socket's path may not exceed 108 bytes.
        self.home = Path(tempfile.mkdtemp(prefix="rehearse-mic-"))
        (self.home / ".asoundrc").write_text(ASOUNDRC)
        self.socket = self.home / "native"
        self.env = os.environ | {
            "HOME": str(self.home), "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_RUNTIME_PATH": str(self.home / "run"), "PULSE_STATE_PATH": str(self.home / "state"),
            "PULSE_SOURCE": "room.monitor", "JACK_NO_START_SERVER": "1",
        }
        self.log = self.home / "pulseaudio.log"
        self._server: subprocess.Popen | None = None

    def start(self) -> "FakeMicrophone":
        self._server = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disable-shm=yes", "--realtime=no", "--high-priority=no", "--log-target=stderr",
             "-L", f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
             "-L", f"module-null-sink sink_name=room rate={SAMPLE_RATE} channels=1"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))
        deadline = time.monotonic() + 30
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if self._server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PulseAudio did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        return self

    def hum(self, seconds: float = 60) -> None:
        """Quiet room noise (about -54 dBFS) for `seconds` (the server caches at most about a minute)."""
        self._play_from_server("hum", room_noise(seconds))

    def mute(self, seconds: float = 60) -> None:
        """Digital silence, as a muted microphone delivers. (With nothing playing at all, the
        null sink's monitor delivers nothing, and opening the device times out.)"""
        self._play_from_server("muted", np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32))

    def play(self, clip: str | Path, then_quiet_s: float = 0.0) -> float:
        """Speak `clip` into the microphone, from now, in real time, over room noise that goes on
        `then_quiet_s` after it; return how long that is in seconds."""
        speech = load_audio(clip)
        audio = room_noise(len(speech) / SAMPLE_RATE + then_quiet_s)
        audio[: len(speech)] += speech
        self._play_from_server(Path(clip).stem, audio)
        return len(audio) / SAMPLE_RATE

    def _play_from_server(self, name: str, audio: np.ndarray) -> None:
        """Upload the sound into the server's sample cache and play it there: the server's clock
        alone paces it, so a busy CPU in the test cannot make it stutter (as a streaming client did)."""
        path = self.home / f"{name}.wav"
        path.write_bytes(wav_header(len(audio) * 2) + to_pcm16(audio))
        for command in (["upload-sample", str(path), name], ["play-sample", name, "room"]):
            subprocess.run(["pactl", *command], env=self.env, check=True, capture_output=True, timeout=30)

    def stop(self) -> None:
        for process in [self._server] if self._server else []:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(self.home, ignore_errors=True)
