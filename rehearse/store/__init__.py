"""The store: everything kept in the instance folder, and every SQL statement of rehearse.

database.py is the SQLite file (`Store`: teachers, action steps, sessions, attempts, coach marks,
taps) with its tables and migrations (schema.py) and the rows they share (rows.py); history.py
the coach's read-only queries; comments.py a coach's comments at moments of a rep's recording;
learnt.py how each teacher says their pupils' names, learnt from their reps; attempts.py and
examples.py a scored rep or step model kept whatever happens (and what a rep teaches the app);
archive.py the whole store as a zip and back (untrusted_zip.py reads a zip someone else made);
export.py attempts as CSV or JSON; passcode.py the passcode's hash; faults.py why a write to the
folder failed, in words; instance_lock.py one recording process per folder. The instance folder is
REHEARSE_INSTANCE, else the user's data folder (~/.local/share/rehearse), never the source tree.

Floor 3: may import capture, coaching, the engine (rehearse.scoring), errors.py and
rehearse.shipped; never the faces (rehearse.web, rehearse.cli).
"""
