"""Which document covers which EQUASS principle, where the gaps are, and the onboarding path.

A document's strength for a principle is the strength of its best sentence (tags are computed at
ingest, see ingest/principles.py), and that sentence is the evidence shown for the cell. The EQUASS
descriptions themselves are not counted as coverage: they say what a principle asks, not how an
organisation does it. Gaps are reported only for an organisation's own policies: a programme page
(a funder's project, ``"kind": "programme"`` in the corpus manifest) describes no organisation's
practice, so an organisation with nothing but programme pages gets no gap report.
"""

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.principles import PRINCIPLES, TAG_THRESHOLD, Principle
from ingest.records import Chunk, Document
from ingest.sentences import sentence_spans
from service.engine import Engine
from service.schemas import Quote

# A document covers a principle strongly at this strength; from TAG_THRESHOLD up it covers it in part.
STRONG = 0.75
EQUASS_KIND = "equass"
LAW_KIND = "law"
POLICY_KIND = "policy"
LEVELS = ("none", "partial", "strong")
QUESTIONS_PATH = Path(__file__).resolve().parent / "onboarding_questions.json"


def level(strength: float) -> str:
    """What a coordinator reads in a cell: nėra / dalinis / stiprus."""
    if strength >= STRONG:
        return "strong"
    if strength >= TAG_THRESHOLD:
        return "partial"
    return "none"


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
        self.evidence = lru_cache(maxsize=8192)(self._evidence)

    def within(self, engine: Engine) -> "Coverage":
        """This coverage, seeing only the documents of a scoped engine (``Engine.within``); the
        principle tags and evidence cache are shared."""
        view = copy.copy(self)
        view.engine = engine
        return view

    def documents(self, organization: str | None) -> list[Document]:
        """Documents that can implement principles: the organisations' own, programme pages and the laws."""
        return [d for d in self.engine.index.documents.values()
                if d.kind != EQUASS_KIND and d.visible_to(organization) and self.engine.allows(d)]

    def own_policies(self, organization: str) -> list[Document]:
        """The organisation's own policy documents: the ones a gap report is about."""
        return [d for d in self.engine.index.documents.values()
                if d.organization == organization and not d.shared and d.kind == POLICY_KIND and self.engine.allows(d)]

    def strength(self, document_id: str, principle_id: str) -> float:
        chunks = self.by_document.get(document_id, {}).get(principle_id, [])
        return chunks[0].principles[principle_id] if chunks else 0.0

    def covering(self, principle: Principle, organization: str | None,
                 documents: list[Document] | None = None) -> list[DocumentCoverage]:
        """Documents that cover ``principle`` (strength at or above the tag threshold): the
        organisation's own before shared ones, then by strength."""
        found = []
        for document in self.documents(organization) if documents is None else documents:
            strength = self.strength(document.document_id, principle.id)
            if strength >= TAG_THRESHOLD:
                chunks = [c for c in self.by_document[document.document_id][principle.id]
                          if c.principles[principle.id] >= TAG_THRESHOLD]
                found.append(DocumentCoverage(document, principle, strength, chunks))
        found.sort(key=lambda c: (c.document.shared, -c.strength))
        return found

    def description(self, principle: Principle) -> Document | None:
        return next((d for d in self.engine.index.documents.values()
                     if d.kind == EQUASS_KIND and d.document_id.endswith(principle.id.replace("_", "-"))), None)

    def _evidence(self, chunk_id: int, principle_id: str) -> Quote:
        """The sentence that earned the chunk its strength for the principle (the whole chunk for an
        index built before sentences were scored)."""
        chunk = self.engine.index.chunks[chunk_id]
        start, end = chunk.evidence.get(principle_id, (chunk.char_start, chunk.char_end))
        return self.engine.quote(chunk, start, end, chunk.principles[principle_id])

    def quotes(self, coverage: DocumentCoverage, count: int = 2) -> list[Quote]:
        return [self.evidence(c.chunk_id, coverage.principle.id) for c in coverage.chunks[:count]]

    def cell_quote(self, document_id: str, principle_id: str) -> Quote | None:
        """The quote behind a covered cell; none for a cell that is not covered."""
        chunks = self.by_document.get(document_id, {}).get(principle_id, [])
        if not chunks or chunks[0].principles[principle_id] < TAG_THRESHOLD:
            return None
        return self.evidence(chunks[0].chunk_id, principle_id)

    def matrix(self, organization: str | None) -> dict:
        documents = self.documents(organization)
        cells = []
        for document in documents:
            for principle in PRINCIPLES:
                chunks = self.by_document.get(document.document_id, {}).get(principle.id, [])
                strength = round(self.strength(document.document_id, principle.id), 3)
                cells.append({
                    "document_id": document.document_id,
                    "principle": principle.id,
                    "strength": strength,
                    "level": level(strength),
                    "chunks": sum(c.principles[principle.id] >= TAG_THRESHOLD for c in chunks),
                    "quote": self.cell_quote(document.document_id, principle.id),
                })
        organizations = [organization] if organization else self.engine.organizations
        return {
            "organization": organization,
            "threshold": TAG_THRESHOLD,
            "strong": STRONG,
            "levels": list(LEVELS),
            "principles": [principle_summary(p) for p in PRINCIPLES],
            "documents": [{"document_id": d.document_id, "title": d.title, "organization": d.organization,
                           "kind": d.kind, "shared": d.shared} for d in documents],
            "cells": cells,
            "gaps": self.gaps(organization),
            "not_assessed": [{"organization": org, "reason": "no_policies"}
                             for org in organizations if not self.own_policies(org)],
        }

    def gaps(self, organization: str | None) -> list[dict]:
        """Per organisation with policies of its own, the principles they do not cover, or cover only in part."""
        organizations = [organization] if organization else self.engine.organizations
        gaps = []
        for org in organizations:
            own = self.own_policies(org)
            if not own:
                continue
            for principle in PRINCIPLES:
                best, best_document = max(((self.strength(d.document_id, principle.id), d.document_id) for d in own),
                                          default=(0.0, None))
                cell_level = level(best)
                if cell_level == "strong":
                    continue
                gaps.append({"organization": org, "principle": principle.id, "name_lt": principle.name_lt,
                             "name_en": principle.name_en, "status": "missing" if cell_level == "none" else "weak",
                             "level": cell_level, "best_strength": round(best, 3), "best_document_id": best_document,
                             "quote": self.cell_quote(best_document, principle.id) if best_document else None})
        return gaps

    def onboarding(self, organization: str | None) -> list[dict]:
        """Ten steps, one per principle. Each shows the organisation's own documents first, then what
        EQUASS says, then a law only where the principle rests on it (``Principle.legal_basis``).
        Without an organisation there are no "own" documents: other centres' pages are not shown."""
        own = [d for d in self.documents(organization) if not d.shared] if organization else []
        documents = self.engine.index.documents
        steps = []
        for number, principle in enumerate(PRINCIPLES, 1):
            laws = [documents[i] for i in principle.legal_basis if i in documents and self.engine.allows(documents[i])]
            step_documents = [self.step_document(c, "own") for c in self.covering(principle, organization, own)[:3]]
            description = self.description(principle)
            if description is not None:
                step_documents.append({"document_id": description.document_id, "title": description.title,
                                       "organization": description.organization, "role": "equass",
                                       "strength": None, "quote": self.summary_quote(principle)})
            step_documents += [self.step_document(c, "law") for c in self.covering(principle, organization, laws)[:1]]
            steps.append({
                "step": number,
                "principle": principle_summary(principle),
                "summary": self.summary_quote(principle),
                "own_documents": sum(d["role"] == "own" for d in step_documents),
                "documents": step_documents,
                "questions": self.suggested_questions(principle, organization),
            })
        return steps

    def suggested_questions(self, principle: Principle, organization: str | None) -> list[dict]:
        """Questions a new employee can ask, each with the document that answers it: about the
        organisation's own documents first, then about the principle itself."""
        found = []
        for document_id, by_principle in document_questions().items():
            document = self.engine.index.documents.get(document_id)
            if (document is not None and organization and document.organization == organization
                    and self.engine.allows(document)):
                found += [{"question": q, "document_id": document_id} for q in by_principle.get(principle.id, [])]
        description = self.description(principle)
        if description is not None:
            found += [{"question": q, "document_id": description.document_id} for q in principle.questions]
        return found

    def step_document(self, coverage: DocumentCoverage, role: str) -> dict:
        document = coverage.document
        return {"document_id": document.document_id, "title": document.title, "organization": document.organization,
                "role": role, "strength": round(coverage.strength, 3), "quote": self.quotes(coverage, 1)[0]}

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


@lru_cache(maxsize=1)
def document_questions() -> dict[str, dict[str, list[str]]]:
    """Suggested questions about documents of the default corpus, by document id and principle."""
    return json.loads(QUESTIONS_PATH.read_text(encoding="utf-8"))["documents"]


def principle_summary(principle: Principle) -> dict:
    return {"id": principle.id, "name_lt": principle.name_lt, "name_en": principle.name_en}
