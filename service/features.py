"""The evidence about each quote candidate that the answer model weighs.

Each candidate gets a row of named numbers: how close it is in meaning to the question (dense
cosines of its sentences and of its passage, and the cosine with the question's vector turned by
the learned query adapter), how much of the question's content it holds (word
coverage weighted by rarity, in the span, around it and in its section title), how retrieval
ranked its passage, what it is (a sentence, a list, a definition), whether it carries what the
question type asks for (a period for "per kiek dienų", a count of days rather than of months, a
definition for "kas yra"), and whether
it belongs to the organisation the question is about. The weights that turn these into a
probability are learned on the tuning questions (``python -m evaluation train``).
"""

import re
from dataclasses import dataclass

import numpy as np

from ingest.analyzer import fold
from service.candidates import Candidate, named_share
from service.question import TIME_UNITS, UNITS, QuestionProfile

FEATURES: tuple[str, ...] = (
    "cos", "cos_gap", "cos_query", "cos_rank", "cos_adapted", "cos_adapted_gap",
    "chunk_dense", "chunk_dense_gap", "chunk_fused", "chunk_rank", "chunk_lexical",
    "cov_span", "cov_context", "cov_chunk", "cov_title", "cov_span_gap", "rarest_in_context", "rare_pair_in_context",
    "form_list", "form_paragraph", "form_item", "form_table", "form_definition",
    "log_length",
    "definition_match", "asks_definition",
    "period_match", "number_match", "quantity_missing", "unit_missing", "responsible_match", "modal_match", "list_match",
    "own_document", "other_in_scope", "in_focus", "is_law", "is_equass",
    "english", "english_cos", "follow_up", "question_terms",
)
INDEX = {name: i for i, name in enumerate(FEATURES)}

NUMBER = re.compile(r"\d|\b(vien|dvie|dviej|du\b|dvi\b|trej|trij|tris|trys|keturi|penki|šeši|septyni|aštuoni|devyni|dešimt|dešimč"
                    r"|\w+dešimt"
                    r"|dvylik|pusę|pusės|procent)", re.IGNORECASE)
PERIOD = re.compile(r"(dien|savait|mėnes|mėnuo|metų|metus|metai|kasmet|valand|kartą per|kartus per|kadencij"
                    r"|terminas|termino|per\s+\d|iki\s+\d|ne vėliau|nedelsiant|galioja)", re.IGNORECASE)
RESPONSIBLE = re.compile(r"(atsaking|atsako|užtikrina|organizuoja|tvirtina|skiria|sprendžia|priima|moka\b|finansuo"
                         r"|vykdo|prižiūri|koordinuoja|teikia|išduoda|nustato|atlieka|vadovas|direktorius|meras"
                         r"|taryba|administracija|departamentas|inspekcija|ministras)", re.IGNORECASE)
# What answers "kiek?", "per kiek dienų?", "kaip dažnai?", "kada?": a number, a date, a period, a
# frequency or a time ("reguliariai", "pagal poreikį", "kiekvieną antradienį"), not the numbering of
# a list or a reference to another provision ("šio straipsnio 2 dalies 3 punktas").
NOT_A_QUANTITY = re.compile(r"(?m)^\s*\d+[.)]|\b\d+\)|\b\d+[¹²³⁴⁵⁶⁷⁸⁹]*\s+(straipsn|dal|punkt|papunk|skyri|skirsn|pried)\w*"
                            r"|\bNr\.\s*\S+|\b\d{4}/\d+")
QUANTITY = re.compile(r"\d|\b(vien[aąo]s?|vieną|du|dvi|dviej\w+|dvej\w+|trys|tris|trij\w+|trej\w+|keturi\w*|penki\w*"
                      r"|šeši\w*|septyni\w*|aštuoni\w*|devyni\w*|\w*dešimt\w*|dešimč\w*|dvylik\w*|pus[ęė]s?|pusmet\w*|procent\w*"
                      r"|kasmet\w*|kasdien\w*|kas\s+(mėnesį|savaitę|ketvirtį|pusmetį|metus)|kartą|nedelsiant|ne vėliau|ne rečiau"
                      r"|tuoj pat|iš karto|reguliar\w*|periodišk\w*|pagal poreikį|kiekvien\w+|valand\w*"
                      r"|(pirm|antr|treči|ketvirt|penkt|šešt|sekm)adien\w*|sausio|vasario|kovo|balandžio|gegužės|birželio"
                      r"|liepos|rugpjūčio|rugsėjo|spalio|lapkričio|gruodžio)\b",
                      re.IGNORECASE)
# A count next to the unit the question asks in: "per 30 dienų", "vieną kartą per metus", "trejus metus".
COUNT = (r"(\d+|vien\w*|du|dvi|dviej\w*|dvej\w*|trys|tris|trij\w*|trej\w*|keturi\w*|ketver\w*|penki\w*|penker\w*"
         r"|sesi\w*|seser\w*|septyni\w*|septyner\w*|astuoni\w*|astuoner\w*|devyni\w*|devyner\w*|\w*desimt\w*|desimc\w*|dvylik\w*"
         r"|pus\w*|kelis|keleri\w*)")
LENGTH_OF_TIME = re.compile(r"\b" + COUNT + r"\s+(\S+\s+){0,2}?("
                            + "|".join(beginning for unit in TIME_UNITS for beginning in UNITS[unit]) + ")")
DATE = re.compile(r"\b\d{4}\b|\b\d{1,2}\s*d\b|sausio|vasario|kovo|balandzio|geguzes|birzelio|liepos|rugpjucio|rugsejo"
                  r"|spalio|lapkricio|gruodzio")
MODAL = re.compile(r"(turi teisę|privalo|gali|negali|draudžiama|leidžiama|turi būti|įpareigot|būtina|neturi)",
                   re.IGNORECASE)


@dataclass
class QuestionContext:
    """What the features of every candidate of one question are measured against."""

    profile: QuestionProfile
    content_terms: list[str]  # the question's terms without the organisation's name
    question_keys: list[frozenset[str]]  # the question's content words, each with both of its index terms
    idf: dict[str, float]
    own_documents: frozenset[str]  # the organisation's own documents when the question is scoped to it
    focus_documents: frozenset[str]
    follow_up: bool


def holds_quantity(text: str) -> bool:
    """Whether ``text`` gives a number, a date or a period (list numbering and references aside)."""
    return bool(QUANTITY.search(NOT_A_QUANTITY.sub(" ", text)))


def holds_unit(text: str, unit: str) -> bool:
    """Whether ``text`` gives a count in ``unit`` (service.question.UNITS), a date for "dat"."""
    folded = fold(text)
    if unit == "dat":
        return bool(DATE.search(folded))
    if unit == "procent" and "%" in folded:
        return True
    if unit == "eur" and re.search(r"\d\s*(eur|€)", folded):
        return True
    if unit == "laik":  # a length of time: a number of days, weeks, months, years, hours or minutes
        return bool(LENGTH_OF_TIME.search(folded))
    if unit.startswith("#"):  # a count of a thing named in the question: a number, then it within a few words
        return bool(re.search(r"\b" + COUNT + r"\s+(\S+\s+){0,4}?" + re.escape(unit[1:]), folded))
    if re.search(COUNT + r"\s+(\w+\s+){0,2}?" + unit, folded):
        return True
    return unit in ("met", "menes", "savait", "dien") and bool(re.search(r"\b(kas|kasmet|kart\w*)\b.{0,20}" + unit, folded))


def coverage(terms: list[str], present: set[str], idf: dict[str, float]) -> float:
    """Share of the question's content, weighted by rarity, found among ``present`` terms."""
    total = sum(idf[t] for t in terms)
    return sum(idf[t] for t in terms if t in present) / total if total else 0.0


def feature_rows(candidates: list[Candidate], context: QuestionContext, cosines: np.ndarray,
                 query_cosines: np.ndarray, adapted_cosines: np.ndarray, term_sets, chunk_lexical_max: float,
                 documents) -> np.ndarray:
    """(candidates × FEATURES) for one question.

    ``cosines``/``query_cosines`` are each candidate's cosine with the question and with the
    resolved query (they differ for a follow-up), ``adapted_cosines`` with the question's vector
    turned by the query adapter (service/query_adapter.py); ``term_sets(candidate)`` returns (span
    terms, context terms, chunk terms, title terms).
    """
    rows = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
    if not candidates:
        return rows
    profile = context.profile
    terms = context.content_terms
    ranks = {}
    for candidate in candidates:
        ranks.setdefault(candidate.chunk.chunk_id, len(ranks))
    best_dense = max(c.hit.dense_score for c in candidates)
    cos_max = np.asarray(cosines, dtype=np.float64)
    order = np.argsort(-cos_max, kind="stable")
    cos_rank = np.empty(len(candidates))
    cos_rank[order] = np.arange(len(candidates))
    adapted = np.asarray(adapted_cosines, dtype=np.float64)
    coverages = []
    # The question's most specific words: an answer that lacks them is about something else.
    rarest = sorted(set(terms), key=lambda t: (-context.idf[t], t))[:2]  # ties by name: the same in every run
    for i, candidate in enumerate(candidates):
        span_terms, context_terms, chunk_terms, title_terms = term_sets(candidate)
        document = documents[candidate.document_id]
        text = document.text[candidate.start:candidate.end]
        row = rows[i]
        row[INDEX["cos"]] = cos_max[i]
        row[INDEX["cos_gap"]] = cos_max[i] - cos_max.max()
        row[INDEX["cos_query"]] = query_cosines[i]
        row[INDEX["cos_rank"]] = 1.0 / (1.0 + cos_rank[i])
        row[INDEX["cos_adapted"]] = adapted[i]
        row[INDEX["cos_adapted_gap"]] = adapted[i] - adapted.max()
        row[INDEX["chunk_dense"]] = candidate.hit.dense_score
        row[INDEX["chunk_dense_gap"]] = candidate.hit.dense_score - best_dense
        row[INDEX["chunk_fused"]] = candidate.hit.score
        row[INDEX["chunk_rank"]] = 1.0 / (1.0 + ranks[candidate.chunk.chunk_id])
        row[INDEX["chunk_lexical"]] = candidate.hit.lexical_score / chunk_lexical_max if chunk_lexical_max > 0 else 0.0
        span_coverage = coverage(terms, span_terms, context.idf)
        coverages.append(span_coverage)
        row[INDEX["cov_span"]] = span_coverage
        row[INDEX["cov_context"]] = coverage(terms, context_terms, context.idf)
        row[INDEX["cov_chunk"]] = coverage(terms, chunk_terms, context.idf)
        row[INDEX["cov_title"]] = coverage(terms, title_terms, context.idf)
        row[INDEX["rarest_in_context"]] = float(bool(rarest) and rarest[0] in context_terms)
        row[INDEX["rare_pair_in_context"]] = sum(t in context_terms for t in rarest) / len(rarest) if rarest else 0.0
        if candidate.form != "sentence":
            row[INDEX["form_" + candidate.form]] = 1.0
        row[INDEX["log_length"]] = np.log1p(len(text)) / 7.0
        row[INDEX["definition_match"]] = named_share(context.question_keys, candidate.definition_terms)
        row[INDEX["asks_definition"]] = float(profile.asks("definition"))
        row[INDEX["period_match"]] = float(profile.asks("deadline") and bool(PERIOD.search(text)))
        row[INDEX["number_match"]] = float(profile.asks("amount") and bool(NUMBER.search(text)))
        row[INDEX["quantity_missing"]] = float(profile.asks_quantity and not holds_quantity(text))
        row[INDEX["unit_missing"]] = float(profile.unit is not None and not holds_unit(text, profile.unit))
        row[INDEX["responsible_match"]] = float(profile.asks("responsible") and bool(RESPONSIBLE.search(text)))
        row[INDEX["modal_match"]] = float(profile.asks("may_must") and bool(MODAL.search(text)))
        row[INDEX["list_match"]] = float(profile.asks("list") and candidate.form in ("list", "table"))
        own = candidate.document_id in context.own_documents
        row[INDEX["own_document"]] = float(own)
        row[INDEX["other_in_scope"]] = float(bool(context.own_documents) and not own)
        row[INDEX["in_focus"]] = float(candidate.document_id in context.focus_documents)
        row[INDEX["is_law"]] = float(document.kind == "law")
        row[INDEX["is_equass"]] = float(document.kind == "equass")
        row[INDEX["english"]] = float(profile.english)
        row[INDEX["english_cos"]] = cos_max[i] if profile.english else 0.0
        row[INDEX["follow_up"]] = float(context.follow_up)
        row[INDEX["question_terms"]] = min(len(set(terms)), 12) / 12.0
    rows[:, INDEX["cov_span_gap"]] = np.array(coverages) - max(coverages)
    return rows
