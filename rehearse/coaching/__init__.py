"""The coach's rules: what the reps add up to, and how a step is written.

progress.py: accuracy then fluency, with the coach's marks applied; calibration.py: how far the
app's timing agrees with a coach who taps along; authoring.py: an action step from the editor's
form to a checked TOML file, and guidance on it. Pure rules over results and steps: they keep
nothing themselves (the store keeps each session's progress, computed here).

Floor 2: may import the engine (rehearse.scoring), errors.py and rehearse.shipped; not capture,
the store or the faces.
"""
