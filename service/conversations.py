"""A bounded conversation store in the database, so threads survive a restart and (with PostgreSQL)
continue on any replica.

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
import time
import uuid
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from service.accounts.tables import conversations, turns

log = logging.getLogger(__name__)

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
    def __init__(self, engine: Engine, ttl_hours: float, max_conversations: int, max_turns: int):
        self.engine = engine
        self.ttl_seconds = ttl_hours * 3600
        self.max_conversations = max_conversations
        self.max_turns = max_turns

    def turns(self, conversation_id: str, owner: str = "") -> list[Turn]:
        """Earlier turns of a live conversation of ``owner``, oldest first; [] for unknown or expired
        ones, and for another owner's."""
        try:
            with self.engine.connect() as db:
                if not self._live(db, conversation_id, owner):
                    return []
                rows = db.execute(select(turns.c.data).where(turns.c.conversation_id == conversation_id)
                                  .order_by(turns.c.position)).scalars().all()
        except SQLAlchemyError as error:
            log.warning("Conversation store unreadable (%s); the question is answered without its history",
                        type(error).__name__)
            return []
        return [Turn(**json.loads(data)) for data in rows]

    def append(self, conversation_id: str | None, turn: Turn, owner: str = "") -> str:
        """Add a turn to a live conversation of ``owner``, or start a new one; return the conversation's id."""
        turn = replace(turn, query=turn.query[:MAX_QUERY_CHARS])
        now = time.time()
        try:
            with self.engine.begin() as db:
                if conversation_id and self._live(db, conversation_id, owner, for_update=True):
                    db.execute(update(conversations).where(conversations.c.id == conversation_id).values(updated=now))
                else:
                    conversation_id = uuid.uuid4().hex
                    db.execute(insert(conversations).values(id=conversation_id, updated=now, owner=owner))
                position = db.execute(select(func.coalesce(func.max(turns.c.position), -1) + 1)
                                      .where(turns.c.conversation_id == conversation_id)).scalar_one()
                db.execute(insert(turns).values(conversation_id=conversation_id, position=position,
                                                data=json.dumps(asdict(turn), ensure_ascii=False)))
                db.execute(delete(turns).where(turns.c.conversation_id == conversation_id,
                                               turns.c.position <= position - self.max_turns))
                self._prune(db, now)
        except SQLAlchemyError as error:
            log.warning("Conversation store unwritable (%s); a follow-up to this answer starts afresh",
                        type(error).__name__)
            return conversation_id or uuid.uuid4().hex
        return conversation_id

    def latest_position(self, conversation_id: str) -> int | None:
        """Position of the newest turn of a conversation (positions keep counting past the turn cap);
        None when the store cannot be read (the answer is given all the same)."""
        try:
            with self.engine.connect() as db:
                return db.execute(select(func.max(turns.c.position))
                                  .where(turns.c.conversation_id == conversation_id)).scalar()
        except SQLAlchemyError as error:
            log.warning("Conversation store unreadable (%s)", type(error).__name__)
            return None

    def turn_at(self, conversation_id: str, position: int, owner: str = "") -> Turn | None:
        """One turn of a live conversation of ``owner``; None when it is unknown, has expired or is another's."""
        with self.engine.connect() as db:
            if not self._live(db, conversation_id, owner):
                return None
            found = db.execute(select(turns.c.data).where(turns.c.conversation_id == conversation_id,
                                                          turns.c.position == position)).scalar()
        return Turn(**json.loads(found)) if found else None

    def _live(self, db: Connection, conversation_id: str, owner: str, for_update: bool = False) -> bool:
        query = select(conversations.c.updated, conversations.c.owner).where(conversations.c.id == conversation_id)
        # Two replicas adding to one conversation at once take their turns one after the other.
        row = db.execute(query.with_for_update() if for_update else query).first()
        return row is not None and row.updated >= time.time() - self.ttl_seconds and row.owner == owner

    def _prune(self, db: Connection, now: float) -> None:
        db.execute(delete(conversations).where(conversations.c.updated < now - self.ttl_seconds))
        excess = db.execute(select(func.count()).select_from(conversations)).scalar_one() - self.max_conversations
        if excess > 0:
            turn_count = (select(func.count()).where(turns.c.conversation_id == conversations.c.id)
                          .scalar_subquery())
            # Conversations of a single question go first, oldest first.
            oldest = select(conversations.c.id).order_by(turn_count > 1, conversations.c.updated).limit(excess)
            db.execute(delete(conversations).where(conversations.c.id.in_(oldest.scalar_subquery())))

    def count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(conversations)).scalar_one()
