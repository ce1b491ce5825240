"""Quote units: the spans of a document that an answer may quote, cut along its own structure.

A paragraph (text between blank lines) short enough to read at a glance is one unit: a numbered
paragraph of a law ("2. Skundas … turi būti išnagrinėtas per 4 mėnesius …"), a definition
("15. Socialinė globa – …") or a short prose paragraph. A longer paragraph gives one unit per
quotable sentence. A line that introduces a list ("Gauti socialines paslaugas turi teisę:") makes
a unit together with its items; a list written line by line under a heading is a unit whole and
one per line; a small table keeps its header row. Headings, table header rows and lead-in lines
are never units on their own: they answer nothing.

Units are found at ingest and embedded with their context (document title, section, and the
lead-in of a list item), so that answering only compares stored vectors with the question.
"""

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.records import Chunk, Document
from ingest.sentences import quotable, sentence_spans

# Bump when units or their context text change: stored unit vectors are then rebuilt.
UNITS_VERSION = "units-2"
FORMS = ("sentence", "item", "list", "paragraph", "table", "definition")
# Units that read as a sentence or a paragraph: principle tags and their evidence come from these.
TAGGED_FORMS = ("sentence", "item", "paragraph", "definition")
# A paragraph up to this length is one unit; a longer one is quoted by sentences.
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


@dataclass(frozen=True)
class QuoteUnit:
    start: int
    end: int
    form: str


def is_lead_in(text: str) -> bool:
    return text.rstrip().endswith(":")


def definition_term(text: str) -> str | None:
    """The term a definition defines ("Socialinė globa" in "15. Socialinė globa – …"), or None."""
    match = DEFINITION.match(text)
    if match is None:
        return None
    term = re.sub(r"\s*\([^)]*\)", "", match.group("term") or match.group("named")).strip()
    if "(" in term:
        return None  # "… įstaigoje (toliau – institucinė socialinė globa)" names a short form, not a definition
    # A definition names a short term, not a clause.
    return term if len(term.split()) <= (8 if match.group("term") else 5) else None


@dataclass
class Layout:
    """Where a document's paragraphs and headings are, and the units of each paragraph once cut
    (a paragraph longer than a chunk is met by every chunk it spans)."""

    paragraphs: list[tuple[int, int]]
    starts: list[int]
    headings: frozenset[int]
    units: dict[int, list["QuoteUnit"]] = field(default_factory=dict)

    def paragraph_at(self, position: int) -> int:
        return max(bisect.bisect_right(self.starts, position) - 1, 0)


def layout_of(document: Document) -> Layout:
    return paragraph_layout(document.text, frozenset(s.start for s in document.sections))


@lru_cache(maxsize=64)
def paragraph_layout(text: str, headings: frozenset[int]) -> Layout:
    """The paragraphs of ``text`` (split at blank lines), with the heading starts given."""
    paragraphs, position = [], 0
    for match in [*BLANK_LINE.finditer(text), None]:
        end = match.start() if match else len(text)
        raw = text[position:end]
        if raw.strip():
            start = position + (len(raw) - len(raw.lstrip()))
            paragraphs.append((start, start + len(raw.strip())))
        position = match.end() if match else len(text)
    return Layout(paragraphs, [p[0] for p in paragraphs], headings)


def units_of_chunk(document: Document, chunk: Chunk, layout: Layout) -> list[QuoteUnit]:
    """The units that start inside ``chunk``, in document order, without duplicates."""
    text = document.text
    found: dict[tuple[int, int], QuoteUnit] = {}
    for number in range(layout.paragraph_at(chunk.char_start), len(layout.paragraphs)):
        start, end = layout.paragraphs[number]
        if start >= chunk.char_end:
            break
        if end <= chunk.char_start:
            continue
        if number not in layout.units:
            layout.units[number] = _paragraph_units(text, layout, number)
        for unit in layout.units[number]:
            if chunk.char_start <= unit.start < chunk.char_end:
                found.setdefault((unit.start, unit.end), unit)
    for unit in _tables(text, chunk):
        found.setdefault((unit.start, unit.end), unit)
    return sorted(found.values(), key=lambda u: (u.start, u.end))


def _paragraph_units(text: str, layout: Layout, number: int) -> list[QuoteUnit]:
    start, end = layout.paragraphs[number]
    body = text[start:end]
    if start in layout.headings or TABLE_ROW.match(body.split("\n", 1)[0]):
        return []
    if is_lead_in(body):
        block = _block(text, layout, number)
        return [QuoteUnit(*block, "list")] if block else []
    lines = line_spans(text, start, end)
    if len(lines) > 1:
        return _lines(text, layout, lines)
    if end - start <= MAX_PARAGRAPH_CHARS:
        sentences = [s for s in sentence_spans(text, start, end) if quotable(text[s[0]:s[1]])]
        return [QuoteUnit(start, end, form_of(body, len(sentences)))] if sentences or quotable(body) else []
    return [QuoteUnit(s, e, form_of(text[s:e], 1)) for s, e in sentence_spans(text, start, end)
            if quotable(text[s:e]) and not is_lead_in(text[s:e])]


def _lines(text: str, layout: Layout, lines: list[tuple[int, int]]) -> list[QuoteUnit]:
    """A paragraph written line by line (a list under a heading, a list of titles): whole and by line."""
    units = []
    fitting = [line for line in lines if line[1] - lines[0][0] <= MAX_BLOCK_CHARS]
    if len(fitting) > 1:
        units.append(QuoteUnit(lines[0][0], fitting[-1][1], "list"))
    for start, end in lines:
        line = text[start:end]
        if start not in layout.headings and not is_lead_in(line) and quotable(line):
            units.append(QuoteUnit(start, end, form_of(line, 1)))
    return units


def _block(text: str, layout: Layout, number: int, limit: int = MAX_BLOCK_CHARS) -> tuple[int, int] | None:
    """A lead-in paragraph and the items (or further lead-ins) under it, within ``limit`` characters."""
    start = layout.paragraphs[number][0]
    end = None
    for item_start, item_end in layout.paragraphs[number + 1:]:
        item = text[item_start:item_end]
        if not (LIST_ITEM.match(item) or is_lead_in(item)) or item_start in layout.headings:
            break
        if item_end - start > limit:
            break
        end = item_end
    return (start, end) if end is not None else None


def whole_list(document: Document, start: int, end: int, limit: int) -> int:
    """Where the list that a "list" unit (``start``–``end``, cut at MAX_BLOCK_CHARS) really ends,
    within ``limit`` characters from its start and after its last whole item: a question asking
    for all the kinds or steps gets all of them, not the first nine hundred characters."""
    text = document.text
    layout = layout_of(document)
    number = layout.paragraph_at(start)
    paragraph_start, paragraph_end = layout.paragraphs[number]
    if paragraph_start == start and is_lead_in(text[paragraph_start:paragraph_end]):
        block = _block(text, layout, number, limit)
        return max(end, block[1]) if block else end
    # A list written line by line in one paragraph: its further lines that fit.
    fitting = [line_end for _, line_end in line_spans(text, start, paragraph_end) if line_end - start <= limit]
    return max(end, fitting[-1]) if fitting else end


def enclosing_list(document: Document, start: int, end: int, limit: int) -> tuple[int, int] | None:
    """The whole list, lead-in included, that the item at ``start``–``end`` belongs to, when it
    fits in ``limit`` characters up to the item; None when the item stands under no lead-in."""
    text = document.text
    layout = layout_of(document)
    for number in range(layout.paragraph_at(start) - 1, -1, -1):
        paragraph_start, paragraph_end = layout.paragraphs[number]
        body = text[paragraph_start:paragraph_end]
        if paragraph_start in layout.headings or end - paragraph_start > limit:
            return None
        if is_lead_in(body):
            return paragraph_start, whole_list(document, paragraph_start, end, limit)
        if not LIST_ITEM.match(body):
            return None
    return None


def _tables(text: str, chunk: Chunk) -> list[QuoteUnit]:
    """A small table, header row included: a row means little without the header naming its columns."""
    units = []
    table: list[tuple[int, int]] = []
    for start, end in [*line_spans(text, chunk.char_start, chunk.char_end), (0, 0)]:
        line = text[start:end]
        if end and TABLE_ROW.match(line) and line.strip().startswith("|"):
            table.append((start, end))
            continue
        if table and end and not line.strip():
            continue  # the blank line left where the header's rule line was
        if len(table) >= 2 and table[-1][1] - table[0][0] <= MAX_BLOCK_CHARS:
            units.append(QuoteUnit(table[0][0], table[-1][1], "table"))
        table = []
    return units


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


def lead_in_of(text: str, layout: Layout, unit: QuoteUnit) -> str:
    """The line that introduces a list item ("Gauti socialines paslaugas turi teisę:"), if any."""
    if unit.form != "item":
        return ""
    number = layout.paragraph_at(unit.start)
    for previous in range(number, max(number - 30, -1), -1):
        start, end = layout.paragraphs[previous]
        body = text[start:min(end, unit.start)].strip()
        if not body:
            continue
        last = body.rsplit("\n", 1)[-1]
        if is_lead_in(last):
            return last
        if not LIST_ITEM.match(last):
            return ""
    return ""


def context_text(document: Document, chunk: Chunk, layout: Layout, unit: QuoteUnit) -> str:
    """What the model sees of a unit: where it stands (title, section, a list item's lead-in) and its text."""
    header = " — ".join(part for part in (document.title, chunk.section) if part)
    lead_in = lead_in_of(document.text, layout, unit)
    body = document.text[unit.start:unit.end]
    return "\n".join(part for part in (header, lead_in, body) if part)
