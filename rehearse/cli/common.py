"""What every command uses: the exit status for bad input, the instance folder, the scorer."""

from __future__ import annotations

import argparse

from ..errors import RehearseError

BAD_INPUT = 2


def make_scorer(args: argparse.Namespace, **options):
    """The Scorer for --engine and --speech-model; the speech model's absence is one error line now,
    not on the first rep. openai-whisper keeps the checkpoint it converts in the instance folder's
    speech-models/."""
    from ..scoring.pipeline import Scorer
    from ..scoring.words.faster import find_speech_model

    if args.engine == "faster-whisper":
        find_speech_model(args.speech_model)
    return Scorer(args.speech_model, engine=args.engine,
                  speech_models_dir=instance_folder(args.instance) / "speech-models", **options)


def instance_folder(instance: str | None):
    """The instance folder: --instance, else REHEARSE_INSTANCE, else the user's data folder."""
    from pathlib import Path

    from ..store.database import default_instance

    return Path(instance).expanduser() if instance else default_instance()


def open_store(instance: str | None):
    """The store of an existing instance folder (export and import never make one by mistake)."""
    from ..reps import open_store as open_folder

    folder = instance_folder(instance)
    if not (folder / "rehearse.sqlite").is_file():
        raise RehearseError(f"no rehearse data in {folder}; give the folder with --instance "
                            "(it holds rehearse.sqlite and recordings/)")
    return open_folder(folder)
