"""The ingest pipeline: read, clean, chunk, embed, index, swap.

Only documents whose content hash changed are re-embedded; the rest reuse the vectors of
the serving index. Files are read in a child process with a time and memory limit (see
ingest/reader_process.py); a file that cannot be read is reported by name and skipped, and if it
was indexed before, its previous version stays in the index. Two files never share a document
id: the second is reported, naming the first.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import bm25s
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.analyzer import ANALYZER_VERSION, analyze_document
from ingest.documents import chunk_with_units, discover
from ingest.embedding import Embedder, get_embedder
from ingest.index_store import (IndexNotFound, ensure_writable, ingest_lock, load_index, remove_partial_generations,
                                write_generation)
from ingest.principles import TAGGER_VERSION, PrincipleTagger, tag_chunks
from ingest.reader_process import PreparedDocument, ReaderConfig, ReaderProcess, peak_memory_bytes
from ingest.readers import ReadError, ReadLimits, RecordProblem
from ingest.records import Chunk, Document, chunk_text
from ingest.quote_units import FORMS, TAGGED_FORMS, UNITS_VERSION, Layout, QuoteUnit, context_text, layout_of
from ingest.settings import Settings
from ingest.vectors import ChunkJob, ResumeStore, embed_jobs

log = logging.getLogger(__name__)


class NothingToIndex(ReadError):
    """No readable document among the given paths; ``report`` says why for each file."""

    def __init__(self, report: "IngestReport"):
        super().__init__("nothing to index: no readable document among the given paths")
        self.report = report


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
    embedded_units: int = 0
    # Quote units that late pooling could not serve (encoded in their context instead).
    units_in_context: int = 0
    # Chunks whose vectors an earlier, interrupted ingest had already embedded.
    resumed_chunks: int = 0
    generation: str | None = None
    files: int = 0
    # Seconds each file took to read, clean and split (in the reader process).
    read_seconds: dict[str, float] = field(default_factory=dict)
    # Peak resident memory of the ingest process and of the processes that read the files.
    peak_memory_bytes: int = 0
    reader_peak_memory_bytes: int = 0


def passage_text(document: Document, chunk: Chunk) -> str:
    """What the models see of a chunk: title, organisation and section give it context."""
    header = " — ".join(part for part in (document.title, document.organization, chunk.section) if part)
    return f"{header}\n{chunk_text(document, chunk)}"


def provenance(document: Document) -> tuple:
    return (document.title, document.organization, document.kind, document.shared, document.date, document.source,
            document.visibility)


# Told what an ingest is doing, for a person watching it elsewhere (the upload page):
# (stage, done, total) with stage "reading", "embedding" or "writing".
ProgressCallback = Callable[[str, int, int], None]


def unit_texts(document: Document, chunks: list[Chunk], units: list[list[QuoteUnit]]) -> list[list[str]]:
    """What the model embeds for each quote unit of each chunk: the unit in its context."""
    layout = layout_of(document)
    return [[context_text(document, chunk, layout, unit) for unit in chunk_units]
            for chunk, chunk_units in zip(chunks, units)]


def chunk_job(document: Document, chunk: Chunk, units: list[QuoteUnit], layout: Layout) -> ChunkJob:
    """What embedding a chunk takes: its passage text, each unit's text in context, and where each
    unit (with the title and section heading the passage) lies in the passage text. A unit that
    runs past the chunk's end has no place in it and is encoded in its context."""
    passage = passage_text(document, chunk)
    body = len(passage) - (chunk.char_end - chunk.char_start)
    header = (0, body - 1)
    ranges = [[(unit.start - chunk.char_start + body, unit.end - chunk.char_start + body), header]
              if unit.end <= chunk.char_end else [] for unit in units]
    return ChunkJob(passage, [context_text(document, chunk, layout, unit) for unit in units], ranges)


def embedding_setup(settings: Settings, embedder: Embedder) -> dict:
    """What the vectors depend on besides the texts: an interrupted ingest's vectors are reused
    only when all of it is the same."""
    build_info = Path(settings.model) / "build_info.json"
    return {
        "model": settings.model,
        "build": build_info.read_text(encoding="utf-8") if build_info.exists() else None,
        "passage_prompt": settings.passage_prompt,
        "passage_engine": embedder.passage_engine,
        "passage_precision": embedder.passage_precision,
        "unit_vectors": settings.unit_vectors,
    }


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        transient=False,
    )


class _Stage:
    """One stage of the ingest, shown on a progress bar (when someone watches the terminal) and
    told to ``on_progress`` (when someone watches elsewhere)."""

    def __init__(self, name: str, description: str, total: int, show: bool, on_progress: ProgressCallback | None):
        self.name = name
        self.description = description
        self.total = total
        self.done = 0
        self.bar = _progress() if show else _NoProgress()
        self.on_progress = on_progress

    def __enter__(self) -> "_Stage":
        self.bar.__enter__()
        self.task = self.bar.add_task(self.description, total=self.total)
        self._tell()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self.bar.advance(self.task, count)
        self._tell()

    def _tell(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.name, self.done, self.total)


def _previous_index(index_dir: Path, settings: Settings, embedder: Embedder):
    try:
        previous = load_index(index_dir)
    except IndexNotFound:
        return None
    manifest = previous.manifest
    compatible = (
        manifest.get("model") == settings.model
        and manifest.get("dimension") == embedder.dimension
        and manifest.get("chunk_size") == settings.chunk_size
        and manifest.get("passage_prompt") == settings.passage_prompt
        and manifest.get("units_version") == UNITS_VERSION
        and manifest.get("quote_vectors") == settings.embed_quotes
        and manifest.get("unit_vectors", "context") == settings.unit_vectors
        and manifest.get("passage_engine", "torch") == embedder.passage_engine
        and manifest.get("passage_precision", "float32") == embedder.passage_precision
    )
    return previous if compatible else None


def _is_under(path: str, roots: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _read_files(files: list[Path], config: ReaderConfig, report: IngestReport, failed_sources: set[str],
                show_progress: bool, on_progress: ProgressCallback | None) -> list[PreparedDocument]:
    """Every document of every file, in order; problems go into the report by file name."""
    arrived: list[PreparedDocument] = []
    with _Stage("reading", "Reading documents", len(files), show_progress, on_progress) as stage, \
            ReaderProcess(config) as reader:
        for path in files:
            started = time.perf_counter()
            items = 0
            try:
                for item in reader.read(path):
                    items += 1
                    if isinstance(item, RecordProblem):
                        report.problems.append(FileProblem(str(path), f"{item.where}: {item.reason}"))
                        failed_sources.add(str(path.resolve()))
                    else:
                        arrived.append(item)
                if not items:
                    raise ReadError("the file holds no documents")
            except ReadError as error:
                report.problems.append(FileProblem(str(path), str(error)))
                failed_sources.add(str(path.resolve()))
            report.read_seconds[str(path)] = time.perf_counter() - started
            stage.advance()
        report.reader_peak_memory_bytes = reader.peak_memory_bytes
    return arrived


def _unique_ids(arrived: list[PreparedDocument], previous, roots: list[Path], report: IngestReport,
                failed_sources: set[str]) -> dict[str, PreparedDocument]:
    """One document per id. The file that held the id in the serving index keeps it, else the
    first file read; every other file with that id is reported, naming the holder."""
    groups: dict[str, list[PreparedDocument]] = {}
    for item in arrived:
        groups.setdefault(item.document.document_id, []).append(item)
    chosen: dict[str, PreparedDocument] = {}
    for document_id, group in groups.items():
        owner = previous.documents.get(document_id) if previous is not None else None
        winner = next((item for item in group if owner and _same_file(item.document.source_path, owner.source_path)), None)
        owner_stays = (owner is not None and winner is None and Path(owner.source_path).exists()
                       and (not _is_under(owner.source_path, roots) or str(Path(owner.source_path).resolve()) in failed_sources))
        if winner is None and not owner_stays:
            winner = group[0]
        holder = winner.document.source_path if winner is not None else owner.source_path
        for item in group:
            if item is winner:
                continue
            if _same_file(item.document.source_path, holder):
                reason = f"the id '{document_id}' appears more than once in this file; the first is kept"
            else:
                reason = (f"its document id '{document_id}' is already used by {holder}; give one of the two "
                          f"its own \"id\" in manifest.json, or rename one")
            report.problems.append(FileProblem(item.document.source_path, reason))
            failed_sources.add(str(Path(item.document.source_path).resolve()))
        if winner is not None:
            chosen[document_id] = winner
    return chosen


def ingest(paths: list[Path], index_dir: Path, settings: Settings, organization: str | None = None,
           show_progress: bool = True, on_wait: Callable[[str], None] = log.warning,
           on_progress: ProgressCallback | None = None, keep_missing_files: bool = False) -> IngestReport:
    """Build or update the index at ``index_dir`` from ``paths``. One ingest per index at a time:
    a second one waits for the first (telling ``on_wait``), so neither loses the other's documents.
    ``on_progress`` is told each step of reading and embedding. A document whose file is gone is
    removed, unless ``keep_missing_files`` (replicas: its file may be on another machine); a document
    under ``paths`` that was not read again is removed either way."""
    started = time.perf_counter()
    ensure_writable(index_dir)
    embedder = get_embedder(settings)
    with ingest_lock(index_dir, settings.ingest_lock_wait_seconds, on_wait):
        remove_partial_generations(index_dir)
        report = _ingest_locked(paths, index_dir, settings, organization, show_progress, embedder, on_progress,
                                keep_missing_files)
    report.seconds = time.perf_counter() - started
    report.peak_memory_bytes = peak_memory_bytes()
    return report


def _ingest_locked(paths: list[Path], index_dir: Path, settings: Settings, organization: str | None,
                   show_progress: bool, embedder, on_progress: ProgressCallback | None,
                   keep_missing_files: bool) -> IngestReport:
    report = IngestReport()
    previous = _previous_index(index_dir, settings, embedder)
    discovery = discover(paths)
    report.files = len(discovery.files)
    report.problems.extend(FileProblem(str(path), reason) for path, reason in discovery.skipped)
    config = ReaderConfig(
        limits=ReadLimits(settings.max_file_bytes, settings.max_unpacked_bytes),
        timeout_seconds=settings.file_timeout_seconds,
        memory_bytes=settings.reader_memory_bytes,
        organization=organization,
        chunk_size=settings.chunk_size,
        with_units=settings.embed_quotes,
        known_hashes=previous.manifest.get("documents", {}) if previous is not None else {},
    )
    failed_sources: set[str] = set()
    roots = [p.resolve() for p in paths]
    arrived = _read_files(discovery.files, config, report, failed_sources, show_progress, on_progress)
    chosen = _unique_ids(arrived, previous, roots, report, failed_sources)
    documents: dict[str, Document] = {document_id: item.document for document_id, item in chosen.items()}
    prepared = {document_id: item.chunks for document_id, item in chosen.items()}
    del arrived, chosen

    if previous is not None:
        for old in previous.documents.values():
            if old.document_id in documents:
                continue
            source_gone = not keep_missing_files and not Path(old.source_path).exists()
            replaced = _is_under(old.source_path, roots) and str(Path(old.source_path).resolve()) not in failed_sources
            if source_gone or replaced:
                report.removed.append(old.document_id)
            else:
                documents[old.document_id] = old

    previous_docs = previous.documents if previous is not None else {}
    # Per unchanged document: its chunks, their vectors, and each chunk's quote units and their vectors.
    previous_vectors: dict[str, tuple[list[Chunk], np.ndarray, list[tuple[list, np.ndarray]]]] = {}
    if previous is not None:
        rows: dict[str, list[int]] = {}
        for row, chunk in enumerate(previous.chunks):
            rows.setdefault(chunk.document_id, []).append(row)
        for document_id, indices in rows.items():
            units = []
            for i in indices:
                quote_rows = previous.quote_rows(previous.chunks[i].chunk_id)
                spans = [QuoteUnit(int(r[1]), int(r[2]), FORMS[int(r[3])]) for r in previous.quote_spans[list(quote_rows)]]
                units.append((spans, previous.quote_vectors[list(quote_rows)]))
            previous_vectors[document_id] = ([previous.chunks[i] for i in indices], previous.embeddings[indices], units)

    chunks: list[Chunk] = []
    vectors: list[np.ndarray | None] = []
    units: list[tuple[list[QuoteUnit], np.ndarray | None]] = []
    to_embed: list[int] = []
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for document in documents.values():
        old = previous_docs.get(document.document_id)
        if old is not None and old.content_hash == document.content_hash and document.document_id in previous_vectors:
            document.indexed_at = old.indexed_at or document.indexed_at
            old_chunks, old_vectors, old_units = previous_vectors[document.document_id]
            chunks.extend(old_chunks)
            vectors.extend(old_vectors)
            units.extend(old_units)
            if document.document_id not in report.removed:
                report.unchanged.append(document.document_id)
            continue
        (report.updated if old is not None else report.added).append(document.document_id)
        document.indexed_at = now
        pairs = prepared.get(document.document_id)
        if pairs is None:  # unchanged, but the serving index holds no chunks of it
            pairs = chunk_with_units(document, settings.chunk_size, settings.embed_quotes)
        for chunk, chunk_units in pairs:
            to_embed.append(len(chunks))
            chunks.append(chunk)
            vectors.append(None)
            units.append((chunk_units, None))

    if not chunks:
        raise NothingToIndex(report)
    report.documents = len(documents)
    report.chunks = len(chunks)
    unchanged_setup = previous is not None and all(
        previous.manifest.get(key) == value
        for key, value in (("analyzer_version", ANALYZER_VERSION), ("tagger_version", TAGGER_VERSION))
    )
    # Provenance (title, kind, date...) can change in the manifest while the text stays the same.
    metadata_changed = any(document_id in previous_docs and provenance(previous_docs[document_id]) != provenance(document)
                           for document_id, document in documents.items())
    moved = any(document.source_path != previous_docs[document_id].source_path
                for document_id, document in documents.items() if document_id in previous_docs)
    if unchanged_setup and not (report.added or report.updated or report.removed or moved or metadata_changed):
        report.generation = str(previous.path)
        return report

    embed_started = time.perf_counter()
    layouts = {document_id: layout_of(documents[document_id]) for document_id in {chunks[i].document_id for i in to_embed}}
    jobs = [chunk_job(documents[chunks[i].document_id], chunks[i], units[i][0], layouts[chunks[i].document_id])
            for i in to_embed]
    store = ResumeStore(index_dir, embedding_setup(settings, embedder))
    what = f"{len(to_embed)} chunks and their quotable parts" if settings.embed_quotes else f"{len(to_embed)} chunks"
    with _Stage("embedding", f"Embedding {what}", len(jobs), show_progress, on_progress) as stage:
        results, stats = embed_jobs(embedder, jobs, settings.unit_vectors, store, stage.advance)
    for i, result in zip(to_embed, results):
        vectors[i] = result.chunk
        units[i] = (units[i][0], result.units)
    report.embed_seconds = time.perf_counter() - embed_started
    report.embedded_chunks = len(to_embed)
    report.embedded_units = stats.units
    report.units_in_context = stats.units_in_context
    report.resumed_chunks = stats.resumed

    for number, chunk in enumerate(chunks):
        chunk.chunk_id = number
    embeddings = np.vstack(vectors).astype(np.float32)
    quote_rows = [(chunk.chunk_id, unit.start, unit.end, FORMS.index(unit.form))
                  for chunk, (chunk_units, _) in zip(chunks, units) for unit in chunk_units]
    quote_spans = np.array(quote_rows, dtype=np.int64).reshape(-1, 4)
    quote_vectors = (np.vstack([v for chunk_units, v in units if len(chunk_units)]).astype(np.float32)
                     if quote_rows else np.zeros((0, embedder.dimension), np.float32))

    corpus_terms = [analyze_document(passage_text(documents[c.document_id], c)) for c in chunks]
    lexical = bm25s.BM25()
    lexical.index(corpus_terms, show_progress=False)
    tagger = PrincipleTagger(embedder, settings.principles_dir)
    # Principles are scored on the quote units that read as sentences (not on whole lists or tables).
    tagged = np.flatnonzero(np.isin(quote_spans[:, 3], [FORMS.index(f) for f in TAGGED_FORMS])) if len(quote_spans) else np.zeros(0, int)
    unit_terms = [set(analyze_document(documents[chunks[row[0]].document_id].text[row[1]:row[2]]))
                  for row in quote_spans[tagged].tolist()]
    for chunk, tags in zip(chunks, tag_chunks(tagger, [set(terms) for terms in corpus_terms], embeddings,
                                              quote_spans[tagged, 0], quote_spans[tagged, 1:3], unit_terms,
                                              quote_vectors[tagged])):
        chunk.principles = tags.strengths
        chunk.evidence = tags.evidence

    if on_progress is not None:
        on_progress("writing", 0, 1)
    manifest = {
        "model": settings.model,
        "dimension": embedder.dimension,
        "passage_prompt": settings.passage_prompt,
        "query_prompt": settings.query_prompt,
        "analyzer_version": ANALYZER_VERSION,
        "tagger_version": TAGGER_VERSION,
        "units_version": UNITS_VERSION,
        "quote_vectors": settings.embed_quotes,
        "unit_vectors": settings.unit_vectors,
        "passage_engine": embedder.passage_engine,
        "passage_precision": embedder.passage_precision,
        "chunk_size": settings.chunk_size,
        "documents": {d.document_id: d.content_hash for d in documents.values()},
        "chunk_count": len(chunks),
    }
    generation = write_generation(index_dir, manifest, list(documents.values()), chunks, embeddings, lexical,
                                  quote_vectors, quote_spans)
    store.clear()
    report.generation = str(generation)
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
