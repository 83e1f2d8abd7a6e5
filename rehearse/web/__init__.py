"""The browser face: a Flask app (application factory, as in the Flask tutorial) over the engine.

Pages (`pages.py`) start a session, rehearse and sum it up; the coach's review (`review.py`) looks
back over the history; `steps.py` writes and edits action steps and records their models;
`report.py` saves a rep or a session as one self-contained HTML file; `names.py` shows the class's
names the way each teacher says them (learnt from the coach's one tap; played and forgotten on the
teacher's page); JSON endpoints (`api.py`, and `comments.py` for a coach's comments on a
recording) serve the pages' scripts; the WebSocket
(`stream.py`) takes the microphone's PCM as it is recorded. `security.py` checks every request:
the host, the sign-in (served beyond loopback), the CSRF token of every change. `errors.py` answers
every failure, in one place: a route that refuses raises `Refused` (or aborts), and is answered
{"error": "one line"} under /api/ or the app's error page otherwise. Routes reach the store, the
scorer and the live reps through `context.py` (as the Flask tutorial's get_db); `display.py` turns
records into what the pages and their scripts show; `report_script.py` inlines the pages' own
draw.js into a saved report.
Runtime data — the SQLite file and the recordings — lives in the instance folder, never in the
source tree: REHEARSE_INSTANCE, else the user's data folder (~/.local/share/rehearse). The pages'
templates and static files are the shipped ones (rehearse.shipped). serving.py runs the app for
`rehearse serve` (Werkzeug, or gunicorn_server.py beyond loopback, within connections.py's limits).

Floor 5: may import reps/ (what is done with a rep), the store, capture, coaching, the engine (rehearse.scoring), errors.py and
rehearse.shipped; never the CLI (rehearse.cli, which starts this face).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from .. import shipped
from ..capture.live import MAX_ATTEMPT_S
from ..scoring import formats
from ..scoring.audio import MAX_UPLOAD_MB
from ..scoring.pipeline import Scorer
from ..scoring.words import DEFAULT_ENGINE
from ..lessons.jobs import LessonJobs, jobs_url, keep_other_voices
from ..reps.live import recover_unfinished
from ..reps import open_store
from ..store.database import default_instance

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may set INSTANCE (a folder), SPEECH_MODEL (a speech model
    folder; MODEL, its old name, is still read), ENGINE (faster-whisper or openai-whisper), WARM_UP
    (load the speech model at start, default True),
    FLUENT_AFTER, REPS_DEFAULT, the limits
    MAX_CONTENT_LENGTH (bytes of an upload) and MAX_ATTEMPT_S (seconds of a rep), and how it is
    served (see security.py): REQUIRE_PASSCODE, LOOPBACK_ONLY, HTTPS; and the lessons' analysis
    (lessons/jobs.py): ANALYSIS_WORKER (analyse queued lessons on a thread here, default True),
    JOBS_URL (the queue's Redis; default REHEARSE_JOBS_URL, else SQLite in the instance folder) and
    KEEP_OTHER_VOICES (keep lesson recordings whole; default REHEARSE_KEEP_OTHER_VOICES)."""
    config = {"INSTANCE": None, "SPEECH_MODEL": None, "ENGINE": DEFAULT_ENGINE, "WARM_UP": True, "FLUENT_AFTER": 3,
              "REPS_DEFAULT": 10,
              "MAX_CONTENT_LENGTH": MAX_UPLOAD_MB * 1024 * 1024, "MAX_ATTEMPT_S": MAX_ATTEMPT_S,
              "REQUIRE_PASSCODE": False, "LOOPBACK_ONLY": False, "HTTPS": False,
              "ANALYSIS_WORKER": True, "JOBS_URL": jobs_url(), "KEEP_OTHER_VOICES": keep_other_voices()}
    config.update(test_config or {})
    if config.get("MODEL") and not config["SPEECH_MODEL"]:
        config["SPEECH_MODEL"] = config.pop("MODEL")  # the key's old name, from before issue 30
    instance = Path(config["INSTANCE"] or default_instance()).resolve()
    app = Flask("rehearse", instance_path=str(instance), template_folder=str(shipped.folder("templates")),
                static_folder=str(shipped.folder("static")))
    app.config.update(config)
    from . import context, inputs
    inputs.install(app)  # ids in addresses bounded to SQLite's integers, before any route is added
    instance.mkdir(parents=True, exist_ok=True)

    store = open_store(instance)
    recover_unfinished(store)  # reps and models the server was recording when it stopped: kept, unscored
    scorer = Scorer(app.config["SPEECH_MODEL"], max_file_s=app.config["MAX_ATTEMPT_S"], engine=app.config["ENGINE"],
                    speech_models_dir=instance / "speech-models")
    jobs = LessonJobs(store, scorer, app.config["JOBS_URL"], app.config["KEEP_OTHER_VOICES"],
                      embedded=app.config["ANALYSIS_WORKER"])
    context.install(app, store, scorer, jobs)
    jobs.recover()  # lessons the server was analysing when it stopped: queued again
    if app.config["WARM_UP"]:
        threading.Thread(target=warm_up, args=(scorer,), daemon=True, name="rehearse-warm-up").start()

    from . import api, comments, errors, lessons, names, pages, report, review, security, steps, stream
    from .display import FILTERS
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["audio_accept"] = formats.accept()  # the upload inputs' accept=
    errors.install(app)  # every failure's one answer: JSON to the scripts, the app's own page to a browser
    security.install(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(steps.bp)
    app.register_blueprint(report.bp)  # "Save as report": a rep or a session as one HTML file
    app.register_blueprint(comments.bp)  # a coach's comments on a rep's recording
    app.register_blueprint(names.bp)  # the class's names the way each teacher says them: learnt, hard, forgotten
    app.register_blueprint(lessons.bp)  # observing a lesson: record or upload, its progress, cancel
    lessons.recover_recordings(store, jobs)  # lessons the server was recording when it stopped: kept, queued
    from . import lesson_page, lesson_teacher
    app.register_blueprint(lesson_page.bp)  # an observed lesson's page, report and CSV (issue 31)
    lesson_teacher.install(app)  # the teacher page's lessons and their waits beside the rehearsals'
    stream.register(app)
    return app


def warm_up(scorer: Scorer) -> None:
    """Load the speech model in the background, so the first rep's feedback is as quick as the others."""
    try:
        scorer.warm_up()
    except Exception as exc:  # noqa: BLE001 - the first rep will report it properly
        log.warning("could not warm up the speech model: %s", exc)
