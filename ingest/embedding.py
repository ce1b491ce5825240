"""The embedding model: any sentence-transformers model, by name or folder.

Vectors are the mean of the transformer's token outputs, normalised (e5's pooling). Two engines
compute the token outputs: torch, and an int8 ONNX Runtime copy of the same model when the model
folder has one (``onnx/model-int8.onnx``, written by ``python -m ingest.model_build``).
Quantisation is dynamic and per channel (per-tensor int8 loses retrieval quality); the copy's
vectors are at cosine 0.997 to torch's. Questions, encoded one at a time while a person waits, go
through the ONNX copy (about 5 ms instead of 20-30 ms on one core). Passages go through torch,
the ONNX copy, or each batch through the faster of the two for its length (``EQUASS_PASSAGE_ENGINE``).
A service that never encodes a passage never loads torch.

Thread counts are set on purpose: on a 2-core server a second busy process makes torch at two
threads 10-30 times slower.
"""

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ingest.settings import Settings

log = logging.getLogger(__name__)

ONNX_FILE = Path("onnx") / "model-int8.onnx"
# The tokenizer as a SentencePiece model (ingest/model_build.py): the question encoder's, in a fifth
# of the memory ``tokenizers`` needs for the same 250k-piece vocabulary.
SENTENCEPIECE_FILE = Path("onnx") / "tokenizer.model"
MAX_TOKENS = 512
# With ``EQUASS_PASSAGE_ENGINE=by-length``, batches up to this many tokens go through the int8 copy,
# by the precision of torch's passes. Measured on two cores (tokens/s, batches of one length): int8
# 8,000 at 64 tokens, 5,500 at 128, 3,800 at 192, 2,300 at 512 (its attention is not quantised);
# torch in float32 about 3,100 at every length; torch under bfloat16 autocast 5,400 at 64, 5,600 at
# 128, 5,200 at 192, 4,400 at 512.
ONNX_MAX_PASSAGE_TOKENS = {"float32": 192, "bfloat16": 128}

# Token outputs (batch, tokens, dimension) from token ids and attention mask (batch, tokens).
TokenStates = Callable[[np.ndarray, np.ndarray], np.ndarray]


def onnx_token_states(model_dir: Path, threads: int, batches: bool) -> TokenStates:
    """``batches``: the session runs batches of many shapes (passages at ingest). ONNX Runtime's
    memory arena would keep the largest of each shape it has seen (several GB over an ingest), so
    it is off for them; one-question runs keep it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = not batches
    session = onnxruntime.InferenceSession(str(model_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return run


def torch_token_states(transformer, bfloat16: bool) -> TokenStates:
    """``bfloat16``: run under bfloat16 autocast (the weights stay float32; outputs are float32)."""
    import torch

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            out = transformer(input_ids=ids_t, attention_mask=mask_t, token_type_ids=torch.zeros_like(ids_t))
            return out.last_hidden_state.float().numpy()
    return run


def bfloat16_supported() -> bool:
    """Whether this CPU runs bfloat16 natively (oneDNN's check)."""
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


@dataclass
class Encoding:
    ids: list[int]


class SentencePieceTokens:
    """Tokenises like tokenizer.json, through SentencePiece: the ids of ``tokenizers`` for text
    without trailing whitespace (questions are stripped). Only ``encode_batch`` (ids, no offsets):
    enough for encoding questions, not for pooling spans of passages."""

    def __init__(self, path: Path):
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
        self.limit = MAX_TOKENS

    def enable_truncation(self, limit: int) -> None:
        self.limit = limit

    def no_padding(self) -> None:
        pass

    def encode_batch(self, texts: list[str]) -> list[Encoding]:
        bos, eos = self.processor.bos_id(), self.processor.eos_id()
        # One thread: SentencePiece's pool for a list of texts costs more than a question takes to tokenise.
        return [Encoding([bos] + ids[:self.limit - 2] + [eos]) for ids in self.processor.encode(texts, num_threads=1)]


class TokenEncoder:
    """Tokenises with the model's own tokenizer, runs an engine for the token outputs and mean-pools
    them: over the whole text (a passage's vector) and over character spans of it."""

    def __init__(self, tokenizer, token_states: TokenStates, dimension: int):
        self.tokenizer = tokenizer
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.token_states = token_states
        self.dimension = dimension

    def _run(self, texts: list[str]):
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        return encodings, self.token_states(ids, mask), mask

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        _, states, mask = self._run(texts)
        summed = (states * mask[..., None]).sum(axis=1)
        return normalise(summed / mask.sum(axis=1, keepdims=True))

    def encode_with_spans(self, texts: list[str], spans: list[list[list[tuple[int, int]]]]
                          ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Each text's vector, and for each of its parts (a part is one or more character ranges
        of the text) the mean of the token outputs that fall inside it, from the same forward pass.
        A part with no range, or one that reaches past what the model read (a text cut at 512
        tokens), gets None."""
        encodings, states, mask = self._run(texts)
        summed = (states * mask[..., None]).sum(axis=1)
        vectors = normalise(summed / mask.sum(axis=1, keepdims=True))
        pooled: list[list[np.ndarray | None]] = []
        for row, (encoding, parts) in enumerate(zip(encodings, spans)):
            offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
            words = np.array(encoding.special_tokens_mask, dtype=bool) == 0
            read_up_to = int(offsets[words, 1].max()) if words.any() else 0
            complete = len(texts[row]) <= read_up_to or not encoding.overflowing
            found = []
            for ranges in parts:
                if not ranges or (not complete and max(end for _, end in ranges) > read_up_to):
                    found.append(None)
                    continue
                inside = np.zeros(len(offsets), dtype=bool)
                for start, end in ranges:
                    inside |= words & (offsets[:, 0] < end) & (offsets[:, 1] > start)
                found.append(normalise(states[row, :len(offsets)][inside].mean(axis=0)) if inside.any() else None)
            pooled.append(found)
        return vectors, pooled


class Embedder:
    """Encodes passages and queries with the prompts the model was trained with (e5: ``query: ``)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.name = settings.model
        self.batch_size = settings.model_batch_size
        self.query_prompt = settings.query_prompt
        self.passage_prompt = settings.passage_prompt
        folder = Path(settings.model)
        has_onnx = (folder / ONNX_FILE).exists() and (folder / "tokenizer.json").exists()
        self.onnx_queries = settings.onnx_queries and has_onnx
        # Which engine encodes passages; stored in the index's manifest (see ingest/settings.py).
        self.passage_engine = settings.passage_engine
        self.passage_precision = settings.passage_precision
        if settings.onnx_queries and not has_onnx:
            log.info("No ONNX copy of %s: questions are encoded with torch (python -m ingest.model_build makes one)",
                     settings.model)
        if self.passage_engine != "torch" and not has_onnx:
            raise ValueError(f"EQUASS_PASSAGE_ENGINE is {self.passage_engine} but {settings.model} has no {ONNX_FILE}; "
                             "build it with: python -m ingest.model_build")

    @cached_property
    def dimension(self) -> int:
        if self.onnx_queries or self.passage_engine != "torch":
            config = Path(self.settings.model) / "config.json"
            return int(json.loads(config.read_text(encoding="utf-8"))["hidden_size"])
        return int(self.model.get_embedding_dimension())

    @cached_property
    def model(self):
        """The sentence-transformers model (torch), loaded on first use only."""
        import torch
        from sentence_transformers import SentenceTransformer

        if self.settings.model_threads:
            torch.set_num_threads(self.settings.model_threads)
        return SentenceTransformer(self.settings.model, device="cpu")

    def _onnx_encoder(self, threads: int, batches: bool) -> TokenEncoder:
        from tokenizers import Tokenizer

        folder = Path(self.settings.model)
        if not batches and (folder / SENTENCEPIECE_FILE).exists():
            tokenizer = SentencePieceTokens(folder / SENTENCEPIECE_FILE)
        else:
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        return TokenEncoder(tokenizer, onnx_token_states(folder, threads, batches), self.dimension)

    @cached_property
    def query_encoder(self) -> TokenEncoder | None:
        """Questions one at a time through the int8 copy, tokenised by SentencePiece when the model
        folder has its file (older builds: ``tokenizers``)."""
        return self._onnx_encoder(self.settings.query_threads, batches=False) if self.onnx_queries else None

    @cached_property
    def onnx_passage_encoder(self) -> TokenEncoder:
        return self._onnx_encoder(self.settings.model_threads or _cores(), batches=True)

    @cached_property
    def torch_bfloat16(self) -> bool:
        """Whether torch's passage passes run in bfloat16: asked for, and this CPU has the instructions."""
        if self.passage_precision != "bfloat16":
            return False
        if not bfloat16_supported():
            log.warning("EQUASS_PASSAGE_PRECISION is bfloat16 but this CPU has no bfloat16 instructions: "
                        "passages are encoded in float32")
            return False
        return True

    @cached_property
    def torch_passage_encoder(self) -> TokenEncoder:
        import copy

        return TokenEncoder(copy.deepcopy(self.model.tokenizer.backend_tokenizer),
                            torch_token_states(self.model[0].auto_model, self.torch_bfloat16), self.dimension)

    def passage_encoder(self, texts: list[str]) -> TokenEncoder:
        """The engine for one batch: with ``by-length``, the int8 copy when its longest text is short."""
        if self.passage_engine == "torch":
            return self.torch_passage_encoder
        if self.passage_engine == "by-length":
            # Counted on the batch's longest text by characters: one text tokenised here, not the batch.
            longest = len(self.onnx_passage_encoder.tokenizer.encode(max(texts, key=len)).ids)
            if longest > ONNX_MAX_PASSAGE_TOKENS["bfloat16" if self.torch_bfloat16 else "float32"]:
                return self.torch_passage_encoder
        return self.onnx_passage_encoder

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for offset in range(0, len(order), self.batch_size):
            rows = order[offset:offset + self.batch_size]
            batch = [self.passage_prompt + texts[i] for i in rows]
            vectors[rows] = self.passage_encoder(batch).encode(batch)
        return vectors

    def encode_passages_with_spans(self, texts: list[str], spans: list[list[list[tuple[int, int]]]]
                                   ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Passages and the late-pooled vectors of their parts (see ``TokenEncoder.encode_with_spans``);
        ranges are positions in each text, the prompt is accounted for here."""
        shift = len(self.passage_prompt)
        shifted = [[[(start + shift, end + shift) for start, end in ranges] for ranges in parts] for parts in spans]
        batch = [self.passage_prompt + t for t in texts]
        return self.passage_encoder(batch).encode_with_spans(batch, shifted)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        texts = [t.strip() for t in texts]  # both tokenizers read a question alike without trailing spaces
        if self.query_encoder is not None and texts:
            return self.query_encoder.encode([self.query_prompt + t for t in texts])
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, prompt=self.query_prompt, batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _cores() -> int:
    """Threads for batch encoding when none is set: as OMP_NUM_THREADS says (as torch does), else one per core."""
    return int(os.environ.get("OMP_NUM_THREADS") or len(os.sched_getaffinity(0)))


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
    key = (f"{settings.model}|{settings.onnx_queries}|{settings.passage_engine}|{settings.passage_precision}|"
           f"{settings.model_threads}")
    if key not in _embedders:
        ensure_default_model(settings)
        _embedders[key] = Embedder(settings)
    return _embedders[key]
