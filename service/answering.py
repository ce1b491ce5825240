"""Answers made of exact quotes: retrieve, weigh every candidate span, quote the best or refuse.

The steps live in their own modules so each can be tested and tuned alone:
``followups`` reads the question in its conversation, ``question`` says what it asks for,
``candidates`` cuts the retrieved passages into quotable spans, ``features`` measures each span,
``rescoring`` turns the measurements into a probability with the learned answer model,
``verifier`` reads the question together with each of the most probable candidates and the
check model re-weighs them with its scores, ``refusal`` decides whether anything answers, ``quote_selection`` picks the quotes and
``wording`` writes the sentence around them.
"""

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from ingest.analyzer import analyze_document, analyze_query, fold, token_keys
from ingest.principles import Principle, principle_named
from ingest.records import Chunk, Hit
from service.candidates import Candidate, CandidateBuilder
from service.conversations import Turn
from service.engine import Engine
from service.features import QuestionContext, feature_rows
from service.followups import MAX_QUERY_CHARS, Resolved, resolve
from service.glossary import lithuanian_query, lithuanian_terms, untranslated_share
from service.language import is_english
from service.query_adapter import QueryAdapter
from service.question import QuestionProfile, profile
from service.quote_selection import MAX_QUOTES, answer_pool, choose, spans
from service.refusal import (ALL_PRINCIPLES, about_all_principles, contact_unquoted, names_as_principle,
                             on_named_principle, principle_material_first, quotes_another_organization,
                             refusal_row, should_refuse,
                             unknown_names, years_unquoted)
from service.rescoring import AnswerModel, check_rows, load_model
from service.schemas import DocumentSummary, Quote
from service.spoken import full_infinitives
from service.verifier import candidate_text, get_verifier
from service.wording import abstention_text, compose

# Passages whose spans are weighed: the best of the whole search, the best of the organisation's
# own documents when the question is scoped to it, and of the documents a follow-up refers to.
CANDIDATE_CHUNKS = 12
SCOPED_CHUNKS = 4
# The answer check reads this many of the most probable candidates; only they can be quoted. Each
# takes about 20 ms on one core (about 70 ms on a machine without AVX-512/VNNI); four or five gained a
# point or two at the limits of the tuning part, eight a little more, at that cost each.
CHECKED = 3
# An English question with at least this share of untranslated content words is refused.
UNTRANSLATED_LIMIT = 0.7
# A refusal points at this many nearest passages (of different places) to read.
NEAREST_PASSAGES = 3
# ``evidence`` looks for a named principle itself unless its caller already has.
NOT_READ = object()
# Questions of this many content words or fewer may name a defined term ("socialinė globa").
DEFINITION_MAX_TERMS = 4
# "Which policy covers ethics?": a principle named together with one of these, and with a word for
# documents or principles, is a coverage question. Without the second ("what share of the
# participating organisations is expected to implement the standard?") it only shares a stem.
COVERAGE_CUES = re.compile(r"apim|igyvendin|atitink|atliep|cover|address|implement")
DOCUMENT_CUES = re.compile(r"politik|dokument|tvark|princip|polic|document|procedure")
# Words that say where to look, not what to find.
GENERIC_SCOPE_WORDS = "mūsų musu mūsų centras centre centro įstaiga įstaigoje organizacija organizacijoje our centre center organisation organization"


def check_question(resolved: Resolved) -> str:
    """What the answer check reads of the question: a follow-up after what it follows, in the
    order the conversation went ("Kas išduoda licencijas…? o per kiek laiko jie turi priimti
    sprendimą?"), the earlier thread cut where the search query cuts it."""
    if not resolved.follow_up:
        return resolved.question
    room = max(0, MAX_QUERY_CHARS - len(resolved.question) - 1)
    return f"{resolved.earlier[:room]} {resolved.question}".strip()


def term_statistics(index, rows: np.ndarray | None = None) -> tuple[dict[str, int], int]:
    """In how many chunks each indexed term occurs, and how many chunks there are: of the whole
    index, or of the chunk ``rows`` a scope sees."""
    lexical = index.lexical
    indptr = np.asarray(lexical.scores["indptr"])
    if rows is None:
        frequencies = np.diff(indptr)
        count = len(index.chunks)
    else:
        seen = np.zeros(len(index.chunks), dtype=bool)
        seen[rows] = True
        running = np.concatenate([[0], np.cumsum(seen[np.asarray(lexical.scores["indices"])])])
        frequencies = running[indptr[1:]] - running[indptr[:-1]]
        count = len(rows)
    # bm25s keeps an empty token at the end of its vocabulary with no postings of its own.
    return {term: int(frequencies[i]) for term, i in lexical.vocab_dict.items() if i < len(frequencies)}, count


# A refusal's reason: the question is about the asker's own organisation and none is chosen.
CHOOSE_ORGANIZATION = "choose_organization"


@dataclass
class Answer:
    answer: str
    abstained: bool
    quotes: list[Quote]
    suggestions: list[DocumentSummary] = field(default_factory=list)
    resolved: Resolved | None = None
    # With a refusal: the passages nearest to the question, shown as places to read, not as an answer.
    nearest: list[Quote] = field(default_factory=list)
    signals: dict = field(default_factory=dict)
    # Why a refusal is given, when it is not that the documents hold no answer (CHOOSE_ORGANIZATION).
    refusal: str | None = None

    def turn(self) -> Turn:
        """The turn a follow-up is read against. Its documents in focus are those quoted, or after a
        refusal the document of the nearest passage: "O kas juos veda?" still means what was asked."""
        resolved = self.resolved
        return Turn(question=resolved.question, query=resolved.query, organization=resolved.organization,
                    document_ids=[q.document_id for q in (self.quotes or self.nearest[:1])], abstained=self.abstained)


@dataclass
class Evidence:
    """Everything the decision rests on: the question read in context and its weighed candidates."""

    resolved: Resolved
    profile: QuestionProfile
    hits: list[Hit]
    candidates: list[Candidate]  # most probable first (the material on a named principle first of all)
    own_documents: frozenset[str]
    unknown_names: int
    # The EQUASS principle the question names as a principle ("pagal etikos principą"), if one, or
    # ALL_PRINCIPLES when it asks about them together ("Kokie yra EQUASS principai?"); a
    # name alone ("etikos komisijoje", "kliento teises") does not make the question about it.
    principle: str | None = None

    @property
    def best_probability(self) -> float | None:
        return self.candidates[0].probability if self.candidates else None


class Answerer:
    def __init__(self, engine: Engine, coverage=None, model: AnswerModel | None = None):
        if not engine.index.manifest.get("quote_vectors", False):
            raise ValueError(f"The index {engine.index.path} was built without quote vectors (EQUASS_EMBED_QUOTES=false); "
                             "answers need them. Rebuild it with: python -m ingest corpus --index DIR")
        self.engine = engine
        self.model = model or load_model()
        if model is None and engine.settings.answer_threshold is not None:
            self.model.answer_threshold = engine.settings.answer_threshold  # the deployment's choice
        # The query adapter the answer step searches and weighs with: the engine's (the shipped one);
        # training swaps in adapters that did not see the question.
        self.adapter: QueryAdapter | None = engine.searcher.adapter
        self.principle_coverage = coverage
        self.searcher = engine.searcher
        self.builder = CandidateBuilder(engine.index)
        self.document_frequency, self.chunk_count = term_statistics(engine.index)
        # Shared by every view of this answerer (each organisation's) with the same laws in scope.
        self.statistics_with_laws = lru_cache(maxsize=4)(self._statistics_with_laws)
        self.generic_terms = frozenset(analyze_query(GENERIC_SCOPE_WORDS))
        self.terms_of = lru_cache(maxsize=50_000)(self._terms_of)
        self.own_documents_of = lru_cache(maxsize=1024)(self._own_documents_of)
        self.title_terms = lru_cache(maxsize=4096)(self._title_terms)
        # Chunk rows of a set of documents (an organisation's own, a follow-up's): a pass over every chunk.
        self.rows_of = lru_cache(maxsize=1024)(lambda documents: self.searcher.rows_of(set(documents)))
        settings = engine.settings
        self.verifier = get_verifier(settings.model, settings.query_threads)
        # Organisations with documents of their own in the index (not the shared EQUASS texts and laws).
        self.owning_organizations = frozenset(d.organization for d in engine.index.documents.values()
                                              if not d.shared and d.organization)
        # Check scores kept by (question, document, start, end): training re-weighs the same
        # questions many times and sets a dict here; the service checks every question afresh.
        self.checked: dict[tuple[str, str, int, int], float] | None = None

    # -- the question -------------------------------------------------------------------------

    def idf(self, term: str) -> float:
        """Rarity of a term; a term the corpus never uses weighs most: nothing can answer about it."""
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self.chunk_count - frequency + 0.5) / (frequency + 0.5)))

    def content_terms(self, resolved: Resolved) -> list[str]:
        """The question's terms (an English question's Lithuanian ones: service/glossary.py) without
        the organisation's name and words like "mūsų centras": naming the organisation says where
        to look, not what to find."""
        if resolved.english:
            terms = lithuanian_terms(resolved.question, lambda term: self.document_frequency.get(term, 0) > 0)
        else:
            terms = analyze_query(resolved.question)
        named = set(analyze_query(resolved.organization)) if resolved.organization else set()
        kept = [t for t in terms if t not in named and t not in self.generic_terms]
        return kept or terms

    def content_keys(self, resolved: Resolved, content: list[str]) -> list[frozenset[str]]:
        """The content words of the question, each with both spellings of its index term, for
        matching the words of a defined term."""
        if resolved.english:
            return [frozenset([term]) for term in content]
        named = set(analyze_query(resolved.organization)) if resolved.organization else set()
        return [k for k in token_keys(resolved.question) if not k & named and not k <= self.generic_terms]

    def _statistics_with_laws(self, laws: frozenset[str]) -> tuple[dict[str, int], int]:
        """Term statistics as in an index of these laws and every other (non-law) document: with the
        register indexed beside them, how rare a word is, and whether any source names a place at
        all, is counted in what the service answers from."""
        index = self.engine.index
        documents = index.documents
        rows = np.array([c.chunk_id for c in index.chunks
                         if documents[c.document_id].kind != "law" or c.document_id in laws], dtype=np.int64)
        return term_statistics(index, rows)

    def _own_documents_of(self, organization: str | None) -> frozenset[str]:
        if not organization:
            return frozenset()
        return frozenset(d.document_id for d in self.engine.index.documents.values()
                         if d.organization == organization and not d.shared)

    def _terms_of(self, document_id: str, start: int, end: int) -> frozenset[str]:
        return frozenset(analyze_document(self.engine.index.documents[document_id].text[start:end]))

    # -- evidence -----------------------------------------------------------------------------

    def evidence(self, question: str, history: list[Turn] | None = None, organization: str | None = None,
                 resolved: Resolved | None = None, principle: Principle | None | object = NOT_READ) -> Evidence:
        """Retrieve, cut into candidates, measure each and weigh it with the answer model. Without
        ``resolved`` the question is read here, spoken spellings written out; with it the caller
        (``answer``) has done so."""
        if resolved is None:
            question = self.spelled_out(question)
        resolved = resolved or resolve(question, history or [], organization, self.engine.organizations)
        question_profile = profile(question)
        vectors = self.searcher.embedder.encode_queries([question, resolved.query] if resolved.follow_up else [question])
        question_vector, query_vector = vectors[0], vectors[-1]
        # Search with the resolved query's vector turned by the query adapter.
        search_vector = self.adapted(query_vector)
        lexical_query = lithuanian_query(resolved.query) if resolved.english else resolved.query
        hits = self.searcher.search(resolved.query, k=CANDIDATE_CHUNKS, organization=resolved.organization,
                                    query_vector=search_vector, lexical_query=lexical_query)
        own_documents = self.own_documents_of(resolved.organization)
        extra_documents = own_documents | frozenset(resolved.focus_documents)
        if extra_documents:
            within = self.rows_of(extra_documents)
            seen = {h.chunk.chunk_id for h in hits}
            hits += [h for h in self.searcher.search(resolved.query, k=SCOPED_CHUNKS, query_vector=search_vector,
                                                     lexical_query=lexical_query, within=within)
                     if h.chunk.chunk_id not in seen]
        candidates = self.builder.for_hits(hits)

        content = self.content_terms(resolved)
        keys = self.content_keys(resolved, content)
        if principle is NOT_READ:  # the caller has not looked for a named principle yet
            principle = principle_named(question)
        named = (principle.id if principle and names_as_principle(question, principle)
                 else ALL_PRINCIPLES if about_all_principles(question) else None)
        rows = []
        if question_profile.asks("definition") or len(content) <= DEFINITION_MAX_TERMS:
            rows += self.builder.defined_in(keys)
        if named == ALL_PRINCIPLES:  # the list of them, however the question's words rank it
            rows += self.builder.principle_lists()
        known = {c.row for c in candidates}
        rows = [row for row in dict.fromkeys(rows) if row not in known]
        if rows:
            by_chunk = {h.chunk.chunk_id: h for h in hits}
            candidates += self.builder.definition_candidates(rows, by_chunk, self.unretrieved_hit(search_vector))
        context = QuestionContext(question_profile, content, keys, {t: self.idf(t) for t in content}, own_documents,
                                  frozenset(resolved.focus_documents), resolved.follow_up)
        self.weigh(candidates, context, question_vector, query_vector)
        if own_documents and not any(c.document_id in own_documents and c.probability >= self.model.own_threshold
                                     for c in candidates):
            # The organisation's own documents hold nothing on it ("Ką reiškia lyderystės principas?"
            # asked with an organisation selected): the shared documents answer it as they would
            # the same question asked for nobody in particular.
            own_documents = frozenset()
            context = replace(context, own_documents=own_documents)
            self.weigh(candidates, context, question_vector, query_vector)
        candidates.sort(key=lambda c: -c.probability)
        self.check(candidates, resolved)
        # An English question mostly of words the glossary cannot put into Lithuanian is, like a
        # Lithuanian one naming a place no source mentions, about something the sources do not hold.
        unknown = (int(untranslated_share(resolved.question) >= UNTRANSLATED_LIMIT) if resolved.english
                   else unknown_names(question, self.document_frequency, analyze_query))
        candidates = principle_material_first(candidates, named, self.engine.index.documents)
        return Evidence(resolved, question_profile, hits, candidates, own_documents, unknown, named)

    def spelled_out(self, question: str) -> str:
        """The question with spoken spellings written out as the documents spell them ("pranešt")."""
        return question if is_english(question) else full_infinitives(question, self.document_frequency)

    def adapted(self, vector: np.ndarray) -> np.ndarray:
        return self.adapter.adapt(vector) if self.adapter is not None else vector

    def unretrieved_hit(self, query_vector: np.ndarray):
        """A hit for a chunk that search did not return (a definition found by its term)."""
        def make(chunk: Chunk) -> Hit:
            dense = float(self.engine.index.chunk_vectors([chunk.chunk_id])[0] @ query_vector)
            return Hit(chunk, 0.0, dense, 0.0)
        return make

    def weigh(self, candidates: list[Candidate], context: QuestionContext, question_vector: np.ndarray,
              query_vector: np.ndarray) -> None:
        if not candidates:
            return
        index = self.engine.index
        vectors = index.quote_vectors[[c.row for c in candidates]].astype(np.float32)
        cosines = vectors @ question_vector
        query_cosines = vectors @ query_vector if query_vector is not question_vector else cosines
        adapted_cosines = vectors @ self.adapted(question_vector)

        def term_sets(candidate: Candidate):
            chunk = candidate.chunk
            document = index.documents[chunk.document_id]
            span = self.terms_of(chunk.document_id, candidate.start, candidate.end)
            title = self.title_terms(document.title, chunk.section)
            return span, span | title, self.terms_of(chunk.document_id, chunk.char_start, chunk.char_end) | title, title

        lexical_max = max((c.hit.lexical_score for c in candidates), default=0.0)
        matrix = feature_rows(candidates, context, cosines, query_cosines, adapted_cosines, term_sets, lexical_max,
                              index.documents)
        probabilities = self.model.candidates.probabilities(matrix)
        for candidate, features, probability in zip(candidates, matrix, probabilities):
            candidate.features = features
            candidate.probability = float(probability)

    def check(self, candidates: list[Candidate], resolved: Resolved) -> None:
        """Re-weigh the most probable candidates (sorted, most probable first) with the answer
        check; the rest fall below them. Without a check model or a check, nothing changes."""
        if self.model.checks is None or self.verifier is None or not candidates:
            return
        top = candidates[:CHECKED]
        scores = self.check_scores(check_question(resolved), top)
        probabilities = self.model.checks.probabilities(check_rows(np.array([c.probability for c in top]), scores))
        best = float(scores.max())
        for candidate, score, probability in zip(top, scores, probabilities):
            candidate.check, candidate.check_gap, candidate.probability = float(score), float(score) - best, float(probability)
        floor = float(probabilities.min())
        for candidate in candidates[CHECKED:]:
            candidate.probability = min(candidate.probability, floor) * 1e-3
        candidates.sort(key=lambda c: -c.probability)

    def check_scores(self, question: str, candidates: list[Candidate]) -> np.ndarray:
        """The answer check's score of each candidate for ``question``, one batch for those not yet scored."""
        documents = self.engine.index.documents
        kept = self.checked if self.checked is not None else {}
        keys = [(question, c.document_id, c.start, c.end) for c in candidates]
        missing = [i for i, key in enumerate(keys) if key not in kept]
        if missing:
            texts = [candidate_text(documents, candidates[i]) for i in missing]
            for i, score in zip(missing, self.verifier.scores(question, texts)):
                kept[keys[i]] = float(score)
        return np.array([kept[key] for key in keys])

    def _title_terms(self, title: str, section: str) -> frozenset[str]:
        return frozenset(analyze_document(f"{title} {section}"))

    # -- the answer ---------------------------------------------------------------------------

    def answer(self, question: str, history: list[Turn] | None = None, organization: str | None = None) -> Answer:
        question = self.spelled_out(question)
        resolved = resolve(question, history or [], organization, self.engine.organizations)
        principle = principle_named(question)
        folded = fold(question)
        if (principle is not None and self.principle_coverage is not None
                and COVERAGE_CUES.search(folded) and DOCUMENT_CUES.search(folded)):
            answer = self.principle_answer(principle, resolved)
            if answer is not None:
                return answer
        evidence = self.evidence(question, history, organization, resolved, principle)
        return self.decide(evidence)

    def answer_probability(self, chosen: list[Candidate], scoped: bool) -> float | None:
        """The refusal model's probability that the chosen quotes answer the question."""
        if not chosen:
            return None
        row = refusal_row(chosen, scoped)
        return float(self.model.refusal.probabilities(row[None, :])[0])

    def names_principle(self, evidence: Evidence, chosen: list[Candidate]) -> bool:
        """The question names a principle and the best quote is the EQUASS material on it."""
        return bool(chosen) and on_named_principle(evidence.principle, chosen[0], self.engine.index.documents,
                                                   evidence.profile.asks_quantity, evidence.profile.unit)

    def decide(self, evidence: Evidence) -> Answer:
        model = self.model
        resolved = evidence.resolved
        pool = answer_pool(evidence.candidates, evidence.own_documents, model.own_threshold)
        chosen = choose(pool, model.second_quote_ratio)
        probability = self.answer_probability(chosen, bool(evidence.own_documents))
        signals = {"best": round(evidence.best_probability or 0.0, 3), "answer": round(probability or 0.0, 3),
                   "unknown_names": evidence.unknown_names}
        quotes = self.quotes_of(chosen, whole_lists=evidence.profile.asks("list"))
        quoted = [quote.text for quote in quotes]
        # A year or a phone number asked for that no quote gives: the quotes are about something else.
        detail_unquoted = years_unquoted(resolved.question, quoted) or contact_unquoted(resolved.question, quoted)
        named_principle = self.names_principle(evidence, chosen)
        if should_refuse(probability, model.answer_threshold, evidence.unknown_names, named_principle, detail_unquoted):
            nearest = [] if evidence.unknown_names else self.nearest_passages(pool)
            return self.abstain(resolved, evidence.hits, signals, nearest)
        first_shared = not quotes or self.engine.index.documents[quotes[0].document_id].shared
        if quotes_another_organization(evidence.profile.own_organization, resolved.organization,
                                       len(self.owning_organizations), first_shared):
            return self.abstain(resolved, evidence.hits, signals, self.nearest_passages(pool), CHOOSE_ORGANIZATION)
        return Answer(compose(quotes, resolved.english), False, quotes, resolved=resolved, signals=signals)

    def quotes_of(self, chosen: list[Candidate], whole_lists: bool = False) -> list[Quote]:
        documents = self.engine.index.documents
        return [self.engine.quote(anchor.chunk, start, end, anchor.probability)
                for anchor, start, end in spans(chosen, documents, whole_lists)][:MAX_QUOTES]

    def nearest_passages(self, pool: list[Candidate]) -> list[Quote]:
        """The most probable passages of distinct places, for a refusal to point at."""
        picked: list[Candidate] = []
        for candidate in pool:
            if all(c.chunk.chunk_id != candidate.chunk.chunk_id for c in picked):
                picked.append(candidate)
            if len(picked) == NEAREST_PASSAGES:
                break
        return [quote for candidate in picked for quote in self.quotes_of([candidate])[:1]]

    def principle_answer(self, principle: Principle, resolved: Resolved) -> Answer | None:
        """Answer "which policy covers X" from the coverage of principles, best documents first."""
        covering = self.principle_coverage.covering(principle, resolved.organization)[:MAX_QUOTES]
        if not covering:
            return None
        quotes = [self.principle_coverage.quotes(c, 1)[0] for c in covering]
        # Asked for an organisation whose own documents do not cover it: the coverage table's gap,
        # said first, so that a law or the EQUASS text is not taken for the organisation's policy.
        gap = resolved.organization is not None and all(c.document.shared for c in covering)
        if resolved.english:
            intro = (f"No document of “{resolved.organization}” covers the principle “{principle.name_en}”: it is a gap. "
                     "Among the shared documents, it is covered by:" if gap
                     else f"The principle “{principle.name_en}” is covered by these documents:")
        else:
            intro = (f"Organizacijos „{resolved.organization}“ dokumentuose principo „{principle.name_lt}“ neradau – tai "
                     "spraga. Iš bendrų dokumentų jį apima:" if gap
                     else f"Principą „{principle.name_lt}“ apima šie dokumentai:")
        return Answer(f"{intro}\n\n{compose(quotes, resolved.english)}", False, quotes, resolved=resolved,
                      signals={"principle": principle.id})

    def abstain(self, resolved: Resolved, hits: list[Hit], signals: dict, nearest: list[Quote] = (),
                refusal: str | None = None) -> Answer:
        documents = list(dict.fromkeys([q.document_id for q in nearest] + [hit.chunk.document_id for hit in hits]))[:3]
        suggestions = [s for s in (self.engine.summary_of(d) for d in documents) if s]
        text = abstention_text(suggestions, resolved.english, bool(nearest), refusal == CHOOSE_ORGANIZATION)
        return Answer(text, True, [], suggestions, resolved, nearest=list(nearest), signals=signals, refusal=refusal)
