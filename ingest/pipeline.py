"""The ingest pipeline: read, clean, chunk, embed, index, swap.

Only documents whose content hash changed are re-embedded; the rest reuse the vectors of
the serving index. Files that cannot be read are reported and skipped; if such a file was
indexed before, its previous version stays in the index.
"""

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.analyzer import ANALYZER_VERSION, analyze_document
from ingest.chunking import chunk_document
from ingest.documents import discover, read_documents
from ingest.embedding import get_embedder
from ingest.index_store import IndexNotFound, load_index, write_generation
from ingest.principles import TAGGER_VERSION, PrincipleTagger
from ingest.readers import ReadError
from ingest.records import Chunk, Document
from ingest.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class FileProblem:
    path: str
    reason: str


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded_chunks: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: str | None = None


def passage_text(document: Document, chunk: Chunk) -> str:
    """What the models see of a chunk: title, organisation and section give it context."""
    header = " — ".join(part for part in (document.title, document.organization, chunk.section) if part)
    return f"{header}\n{chunk.text}"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        transient=False,
    )


def _previous_index(index_dir: Path, settings: Settings, dimension: int):
    try:
        previous = load_index(index_dir)
    except IndexNotFound:
        return None
    manifest = previous.manifest
    compatible = (
        manifest.get("model") == settings.model
        and manifest.get("dimension") == dimension
        and manifest.get("chunk_size") == settings.chunk_size
        and manifest.get("passage_prompt") == settings.passage_prompt
    )
    return previous if compatible else None


def _is_under(path: str, roots: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def ingest(paths: list[Path], index_dir: Path, settings: Settings, organization: str | None = None,
           show_progress: bool = True) -> IngestReport:
    """Build or update the index at ``index_dir`` from ``paths``."""
    started = time.perf_counter()
    report = IngestReport()
    files = discover(paths)
    embedder = get_embedder(settings)
    previous = _previous_index(index_dir, settings, embedder.dimension)

    documents: dict[str, Document] = {}
    failed_sources: set[str] = set()
    with _progress() if show_progress else _NoProgress() as progress:
        task = progress.add_task("Reading documents", total=len(files))
        for path in files:
            try:
                for document in read_documents(path, settings.max_file_bytes, organization):
                    documents[document.document_id] = document
            except ReadError as error:
                report.problems.append(FileProblem(str(path), str(error)))
                failed_sources.add(str(path.resolve()))
            progress.advance(task)

    roots = [p.resolve() for p in paths]
    if previous is not None:
        for old in previous.documents.values():
            if old.document_id in documents:
                continue
            source_gone = not Path(old.source_path).exists()
            replaced = _is_under(old.source_path, roots) and str(Path(old.source_path).resolve()) not in failed_sources
            if source_gone or replaced:
                report.removed.append(old.document_id)
            else:
                documents[old.document_id] = old

    previous_docs = previous.documents if previous is not None else {}
    previous_vectors: dict[str, tuple[list[Chunk], np.ndarray]] = {}
    if previous is not None:
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(previous.chunks):
            rows.setdefault(chunk.document_id, []).append(row)
        for document_id, indices in rows.items():
            previous_vectors[document_id] = ([previous.chunks[i] for i in indices], previous.embeddings[indices])

    chunks: list[Chunk] = []
    vectors: list[np.ndarray | None] = []
    to_embed: list[int] = []
    for document in documents.values():
        old = previous_docs.get(document.document_id)
        if old is not None and old.content_hash == document.content_hash and document.document_id in previous_vectors:
            old_chunks, old_vectors = previous_vectors[document.document_id]
            chunks.extend(old_chunks)
            vectors.extend(old_vectors)
            if document.document_id not in report.removed:
                report.unchanged.append(document.document_id)
            continue
        (report.updated if old is not None else report.added).append(document.document_id)
        for chunk in chunk_document(document.document_id, document.text, document.sections, settings.chunk_size):
            to_embed.append(len(chunks))
            chunks.append(chunk)
            vectors.append(None)

    if not chunks:
        raise ReadError("nothing to index: no readable document among the given paths")
    report.documents = len(documents)
    report.chunks = len(chunks)
    unchanged_setup = previous is not None and all(
        previous.manifest.get(key) == value
        for key, value in (("analyzer_version", ANALYZER_VERSION), ("tagger_version", TAGGER_VERSION))
    )
    if unchanged_setup and not (report.added or report.updated or report.removed):
        report.generation = str(previous.path)
        report.seconds = time.perf_counter() - started
        return report

    embed_started = time.perf_counter()
    # Longest first across the whole run: batches of similar length waste no padding.
    to_embed.sort(key=lambda i: -len(chunks[i].text))
    texts = [passage_text(documents[chunks[i].document_id], chunks[i]) for i in to_embed]
    batch = max(settings.model_batch_size * 4, 64)
    with _progress() if show_progress else _NoProgress() as progress:
        task = progress.add_task("Embedding chunks", total=len(texts))
        for offset in range(0, len(texts), batch):
            encoded = embedder.encode_passages(texts[offset:offset + batch])
            for row, vector in zip(to_embed[offset:offset + batch], encoded):
                vectors[row] = vector
            progress.advance(task, len(encoded))
    report.embed_seconds = time.perf_counter() - embed_started
    report.embedded_chunks = len(to_embed)

    for number, chunk in enumerate(chunks):
        chunk.chunk_id = number
    embeddings = np.vstack(vectors).astype(np.float32)

    corpus_terms = [analyze_document(passage_text(documents[c.document_id], c)) for c in chunks]
    lexical = bm25s.BM25()
    lexical.index(corpus_terms, show_progress=False)
    tagger = PrincipleTagger(embedder, settings.principles_dir)
    for chunk, tags in zip(chunks, tagger.tags([set(terms) for terms in corpus_terms], embeddings)):
        chunk.principles = tags

    manifest = {
        "model": settings.model,
        "dimension": embedder.dimension,
        "passage_prompt": settings.passage_prompt,
        "query_prompt": settings.query_prompt,
        "analyzer_version": ANALYZER_VERSION,
        "tagger_version": TAGGER_VERSION,
        "chunk_size": settings.chunk_size,
        "documents": {d.document_id: d.content_hash for d in documents.values()},
        "chunk_count": len(chunks),
    }
    generation = write_generation(index_dir, manifest, list(documents.values()), chunks, embeddings, lexical)
    report.generation = str(generation)
    report.seconds = time.perf_counter() - started
    return report


class _NoProgress:
    """Stands in for a progress bar when nobody is watching (tests, the service)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *args, **kwargs) -> int:
        return 0

    def advance(self, *args, **kwargs) -> None:
        pass
