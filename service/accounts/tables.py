"""The service's tables, as SQLAlchemy Core sees them. The schema itself is made by the migrations in
``migrations/versions`` (with the index tables of ingest/shared_index.py); a test checks that the two agree."""

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

organizations = Table(
    "organizations", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

# A session is found by the hash of its cookie: the table alone signs nobody in.
sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

embed_keys = Table(
    "embed_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("origins", Text, nullable=False),  # a JSON list of origins
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("organization", String(200), nullable=True, index=True),
    Column("target", String(300), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
)

ingest_jobs = Table(
    "ingest_jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("organization", String(200), nullable=True, index=True),
    Column("actor_id", Integer, nullable=True),
    Column("state", String(20), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("files", Text, nullable=False),  # JSON list of per-file results
    Column("message", Text, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
    Column("updated_at", Float, nullable=False),
    # The service process (replica) whose queue holds the job; see job_runners.
    Column("runner", String(32), nullable=True),
)

# Service processes that run upload jobs, and when each last said it was alive: a job whose runner
# has gone silent was cut short (a replica stopped or crashed) and is failed by any other replica.
job_runners = Table(
    "job_runners", metadata,
    Column("id", String(32), primary_key=True),
    Column("seen_at", Float, nullable=False),
)

# Conversations (service/conversations.py): what staff asked, kept only to resolve follow-ups.
conversations = Table(
    "conversations", metadata,
    Column("id", String(32), primary_key=True),
    Column("updated", Float, nullable=False, index=True),
    Column("owner", String(120), nullable=False),
)

turns = Table(
    "turns", metadata,
    Column("conversation_id", String(32), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),  # JSON of a Turn
)

# Feedback (service/feedback.py): votes on answers and the questions left unanswered.
votes = Table(
    "votes", metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Float, nullable=False, index=True),
    Column("organization", String(200), nullable=True),
    Column("helpful", Boolean, nullable=False),
    Column("quotes", Text, nullable=False),  # JSON list of {"document_id", "char_start", "char_end"}
)

unanswered = Table(
    "unanswered", metadata,
    Column("id", Integer, primary_key=True),
    Column("created", Float, nullable=False, index=True),
    Column("organization", String(200), nullable=True),
    Column("question", Text, nullable=False),
    Column("reason", String(20), nullable=False),
    Column("principle", String(40), nullable=True),
)
