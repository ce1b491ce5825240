"""Hybrid retrieval: BM25 over the Lithuanian analyser plus dense e5 vectors, fused by score.

The question's vector is turned by the learned query adapter (service/query_adapter.py) before
the dense search.

Reciprocal-rank fusion throws away how sure each retriever is; on our gold set it loses
hit@1 to dense retrieval alone. Instead both scores of every candidate are normalised over
the candidate set (dense by min-max, lexical by its maximum) and mixed with a weight tuned on
the gold set (``EQUASS_DENSE_WEIGHT``). Candidates are the union of both retrievers' top N, and
each candidate gets both scores, so a passage found by only one retriever is still judged by
the other.
"""

from dataclasses import dataclass

import faiss
import numpy as np

from ingest.analyzer import analyze_query
from ingest.embedding import Embedder
from ingest.index_store import Index
from ingest.records import Hit
from ingest.settings import Settings
from service.glossary import lithuanian_query
from service.language import is_english
from service.query_adapter import QueryAdapter


# Tuned on the English questions of the gold set (python -m evaluation retrieval).
ENGLISH_DENSE_WEIGHT = 0.8


@dataclass
class Scored:
    """Per-retriever scores of one query over the candidate chunks, before fusion."""

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


class Searcher:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings, adapter: QueryAdapter | None = None):
        self.index = index
        self.embedder = embedder
        # Turns question vectors toward the passages that answer such questions (service/query_adapter.py).
        self.adapter = adapter
        self.dense_weight = settings.dense_weight
        self.candidates = settings.candidates
        self._organization_rows: dict[str, np.ndarray] = {}

    def allowed_rows(self, organization: str | None) -> np.ndarray | None:
        """Chunks an organisation may see: its own documents and the shared ones (laws, EQUASS)."""
        if not organization:
            return None
        if organization not in self._organization_rows:
            documents = self.index.documents
            self._organization_rows[organization] = np.array(
                [c.chunk_id for c in self.index.chunks
                 if documents[c.document_id].visible_to(organization)],
                dtype=np.int64,
            )
        return self._organization_rows[organization]

    def rows_of(self, document_ids: set[str]) -> np.ndarray:
        """Chunk rows of the given documents, for a search within them."""
        return np.array([c.chunk_id for c in self.index.chunks if c.document_id in document_ids], dtype=np.int64)

    def score(self, query: str, organization: str | None = None, query_vector: np.ndarray | None = None,
              lexical_query: str | None = None, within: np.ndarray | None = None) -> Scored:
        """Both retrievers' scores for the union of their top candidates.

        ``lexical_query`` replaces the query's words for BM25 (an English question's Lithuanian
        terms); ``within`` limits the search to those chunk rows.
        """
        if query_vector is None:
            query_vector = self.query_vector(query)
        allowed = self.allowed_rows(organization) if within is None else within
        total = len(self.index.chunks)
        n = min(self.candidates, total if allowed is None else len(allowed))
        if n == 0:
            empty = np.zeros(0)
            return Scored(empty.astype(np.int64), empty, empty)

        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        _, dense_rows = self.index.dense.search(query_vector[None, :], n, params=params)
        dense_rows = dense_rows[0][dense_rows[0] >= 0]

        if lexical_query is None:
            lexical_query = lithuanian_query(query) if is_english(query) else query
        lexical_all = self._lexical_scores(lexical_query)
        if allowed is not None:
            mask = np.zeros(total, dtype=bool)
            mask[allowed] = True
            lexical_all = np.where(mask, lexical_all, 0.0)
        positive = np.flatnonzero(lexical_all > 0)
        lexical_rows = positive[np.argsort(-lexical_all[positive])[:n]]

        rows = np.union1d(dense_rows, lexical_rows).astype(np.int64)
        dense = self.index.chunk_vectors(rows) @ query_vector
        return Scored(rows, dense.astype(np.float64), lexical_all[rows].astype(np.float64))

    def query_vector(self, query: str) -> np.ndarray:
        """The vector a query is searched with: its embedding, turned by the query adapter."""
        vector = self.embedder.encode_queries([query])[0]
        return self.adapter.adapt(vector) if self.adapter is not None else vector

    def _lexical_scores(self, query: str) -> np.ndarray:
        vocabulary = self.index.lexical.vocab_dict
        terms = [t for t in analyze_query(query) if t in vocabulary]
        if not terms:
            return np.zeros(len(self.index.chunks))
        return np.asarray(self.index.lexical.get_scores(terms), dtype=np.float64)

    def fuse(self, scored: Scored, dense_weight: float | None = None) -> np.ndarray:
        weight = self.dense_weight if dense_weight is None else dense_weight
        return fuse_scores(scored.dense, scored.lexical, weight)

    def search(self, query: str, k: int = 10, organization: str | None = None,
               mode: str = "hybrid", query_vector: np.ndarray | None = None,
               lexical_query: str | None = None, within: np.ndarray | None = None) -> list[Hit]:
        """Top ``k`` chunks for ``query``; ``mode`` is ``hybrid``, ``dense`` or ``lexical``."""
        scored = self.score(query, organization, query_vector, lexical_query, within)
        if mode == "dense":
            fused = scored.dense
        elif mode == "lexical":
            fused = scored.lexical
        else:
            fused = self.fuse(scored, hybrid_weight(query, self.dense_weight))
        order = np.argsort(-fused, kind="stable")[:k]
        if mode == "lexical":
            order = [i for i in order if scored.lexical[i] > 0]
        return [
            Hit(self.index.chunks[scored.rows[i]], float(fused[i]), float(scored.dense[i]), float(scored.lexical[i]))
            for i in order
        ]


def hybrid_weight(query: str, dense_weight: float) -> float:
    """The dense weight for ``query``. The lexical index knows Lithuanian words only: for an
    English question the few words it shares with the corpus ("EQUASS", names) would outweigh
    the meaning, so English questions are ranked mostly by the dense model."""
    return ENGLISH_DENSE_WEIGHT if is_english(query) else dense_weight


def fuse_scores(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    """Convex mix of min-max-normalised dense and max-normalised lexical scores."""
    if len(dense) == 0:
        return dense
    spread = dense.max() - dense.min()
    dense_norm = (dense - dense.min()) / spread if spread > 0 else np.ones_like(dense)
    top = lexical.max()
    lexical_norm = lexical / top if top > 0 else np.zeros_like(lexical)
    return dense_weight * dense_norm + (1 - dense_weight) * lexical_norm
