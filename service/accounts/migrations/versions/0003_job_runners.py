"""Upload jobs name the service process that runs them, and runners say when they were last alive,
so that a replica fails only the jobs of runners that have stopped, not those of its siblings.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_jobs") as batch:
        batch.add_column(sa.Column("runner", sa.String(32), nullable=True))
    op.create_table(
        "job_runners",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("seen_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runners")
    with op.batch_alter_table("ingest_jobs") as batch:
        batch.drop_column("runner")
