"""Which document covers which EQUASS principle, where the gaps are, and the onboarding path.

A document's strength for a principle is the strength of its best chunk (tags are computed at
ingest, see ingest/principles.py). The EQUASS descriptions themselves are not counted as
coverage: they say what a principle asks, not how an organisation does it.
"""

from dataclasses import dataclass
from functools import lru_cache

from ingest.analyzer import analyze_document
from ingest.principles import BY_ID, PRINCIPLES, TAG_THRESHOLD, Principle
from ingest.records import Chunk, Document
from service.engine import Engine
from service.schemas import Quote
from ingest.sentences import sentence_spans

# A document covers a principle strongly at this strength (the tag threshold is the weak end).
STRONG = 0.8
EQUASS_KIND = "equass"


@dataclass
class DocumentCoverage:
    document: Document
    principle: Principle
    strength: float
    chunks: list[Chunk]  # tagged chunks, strongest first


class Coverage:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.by_document: dict[str, dict[str, list[Chunk]]] = {}
        for chunk in engine.index.chunks:
            for principle_id in chunk.principles:
                self.by_document.setdefault(chunk.document_id, {}).setdefault(principle_id, []).append(chunk)
        for principles in self.by_document.values():
            for principle_id, chunks in principles.items():
                chunks.sort(key=lambda c: -c.principles[principle_id])
        self.best_quote = lru_cache(maxsize=4096)(self._best_quote)

    def documents(self, organization: str | None) -> list[Document]:
        """Documents that can implement principles: the organisation's own and the laws."""
        return [d for d in self.engine.index.documents.values()
                if d.kind != EQUASS_KIND and d.visible_to(organization)]

    def strength(self, document_id: str, principle_id: str) -> float:
        chunks = self.by_document.get(document_id, {}).get(principle_id, [])
        return chunks[0].principles[principle_id] if chunks else 0.0

    def covering(self, principle: Principle, organization: str | None) -> list[DocumentCoverage]:
        """Documents that cover ``principle`` (strength at or above the tag threshold), strongest first."""
        found = []
        for document in self.documents(organization):
            strength = self.strength(document.document_id, principle.id)
            if strength >= TAG_THRESHOLD:
                chunks = [c for c in self.by_document[document.document_id][principle.id]
                          if c.principles[principle.id] >= TAG_THRESHOLD]
                found.append(DocumentCoverage(document, principle, strength, chunks))
        # The organisation's own documents before the law, then by strength.
        found.sort(key=lambda c: (c.document.shared, -c.strength))
        return found

    def description(self, principle: Principle) -> Document | None:
        return next((d for d in self.engine.index.documents.values()
                     if d.kind == EQUASS_KIND and d.document_id.endswith(principle.id.replace("_", "-"))), None)

    def _best_quote(self, chunk_id: int, principle_id: str) -> Quote:
        """The sentence of a chunk that speaks most about the principle (its keywords), with neighbours kept short."""
        chunk = self.engine.index.chunks[chunk_id]
        text = self.engine.index.documents[chunk.document_id].text
        principle = BY_ID[principle_id]
        keywords = [set(analyze_document(k)) for k in principle.keywords]
        best, best_score = None, -1.0
        for start, end in sentence_spans(text, chunk.char_start, chunk.char_end):
            terms = set(analyze_document(text[start:end]))
            score = sum(bool(k & terms) for k in keywords) + min(end - start, 300) / 1000
            if end - start >= 20 and score > best_score:
                best, best_score = (start, end), score
        start, end = best or (chunk.char_start, chunk.char_end)
        return self.engine.quote(chunk, start, end, chunk.principles[principle_id])

    def quotes(self, coverage: DocumentCoverage, count: int = 2) -> list[Quote]:
        return [self.best_quote(c.chunk_id, coverage.principle.id) for c in coverage.chunks[:count]]

    def matrix(self, organization: str | None) -> dict:
        documents = self.documents(organization)
        cells = []
        for document in documents:
            for principle in PRINCIPLES:
                chunks = self.by_document.get(document.document_id, {}).get(principle.id, [])
                cells.append({
                    "document_id": document.document_id,
                    "principle": principle.id,
                    "strength": round(self.strength(document.document_id, principle.id), 3),
                    "chunks": sum(c.principles[principle.id] >= TAG_THRESHOLD for c in chunks),
                })
        return {
            "organization": organization,
            "threshold": TAG_THRESHOLD,
            "strong": STRONG,
            "principles": [principle_summary(p) for p in PRINCIPLES],
            "documents": [{"document_id": d.document_id, "title": d.title, "organization": d.organization,
                           "kind": d.kind, "shared": d.shared} for d in documents],
            "cells": cells,
            "gaps": self.gaps(organization),
        }

    def gaps(self, organization: str | None) -> list[dict]:
        """Per organisation, principles its own documents do not cover, or cover only weakly."""
        organizations = [organization] if organization else self.engine.organizations
        gaps = []
        for org in organizations:
            own = [d for d in self.documents(org) if not d.shared]
            for principle in PRINCIPLES:
                strengths = [(self.strength(d.document_id, principle.id), d.document_id) for d in own]
                best, best_document = max(strengths, default=(0.0, None))
                if best < TAG_THRESHOLD:
                    status = "missing"
                elif best < STRONG:
                    status = "weak"
                else:
                    continue
                gaps.append({"organization": org, "principle": principle.id, "name_lt": principle.name_lt,
                             "name_en": principle.name_en, "status": status, "best_strength": round(best, 3),
                             "best_document_id": best_document})
        return gaps

    def onboarding(self, organization: str | None) -> list[dict]:
        steps = []
        for number, principle in enumerate(PRINCIPLES, 1):
            covering = self.covering(principle, organization)[:3]
            steps.append({
                "step": number,
                "principle": principle_summary(principle),
                "summary": self.summary_quote(principle),
                "documents": [{"document_id": c.document.document_id, "title": c.document.title,
                               "organization": c.document.organization, "strength": round(c.strength, 3),
                               "quote": self.quotes(c, 1)[0]} for c in covering],
                "questions": list(principle.questions),
            })
        return steps

    def summary_quote(self, principle: Principle) -> Quote | None:
        """The principle in two or three sentences: the "for a new employee" part of its description."""
        document = self.description(principle)
        if document is None:
            return None
        section = next((s for s in document.sections if "naujam darbuotojui" in s.title.lower()), None)
        if section is None:
            section = next((s for s in document.sections if s.level >= 2), None)
        if section is None:
            return None
        spans = sentence_spans(document.text, section.start, section.end)[1:4]  # skip the heading line
        if not spans:
            return None
        start, end = spans[0][0], spans[-1][1]
        chunk = next((c for c in self.engine.index.chunks_of(document.document_id)
                      if c.char_start <= start < c.char_end), None)
        if chunk is None:
            return None
        end = min(end, chunk.char_end)
        return self.engine.quote(chunk, start, end, 1.0)


def principle_summary(principle: Principle) -> dict:
    return {"id": principle.id, "name_lt": principle.name_lt, "name_en": principle.name_en}

