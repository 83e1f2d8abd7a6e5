"""rehearse: score a spoken rehearsal of a teaching action step, rep after rep.

The package's folders are its layers, each on a floor; a module imports only from its own folder
or from a floor below it (tests/test_layout.py checks this, and that no import goes round a cycle):

    floor 0  errors.py, typed_text.py, shipped/   one-line errors; the rule of typed text; where the shipped files are
             staging.py            hidden folders that stage files, swept at the next start if a kill left them
    floor 1  scoring/              the engine: audio -> speech -> words/ -> names -> timeline -> criteria -> result
    floor 2  capture/, coaching/   a rep while it is recorded; the coach's rules (progress, calibration, authoring)
             observe/              the engine for a lesson observed: long audio, whose voice, questions, waits, names
    floor 3  store/                the instance folder: SQLite, recordings, archive, passcode (no engine run here)
    floor 4  reps/                 what is done with a rep: scored and rescored, kept live, salvaged, learnt from, exported
             lessons/              what is done with a lesson observed: analysed as a job on a queue (Huey), kept private
    floor 5  web/                  the browser face (Flask)
    floor 6  cli/                  the `rehearse` command and `rehearse practice`; `serve` starts web/

One name per thing, in the code as on the pages:
- an *action step* is an `ActionStep` (scoring/steps.py); one is a `step`, its id (`cold-call`, the
  file's `id`) is `step_id` (and `?step=` in every address), and its row in the action_steps table
  is `step_row`. The files live in `scenarios/` (the folder keeps the name the design gave it, as
  does REHEARSE_SCENARIOS); a stored result keeps the id under its first key, "scenario", and the
  CLI still takes --scenario.
- a *rep* is a `rep` (store/records.py: `Rep`; its place in its session is `number`), and the store
  hands out reps, sessions and their marks, taps and comments as typed records (`Rep`, `Session`,
  `Mark`, `TapPass`, `Comment`), never as row dicts.
  The design's word for one try, *attempt*, stays only where it is a contract with what is outside
  the code: the SQLite table `attempts` and its columns (`attempt_id`, `rep`), the addresses
  `/attempts/<id>` (and the API's under them), the archive's format, the CSV/JSON export's columns
  and keys (`{"attempts": [...]}`), the WebSocket's messages and an upload's failure (`"attempt"`), `rehearse score --json`,
  and the CLI's options (`rescore ATTEMPT_ID...`, `report --attempt`, `--max-attempt-s`).
- the *engine* is scoring/, the pipeline from audio to verdicts (pipeline.py's `Scorer` runs it);
  the *speech engine* is what hears the words (`--engine faster-whisper | openai-whisper`, scoring/words/),
  running a *speech model* (Whisper's weights: `--speech-model`, REHEARSE_SPEECH_MODEL, the instance
  folder's speech-models/).
- a *model* is only ever a step's model recording, beside its non-example (the step's *examples*:
  EXAMPLE_KINDS in scoring/steps.py, the shipped ones in audio/examples/).
"""

__version__ = "0.1.0"
