"""The files rehearse ships beside its code, and where they are.

- scenarios/: the shipped action steps (TOML), read by scoring/steps.py;
- audio/: the model and non-example recordings of the shipped steps (audio/examples/) and the
  example rep of the README (audio/example-pose-pause-name.flac);
- templates/ and static/: the browser face's pages, scripts and styles (rehearse.web).

In the repository they are top-level folders, where a newcomer looks for them. An installed wheel
carries them inside this package (rehearse/shipped/<folder>: pyproject.toml maps each folder
there), so they are found through the installed package, wherever it is installed and whatever
the current folder. An editable install (`pip install -e .`, what `make run` and `make test` use)
or a checkout on PYTHONPATH has no copy here: there they are the checkout's own folders, beside
the package. The bottom floor, with errors.py: imports nothing of rehearse.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FOLDERS = ("scenarios", "audio", "templates", "static")


def folder(name: str) -> Path:
    """The shipped folder `name` (one of FOLDERS): the installed package's copy, else the checkout's."""
    if name not in FOLDERS:
        raise ValueError(f"rehearse ships no folder {name!r}; it ships {', '.join(FOLDERS)}")
    packaged = Path(str(resources.files(__name__))) / name
    if packaged.is_dir():
        return packaged.resolve()
    return (Path(str(resources.files("rehearse"))).parent / name).resolve()
