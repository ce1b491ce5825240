"""Conversations and feedback move into the database; index generations and upload folders kept in
it (used when the database is PostgreSQL, see ingest/shared_index.py).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
    )
    op.create_index("ix_conversations_updated", "conversations", ["updated"])
    op.create_table(
        "turns",
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("organization", sa.String(200), nullable=True),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("quotes", sa.Text, nullable=False),
    )
    op.create_index("ix_votes_created", "votes", ["created"])
    op.create_table(
        "unanswered",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("organization", sa.String(200), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("principle", sa.String(40), nullable=True),
    )
    op.create_index("ix_unanswered_created", "unanswered", ["created"])
    op.create_table(
        "index_generations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("published_at", sa.Float, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
    )
    op.create_table(
        "index_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "index_generation_files",
        sa.Column("generation_id", sa.Integer, sa.ForeignKey("index_generations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("path", sa.String(300), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_index_generation_files_sha256", "index_generation_files", ["sha256"])
    op.create_table(
        "upload_files",
        sa.Column("folder", sa.String(200), primary_key=True),
        sa.Column("path", sa.String(300), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_upload_files_sha256", "upload_files", ["sha256"])


def downgrade() -> None:
    for table in ("upload_files", "index_generation_files", "index_blobs", "index_generations", "unanswered",
                  "votes", "turns", "conversations"):
        op.drop_table(table)
