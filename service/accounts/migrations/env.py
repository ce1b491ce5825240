"""Alembic's entry point: runs the migrations on the connection the caller passes (see
service.accounts.database.migrate), or on ``sqlalchemy.url`` when run by the alembic command."""

from alembic import context
from sqlalchemy import create_engine

from ingest.shared_index import metadata as index_metadata
from service.accounts.tables import metadata

config = context.config


def run(connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite too.
    context.configure(connection=connection, target_metadata=[metadata, index_metadata], render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).connect() as opened:
        run(opened)
