"""A bounded conversation store in SQLite, so threads survive a restart.

What staff typed is kept here only to resolve follow-ups: it is never logged, expires after
``conversation_ttl_hours`` and the store keeps at most ``conversation_max`` conversations.

Bounds that no caller can push: ids are issued here (an unknown or expired id starts a new
conversation, a client cannot pick one), the stored follow-up query is cut to
``MAX_QUERY_CHARS``, and when the store is full, conversations of a single question go first
(oldest first), so a flood of one-off questions cannot push out the conversations people are in
the middle of. A store that cannot be written (a full disk) costs the follow-up, not the answer.

A conversation belongs to its ``owner`` (an account, or the widget's key; with accounts off,
everyone): another caller who presents its id gets nothing from it, and starts a new one.
"""

import json
import logging
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    updated REAL NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated);
"""
# A follow-up's query carries the previous query along; kept to this length (newest words first),
# it cannot grow with every turn.
MAX_QUERY_CHARS = 1000


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
            columns = {row[1] for row in db.execute("PRAGMA table_info(conversations)")}
            if "owner" not in columns:  # a store made before conversations had owners
                db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT ''")

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

    def turns(self, conversation_id: str, owner: str = "") -> list[Turn]:
        """Earlier turns of a live conversation of ``owner``, oldest first; [] for unknown or expired
        ones, and for another owner's."""
        try:
            with self._connect() as db:
                if not self._live(db, conversation_id, owner):
                    return []
                rows = db.execute(
                    "SELECT data FROM turns WHERE conversation_id = ? ORDER BY position", (conversation_id,)
                ).fetchall()
        except sqlite3.Error as error:
            log.warning("Conversation store unreadable (%s); the question is answered without its history", error)
            return []
        return [Turn(**json.loads(data)) for (data,) in rows]

    def append(self, conversation_id: str | None, turn: Turn, owner: str = "") -> str:
        """Add a turn to a live conversation of ``owner``, or start a new one; return the conversation's id."""
        turn = replace(turn, query=turn.query[:MAX_QUERY_CHARS])
        now = time.time()
        try:
            with self._connect() as db:
                if not (conversation_id and self._live(db, conversation_id, owner)):
                    conversation_id = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO conversations(id, updated, owner) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                    (conversation_id, now, owner),
                )
                position = db.execute(
                    "SELECT COALESCE(MAX(position), -1) + 1 FROM turns WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()[0]
                db.execute("INSERT INTO turns VALUES (?, ?, ?)",
                           (conversation_id, position, json.dumps(asdict(turn), ensure_ascii=False)))
                db.execute("DELETE FROM turns WHERE conversation_id = ? AND position <= ?",
                           (conversation_id, position - self.max_turns))
                self._prune(db, now)
        except sqlite3.Error as error:
            log.warning("Conversation store unwritable (%s); a follow-up to this answer starts afresh", error)
            return conversation_id or uuid.uuid4().hex
        return conversation_id

    def latest_position(self, conversation_id: str) -> int | None:
        """Position of the newest turn of a conversation (positions keep counting past the turn cap);
        None when the store cannot be read (the answer is given all the same)."""
        try:
            with self._connect() as db:
                return db.execute("SELECT MAX(position) FROM turns WHERE conversation_id = ?",
                                  (conversation_id,)).fetchone()[0]
        except sqlite3.Error as error:
            log.warning("Conversation store unreadable (%s)", error)
            return None

    def turn_at(self, conversation_id: str, position: int, owner: str = "") -> Turn | None:
        """One turn of a live conversation of ``owner``; None when it is unknown, has expired or is another's."""
        with self._connect() as db:
            if not self._live(db, conversation_id, owner):
                return None
            found = db.execute("SELECT data FROM turns WHERE conversation_id = ? AND position = ?",
                               (conversation_id, position)).fetchone()
        return Turn(**json.loads(found[0])) if found else None

    def _live(self, db: sqlite3.Connection, conversation_id: str, owner: str) -> bool:
        row = db.execute("SELECT updated, owner FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None and row[0] >= time.time() - self.ttl_seconds and row[1] == owner

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM conversations WHERE updated < ?", (now - self.ttl_seconds,))
        excess = db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] - self.max_conversations
        if excess > 0:
            db.execute(
                "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations ORDER BY "
                "(SELECT COUNT(*) FROM turns WHERE conversation_id = conversations.id) > 1, updated LIMIT ?)",
                (excess,),
            )

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
