"""Answers made of exact quotes: retrieve, pick the sentences that answer, or abstain.

No generative model: the answer names its sources and quotes them verbatim. Sentences are
scored against the question by the dense model and by how much of the question's content
(weighted by rarity) they contain. The decision to abstain combines those signals; its
thresholds are calibrated on the gold set (``python -m evaluation answers``).
"""

import re
from dataclasses import dataclass, field

import numpy as np

from ingest.analyzer import analyze_document, analyze_query, fold
from ingest.principles import Principle, principle_named
from ingest.records import Hit
from service.conversations import Turn
from service.engine import Engine
from service.language import is_english, looks_like_follow_up, mentioned_organization
from service.schemas import DocumentSummary, Quote
from ingest.sentences import sentence_spans

CANDIDATE_CHUNKS = 4
MAX_QUOTES = 3
MAX_QUOTE_CHARS = 700
# Sentence score = weights · (sentence cosine, coverage of the question, fused chunk score), each
# scaled to [0, 1] over the candidates; tuned on the gold set (python -m evaluation answers).
SENTENCE_WEIGHTS = (0.2, 0.4, 0.4)
# A further quote must score at least this share of the best one.
SECOND_QUOTE_RATIO = 0.8
FOCUS_BOOST = 0.15


@dataclass(frozen=True)
class Thresholds:
    """When to abstain; calibrated on evaluation/data/gold.jsonl (``python -m evaluation answers --sweep``).

    A Lithuanian question is answered when the best retrieved passage contains enough of the
    question's content words (weighted by rarity) and some sentence is close to it in meaning.
    English questions share no words with the sources, so only the sentence similarity counts.
    """

    min_coverage: float = 0.5
    min_cosine: float = 0.78
    min_english_cosine: float = 0.80
    min_follow_up_coverage: float = 0.0


NEVER_ABSTAIN = Thresholds(0.0, 0.0, 0.0, 0.0)
# "Which policy covers ethics?": a principle named together with one of these is a coverage question.
# Only a verb of covering makes it one: "Kas tvirtina kokybės politiką pagal lyderystės principą?"
# asks about the principle's content, not which document covers it.
NAME = re.compile(r"\w+")
COVERAGE_CUES = re.compile(r"apim|igyvendin|atitink|atliep|cover|address|implement")


@dataclass
class Resolved:
    """The question as retrieval sees it, after the conversation is taken into account."""

    question: str
    query: str
    organization: str | None
    focus_documents: list[str]
    english: bool
    follow_up: bool


@dataclass
class Candidate:
    hit: Hit
    row: int  # the sentence's row in the index's sentence vectors
    start: int
    end: int
    cosine: float = 0.0
    coverage: float = 0.0
    score: float = 0.0


@dataclass
class Answer:
    answer: str
    abstained: bool
    quotes: list[Quote]
    suggestions: list[DocumentSummary] = field(default_factory=list)
    resolved: Resolved | None = None
    signals: dict = field(default_factory=dict)

    def turn(self) -> Turn:
        resolved = self.resolved
        return Turn(question=resolved.question, query=resolved.query, organization=resolved.organization,
                    document_ids=[q.document_id for q in self.quotes], abstained=self.abstained)


def resolve(question: str, history: list[Turn], organization: str | None, organizations: list[str]) -> Resolved:
    """Carry the organisation, documents and topic of earlier turns into a follow-up."""
    named = mentioned_organization(question, organizations)
    previous = history[-1] if history else None
    follow_up = previous is not None and looks_like_follow_up(question)
    if follow_up:
        return Resolved(
            question=question,
            query=f"{question} {previous.query}",
            organization=named or previous.organization or organization,
            focus_documents=[] if named and named != previous.organization else previous.document_ids,
            english=is_english(question),
            follow_up=True,
        )
    return Resolved(question, question, named or organization, [], is_english(question), False)


class Answerer:
    def __init__(self, engine: Engine, coverage=None, thresholds: Thresholds = Thresholds()):
        if not engine.index.manifest.get("sentence_vectors", False):
            raise ValueError(f"The index {engine.index.path} was built without sentence vectors (EQUASS_EMBED_SENTENCES=false); "
                             "answers need them. Rebuild it with: python -m ingest corpus --index DIR")
        self.engine = engine
        self.thresholds = thresholds
        self.principle_coverage = coverage
        self.searcher = engine.searcher
        lexical = engine.index.lexical
        frequencies = np.diff(np.asarray(lexical.scores["indptr"]))
        # bm25s keeps an empty token at the end of its vocabulary with no postings of its own.
        self.document_frequency = {term: int(frequencies[i]) for term, i in lexical.vocab_dict.items() if i < len(frequencies)}
        self.chunk_count = len(engine.index.chunks)
        self._organization_terms: dict[str, frozenset[str]] = {}

    def idf(self, term: str) -> float:
        """Rarity of a term; a term the corpus never uses weighs most: nothing can answer about it."""
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self.chunk_count - frequency + 0.5) / (frequency + 0.5)))

    def organization_terms(self, organization: str) -> frozenset[str]:
        if organization not in self._organization_terms:
            self._organization_terms[organization] = frozenset(analyze_query(organization))
        return self._organization_terms[organization]

    def content_terms(self, question_terms: list[str], organization: str) -> list[str]:
        """The question's terms without the words of the organisation's name: naming the
        organisation says where to look, not what to find."""
        named = self.organization_terms(organization) if organization else frozenset()
        return [t for t in question_terms if t not in named] or question_terms

    def unknown_names(self, question: str) -> int:
        """Capitalised words inside the question ("Šiaulių", "Marijampolės") that no indexed text
        uses: a question about a place or body the sources never mention cannot be answered."""
        words = NAME.findall(question)[1:]  # the first word is capitalised anyway
        return sum(1 for word in words if word[0].isupper()
                   and all(self.document_frequency.get(term, 0) == 0 for term in analyze_query(word)))

    def term_coverage(self, query_terms: list[str], text: str) -> float:
        if not query_terms:
            return 0.0
        present = set(analyze_document(text))
        total = sum(self.idf(t) for t in query_terms)
        return sum(self.idf(t) for t in query_terms if t in present) / total if total else 0.0

    def answer(self, question: str, history: list[Turn] | None = None, organization: str | None = None) -> Answer:
        resolved = resolve(question, history or [], organization, self.engine.organizations)
        principle = principle_named(question)
        if principle is not None and self.principle_coverage is not None and COVERAGE_CUES.search(fold(question)):
            answer = self.principle_answer(principle, resolved)
            if answer is not None:
                return answer
        embedder = self.searcher.embedder
        vectors = embedder.encode_queries([resolved.query, question] if resolved.follow_up else [question])
        hits = self.searcher.search(resolved.query, k=8, organization=resolved.organization, query_vector=vectors[0])
        if resolved.focus_documents:
            for hit in hits:
                if hit.chunk.document_id in resolved.focus_documents:
                    hit.score += FOCUS_BOOST
            hits.sort(key=lambda h: -h.score)
        candidates = self.candidates(hits[:CANDIDATE_CHUNKS])
        if not candidates:
            return self.abstain(resolved, hits, {})
        question_vector = vectors[-1]
        question_terms = analyze_query(question)
        documents = self.engine.index.documents
        sentence_vectors = self.engine.index.sentence_vectors
        for candidate in candidates:
            document = documents[candidate.hit.chunk.document_id]
            candidate.cosine = float(sentence_vectors[candidate.row] @ question_vector)
            candidate.coverage = self.term_coverage(self.content_terms(question_terms, document.organization),
                                                    document.text[candidate.start:candidate.end])
        score_sentences(candidates, SENTENCE_WEIGHTS)

        best = candidates[0]
        chunk_coverage = max(self.term_coverage(self.content_terms(question_terms, documents[h.chunk.document_id].organization),
                                                h.chunk.text) for h in hits[:CANDIDATE_CHUNKS])
        signals = {"unknown_names": self.unknown_names(question) if not resolved.english else 0,
                   "coverage": round(max(c.coverage for c in candidates), 3), "chunk_coverage": round(chunk_coverage, 3),
                   "cosine": round(max(c.cosine for c in candidates), 3), "dense": round(hits[0].dense_score, 3),
                   "english": resolved.english, "terms": len(question_terms)}
        if self.should_abstain(signals, resolved):
            return self.abstain(resolved, hits, signals)
        quotes = self.select(candidates)
        return Answer(compose(quotes, resolved.english), False, quotes, resolved=resolved, signals=signals)

    def should_abstain(self, signals: dict, resolved: Resolved) -> bool:
        return should_abstain(signals, resolved.english, resolved.follow_up, self.thresholds)

    def principle_answer(self, principle: Principle, resolved: Resolved) -> Answer | None:
        """Answer "which policy covers X" from the coverage of principles, best documents first."""
        covering = self.principle_coverage.covering(principle, resolved.organization)[:MAX_QUOTES]
        if not covering:
            return None
        quotes = [self.principle_coverage.quotes(c, 1)[0] for c in covering]
        if resolved.english:
            intro = f"The principle “{principle.name_en}” is covered by these documents:"
        else:
            intro = f"Principą „{principle.name_lt}“ apima šie dokumentai:"
        return Answer(f"{intro}\n\n{compose(quotes, resolved.english)}", False, quotes, resolved=resolved,
                      signals={"principle": principle.id})

    def candidates(self, hits: list[Hit]) -> list[Candidate]:
        """The sentences of the retrieved chunks, with their stored vectors (embedded at ingest)."""
        index = self.engine.index
        found = []
        for hit in hits:
            text = index.documents[hit.chunk.document_id].text
            for row in index.sentence_rows(hit.chunk.chunk_id):
                _, start, end = (int(v) for v in index.sentence_spans[row])
                # A line that only introduces a list ("... analizuojama:") answers nothing alone;
                # it is quoted together with its item (see _with_lead_in).
                if not text[start:end].rstrip().endswith(":"):
                    found.append(Candidate(hit, row, start, end))
        return found

    def select(self, ranked: list[Candidate]) -> list[Quote]:
        """Up to three quotes: the best sentence, good ones next to it merged in, then other places."""
        best = ranked[0]
        chosen = [c for c in ranked if c.score >= best.score * SECOND_QUOTE_RATIO]
        spans: list[tuple[Candidate, int, int]] = []
        for candidate in chosen:
            merged = False
            for i, (anchor, start, end) in enumerate(spans):
                same_chunk = anchor.hit.chunk.chunk_id == candidate.hit.chunk.chunk_id
                text = self.engine.index.documents[anchor.hit.chunk.document_id].text
                if same_chunk and self._adjacent(text, start, end, candidate):
                    new_start, new_end = min(start, candidate.start), max(end, candidate.end)
                    if new_end - new_start <= MAX_QUOTE_CHARS:
                        spans[i] = (anchor, new_start, new_end)
                        merged = True
                    break
            if not merged and len(spans) < MAX_QUOTES:
                spans.append((candidate, candidate.start, candidate.end))
        quotes = []
        for anchor, start, end in spans:
            start, end = self._with_lead_in(anchor, start, end)
            quotes.append(self.engine.quote(anchor.hit.chunk, start, end, anchor.score))
        return quotes

    @staticmethod
    def _adjacent(text: str, start: int, end: int, candidate: Candidate) -> bool:
        gap = text[end:candidate.start] if candidate.start >= end else text[candidate.end:start]
        return not gap.strip()

    def _with_lead_in(self, anchor: Candidate, start: int, end: int) -> tuple[int, int]:
        """A list item is quoted with the line that introduces it ("... apima šiuos tikslus:")."""
        text = self.engine.index.documents[anchor.hit.chunk.document_id].text
        spans = sentence_spans(text, anchor.hit.chunk.char_start, start)
        if spans and text[spans[-1][0]:spans[-1][1]].endswith(":") and end - spans[-1][0] <= MAX_QUOTE_CHARS:
            lead_start = spans[-1][0]
            between = text[spans[-1][1]:start]
            if between.count("\n\n") <= 1:
                return lead_start, end
        return start, end

    def abstain(self, resolved: Resolved, hits: list[Hit], signals: dict) -> Answer:
        nearest = list(dict.fromkeys(hit.chunk.document_id for hit in hits))[:3]
        suggestions = [s for s in (self.engine.summary_of(d) for d in nearest) if s]
        return Answer(abstention_text(suggestions, resolved.english), True, [], suggestions, resolved, signals)


def score_sentences(candidates: list[Candidate], weights: tuple[float, float, float]) -> None:
    """Score and sort candidate sentences. Cosines are min-max scaled over the candidates (raw e5
    cosines differ in the second decimal only); coverage and fused chunk scores are in [0, 1]."""
    def scaled(values: np.ndarray) -> np.ndarray:
        spread = values.max() - values.min()
        return (values - values.min()) / spread if spread > 0 else np.ones_like(values)

    cosines = scaled(np.array([c.cosine for c in candidates]))
    chunk_scores = np.array([c.hit.score for c in candidates])  # fused scores are already in [0, 1]
    w_cos, w_cov, w_hit = weights
    for candidate, cosine, chunk_score in zip(candidates, cosines, chunk_scores):
        candidate.score = float(w_cos * cosine + w_cov * candidate.coverage + w_hit * chunk_score)
    candidates.sort(key=lambda c: -c.score)


def should_abstain(signals: dict, english: bool, follow_up: bool, thresholds: Thresholds) -> bool:
    if signals.get("unknown_names", 0):
        return True
    if english or signals["terms"] == 0:
        return signals["cosine"] < thresholds.min_english_cosine
    if follow_up:
        return signals["chunk_coverage"] < thresholds.min_follow_up_coverage
    return signals["chunk_coverage"] < thresholds.min_coverage or signals["cosine"] < thresholds.min_cosine


def source_details(quote: Quote) -> str:
    """Organisation (unless the title already names it) and section, for the source line."""
    organization = quote.organization
    if organization and organization.split()[0] in quote.title:
        organization = ""
    details = "; ".join(part for part in (organization, quote.section) if part and part != quote.title)
    return f" ({details})" if details else ""


def compose(quotes: list[Quote], english: bool) -> str:
    """The answer text: each quote under the name of its source. Titles stay in the nominative
    ("Dokumente „...“ rašoma"), so no Lithuanian declension is needed."""
    if english:
        return "\n\n".join(f"The document “{q.title}”{source_details(q)} says: “{q.text}”" for q in quotes)
    return "\n\n".join(f"Dokumente „{q.title}“{source_details(q)} rašoma: „{q.text}“" for q in quotes)


def abstention_text(suggestions: list[DocumentSummary], english: bool) -> str:
    titles = "; ".join(s.title for s in suggestions)
    if english:
        return "I did not find an answer in the documents provided." + (f" You could look at: {titles}." if titles else "")
    return "Pateiktuose dokumentuose atsakymo neradau." + (f" Galite pažiūrėti: {titles}." if titles else "")
