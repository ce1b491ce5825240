"""The embedding model: any sentence-transformers model, by name or folder.

Passages are encoded in batches at ingest with torch. A question is encoded one at a time while
a person waits, so queries go through an int8 ONNX Runtime copy of the same model when the model
folder has one (``onnx/model-int8.onnx``, written by ``python -m ingest.model_build``): about 5 ms
instead of 20-30 ms on one core, with vectors at cosine 0.997 to torch's. Quantisation is dynamic
and per channel; per-tensor int8 loses retrieval quality. Thread counts are set on purpose: on a
2-core server a second busy process makes torch at two threads 10-30 times slower.
"""

import logging
from pathlib import Path

import numpy as np

from ingest.settings import Settings

log = logging.getLogger(__name__)

ONNX_FILE = Path("onnx") / "model-int8.onnx"


class OnnxQueryEncoder:
    """Mean-pooled, normalised e5 vectors from the int8 ONNX export, with the model's own tokenizer."""

    def __init__(self, model_dir: Path, threads: int):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model_dir / ONNX_FILE), options,
                                                    providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(512)
        self.tokenizer.enable_padding()

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        vectors = summed / mask.sum(axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


class Embedder:
    """Encodes passages and queries with the prompts the model was trained with (e5: ``query: ``)."""

    def __init__(self, settings: Settings):
        import torch
        from sentence_transformers import SentenceTransformer

        if settings.model_threads:
            torch.set_num_threads(settings.model_threads)
        self.name = settings.model
        self.batch_size = settings.model_batch_size
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        self.model = SentenceTransformer(settings.model, device="cpu")
        self.dimension = int(self.model.get_embedding_dimension())
        self.query_encoder = None
        folder = Path(settings.model)
        if settings.onnx_queries and (folder / ONNX_FILE).exists():
            self.query_encoder = OnnxQueryEncoder(folder, settings.query_threads)
        elif settings.onnx_queries:
            log.info("No ONNX copy of %s: questions are encoded with torch (python -m ingest.model_build makes one)",
                     settings.model)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self.query_encoder is not None and texts:
            return self.query_encoder.encode([self.query_prompt + t for t in texts])
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
    key = f"{settings.model}|{settings.onnx_queries}"
    if key not in _embedders:
        ensure_default_model(settings)
        _embedders[key] = Embedder(settings)
    return _embedders[key]
