"""Following the database's index generations, on a replica of the service.

With PostgreSQL as the store of record, an ingest on any replica publishes its generation to the
database and announces it on a channel (ingest/shared_index.py). Each replica holds one connection
that LISTENs on that channel in a background thread; on an announcement it writes the generation
into its own index folder and lets the GenerationWatcher swap it in, so requests never wait for it.
A notification sent while the connection was down is lost, so after every (re)connection the
replica also compares its generation with the database's current one. When PostgreSQL cannot be
reached the replica keeps serving the generation it has, says so in its log, and tries again with a
growing pause.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ingest.index_store import IndexWriteError, current_generation
from ingest.shared_index import CHANNEL, SharedIndex

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 30.0
# How often the listening thread looks up from waiting (to notice that the service stops).
POLL_SECONDS = 1.0


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq reads it (without the ``+psycopg`` driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class IndexFollower:
    def __init__(self, shared: SharedIndex, url: str, index_dir: Path, wait_seconds: float,
                 on_new_generation: Callable[[], None]):
        self.shared = shared
        self.conninfo = libpq_url(url)
        self.index_dir = index_dir
        self.wait_seconds = wait_seconds
        self.on_new_generation = on_new_generation
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="index-follower", daemon=True)

    def catch_up(self) -> bool:
        """Bring the local index folder to the database's current generation; True when that wrote a
        new one. When the database cannot be reached the local generation stays (and is served)."""
        try:
            before = current_generation(self.index_dir)
            after = self.shared.materialise(self.index_dir, self.wait_seconds)
        except (SQLAlchemyError, IndexWriteError, OSError) as error:
            log.warning("Cannot take the current index generation from the database (%s); serving %s",
                        type(error).__name__, self._serving())
            return False
        return after is not None and after != before

    def start(self) -> "IndexFollower":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.thread.join(timeout=5)

    def _follow(self) -> None:
        if self.catch_up():
            self.on_new_generation()

    def _serving(self) -> str:
        local = current_generation(self.index_dir)
        return f"index generation {local.name}" if local else "no index"

    def _run(self) -> None:
        pause = FIRST_RETRY_SECONDS
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as connection:
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    if pause > FIRST_RETRY_SECONDS:
                        log.info("The database is reachable again; following its index generations")
                    pause = FIRST_RETRY_SECONDS
                    self._follow()
                    while not self._stopping.is_set():
                        if any(True for _ in connection.notifies(timeout=POLL_SECONDS)):
                            self._follow()
            except psycopg.Error as error:
                log.warning("The database cannot be reached (%s); serving %s; trying again in %g s",
                            type(error).__name__, self._serving(), pause)
                self._stopping.wait(pause)
                pause = min(pause * 2, LONGEST_RETRY_SECONDS)
