"""Quote candidates: the quote units of the retrieved passages, and definitions found by their term.

Units are cut along each document's structure and embedded in their context at ingest
(ingest/quote_units.py): a numbered paragraph, a definition, a list with the line that introduces
it, a table with its header row, a sentence of a long paragraph. Here they are gathered for the
passages retrieval returned, so weighing them needs no model run. A definition ("15. Socialinė
globa – …") is also found by its term when the question names it, even if search missed its
passage: "kas yra socialine globa" must reach the law's definition.
"""

from dataclasses import dataclass

import numpy as np

from ingest.analyzer import token_keys
from ingest.index_store import Index
from ingest.principles import names_all_principles
from ingest.quote_units import FORMS, definition_term
from ingest.records import Chunk, Hit

DEFINITION_FORM = FORMS.index("definition")
# A question names a defined term when it uses at least this share of the term's words.
TERM_SHARE = 0.66


@dataclass
class Candidate:
    """A span that may be quoted, with what scoring needs to know about it."""

    hit: Hit
    start: int
    end: int
    row: int  # the unit's row in the index's quote vectors
    form: str  # one of ingest.quote_units.FORMS
    definition_terms: tuple[frozenset[str], ...] = ()  # per word of the defined term, its index terms
    features: np.ndarray | None = None
    probability: float = 0.0
    # The answer check's score (service/verifier.py) and its distance to the best check among the
    # question's checked candidates; None when the candidate was not checked.
    check: float | None = None
    check_gap: float | None = None

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def document_id(self) -> str:
        return self.hit.chunk.document_id


class CandidateBuilder:
    """Candidates of retrieved chunks; one per index generation."""

    def __init__(self, index: Index):
        self.index = index
        self._definitions: dict[int, tuple[frozenset[str], ...]] | None = None
        self._principle_lists: list[int] | None = None

    def definitions(self) -> dict[int, tuple[frozenset[str], ...]]:
        """Unit row -> the words of the term it defines, for every definition unit."""
        if self._definitions is None:
            found = {}
            for row in np.flatnonzero(self.index.quote_spans[:, 3] == DEFINITION_FORM).tolist():
                keys = tuple(token_keys(definition_term(self.text(row)) or ""))
                if keys:
                    found[row] = keys
            self._definitions = found
        return self._definitions

    def principle_lists(self) -> list[int]:
        """Rows of EQUASS units that name all ten principles (the overview's list of them)."""
        if self._principle_lists is None:
            index = self.index
            equass = {c.chunk_id for c in index.chunks if index.documents[c.document_id].kind == "equass"}
            self._principle_lists = [row for row in range(len(index.quote_spans))
                                     if int(index.quote_spans[row][0]) in equass and names_all_principles(self.text(row))]
        return self._principle_lists

    def text(self, row: int) -> str:
        chunk_id, start, end, _ = (int(v) for v in self.index.quote_spans[row])
        return self.index.documents[self.index.chunks[chunk_id].document_id].text[start:end]

    def defined_in(self, question_keys: list[frozenset[str]]) -> list[int]:
        """Rows of definitions whose term the question names."""
        return [row for row, keys in self.definitions().items() if names_all(question_keys, keys)]

    def candidate(self, hit: Hit, row: int) -> Candidate:
        _, start, end, form = (int(v) for v in self.index.quote_spans[row])
        return Candidate(hit, start, end, row, FORMS[form], self.definitions().get(row, ()))

    def for_hits(self, hits: list[Hit]) -> list[Candidate]:
        return [self.candidate(hit, row) for hit in hits for row in self.index.quote_rows(hit.chunk.chunk_id)]

    def definition_candidates(self, rows: list[int], hits_by_chunk: dict[int, Hit], make_hit) -> list[Candidate]:
        """Candidates of units found otherwise than by search (a definition by its term, the list of
        the principles), whether search returned their passage or not."""
        found = []
        for row in rows:
            chunk_id = int(self.index.quote_spans[row][0])
            hit = hits_by_chunk.get(chunk_id) or make_hit(self.index.chunks[chunk_id])
            found.append(self.candidate(hit, row))
        return found


def names_all(question_keys: list[frozenset[str]], term_keys: tuple[frozenset[str], ...]) -> bool:
    """Whether the question uses (nearly) every word of a term, in either spelling."""
    if not term_keys:
        return False
    named = sum(any(key & word for word in question_keys) for key in term_keys)
    return named / len(term_keys) >= TERM_SHARE


def named_share(question_keys: list[frozenset[str]], term_keys: tuple[frozenset[str], ...]) -> float:
    """Share of the question's words that the term names: 1.0 when the question asks for exactly it."""
    if not question_keys or not names_all(question_keys, term_keys):
        return 0.0
    return sum(any(word & key for key in term_keys) for word in question_keys) / len(question_keys)
