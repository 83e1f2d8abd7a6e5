"""Capture: a rep while it is recorded, from the browser's WebSocket or the laptop's microphone.

recording.py writes the audio to a WAV file as it arrives (always readable, even after a crash);
cue.py is the live pause cue; live.py an attempt being recorded, with its words worked out ahead
and its scoring mostly done by the time the teacher stops; worker.py the thread that runs the
speech model's work, a stopped rep's first; microphone.py the laptop's microphone (PortAudio).

Floor 2: may import the engine (rehearse.scoring), errors.py and rehearse.shipped; not coaching,
the store or the faces.
"""
