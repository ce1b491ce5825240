"""Reading and writing an index folder, with atomic swaps.

Layout of ``DIR``::

    DIR/current -> generations/<name>     symlink, replaced atomically
    DIR/generations/<name>/manifest.json   model, dimension, analyser version, document hashes
                          documents.jsonl  cleaned documents (the text quotes point into)
                          chunks.jsonl     chunks with offsets, sections and principle tags
                          embeddings.npy   one normalised vector per chunk
                          quotes.npy       one normalised vector per quote unit of every chunk
                          quote_spans.npy  (chunk_id, char_start, char_end, form) of each quote unit
                          dense.faiss      inner-product index over the same vectors
                          lexical/         bm25s index over the analysed chunks

A new generation is written completely before ``current`` is switched to it, so a crash
or a bad file during ingest leaves the serving index untouched.
"""

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import bm25s
import faiss
import numpy as np

from ingest.records import Chunk, Document, Section

FORMAT_VERSION = 3
KEEP_GENERATIONS = 2


class IndexNotFound(Exception):
    """There is no index at the given folder yet."""


@dataclass
class Index:
    """A loaded index generation."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray
    dense: faiss.Index
    lexical: bm25s.BM25
    quote_vectors: np.ndarray
    quote_spans: np.ndarray  # rows of (chunk_id, char_start, char_end, form), grouped by chunk in order

    def __post_init__(self):
        chunk_ids = self.quote_spans[:, 0] if len(self.quote_spans) else np.zeros(0, dtype=np.int64)
        starts = np.searchsorted(chunk_ids, np.arange(len(self.chunks)), side="left")
        ends = np.searchsorted(chunk_ids, np.arange(len(self.chunks)), side="right")
        self._quote_rows = list(zip(starts.tolist(), ends.tolist()))

    def chunks_of(self, document_id: str) -> list[Chunk]:
        return [chunk for chunk in self.chunks if chunk.document_id == document_id]

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
    data["sections"] = [Section(**section) for section in data.get("sections", [])]
    return Document(**data)


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
        chunks = [Chunk(**json.loads(line)) for line in lines]
    embeddings = np.load(path / "embeddings.npy")
    dense = faiss.read_index(str(path / "dense.faiss"))
    lexical = bm25s.BM25.load(str(path / "lexical"))
    quote_vectors = np.load(path / "quotes.npy")
    quote_spans = np.load(path / "quote_spans.npy")
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
    """Write a complete new generation, then point ``current`` at it; return its path."""
    generations = index_dir / "generations"
    generations.mkdir(parents=True, exist_ok=True)
    name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    staging = generations / f".{name}.partial"
    staging.mkdir()

    with open(staging / "documents.jsonl", "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps(asdict(document), ensure_ascii=False) + "\n")
    with open(staging / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    np.save(staging / "embeddings.npy", embeddings)
    np.save(staging / "quotes.npy", quote_vectors)
    np.save(staging / "quote_spans.npy", quote_spans)
    dense = faiss.IndexFlatIP(embeddings.shape[1])
    dense.add(embeddings)
    faiss.write_index(dense, str(staging / "dense.faiss"))
    lexical.save(str(staging / "lexical"))
    manifest = {**manifest, "format_version": FORMAT_VERSION, "created": name}
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

    final = generations / name
    os.replace(staging, final)
    link = index_dir / f".current.{name}"
    os.symlink(Path("generations") / name, link)
    os.replace(link, index_dir / "current")
    _prune(generations, keep=final)
    return final


def _prune(generations: Path, keep: Path) -> None:
    """Drop old generations (a reader still holding one has it loaded in memory already)."""
    names = sorted(p for p in generations.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in names[:-KEEP_GENERATIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for partial in generations.glob(".*.partial"):
        if partial.stat().st_mtime < keep.stat().st_mtime - 3600:
            shutil.rmtree(partial, ignore_errors=True)
