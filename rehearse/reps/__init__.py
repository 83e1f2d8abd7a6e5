"""Reps: what happens to a rep (and to a step's model or non-example) between the faces and the store.

Named for what it holds: everything done *with* a rep once it is made — scored and scored again
(scoring.py: score_stored, rescore_*, score_example), kept live while it is recorded and settled
if it was left so (live.py: LiveReps), salvaged after a crash (live.py: salvage_recording,
recover_unfinished), what a rep teaches the app of names (scoring.py: mark_named, learn_from_rep),
and reps as records for other
tools (export.py, with the coach's marks applied). The store below keeps rows and files and runs
nothing of the engine; the faces above (web/, cli/) call this floor instead of putting the engine,
capture and the store together themselves. The store does not judge a session's progress: it is
given coaching's progress_of when it is opened (`open_store`, and `import_archive` for an archive).

Floor 4: may import the store, capture, coaching, the engine (rehearse.scoring), errors.py and
rehearse.shipped; never the faces (rehearse.web, rehearse.cli).
"""

from __future__ import annotations

from pathlib import Path

from ..coaching.progress import progress_of
from ..store import archive
from ..store.database import Store


def open_store(instance: str | Path) -> Store:
    """The store in an instance folder (store.database.Store.open), keeping each session's progress
    as the coach's rules judge it (coaching.progress_of)."""
    return Store.open(instance, progress_of)


def import_archive(instance: str | Path, src: str | Path) -> dict[str, int]:
    """store.archive.import_archive, the sessions' progress judged as open_store's."""
    return archive.import_archive(instance, src, progress_of)
