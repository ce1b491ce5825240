"""Readers: one per file format, each turning a file into raw documents.

A reader returns the extracted text before cleaning, plus what the file itself says about the
document (a title, known sections). A file that cannot be read raises ``ReadError`` with a
reason a person can act on.
"""

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".json", ".jsonl", ".gz"}


class ReadError(Exception):
    """A file that cannot become a document; the message says why."""


@dataclass
class RawDocument:
    text: str
    title: str | None = None
    law: dict | None = None
    extra: dict = field(default_factory=dict)


def read_text_file(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1257"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError("text is neither UTF-8 nor Windows-1257")


def read_txt(path: Path) -> Iterator[RawDocument]:
    yield RawDocument(text=read_text_file(path))


MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
MARKDOWN_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)


def read_markdown(path: Path) -> Iterator[RawDocument]:
    """Markdown as readable text: '#' headings are kept (the chunker uses them), bold markers and
    table rule lines are dropped so quotes read like prose."""
    text = read_text_file(path)
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
    text = MARKDOWN_EMPHASIS.sub(r"\2", text)
    text = MARKDOWN_TABLE_RULE.sub("", text)
    yield RawDocument(text=text, title=title)


BLOCK_TAGS = ["p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "table", "ul", "ol", "blockquote", "pre"]


def read_html(path: Path) -> Iterator[RawDocument]:
    soup = BeautifulSoup(read_text_file(path), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template", "form"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    h1 = soup.find("h1")
    h1_text = h1.get_text(" ", strip=True) if h1 else None
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.insert(0, "#" * level + " ")
    body = soup.body or soup
    text = body.get_text()
    yield RawDocument(text=text, title=h1_text or title)


def read_pdf(path: Path) -> Iterator[RawDocument]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise ReadError("the PDF is encrypted; save an unprotected copy and ingest that")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise ReadError(f"the PDF is damaged or not a PDF ({error})") from error
    yield RawDocument(text="\n\n".join(pages), title=title)


def read_docx(path: Path) -> Iterator[RawDocument]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise ReadError(f"the Word file is damaged or not a .docx file ({error})") from error
    paragraphs = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        text = paragraph.text
        if style.startswith("heading") and text.strip():
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            text = "#" * level + " " + text
        paragraphs.append(text)
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    title = document.core_properties.title or None
    yield RawDocument(text="\n\n".join(paragraphs), title=title)


def law_text(law: dict) -> str:
    """The text of a law as served: its title, then each provision's title and content."""
    parts = [law["title"]]
    for provision in law.get("provisions", []):
        if provision.get("title"):
            parts.append(provision["title"])
        if provision.get("content"):
            parts.append(provision["content"])
    return "\n\n".join(parts)


def _law_document(law: dict) -> RawDocument:
    if "id" not in law or "title" not in law:
        raise ReadError("law JSON needs at least 'id' and 'title'")
    return RawDocument(text=law_text(law), title=law["title"], law=law)


def read_law_json(path: Path) -> Iterator[RawDocument]:
    try:
        law = json.loads(read_text_file(path))
    except json.JSONDecodeError as error:
        raise ReadError(f"not valid JSON ({error})") from error
    yield _law_document(law)


def read_law_jsonl(path: Path) -> Iterator[RawDocument]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield _law_document(json.loads(line))
            except json.JSONDecodeError as error:
                raise ReadError(f"line {number} is not valid JSON ({error})") from error


def read_file(path: Path) -> Iterator[RawDocument]:
    suffix = path.suffix.lower()
    name = path.name.lower()
    if name.endswith(".jsonl.gz") or suffix == ".jsonl":
        return read_law_jsonl(path)
    readers = {
        ".txt": read_txt,
        ".md": read_markdown,
        ".html": read_html,
        ".htm": read_html,
        ".pdf": read_pdf,
        ".docx": read_docx,
        ".json": read_law_json,
    }
    if suffix not in readers:
        raise ReadError(f"unsupported file type '{suffix}'; supported: {', '.join(sorted(readers))}")
    return readers[suffix](path)
