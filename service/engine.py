"""What the service holds in memory: the index, the model and the searcher over them."""

import logging
from dataclasses import dataclass
from functools import cached_property

from ingest.embedding import get_embedder
from ingest.index_store import Index, load_index
from ingest.principles import TAG_THRESHOLD
from ingest.records import Chunk, Document, Hit
from ingest.settings import Settings
from service.query_adapter import load_adapter
from service.retrieval import Searcher
from service.schemas import DocumentOut, DocumentSummary, Quote
from service.scopes import EVERYTHING, Scope, ScopedSearcher, scoped_rows

log = logging.getLogger(__name__)


@dataclass
class Engine:
    settings: Settings
    index: Index
    searcher: Searcher | ScopedSearcher
    # What this engine shows: everything, or one caller's documents (see ``within``).
    scope: Scope = EVERYTHING

    @classmethod
    def load(cls, settings: Settings) -> "Engine":
        index = load_index(settings.index_dir)
        embedder = get_embedder(settings)
        if index.manifest.get("dimension") != embedder.dimension:
            raise RuntimeError(
                f"The index in {settings.index_dir} was built with {index.manifest.get('model')}; "
                f"rebuild it with the configured model {settings.model}: python -m ingest --index {settings.index_dir}"
            )
        log.info("Loaded index %s: %d documents, %d chunks", index.path.name, len(index.documents), len(index.chunks))
        return cls(settings, index, Searcher(index, embedder, settings, load_adapter(embedder.name, embedder.dimension)))

    def within(self, scope: Scope) -> "Engine":
        """This engine, seeing only the documents of ``scope``."""
        if scope == self.scope:
            return self
        return Engine(self.settings, self.index, ScopedSearcher(self.searcher, scoped_rows(self.index, scope)), scope)

    def allows(self, document: Document) -> bool:
        return self.scope.allows(document)

    @cached_property
    def organizations(self) -> list[str]:
        """Organisations with documents of their own (shared laws and EQUASS material excluded)."""
        return sorted({d.organization for d in self.index.documents.values()
                       if d.organization and not d.shared and self.allows(d)})

    def quote(self, chunk: Chunk, start: int, end: int, score: float) -> Quote:
        """A quote of ``document.text[start:end]`` within ``chunk``, with its provenance."""
        document = self.index.documents[chunk.document_id]
        return Quote(
            text=document.text[start:end],
            document_id=document.document_id,
            title=document.title,
            organization=document.organization,
            section=chunk.section,
            url=f"{document.url}?start={start}&end={end}",
            source_url=published_url(document),
            char_start=start,
            char_end=end,
            score=round(score, 4),
            principles=sorted(p for p, s in chunk.principles.items() if s >= TAG_THRESHOLD),
        )

    def hit_quote(self, hit: Hit) -> Quote:
        return self.quote(hit.chunk, hit.chunk.char_start, hit.chunk.char_end, hit.score)

    def search(self, query: str, k: int, organization: str | None) -> list[Quote]:
        return [self.hit_quote(hit) for hit in self.searcher.search(query, k, organization)]

    def summary_of(self, document_id: str) -> DocumentSummary | None:
        document = self.index.documents.get(document_id)
        return summary(document) if document and self.allows(document) else None

    def documents(self, organization: str | None = None) -> list[DocumentSummary]:
        return [summary(d) for d in self.index.documents.values() if d.visible_to(organization) and self.allows(d)]

    def document(self, document_id: str) -> DocumentOut | None:
        document = self.index.documents.get(document_id)
        if document is None or not self.allows(document):
            return None
        return DocumentOut(
            **summary(document).model_dump(),
            text=document.text,
            sections=[{"title": s.title, "level": s.level, "start": s.start, "end": s.end} for s in document.sections],
        )


def published_url(document: Document) -> str | None:
    """Where the document was published, if its provenance is a web address (not a note)."""
    source = document.source or ""
    return source if source.startswith(("http://", "https://")) else None


def summary(document: Document) -> DocumentSummary:
    return DocumentSummary(
        document_id=document.document_id,
        title=document.title,
        organization=document.organization,
        url=document.url or f"/documents/{document.document_id}",
        source_url=published_url(document),
        date=document.date,
        kind=document.kind,
        shared=document.shared,
        chars=len(document.text),
        visibility="public" if document.public else "internal",
        indexed_at=document.indexed_at,
    )
