"""What staff told us about answers: helpful / not-helpful votes, and the questions left unanswered.

Kept in the database beside the conversations, with the same retention (``conversation_ttl_hours``,
at most ``conversation_max`` rows per table). A vote keeps the answer's quotes (document ids and
spans) and the organisation; an unanswered question keeps its text, organisation, why it is here
(refused, or marked not helpful) and the principle it most resembles. Nothing identifies who asked.
"""

import json
import logging
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, delete, insert, select, true
from sqlalchemy.exc import SQLAlchemyError

from service.accounts.tables import unanswered, votes

log = logging.getLogger(__name__)

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
    def __init__(self, engine: Engine, ttl_hours: float, max_rows: int):
        self.engine = engine
        self.ttl_seconds = ttl_hours * 3600
        self.max_rows = max_rows

    def add_vote(self, organization: str | None, helpful: bool, quotes: list[dict]) -> None:
        spans = [{"document_id": q["document_id"], "char_start": q["char_start"], "char_end": q["char_end"]} for q in quotes]
        with self.engine.begin() as db:
            db.execute(insert(votes).values(created=time.time(), organization=organization, helpful=helpful,
                                            quotes=json.dumps(spans)))
            self._prune(db, votes)

    def add_unanswered(self, organization: str | None, question: str, reason: str, principle: str | None) -> None:
        """Keep an unanswered question; a store that cannot be written loses it, never the answer."""
        try:
            with self.engine.begin() as db:
                db.execute(insert(unanswered).values(created=time.time(), organization=organization,
                                                     question=question, reason=reason, principle=principle))
                self._prune(db, unanswered)
        except SQLAlchemyError as error:
            log.warning("Feedback store unwritable (%s); an unanswered question was not kept", type(error).__name__)

    def votes(self, organization: str | None = None) -> list[Vote]:
        """Live votes, newest first; of one organisation when given."""
        with self.engine.begin() as db:
            self._prune(db, votes)
            rows = db.execute(select(votes.c.created, votes.c.organization, votes.c.helpful, votes.c.quotes)
                              .where(self._of(votes, organization))
                              .order_by(votes.c.created.desc(), votes.c.id.desc())).all()
        return [Vote(created, org, bool(helpful), json.loads(quotes)) for created, org, helpful, quotes in rows]

    def unanswered(self, organization: str | None = None) -> list[UnansweredQuestion]:
        """Live unanswered questions, newest first; of one organisation when given."""
        with self.engine.begin() as db:
            self._prune(db, unanswered)
            rows = db.execute(select(unanswered.c.created, unanswered.c.organization, unanswered.c.question,
                                     unanswered.c.reason, unanswered.c.principle)
                              .where(self._of(unanswered, organization))
                              .order_by(unanswered.c.created.desc(), unanswered.c.id.desc())).all()
        return [UnansweredQuestion(*row) for row in rows]

    @staticmethod
    def _of(table: Table, organization: str | None):
        return true() if organization is None else table.c.organization == organization

    def _prune(self, db: Connection, table: Table) -> None:
        db.execute(delete(table).where(table.c.created < time.time() - self.ttl_seconds))
        newest = select(table.c.id).order_by(table.c.created.desc(), table.c.id.desc()).limit(self.max_rows)
        db.execute(delete(table).where(table.c.id.not_in(newest.scalar_subquery())))
