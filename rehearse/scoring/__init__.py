"""The engine: a recording of a rep in, a scored result out. Knows nothing of where the recording
came from, where it is kept, or who looks at it.

The stages, in order: audio.py (any common format -> 16 kHz mono samples), speech.py (where someone
speaks: every pause is measured here), words/ (what was said: the speech-to-text engines of
`--engine`), names.py and naming.py (which pupil was named), timeline.py (utterances, the wait, the
question, the name), criteria.py (the rules a success criterion is made of), result.py (all of it
as one result). pipeline.py's `Scorer` runs them, holding the model between reps. steps.py reads
the action steps (what is rehearsed, and judged by which criteria); interrupt.py lets work done
ahead give way to a rep that has stopped.

Floor 1: may import only errors.py and rehearse.shipped below it.
"""
