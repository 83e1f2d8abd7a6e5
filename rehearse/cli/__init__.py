"""The terminal face: the `rehearse` command (main.py) and `rehearse practice` (practice.py).

main.py parses the options and runs one command: `score`, `serve` (which starts the browser face,
rehearse.web), `passcode`, `practice`, `devices`, `steps`; records.py the commands on what is
stored (`export`, `import`, `rescore`); names.py the names learnt the way each teacher says them
(`names learn|list|forget`, and practice's question after an unclear name); common.py what every
command uses (the instance folder, the scorer, the exit status for bad input); report.py a scored
rep as text.

The top floor: may import every other layer (errors, scoring, coaching, capture, store, reps, web);
nothing imports it. Importing it is light (no numpy, no speech model): each command imports what it needs.
"""

from .main import main

__all__ = ["main"]
