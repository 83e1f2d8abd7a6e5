"""rehearse: score a spoken rehearsal of a teaching action step, attempt after attempt.

The package's folders are its layers, each on a floor; a module imports only from its own folder
or from a floor below it (tests/test_layout.py checks this, and that no import goes round a cycle):

    floor 0  errors.py, shipped/   one-line errors; where the shipped files are
    floor 1  scoring/              the engine: audio -> speech -> words/ -> names -> timeline -> criteria -> result
    floor 2  capture/, coaching/   a rep while it is recorded; the coach's rules (progress, calibration, authoring)
    floor 3  store/                the instance folder: SQLite, recordings, archive, export, passcode
    floor 4  web/                  the browser face (Flask)
    floor 5  cli/                  the `rehearse` command and `rehearse practice`; `serve` starts web/
"""

__version__ = "0.1.0"
