"""The store: everything kept in the instance folder, and every SQL statement of rehearse.

database.py is the SQLite file (`Store`: teachers, action steps, sessions, attempts, coach marks,
taps) with its tables and migrations (schema.py) and the rows they share (rows.py), handed out as
the frozen records of records.py (Rep, Session, Mark, TapPass, Comment, Teacher); history.py
the coach's read-only queries; comments.py a coach's comments at moments of a rep's recording;
learnt.py how each teacher says their pupils' names, learnt from their reps; examples.py a step's
model and non-example as kept (reps/ scores them); archive.py the whole store as a zip and back
(untrusted_zip.py reads a zip someone else made); passcode.py the passcode's hash; faults.py why a
write to the folder failed, in words; instance_lock.py one recording process per folder. The
instance folder is REHEARSE_INSTANCE, else the user's data folder (~/.local/share/rehearse), never
the source tree.

Floor 3: keeps rows and files and runs nothing: it may import floor 0 (errors.py, typed_text.py,
staging.py, rehearse.shipped) and only the engine's value types and constants (tests/test_layout.py's
STORE_MAY_IMPORT lists them); never the Scorer, capture, coaching, reps/ or the faces. Scoring a rep,
rescoring, salvage after a crash and export are reps/'s (floor 4).
"""
