"""The embedding model: any sentence-transformers model, by name or folder."""

import logging
from pathlib import Path

import numpy as np

from ingest.settings import Settings

log = logging.getLogger(__name__)


class Embedder:
    """Encodes passages and queries with the prompts the model was trained with (e5: ``query: ``)."""

    def __init__(self, settings: Settings):
        from sentence_transformers import SentenceTransformer

        self.name = settings.model
        self.batch_size = settings.model_batch_size
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.model = SentenceTransformer(settings.model, device="cpu")
        self.dimension = int(self.model.get_embedding_dimension())

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt, False)

    def _encode(self, texts: list[str], prompt: str, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            prompt=prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def ensure_default_model(settings: Settings) -> None:
    """Build the bundled model folder on first use, so a fresh checkout needs no extra step."""
    default = Settings.model_fields["model"].default
    if settings.model == default and not (Path(default) / "build_info.json").exists():
        from ingest.model_build import build_model

        log.info("Building the embedding model into %s (once)", default)
        build_model(Path(default))


def quiet_libraries() -> None:
    """Keep the model libraries' chatter ("Loading weights 0%...100%", "Loaded 2 prompts", bm25s's
    "Building index") out of what a person running the CLI reads; warnings still show."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_warning()
    for name in ("sentence_transformers", "transformers", "bm25s", "faiss", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


_embedders: dict[str, Embedder] = {}


def get_embedder(settings: Settings) -> Embedder:
    """One loaded model per process: loading takes seconds, encoding a query milliseconds."""
    if settings.model not in _embedders:
        ensure_default_model(settings)
        _embedders[settings.model] = Embedder(settings)
    return _embedders[settings.model]
