"""Structure-aware chunking with exact offsets into the document text.

Headings (``III. PRINCIPAI IR VERTYBĖS``, ``27 straipsnis. ...``, Markdown ``##``) open a new
chunk and stay with the text under them; numbered items (``1.``, ``2)``) are never cut; a
lead-in line ending with a colon stays with the list it introduces. Only a paragraph longer
than the chunk size is split, by langchain's recursive splitter, on sentence boundaries.
"""

import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.records import Chunk, Section

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")
ROMAN_HEADING = re.compile(r"^[IVXLC]+\.\s+\S")
CHAPTER_HEADING = re.compile(r"^([IVXLC]+|[A-ZĄČĘĖĮŠŲŪŽ]+[A-ZĄČĘĖĮŠŲŪŽa-ząčęėįšųūž]*)\s+(SKYRIUS|SKIRSNIS|skyrius|skirsnis)\b")
ARTICLE_HEADING = re.compile(r"^\d+(\s*\d*)?\s+straipsnis\.", re.IGNORECASE)
LIST_ITEM = re.compile(r"^(\d+(\.\d+)*[.)]|[a-z]\)|[•\-–*])\s*")
SHORT_HEADING_MAX = 80


@dataclass
class Paragraph:
    start: int
    end: int
    text: str


def paragraphs(text: str) -> list[Paragraph]:
    found = []
    position = 0
    for match in PARAGRAPH_BREAK.finditer(text + "\n\n"):
        raw = text[position:match.start()]
        stripped = raw.strip()
        if stripped:
            start = position + raw.index(stripped)
            found.append(Paragraph(start, start + len(stripped), stripped))
        position = match.end()
    return found


def heading_level(paragraph: str) -> int | None:
    """The level of a heading paragraph (1 = top), or None for body text."""
    if "\n" in paragraph:
        letters = [c for c in paragraph if c.isalpha()]
        if letters and all(c.isupper() for c in letters) and len(paragraph) <= 3 * SHORT_HEADING_MAX:
            return 1
        return None
    if match := MARKDOWN_HEADING.match(paragraph):
        return len(match.group(1))
    if CHAPTER_HEADING.match(paragraph) or ROMAN_HEADING.match(paragraph):
        return 2
    if ARTICLE_HEADING.match(paragraph) and len(paragraph) <= 2 * SHORT_HEADING_MAX:
        return 3
    letters = [c for c in paragraph if c.isalpha()]
    if len(paragraph) <= SHORT_HEADING_MAX and letters and all(c.isupper() for c in letters):
        return 1
    if (
        len(paragraph) <= SHORT_HEADING_MAX
        and not LIST_ITEM.match(paragraph)
        and paragraph[-1] not in ".;:,!)"
        and paragraph[0].isupper()
    ):
        return 3
    return None


def heading_title(paragraph: str) -> str:
    return MARKDOWN_HEADING.sub(r"\2", " ".join(paragraph.split())).strip()


def find_sections(text: str) -> list[Section]:
    """All headings of the text, each with the span up to the next heading of its level or higher."""
    heads = [(p, level) for p in paragraphs(text) if (level := heading_level(p.text)) is not None]
    sections = []
    for i, (paragraph, level) in enumerate(heads):
        end = next((other.start for other, lv in heads[i + 1:] if lv <= level), len(text))
        sections.append(Section(heading_title(paragraph.text), level, paragraph.start, end))
    return sections


def section_at(sections: list[Section], position: int) -> str:
    """The innermost heading governing ``position``; empty before the first heading."""
    inner = [s for s in sections if s.start <= position < s.end]
    return min(inner, key=lambda s: s.end - s.start).title if inner else ""


def _split_long(text: str, paragraph: Paragraph, size: int) -> list[Paragraph]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=0,
        separators=["\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
    )
    pieces = []
    for piece in splitter.create_documents([paragraph.text]):
        start = paragraph.start + piece.metadata["start_index"]
        body = piece.page_content
        if text[start:start + len(body)] != body:
            start = text.index(body, paragraph.start)
        pieces.append(Paragraph(start, start + len(body), body))
    return pieces


def chunk_document(document_id: str, text: str, sections: list[Section], size: int) -> list[Chunk]:
    """Cut ``text`` into chunks that respect headings, lists and the size limit."""
    units: list[Paragraph] = []
    for paragraph in paragraphs(text):
        if len(paragraph.text) > size * 1.5:
            units.extend(_split_long(text, paragraph, size))
        else:
            units.append(paragraph)

    heading_starts = {s.start for s in sections}
    groups: list[list[Paragraph]] = []
    current: list[Paragraph] = []
    for unit in units:
        if current:
            length = unit.end - current[0].start
            lead_in = current[-1].text.endswith(":") and length <= 2 * size
            previous_is_heading = current[-1].start in heading_starts
            if unit.start in heading_starts and not previous_is_heading:
                groups.append(current)
                current = []
            elif length > size and not lead_in and not previous_is_heading:
                groups.append(current)
                current = []
        current.append(unit)
    if current:
        groups.append(current)

    chunks = []
    for group in groups:
        body = [unit for unit in group if unit.start not in heading_starts]
        if not body:
            continue
        start, end = group[0].start, group[-1].end
        chunks.append(Chunk(chunk_id=-1, document_id=document_id, char_start=start, char_end=end,
                            section=section_at(sections, body[0].start)))
    return chunks
