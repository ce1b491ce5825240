"""Opening the database and bringing its schema up to date with the Alembic migrations."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ingest.shared_index import is_postgres, postgres_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_database(url: str) -> Engine:
    """An engine for ``url`` with its pool of connections; a SQLite file's folder is created, and SQLite
    enforces foreign keys. PostgreSQL goes through psycopg, and a pooled connection is checked before
    use, so the service carries on after the database restarts. Errors and logs never show the values
    of a statement (they hold questions and documents)."""
    if is_postgres(url):
        return create_engine(postgres_url(url), pool_pre_ping=True, hide_parameters=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, hide_parameters=True)
    if parsed.get_backend_name() == "sqlite":
        @event.listens_for(engine, "connect")
        def foreign_keys(connection, _record) -> None:
            connection.execute("PRAGMA foreign_keys = ON")
    return engine


def migrate(engine: Engine) -> None:
    """Apply every migration the database does not have yet (a new database gets them all)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
