"""A bounded conversation store in SQLite, so threads survive a restart.

What staff typed is kept here only to resolve follow-ups: it is never logged, expires after
``conversation_ttl_hours`` and the store keeps at most ``conversation_max`` conversations.
"""

import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated);
"""


@dataclass
class Turn:
    """One question and what it was about, for resolving the next one."""

    question: str
    query: str
    organization: str | None = None
    document_ids: list[str] = field(default_factory=list)
    abstained: bool = False
    # The answer's quotes as {"document_id", "char_start", "char_end"}, and the organisation the
    # request was made for (not one the question named): what a helpful/not-helpful vote keeps.
    quotes: list[dict] = field(default_factory=list)
    scope: str | None = None


class ConversationStore:
    def __init__(self, path: Path, ttl_hours: float, max_conversations: int, max_turns: int):
        self.path = path
        self.ttl_seconds = ttl_hours * 3600
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        with self._lock:
            db = sqlite3.connect(self.path)
            try:
                db.execute("PRAGMA foreign_keys = ON")
                yield db
                db.commit()
            finally:
                db.close()

    def turns(self, conversation_id: str) -> list[Turn]:
        """Earlier turns of a live conversation, oldest first; [] for unknown or expired ones."""
        with self._connect() as db:
            row = db.execute("SELECT updated FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None or row[0] < time.time() - self.ttl_seconds:
                return []
            rows = db.execute(
                "SELECT data FROM turns WHERE conversation_id = ? ORDER BY position", (conversation_id,)
            ).fetchall()
        return [Turn(**json.loads(data)) for (data,) in rows]

    def append(self, conversation_id: str | None, turn: Turn) -> str:
        """Add a turn, creating the conversation if needed; return its id."""
        conversation_id = conversation_id or uuid.uuid4().hex
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations(id, updated) VALUES (?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                (conversation_id, now),
            )
            position = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            db.execute("INSERT INTO turns VALUES (?, ?, ?)",
                       (conversation_id, position, json.dumps(asdict(turn), ensure_ascii=False)))
            db.execute("DELETE FROM turns WHERE conversation_id = ? AND position <= ?",
                       (conversation_id, position - self.max_turns))
            self._prune(db, now)
        return conversation_id

    def latest_position(self, conversation_id: str) -> int | None:
        """Position of the newest turn of a conversation (positions keep counting past the turn cap)."""
        with self._connect() as db:
            return db.execute("SELECT MAX(position) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]

    def turn_at(self, conversation_id: str, position: int) -> Turn | None:
        """One turn of a live conversation; None when it is unknown or has expired."""
        with self._connect() as db:
            row = db.execute("SELECT updated FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None or row[0] < time.time() - self.ttl_seconds:
                return None
            found = db.execute("SELECT data FROM turns WHERE conversation_id = ? AND position = ?",
                               (conversation_id, position)).fetchone()
        return Turn(**json.loads(found[0])) if found else None

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM conversations WHERE updated < ?", (now - self.ttl_seconds,))
        db.execute(
            "DELETE FROM conversations WHERE id NOT IN "
            "(SELECT id FROM conversations ORDER BY updated DESC LIMIT ?)",
            (self.max_conversations,),
        )

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
