"""What staff told us about answers: helpful / not-helpful votes, and the questions left unanswered.

Kept in SQLite beside the conversations database, with the same retention (``conversation_ttl_hours``,
at most ``conversation_max`` rows per table). A vote keeps the answer's quotes (document ids and
spans) and the organisation; an unanswered question keeps its text, organisation, why it is here
(refused, or marked not helpful) and the principle it most resembles. Nothing identifies who asked.
"""

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    organization TEXT,
    helpful INTEGER NOT NULL,
    quotes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    organization TEXT,
    question TEXT NOT NULL,
    reason TEXT NOT NULL,
    principle TEXT
);
CREATE INDEX IF NOT EXISTS votes_created ON votes(created);
CREATE INDEX IF NOT EXISTS unanswered_created ON unanswered(created);
"""
REFUSED = "refused"
UNHELPFUL = "unhelpful"


@dataclass
class Vote:
    created: float
    organization: str | None
    helpful: bool
    quotes: list[dict]  # {"document_id", "char_start", "char_end"}


@dataclass
class UnansweredQuestion:
    created: float
    organization: str | None
    question: str
    reason: str  # REFUSED or UNHELPFUL
    principle: str | None  # the principle the question most resembles, if any


class FeedbackStore:
    def __init__(self, path: Path, ttl_hours: float, max_rows: int):
        self.path = path
        self.ttl_seconds = ttl_hours * 3600
        self.max_rows = max_rows
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        with self._lock:
            db = sqlite3.connect(self.path)
            try:
                yield db
                db.commit()
            finally:
                db.close()

    def add_vote(self, organization: str | None, helpful: bool, quotes: list[dict]) -> None:
        spans = [{"document_id": q["document_id"], "char_start": q["char_start"], "char_end": q["char_end"]} for q in quotes]
        with self._connect() as db:
            db.execute("INSERT INTO votes(created, organization, helpful, quotes) VALUES (?, ?, ?, ?)",
                       (time.time(), organization, int(helpful), json.dumps(spans)))
            self._prune(db, "votes")

    def add_unanswered(self, organization: str | None, question: str, reason: str, principle: str | None) -> None:
        with self._connect() as db:
            db.execute("INSERT INTO unanswered(created, organization, question, reason, principle) VALUES (?, ?, ?, ?, ?)",
                       (time.time(), organization, question, reason, principle))
            self._prune(db, "unanswered")

    def votes(self, organization: str | None = None) -> list[Vote]:
        """Live votes, newest first; of one organisation when given."""
        with self._connect() as db:
            self._prune(db, "votes")
            rows = db.execute("SELECT created, organization, helpful, quotes FROM votes "
                              "WHERE ? IS NULL OR organization = ? ORDER BY created DESC, id DESC",
                              (organization, organization)).fetchall()
        return [Vote(created, org, bool(helpful), json.loads(quotes)) for created, org, helpful, quotes in rows]

    def unanswered(self, organization: str | None = None) -> list[UnansweredQuestion]:
        """Live unanswered questions, newest first; of one organisation when given."""
        with self._connect() as db:
            self._prune(db, "unanswered")
            rows = db.execute("SELECT created, organization, question, reason, principle FROM unanswered "
                              "WHERE ? IS NULL OR organization = ? ORDER BY created DESC, id DESC",
                              (organization, organization)).fetchall()
        return [UnansweredQuestion(*row) for row in rows]

    def _prune(self, db: sqlite3.Connection, table: str) -> None:
        db.execute(f"DELETE FROM {table} WHERE created < ?", (time.time() - self.ttl_seconds,))
        db.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM {table} ORDER BY created DESC, id DESC LIMIT ?)",
                   (self.max_rows,))
