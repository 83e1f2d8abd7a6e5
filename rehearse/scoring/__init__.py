"""The engine: a recording of a rep in, a scored result out. Knows nothing of where the recording
came from, where it is kept, or who looks at it.

The stages, in order: 1 audio.py (any common format -> 16 kHz mono samples), 2 speech.py (where
someone speaks: every pause is measured here), 3 words/ (what was said: the speech-to-text engines
of `--engine`), 4 which pupil was named: 4a name_sounds.py (the roster, and names matched by sound),
4b name_evidence.py (the speech model's evidence for each pupil), 4c name_belief.py (that evidence
as calibrated beliefs), 5 timeline.py (utterances, the wait, the question, the name), 6 criteria.py
(the rules a success criterion is made of), 7 result.py (all of it as one result). pipeline.py's
`Scorer` runs them, holding the speech model between reps. steps.py reads the action steps (what is
rehearsed, and judged by which criteria); name_learning.py keeps a rep's name piece as how a
teacher says a pupil's name; interrupt.py lets work done ahead give way to a rep that has stopped.

Floor 1: may import only errors.py and rehearse.shipped below it.
"""
