"""Retrieval quality: hit@1, hit@5 and MRR@10 for lexical, dense and hybrid, side by side."""

from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from evaluation.gold import GoldQuestion, locate
from ingest.index_store import Index
from service.retrieval import Searcher, fuse_scores, hybrid_weight

MODES = ("lexical", "dense", "hybrid")


@dataclass
class RankedQuestion:
    question: GoldQuestion
    relevant: set[int]
    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


def relevant_chunks(index: Index, question: GoldQuestion) -> set[int]:
    """Chunks that hold a gold answer span (or, for a span cut by a chunk boundary, overlap it)."""
    relevant: set[int] = set()
    for answer in question.answers:
        document = index.documents[answer.document_id]
        span = locate(answer.text, document)
        if span is None:
            raise ValueError(f"{question.id}: answer not found in {answer.document_id}")
        start, end = span
        chunks = index.chunks_of(answer.document_id)
        relevant |= {c.chunk_id for c in chunks if c.char_start <= start and end <= c.char_end} or {
            c.chunk_id for c in chunks if c.char_start < end and start < c.char_end}
    return relevant


def score_questions(searcher: Searcher, questions: list[GoldQuestion], adapted: bool = True) -> list[RankedQuestion]:
    """Run both retrievers once per question; the modes are rankings of the same scores. The dense
    search runs with the question's vector turned by the query adapter, as the service does, or
    (``adapted=False``) with the plain vector."""
    questions = [q for q in questions if q.answerable and not q.history]
    vectors = searcher.embedder.encode_queries([q.question for q in questions])
    if adapted and searcher.adapter is not None:
        vectors = [searcher.adapter.adapt(v) for v in vectors]
    ranked = []
    for question, vector in zip(questions, vectors):
        scored = searcher.score(question.question, question.organization, query_vector=vector)
        ranked.append(RankedQuestion(question, relevant_chunks(searcher.index, question),
                                     scored.rows, scored.dense, scored.lexical))
    return ranked


def ranking(item: RankedQuestion, mode: str, dense_weight: float) -> list[int]:
    if mode == "dense":
        scores = item.dense
    elif mode == "lexical":
        scores = np.where(item.lexical > 0, item.lexical, -1.0)
    else:
        scores = fuse_scores(item.dense, item.lexical, hybrid_weight(item.question.question, dense_weight))
    order = np.argsort(-scores, kind="stable")
    if mode == "lexical":
        order = [i for i in order if item.lexical[i] > 0]
    return [int(item.rows[i]) for i in order[:10]]


def document_ranking(index: Index, rows: list[int]) -> list[str]:
    """The documents of a chunk ranking, each at the rank of its best chunk."""
    return list(dict.fromkeys(index.chunks[row].document_id for row in rows))


def metrics(items: list[RankedQuestion], mode: str, dense_weight: float, index: Index | None = None) -> dict[str, float]:
    """Passage level: the first chunk holding the gold span; with ``index``, document level instead."""
    hit1 = hit5 = reciprocal = 0.0
    for item in items:
        rows = ranking(item, mode, dense_weight)
        if index is None:
            first = next((rank for rank, row in enumerate(rows, 1) if row in item.relevant), None)
        else:
            gold_documents = {a.document_id for a in item.question.answers}
            first = next((rank for rank, document_id in enumerate(document_ranking(index, rows), 1)
                          if document_id in gold_documents), None)
        if first is not None:
            hit1 += first == 1
            hit5 += first <= 5
            reciprocal += 1 / first
    n = len(items) or 1
    return {"hit@1": hit1 / n, "hit@5": hit5 / n, "mrr@10": reciprocal / n}


def report(searcher: Searcher, questions: list[GoldQuestion], title: str = "gold questions", sweep: bool = False,
           console: Console | None = None) -> dict:
    console = console or Console()
    items = score_questions(searcher, questions)
    plain = score_questions(searcher, questions, adapted=False)
    weight = searcher.dense_weight
    results = {mode: metrics(items, mode, weight) for mode in MODES}
    documents = {mode: metrics(items, mode, weight, searcher.index) for mode in MODES}
    for mode in ("dense", "hybrid"):
        results[f"{mode}, plain vector"] = metrics(plain, mode, weight)
        documents[f"{mode}, plain vector"] = metrics(plain, mode, weight, searcher.index)
    table = Table(title=f"Retrieval, {title}: {len(items)} answerable first-turn questions (dense weight {weight})")
    table.add_column("retriever")
    for name in ("hit@1", "hit@5", "mrr@10"):
        table.add_column(f"passage {name}", justify="right")
    for name in ("hit@1", "hit@5"):
        table.add_column(f"document {name}", justify="right")
    for mode in results:
        table.add_row(mode, *(f"{results[mode][m]:.3f}" for m in ("hit@1", "hit@5", "mrr@10")),
                      *(f"{documents[mode][m]:.3f}" for m in ("hit@1", "hit@5")))
    console.print(table)
    console.print("passage: a chunk holding the gold span; document: any chunk of the gold document; "
                  "plain vector: the question's vector without the query adapter")

    kinds = sorted({i.question.kind for i in items})
    by_kind = Table(title="Hybrid by question kind")
    for column in ("kind", "n", "hit@1", "hit@5", "mrr@10"):
        by_kind.add_column(column)
    for kind in kinds:
        subset = [i for i in items if i.question.kind == kind]
        m = metrics(subset, "hybrid", weight)
        by_kind.add_row(kind, str(len(subset)), *(f"{m[k]:.3f}" for k in ("hit@1", "hit@5", "mrr@10")))
    console.print(by_kind)

    misses = [i for i in items if ranking(i, "hybrid", weight)[:1] and ranking(i, "hybrid", weight)[0] not in i.relevant]
    for item in misses:
        top = searcher.index.chunks[ranking(item, "hybrid", weight)[0]]
        console.print(f"miss@1 {item.question.id} {item.question.question!r} -> {top.document_id} / {top.section[:50]}",
                      markup=False, highlight=False)

    if sweep:
        sweep_table = Table(title="Dense weight sweep (hybrid)")
        for column in ("weight", "hit@1", "hit@5", "mrr@10"):
            sweep_table.add_column(column)
        for w in np.linspace(0, 1, 11):
            m = metrics(items, "hybrid", float(w))
            sweep_table.add_row(f"{w:.1f}", *(f"{m[k]:.3f}" for k in ("hit@1", "hit@5", "mrr@10")))
        console.print(sweep_table)
    return results
