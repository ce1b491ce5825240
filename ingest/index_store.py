"""Reading and writing an index folder, with atomic swaps.

Layout of ``DIR``::

    DIR/current -> generations/<name>     symlink, replaced atomically
    DIR/generations/<name>/manifest.json   model, dimension, analyser version, document hashes
                          documents.jsonl  cleaned documents (the text quotes point into)
                          chunks.jsonl     chunks with offsets, sections and principle tags
                          embeddings.npy   one normalised vector per chunk (float16)
                          quotes.npy       one normalised vector per quote unit of every chunk (float16)
                          quote_spans.npy  (chunk_id, char_start, char_end, form) of each quote unit
                          dense.faiss      inner-product index over the same vectors (8-bit scalar quantised)
                          lexical/         bm25s index over the analysed chunks

Vectors are kept at half precision, and searched at one byte a dimension: the evaluation's answers
and hybrid retrieval are the same as with float32 (dense-only retrieval moves by a question), and
the index needs half the disk and a quarter of the memory. The vector files are
read a few rows at a time (ingest/vector_file.py), so a server holds in memory only the rows it reads;
the faiss index, loaded whole, gives the chunk vectors search needs.

A new generation is written completely before ``current`` is switched to it, so a crash
or a bad file during ingest leaves the serving index untouched. A failed write removes what it
wrote; one ingest at a time holds ``DIR/.ingest.lock`` (another waits for it), and removes
what an ingest killed half-way left behind.
"""

import errno
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import bm25s
import faiss
import numpy as np

from ingest.records import Chunk, Document, Section
from ingest.vector_file import VectorFile

FORMAT_VERSION = 3
KEEP_GENERATIONS = 2
VECTOR_DTYPE = np.float16


class IndexNotFound(Exception):
    """There is no index at the given folder yet."""


class IndexWriteError(Exception):
    """The index folder cannot be written now; the message says what to do."""


LOCK_NAME = ".ingest.lock"


def ensure_writable(index_dir: Path) -> None:
    """Fail before any work when the index folder cannot be written (read-only, wrong owner)."""
    try:
        (index_dir / "generations").mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=index_dir / "generations", prefix=".write-check-"):
            pass
    except OSError as error:
        raise IndexWriteError(f"Cannot write the index in {index_dir}: {error.strerror or error}. "
                              "Choose a writable folder with --index, or fix its permissions.") from error


@contextmanager
def ingest_lock(index_dir: Path, wait_seconds: float, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the index folder for one ingest. Two ingests at once would each build on the same old
    generation, and the later one would drop what the earlier added; the second waits instead,
    up to ``wait_seconds``, and then gives up with a message. The lock dies with its process."""
    ensure_writable(index_dir)
    with open(index_dir / LOCK_NAME, "a+", encoding="utf-8") as lock:
        deadline = time.monotonic() + wait_seconds
        waiting = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise IndexWriteError(f"Another ingest (process {holder}) is still writing to {index_dir}; "
                                          "nothing was changed. Run this ingest again when it has finished.") from None
                if not waiting:
                    on_wait(f"Another ingest (process {holder}) is writing to {index_dir}; "
                            f"waiting up to {wait_seconds:g} s for it to finish")
                    waiting = True
                time.sleep(0.2)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_partial_generations(index_dir: Path) -> list[Path]:
    """Remove what a killed ingest left half-written; only safe while holding the ingest lock."""
    removed = []
    generations = index_dir / "generations"
    if generations.is_dir():
        for partial in generations.glob(".*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
            removed.append(partial)
    for link in index_dir.glob(".current.*"):
        link.unlink(missing_ok=True)
        removed.append(link)
    return removed


@dataclass
class Index:
    """A loaded index generation."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: VectorFile
    dense: faiss.Index
    lexical: bm25s.BM25
    quote_vectors: VectorFile
    quote_spans: np.ndarray  # rows of (chunk_id, char_start, char_end, form), grouped by chunk in order

    def __post_init__(self):
        chunk_ids = self.quote_spans[:, 0] if len(self.quote_spans) else np.zeros(0, dtype=np.int64)
        starts = np.searchsorted(chunk_ids, np.arange(len(self.chunks)), side="left")
        ends = np.searchsorted(chunk_ids, np.arange(len(self.chunks)), side="right")
        self._quote_rows = list(zip(starts.tolist(), ends.tolist()))

    def chunks_of(self, document_id: str) -> list[Chunk]:
        return [chunk for chunk in self.chunks if chunk.document_id == document_id]

    def chunk_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of some chunks, as float32, from the dense index's own 8-bit copy in memory
        (about a thousandth from embeddings.npy's, which then stays on disk)."""
        return self.dense.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def quote_rows(self, chunk_id: int) -> range:
        """Rows of ``quote_vectors``/``quote_spans`` that belong to a chunk."""
        start, end = self._quote_rows[chunk_id]
        return range(start, end)


def current_generation(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.exists():
        return None
    return link.resolve()


def _document_from_json(data: dict) -> Document:
    data = dict(data)
    # A section's title is also every one of its chunks' ``section``: one string for both.
    data["sections"] = [Section(**{**section, "title": sys.intern(section["title"])}) for section in data.get("sections", [])]
    return Document(**data)


def _chunk_from_json(data: dict, strengths: dict[float, float]) -> Chunk:
    """A chunk with its repeated values shared (a document's id, a section's title, a principle's
    name, a strength of three decimals from ``strengths``): at 300k chunks separate copies cost
    hundreds of megabytes. Generations written before chunks stopped carrying their text still load."""
    data.pop("text", None)
    data["document_id"] = sys.intern(data["document_id"])
    data["section"] = sys.intern(data["section"])
    data["principles"] = {sys.intern(p): strengths.setdefault(s, s) for p, s in data.get("principles", {}).items()}
    data["evidence"] = {sys.intern(p): tuple(span) for p, span in data.get("evidence", {}).items()}
    return Chunk(**data)


def load_index(index_dir: Path) -> Index:
    """Load the current generation; raise ``IndexNotFound`` with what to run when there is none."""
    path = current_generation(index_dir)
    if path is None:
        raise IndexNotFound(
            f"No index in {index_dir}. Build one with: python -m ingest corpus --index {index_dir}"
        )
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexNotFound(
            f"The index in {index_dir} has an older format. Rebuild it with: python -m ingest corpus --index {index_dir}"
        )
    with open(path / "documents.jsonl", encoding="utf-8") as lines:
        documents = {d.document_id: d for d in (_document_from_json(json.loads(x)) for x in lines)}
    with open(path / "chunks.jsonl", encoding="utf-8") as lines:
        strengths: dict[float, float] = {}
        chunks = [_chunk_from_json(json.loads(line), strengths) for line in lines]
    embeddings = VectorFile(path / "embeddings.npy")
    dense = faiss.read_index(str(path / "dense.faiss"))
    # Memory-mapped: a query reads the postings of its own terms only.
    lexical = bm25s.BM25.load(str(path / "lexical"), mmap=True)
    quote_vectors = VectorFile(path / "quotes.npy")
    quote_spans = np.load(path / "quote_spans.npy").astype(np.int32)  # offsets and ids fit: half the memory
    return Index(path, manifest, documents, chunks, embeddings, dense, lexical, quote_vectors, quote_spans)


def write_generation(
    index_dir: Path,
    manifest: dict,
    documents: list[Document],
    chunks: list[Chunk],
    embeddings: np.ndarray,
    lexical: bm25s.BM25,
    quote_vectors: np.ndarray,
    quote_spans: np.ndarray,
) -> Path:
    """Write a complete new generation, then point ``current`` at it; return its path. On any
    failure (a full disk, an interrupt) what was written is removed and ``current`` is unchanged."""
    generations = index_dir / "generations"
    generations.mkdir(parents=True, exist_ok=True)
    name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    staging = generations / f".{name}.partial"
    final = generations / name
    try:
        staging.mkdir()
        _write_files(staging, manifest, name, documents, chunks, embeddings, lexical, quote_vectors, quote_spans)
        os.replace(staging, final)
        point_current(index_dir, name)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if current_generation(index_dir) != final.resolve():
            shutil.rmtree(final, ignore_errors=True)
        if isinstance(error, OSError):
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise IndexWriteError(f"The disk holding {index_dir} is full. The unfinished index was removed and "
                                      "the serving index is unchanged; free some space and ingest again.") from error
            raise IndexWriteError(f"Writing the index in {index_dir} failed ({error.strerror or error}). The "
                                  "unfinished index was removed and the serving index is unchanged.") from error
        raise
    prune_generations(index_dir, keep=final)
    return final


def point_current(index_dir: Path, name: str) -> None:
    """Switch ``current`` to the complete generation ``name`` in one atomic step."""
    link = index_dir / f".current.{name}"
    try:
        os.symlink(Path("generations") / name, link)
        os.replace(link, index_dir / "current")
    finally:
        link.unlink(missing_ok=True)


def _write_files(staging: Path, manifest: dict, name: str, documents: list[Document], chunks: list[Chunk],
                 embeddings: np.ndarray, lexical: bm25s.BM25, quote_vectors: np.ndarray,
                 quote_spans: np.ndarray) -> None:
    with open(staging / "documents.jsonl", "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps(asdict(document), ensure_ascii=False) + "\n")
    with open(staging / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    np.save(staging / "embeddings.npy", embeddings.astype(VECTOR_DTYPE))
    np.save(staging / "quotes.npy", quote_vectors.astype(VECTOR_DTYPE))
    np.save(staging / "quote_spans.npy", quote_spans)
    # One byte a dimension (each dimension's range learnt from the vectors): a quarter of float32's
    # memory, with the same answers and retrieval hit@k on the gold questions as float16.
    dense = faiss.IndexScalarQuantizer(embeddings.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    if len(vectors):
        dense.train(vectors)
        dense.add(vectors)
    faiss.write_index(dense, str(staging / "dense.faiss"))
    lexical.save(str(staging / "lexical"))
    manifest = {**manifest, "format_version": FORMAT_VERSION, "created": name}
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def prune_generations(index_dir: Path, keep: Path) -> None:
    """Drop old generations (a reader still holding one has it loaded in memory already)."""
    generations = index_dir / "generations"
    names = sorted(p for p in generations.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in names[:-KEEP_GENERATIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
