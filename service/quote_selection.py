"""Which candidates become quotes, and the exact spans they cover.

The most probable candidate is quoted first; others follow when they are nearly as probable and
say something new (a span inside one already chosen adds nothing). For a question scoped to an
organisation, its own documents are quoted when they hold an answer, and the shared law or EQUASS
material only when they do not. A list item is quoted with the line that introduces it when the
two stand together, and neighbouring sentences of one passage are merged into one quote.
"""

from ingest.quote_units import enclosing_list, is_lead_in, whole_list
from ingest.sentences import sentence_spans
from service.candidates import Candidate

MAX_QUOTES = 3
MAX_QUOTE_CHARS = 900
# A list is quoted whole up to this length ("Kokios yra socialinių paslaugų rūšys?" asks for all of them).
MAX_LIST_QUOTE_CHARS = 2500


def answer_pool(ranked: list[Candidate], own_documents: frozenset[str], own_threshold: float) -> list[Candidate]:
    """The candidates an answer may quote: the organisation's own ones when they hold an answer."""
    if own_documents:
        own = [c for c in ranked if c.document_id in own_documents]
        if own and own[0].probability >= own_threshold:
            return own
    return ranked


def choose(pool: list[Candidate], ratio: float) -> list[Candidate]:
    """The best candidate and up to two more of at least ``ratio`` of its probability that add something."""
    if not pool:
        return []
    best = pool[0]
    chosen = [best]
    for candidate in pool[1:]:
        if len(chosen) == MAX_QUOTES or candidate.probability < best.probability * ratio:
            break
        if any(overlaps(candidate, other) for other in chosen):
            continue
        chosen.append(candidate)
    return chosen


def overlaps(a: Candidate, b: Candidate) -> bool:
    return a.document_id == b.document_id and a.start < b.end and b.start < a.end


def spans(chosen: list[Candidate], documents, whole_lists: bool = False) -> list[tuple[Candidate, int, int]]:
    """Quote spans: lead-in lines joined to their item, a list quoted to its end (within
    MAX_LIST_QUOTE_CHARS), with ``whole_lists`` (the question asks for a list) an item quoted
    with the whole list it belongs to; neighbours in one passage merged, a span inside one
    already quoted left out."""
    result: list[tuple[Candidate, int, int]] = []
    for candidate in chosen:
        document = documents[candidate.document_id]
        text = document.text
        start, end = with_lead_in(candidate, text)
        if candidate.form == "list":
            end = whole_list(document, start, end, MAX_LIST_QUOTE_CHARS)
        elif candidate.form == "item" and whole_lists:
            start, end = enclosing_list(document, start, end, MAX_LIST_QUOTE_CHARS) or (start, end)
        for i, (anchor, a_start, a_end) in enumerate(result):
            if anchor.document_id != candidate.document_id:
                continue
            if a_start <= start and end <= a_end:
                break
            if start <= a_start and a_end <= end:
                result[i] = (anchor, start, end)
                break
            if anchor.chunk.chunk_id == candidate.chunk.chunk_id and adjacent(text, a_start, a_end, start, end):
                merged = (min(a_start, start), max(a_end, end))
                if merged[1] - merged[0] <= MAX_QUOTE_CHARS:
                    result[i] = (anchor, *merged)
                    break
        else:
            result.append((candidate, start, end))
    return result


def adjacent(text: str, a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    gap = text[a_end:b_start] if b_start >= a_end else text[b_end:a_start]
    return not gap.strip()


def with_lead_in(candidate: Candidate, text: str) -> tuple[int, int]:
    """A list item together with the line that introduces it ("… apima šiuos tikslus:"), when adjacent."""
    start, end = candidate.start, candidate.end
    if candidate.form != "item":
        return start, end
    before = sentence_spans(text, candidate.chunk.char_start, start)
    if before:
        lead_start, lead_end = before[-1]
        if is_lead_in(text[lead_start:lead_end]) and not text[lead_end:start].strip("\n ") and end - lead_start <= MAX_QUOTE_CHARS:
            return lead_start, end
    return start, end
