"""The speech model's answers kept on disk, for tuning the rules that use them on the dev split.

Scoring the labelled set takes ~20 minutes of the model's time; the rules downstream of it (the
timeline, the choice of the named pupil, the criteria) take milliseconds. A `CachedTranscriber`
wraps the engine's transcriber and keeps every answer (the words of some speech, the words heard
when told the roster, the scores of texts for a piece of audio) in a SQLite file, keyed by the
audio's bytes and the question asked, so a rule changed downstream is measured again on the whole
dev split in seconds, with the very answers the model gave. Only for benchmarks: the app never
uses it (int8 decoding can differ between CPUs; a cache made on one machine is that machine's).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

import numpy as np


def _digest(*parts) -> str:
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part, dtype=np.float32).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


class CachedTranscriber:
    """The engine's transcriber with its answers kept in `path` (a SQLite file)."""

    def __init__(self, inner, path: str | Path):
        self.inner = inner
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._lock = threading.Lock()
        self.asked = self.answered = 0  # questions asked of the model, and answered from the file

    def __getattr__(self, name):  # model, tokens_in, parallel_calls, ...: the engine's own
        return getattr(self.inner, name)

    def _get(self, key: str):
        with self._lock:
            row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _put(self, key: str, value) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, json.dumps(value)))
            self._db.commit()

    def words(self, audio: np.ndarray, segments, hotwords: Sequence[str] = ()):
        from rehearse.scoring.words.base import Word

        key = _digest("words", audio, [(s.start, s.end) for s in segments], list(hotwords))
        found = self._get(key)
        if found is None:
            self.asked += 1
            found = [[w.word, float(w.start), float(w.end), float(w.probability)]
                     for w in self.inner.words(audio, segments, hotwords)]
            self._put(key, found)
        else:
            self.answered += 1
        return [Word(*w) for w in found]

    def heard_told(self, piece: np.ndarray, names: Sequence[str]) -> list[str]:
        key = _digest("told", piece, list(names))
        found = self._get(key)
        if found is None:
            self.asked += 1
            found = self.inner.heard_told(piece, names)
            self._put(key, found)
        else:
            self.answered += 1
        return list(found)

    def text_scores(self, piece: np.ndarray, texts: Sequence[str]) -> list[float]:
        base = _digest("scores", piece)
        keys = [_digest(base, t) for t in texts]
        known = {k: self._get(k) for k in keys}
        missing = [t for t, k in zip(texts, keys) if known[k] is None]
        if missing:
            self.asked += 1
            for t, s in zip(missing, self.inner.text_scores(piece, missing)):
                known[_digest(base, t)] = s
                self._put(_digest(base, t), s)
        else:
            self.answered += 1
        return [known[k] for k in keys]
