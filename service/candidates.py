"""Quote candidates: the spans of the retrieved passages that could answer a question.

The unit of a quote follows the document's own structure. A paragraph (text between blank lines)
short enough to read at a glance is quoted whole: a numbered paragraph of a law ("2. Skundas …
turi būti išnagrinėtas per 4 mėnesius …") or a short prose paragraph. A longer paragraph is
quoted sentence by sentence. A line that introduces a list ("Gauti socialines paslaugas turi
teisę:") is quoted together with its items; a list written line by line under a heading is
quoted whole or item by item; a small table keeps its header row. Headings, table header rows
and lead-in lines are never candidates on their own: they answer nothing.

Every candidate is an exact span of the document text and lists the stored sentence vectors
(embedded at ingest) that lie inside it, so weighing it needs no model run.
"""

import bisect
import re
from dataclasses import dataclass

import numpy as np

from ingest.analyzer import token_keys
from ingest.index_store import Index
from ingest.records import Chunk, Hit

# A paragraph up to this length is one candidate; a longer one is quoted by sentences.
MAX_PARAGRAPH_CHARS = 700
# A list or table longer than this is cut after the last whole item that fits.
MAX_BLOCK_CHARS = 900
LIST_ITEM = re.compile(r"(\d+(\.\d+)*[.)]|[a-z]\)|[•\-–*])\s*\S")
TABLE_ROW = re.compile(r"\s*\|.*\|\s*$")
# "15. Socialinė globa – asmeniui teikiama…", "EQUASS (angl. …) – Europos…", "Centro misija – užtikrinti…",
# "5. Turto normatyvas asmeniui yra 50 kvadratinių metrų…"
DEFINITION = re.compile(r"(?:\d+[.)]\s*)?(?:(?P<term>[^\n–—:;]{2,90}?)\s[–—-]\s(?:tai\s)?\S"
                        r"|(?P<named>[A-ZĄČĘĖĮŠŲŪŽ][^\n–—:;.,]{2,60}?)\s(?:yra|reiškia|vadinama|laikoma|laikomas)\s[^:\n]{3})")
BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass
class Candidate:
    """A span that may be quoted, with what scoring needs to know about it."""

    hit: Hit
    start: int
    end: int
    rows: list[int]  # rows of the index's sentence vectors that lie inside the span
    form: str  # "sentence", "item", "list", "paragraph", "table" or "definition"
    definition_terms: tuple[frozenset[str], ...] = ()  # per word of the defined term, its index terms
    features: np.ndarray | None = None
    probability: float = 0.0

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def document_id(self) -> str:
        return self.hit.chunk.document_id


def is_lead_in(text: str) -> bool:
    return text.rstrip().endswith(":")


def definition_term(sentence: str) -> str | None:
    """The term a definition sentence defines, or None when it is not one."""
    match = DEFINITION.match(sentence)
    if match is None:
        return None
    term = re.sub(r"\s*\([^)]*\)", "", match.group("term") or match.group("named")).strip()
    # A definition names a short term, not a clause.
    return term if len(term.split()) <= (8 if match.group("term") else 5) else None


@dataclass
class Layout:
    """Where a document's paragraphs, headings and stored sentences are."""

    paragraphs: list[tuple[int, int]]
    paragraph_starts: list[int]
    headings: frozenset[int]
    sentence_starts: list[int]
    sentence_rows: list[int]

    def paragraph_at(self, position: int) -> int:
        return max(bisect.bisect_right(self.paragraph_starts, position) - 1, 0)

    def rows_in(self, start: int, end: int) -> list[int]:
        first = bisect.bisect_left(self.sentence_starts, start)
        last = bisect.bisect_left(self.sentence_starts, end)
        return self.sentence_rows[first:last]


class CandidateBuilder:
    """Cuts retrieved chunks into candidates; one per index generation."""

    def __init__(self, index: Index):
        self.index = index
        self._layouts: dict[str, Layout] = {}
        self._definitions: dict[int, tuple[frozenset[str], ...]] | None = None

    def layout(self, document_id: str) -> Layout:
        if document_id not in self._layouts:
            document = self.index.documents[document_id]
            text = document.text
            paragraphs, position = [], 0
            for match in list(BLANK_LINE.finditer(text)) + [None]:
                end = match.start() if match else len(text)
                raw = text[position:end]
                if raw.strip():
                    start = position + (len(raw) - len(raw.lstrip()))
                    paragraphs.append((start, start + len(raw.strip())))
                position = match.end() if match else len(text)
            sentences = sorted((int(self.index.sentence_spans[row][1]), row)
                               for chunk in self.index.chunks_of(document_id)
                               for row in self.index.sentence_rows(chunk.chunk_id))
            self._layouts[document_id] = Layout(paragraphs, [p[0] for p in paragraphs],
                                                frozenset(s.start for s in document.sections),
                                                [s for s, _ in sentences], [r for _, r in sentences])
        return self._layouts[document_id]

    def definitions(self) -> dict[int, tuple[frozenset[str], ...]]:
        """Sentence row -> the words of the term it defines, for every definition sentence."""
        if self._definitions is None:
            found = {}
            spans = self.index.sentence_spans
            for row in range(len(spans)):
                chunk_id, start, end = (int(v) for v in spans[row])
                text = self.index.documents[self.index.chunks[chunk_id].document_id].text[start:end]
                term = definition_term(text)
                if term:
                    keys = tuple(token_keys(term))
                    if keys:
                        found[row] = keys
            self._definitions = found
        return self._definitions

    def defined_in(self, question_keys: list[frozenset[str]]) -> list[int]:
        """Rows of definition sentences whose term the question names word for word."""
        return [row for row, keys in self.definitions().items() if names_all(question_keys, keys)]

    def for_hits(self, hits: list[Hit]) -> list[Candidate]:
        found: dict[tuple[str, int, int], Candidate] = {}
        for hit in hits:
            for candidate in self.for_chunk(hit):
                found.setdefault((candidate.document_id, candidate.start, candidate.end), candidate)
        return list(found.values())

    def definition_candidates(self, rows: list[int], hits_by_chunk: dict[int, Hit], make_hit) -> list[Candidate]:
        """Candidates of the paragraphs of definition sentences found by their term, retrieved or not."""
        found = []
        for row in rows:
            chunk_id, start, _ = (int(v) for v in self.index.sentence_spans[row])
            hit = hits_by_chunk.get(chunk_id) or make_hit(self.index.chunks[chunk_id])
            layout = self.layout(hit.chunk.document_id)
            paragraph = layout.paragraphs[layout.paragraph_at(start)]
            found.extend(c for c in self.for_paragraph(hit, paragraph, layout) if c.start <= start < c.end)
        return found

    def for_chunk(self, hit: Hit) -> list[Candidate]:
        chunk = hit.chunk
        layout = self.layout(chunk.document_id)
        found: list[Candidate] = []
        first = layout.paragraph_at(chunk.char_start)
        for number in range(first, len(layout.paragraphs)):
            paragraph = layout.paragraphs[number]
            if paragraph[0] >= chunk.char_end:
                break
            if paragraph[1] <= chunk.char_start:
                continue
            found.extend(self.for_paragraph(hit, paragraph, layout, number))
        found.extend(self.tables(hit, layout))
        return found

    def for_paragraph(self, hit: Hit, paragraph: tuple[int, int], layout: Layout,
                      number: int | None = None) -> list[Candidate]:
        text = self.index.documents[hit.chunk.document_id].text
        start, end = paragraph
        body = text[start:end]
        if start in layout.headings or TABLE_ROW.match(body.split("\n", 1)[0]):
            return []
        number = layout.paragraph_at(start) if number is None else number
        if is_lead_in(body):
            block = self.block(text, layout, number)
            return [self.make(hit, layout, *block, "list")] if block else []
        lines = line_spans(text, start, end)
        if len(lines) > 1:
            return self.lines(hit, text, layout, lines)
        if end - start <= MAX_PARAGRAPH_CHARS:
            return [self.make(hit, layout, start, end, form_of(body, len(layout.rows_in(start, end))))]
        return [self.make(hit, layout, s, e, form_of(text[s:e], 1))
                for s, e in ((int(self.index.sentence_spans[r][1]), int(self.index.sentence_spans[r][2]))
                             for r in layout.rows_in(start, end))
                if not is_lead_in(text[s:e])]

    def lines(self, hit: Hit, text: str, layout: Layout, lines: list[tuple[int, int]]) -> list[Candidate]:
        """A paragraph written line by line (a list under a heading, a list of titles): whole and by line."""
        found = []
        if lines[-1][1] - lines[0][0] <= MAX_BLOCK_CHARS:
            found.append(self.make(hit, layout, lines[0][0], lines[-1][1], "list"))
        else:
            fitting = [line for line in lines if line[1] - lines[0][0] <= MAX_BLOCK_CHARS]
            if len(fitting) > 1:
                found.append(self.make(hit, layout, lines[0][0], fitting[-1][1], "list"))
        for start, end in lines:
            line = text[start:end]
            if start in layout.headings or is_lead_in(line) or not layout.rows_in(start, end):
                continue
            found.append(self.make(hit, layout, start, end, form_of(line, 1)))
        return found

    def block(self, text: str, layout: Layout, number: int) -> tuple[int, int] | None:
        """A lead-in paragraph and the items (or further lead-ins) under it, within the size limit."""
        start = layout.paragraphs[number][0]
        end = None
        for item_start, item_end in layout.paragraphs[number + 1:]:
            item = text[item_start:item_end]
            if not (LIST_ITEM.match(item) or is_lead_in(item)) or item_start in layout.headings:
                break
            if item_end - start > MAX_BLOCK_CHARS:
                break
            end = item_end
        return (start, end) if end is not None else None

    def tables(self, hit: Hit, layout: Layout) -> list[Candidate]:
        """A small table, header row included: a row means little without the header naming its columns."""
        chunk = hit.chunk
        text = self.index.documents[chunk.document_id].text
        found = []
        table: list[tuple[int, int]] = []
        for start, end in line_spans(text, chunk.char_start, chunk.char_end) + [(0, 0)]:
            line = text[start:end]
            if end and TABLE_ROW.match(line) and line.strip().startswith("|"):
                table.append((start, end))
                continue
            if table and end and not line.strip():
                continue  # the blank line left where the header's rule line was
            if len(table) >= 2 and table[-1][1] - table[0][0] <= MAX_BLOCK_CHARS:
                found.append(self.make(hit, layout, table[0][0], table[-1][1], "table"))
            table = []
        return found

    def make(self, hit: Hit, layout: Layout, start: int, end: int, form: str) -> Candidate:
        terms: tuple[frozenset[str], ...] = ()
        if form == "definition":
            terms = tuple(token_keys(definition_term(self.index.documents[hit.chunk.document_id].text[start:end]) or ""))
        return Candidate(hit, start, end, layout.rows_in(start, end), form, terms)


def line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line of ``text[start:end]``."""
    spans, position = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            left = position + line.index(stripped)
            spans.append((left, left + len(stripped)))
        position += len(line) + 1
    return spans


def form_of(text: str, sentences: int) -> str:
    if definition_term(text):
        return "definition"
    if LIST_ITEM.match(text):
        return "item"
    return "paragraph" if sentences > 1 else "sentence"


# A question names a defined term when it uses at least this share of the term's words.
TERM_SHARE = 0.66


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
