"""What one caller may see, and views of the served index that see nothing else.

A ``Scope`` is an organisation (or all of them) and whether only public documents count: staff of
an organisation see its documents and the shared ones (laws, EQUASS); the widget's embed key sees
the organisation's public documents and the shared ones. The views below are made once per scope
and generation and share everything heavy with the full index (vectors, BM25, caches): a view's
searcher searches only the scope's chunks, even when asked to search within given documents; its
definitions are only the scope's; its organisations are only the scope's, so a question that
names another organisation is read as naming none.
"""

import copy
from dataclasses import dataclass, replace

import numpy as np

from ingest.records import Document, Hit
from service.candidates import CandidateBuilder
from service.conversations import Turn


@dataclass(frozen=True)
class Scope:
    organization: str | None = None  # None: every organisation's documents
    public_only: bool = False  # the widget: the organisation's public documents only
    # The laws answers and search draw on (document ids, ``EQUASS_LAWS_IN_SCOPE``); empty: every law.
    laws: frozenset[str] = frozenset()

    def allows(self, document: Document) -> bool:
        if self.laws and document.kind == "law" and document.document_id not in self.laws:
            return False
        if document.shared:
            return True
        if self.organization is not None and document.organization != self.organization:
            return False
        return document.public or not self.public_only

    @property
    def everything(self) -> bool:
        return self.organization is None and not self.public_only and not self.laws


EVERYTHING = Scope()


class ScopedSearcher:
    """A searcher over the chunks of one scope only: every search, also one ``within`` given rows
    (the answer step's search in the organisation's own or the conversation's documents), is cut
    to the scope's rows before it runs."""

    def __init__(self, searcher, rows: np.ndarray):
        self.searcher = searcher
        self.rows = rows
        self.index = searcher.index
        self.embedder = searcher.embedder
        self.adapter = searcher.adapter

    def allowed_rows(self, organization: str | None) -> np.ndarray:
        base = self.searcher.allowed_rows(organization)
        return self.rows if base is None else np.intersect1d(base, self.rows)

    def rows_of(self, document_ids: set[str]) -> np.ndarray:
        return np.intersect1d(self.searcher.rows_of(document_ids), self.rows)

    def query_vector(self, query: str) -> np.ndarray:
        return self.searcher.query_vector(query)

    @property
    def dense_weight(self) -> float:
        return self.searcher.dense_weight

    def _allowed(self, organization: str | None, within: np.ndarray | None) -> np.ndarray:
        return self.allowed_rows(organization) if within is None else np.intersect1d(within, self.rows)

    def search(self, query: str, k: int = 10, organization: str | None = None, mode: str = "hybrid",
               query_vector: np.ndarray | None = None, lexical_query: str | None = None,
               within: np.ndarray | None = None) -> list[Hit]:
        return self.searcher.search(query, k, None, mode, query_vector, lexical_query,
                                    within=self._allowed(organization, within))

    def score(self, query: str, organization: str | None = None, query_vector: np.ndarray | None = None,
              lexical_query: str | None = None, within: np.ndarray | None = None):
        return self.searcher.score(query, None, query_vector, lexical_query, within=self._allowed(organization, within))


class ScopedCandidates(CandidateBuilder):
    """The answer step's candidate builder, whose definitions found by their term (which bypass
    search) are only those of the scope's documents."""

    def __init__(self, builder: CandidateBuilder, scope: Scope):
        super().__init__(builder.index)
        self.base = builder
        self.scope = scope

    def definitions(self) -> dict[int, tuple[frozenset[str], ...]]:
        if self._definitions is None:
            index = self.index
            self._definitions = {
                row: keys for row, keys in self.base.definitions().items()
                if self.scope.allows(index.documents[index.chunks[int(index.quote_spans[row][0])].document_id])
            }
        return self._definitions


def scoped_rows(index, scope: Scope) -> np.ndarray:
    return np.array([c.chunk_id for c in index.chunks if scope.allows(index.documents[c.document_id])], dtype=np.int64)


def answerer_within(answerer, engine, coverage, scope: Scope):
    """The answerer, seeing only ``engine``'s (a scoped engine's) documents. A shallow copy: the
    model, term statistics and caches (which depend on the text only) are shared."""
    view = copy.copy(answerer)
    view.engine = engine
    view.searcher = engine.searcher
    view.builder = ScopedCandidates(answerer.builder, scope)
    if scope.laws:
        view.document_frequency, view.chunk_count = answerer.statistics_with_laws(scope.laws)
    view.principle_coverage = coverage
    return view


def confined(history: list[Turn], scope: Scope, documents: dict[str, Document]) -> list[Turn]:
    """A conversation's turns without what lies outside the scope (the caller's organisation may
    have changed since): the organisation a turn was about and the documents it quoted."""
    kept = []
    for turn in history:
        organization = turn.organization
        if scope.organization is not None and organization not in (None, scope.organization):
            organization = None
        kept.append(replace(turn, organization=organization, document_ids=[
            d for d in turn.document_ids if d in documents and scope.allows(documents[d])]))
    return kept
