"""Readers: one per file format, each turning a file into raw documents.

A reader returns the extracted text before cleaning, plus what the file itself says about the
document (a title, known sections). A file that cannot be read raises ``ReadError`` with a
reason a person can act on.

Every reader expects hostile input, because one bad file must neither stop an ingest nor reach
the service: packed formats are measured before anything is unpacked, XML may not declare a
DTD (entity expansion), law records are validated field by field, and text whose encoding
cannot be recognised is refused instead of being indexed as mojibake.
"""

import codecs
import gzip
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bs4 import BeautifulSoup, CData, NavigableString, Tag
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".json", ".jsonl", ".gz"}
# The shape of every document id: it is part of URLs (/documents/{id}) and of file names.
DOCUMENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class ReadError(Exception):
    """A file that cannot become a document; the message says why."""


@dataclass(frozen=True)
class ReadLimits:
    """How much one file may cost: bytes on disk, and bytes once unpacked (zip members, gzip)."""

    max_file_bytes: int
    max_unpacked_bytes: int


class Provision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: StrictStr | None = None
    content: StrictStr | None = None


class LawRecord(BaseModel):
    """One law of the register's JSON format; only the fields the product uses are checked."""

    model_config = ConfigDict(extra="ignore")

    id: StrictStr = Field(pattern=DOCUMENT_ID_PATTERN)
    title: StrictStr = Field(min_length=1, max_length=2000)
    url: StrictStr | None = None
    issued_date: StrictStr | None = Field(None, max_length=40)
    provisions: list[Provision] = []


@dataclass
class RawDocument:
    text: str
    title: str | None = None
    law: LawRecord | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class RecordProblem:
    """One record of a many-record file (a line of a .jsonl) that was skipped, and why."""

    where: str
    reason: str


def validation_reason(error: ValidationError) -> str:
    """Which fields are wrong and how, without echoing the values (they may be personal data)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(part) for part in item["loc"]) or "the record"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


# --- Text and its encoding -------------------------------------------------------------------

BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# Letters Windows-1257 gives to bytes that, in a Western (Windows-1252) text, are à, è, ç, ê,
# ñ, ú...: Latvian and Polish letters that a Lithuanian text hardly ever has.
BALTIC_NOT_LITHUANIAN = set("āēīōźćńļķģņŗłśĀĒĪŌŹĆŃĻĶĢŅŖŁŚ")
# And the letters Windows-1252 gives to Lithuanian š, ž, ę, ų (Icelandic and Danish letters).
WESTERN_FOR_LITHUANIAN = set("ðþæøÐÞÆØ")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> str:
    """Text from bytes in the encodings staff files come in: UTF-8, UTF-16/32 (with a byte-order
    mark or recognisably without), Windows-1257 (Baltic) and Windows-1252/Latin-1 (Western).
    Anything else, and binary data, is refused with the reason."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return _plain_text(data.decode(encoding))
            except UnicodeDecodeError as error:
                raise ReadError(f"the file starts with a {encoding.upper()} byte-order mark but is not valid "
                                f"{encoding.upper()} (byte {error.start}); save it again as UTF-8") from error
    if b"\x00" in data:  # never in UTF-8 text, every other byte in Latin-script UTF-16
        return _plain_text(_utf16_without_mark(data))
    try:
        return _plain_text(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        utf8_error = error
    mostly_utf8 = data.decode("utf-8", "replace")
    if sum(ord(c) > 127 and c != "\ufffd" for c in mostly_utf8) > mostly_utf8.count("\ufffd"):
        raise ReadError(f"the text is UTF-8 with invalid bytes (first at byte {utf8_error.start}): the file is "
                        "damaged or mixes encodings; save it again as UTF-8")
    return _plain_text(_single_byte(data))


def _utf16_without_mark(data: bytes) -> str:
    """UTF-16 without a byte-order mark: in Latin-script text every other byte is zero."""
    even, odd = data[0::2].count(0), data[1::2].count(0)
    units = max(len(data) // 2, 1)
    if len(data) % 2 == 0 and max(even, odd) >= 0.3 * units and min(even, odd) <= 0.01 * units:
        encoding = "utf-16-le" if odd > even else "utf-16-be"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise ReadError("the file holds NUL bytes: it is binary, or text in an encoding that could not be "
                    "recognised; save it as UTF-8 text")


def _single_byte(data: bytes) -> str:
    """Windows-1257 unless the bytes read as a Western text: the two differ in the letters above
    127, and each gives the other's language letters that language never uses."""
    candidates = {}
    for encoding in ("cp1257", "cp1252", "latin-1"):
        try:
            candidates[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    baltic = candidates.get("cp1257")
    western = candidates.get("cp1252") or candidates["latin-1"]
    if baltic is None:
        return western
    baltic_odd = sum(c in BALTIC_NOT_LITHUANIAN for c in baltic)
    western_odd = sum(c in WESTERN_FOR_LITHUANIAN for c in western)
    return western if baltic_odd > western_odd else baltic


def _plain_text(text: str) -> str:
    if "\x00" in text or len(CONTROL_CHARACTERS.findall(text)) > max(len(text) // 100, 10):
        raise ReadError("the file is binary, not text (it holds control characters); if it is a document, "
                        "save it as UTF-8 text, .docx or .pdf")
    return text


def read_text_file(path: Path) -> str:
    return decode_text(path.read_bytes())


def read_txt(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    yield RawDocument(text=read_text_file(path))


# An emphasis span is searched within a bounded distance: an unbounded lazy search makes a line
# full of unclosed markers quadratic.
MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.{1,500}?)(?<=\S)\1")
MARKDOWN_TABLE_RULE = re.compile(r"^\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)


def read_markdown(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    """Markdown as readable text: '#' headings are kept (the chunker uses them), bold markers and
    table rule lines are dropped so quotes read like prose."""
    text = read_text_file(path)
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
    text = MARKDOWN_EMPHASIS.sub(r"\2", text)
    text = MARKDOWN_TABLE_RULE.sub("", text)
    yield RawDocument(text=text, title=title)


# --- HTML --------------------------------------------------------------------------------------

BLOCK_TAGS = {"p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "table", "ul", "ol", "blockquote", "pre"}
HEADING_LEVELS = {f"h{level}": level for level in range(1, 7)}
DROPPED_TAGS = ["script", "style", "nav", "header", "footer", "noscript", "template", "form"]


def html_text(root: Tag) -> str:
    """The text of an HTML tree with a paragraph break around every block and '#' marks before
    headings, for the chunker. One walk over the tree with an explicit stack: editing the tree
    (inserting breaks) costs time quadratic in its depth, and recursion fails on deep nesting."""
    parts: list[str] = []
    stack: list[tuple[Tag | NavigableString, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            parts.append("\n\n")
        elif isinstance(node, Tag):
            if node.name in BLOCK_TAGS:
                parts.append("\n\n")
                stack.append((node, True))
            if node.name in HEADING_LEVELS:
                parts.append("#" * HEADING_LEVELS[node.name] + " ")
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            parts.append(str(node))
    return "".join(parts)


def read_html(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    soup = BeautifulSoup(read_text_file(path), "html.parser")
    for tag in soup(DROPPED_TAGS):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    h1 = soup.find("h1")
    h1_text = h1.get_text(" ", strip=True) if h1 else None
    body = soup.body or soup
    yield RawDocument(text=html_text(body), title=h1_text or title)


# --- PDF ---------------------------------------------------------------------------------------

def read_pdf(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise ReadError("the PDF is encrypted; save an unprotected copy and ingest that")
        pages, size = [], 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > limits.max_unpacked_bytes:
                raise ReadError(f"the PDF's text is longer than {limits.max_unpacked_bytes:,} characters "
                                "(setting EQUASS_MAX_UNPACKED_BYTES)")
            pages.append(text)
        title = reader.metadata.title if reader.metadata else None
    except ReadError:
        raise
    except LimitReachedError as error:
        raise ReadError(f"the PDF holds a stream that unpacks past the reader's safety limit ({error})") from error
    except RecursionError as error:
        raise ReadError("the PDF's objects refer to each other in a loop or nest too deeply") from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError,
            zlib.error, OSError) as error:
        raise ReadError(f"the PDF is damaged or not a PDF ({type(error).__name__}: {error})") from error
    yield RawDocument(text="\n\n".join(pages), title=str(title) if isinstance(title, str) and title else None)


# --- Word --------------------------------------------------------------------------------------

# The start of an OLE compound file: an old .doc, or a password-protected .docx.
COMPOUND_FILE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_PACKAGE_MEMBERS = 10_000


class _RootElementReached(Exception):
    """Stops a prolog check at the root element: a DTD can only come before it."""


def _refuse_dtd(stream: IO[bytes], name: str) -> None:
    """Refuse an XML part that declares a DTD: entity expansion ("billion laughs") and external
    entities both need one, and Word never writes one. Parsing stops at the root element."""
    import xml.sax

    import defusedxml.sax
    from defusedxml import DefusedXmlException

    class StopAtRoot(xml.sax.handler.ContentHandler):
        def startElement(self, name, attrs):
            raise _RootElementReached

    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd = True
    parser.setContentHandler(StopAtRoot())
    try:
        parser.parse(stream)
    except _RootElementReached:
        return
    except DefusedXmlException as error:
        raise ReadError(f"the Word file's {name} declares a DTD or entities, which Word never writes; "
                        "it is refused as possibly hostile") from error
    except xml.sax.SAXParseException as error:
        raise ReadError(f"the Word file's {name} is not well-formed XML ({error.getMessage()})") from error


def _check_package(path: Path, limits: ReadLimits) -> None:
    """Measure a .docx before python-docx unpacks it: member count, unpacked size, XML prologs."""
    with open(path, "rb") as start:
        if start.read(8) == COMPOUND_FILE_MAGIC:
            raise ReadError("this is a password-protected Word file or an old .doc file; "
                            "save it as an unprotected .docx and ingest that")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            if len(members) > MAX_PACKAGE_MEMBERS:
                raise ReadError(f"the Word file holds {len(members):,} parts (a normal one holds a few dozen)")
            unpacked = sum(member.file_size for member in members)
            if unpacked > limits.max_unpacked_bytes:
                raise ReadError(f"the Word file unpacks to {unpacked:,} bytes, over the limit of "
                                f"{limits.max_unpacked_bytes:,} (setting EQUASS_MAX_UNPACKED_BYTES)")
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with package.open(member) as stream:
                        _refuse_dtd(stream, member.filename)
    except zipfile.BadZipFile as error:
        raise ReadError(f"the Word file is damaged or not a .docx file ({error})") from error


def read_docx(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    _check_package(path, limits)
    try:
        document = docx.Document(str(path))
        # Style names looked up once: python-docx resolves a paragraph's style by scanning every
        # style of the file, which costs a millisecond per paragraph.
        style_names = {style.style_id: (style.name or "").lower() for style in document.styles}
        paragraphs = []
        for paragraph in document.paragraphs:
            style = style_names.get(paragraph._p.style, "")
            text = paragraph.text
            if style.startswith("heading") and text.strip():
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                text = "#" * level + " " + text
            paragraphs.append(text)
        for table in document.tables:
            for row in table.rows:
                paragraphs.append(" | ".join(cell.text for cell in row.cells))
        title = document.core_properties.title or None
    except (PackageNotFoundError, KeyError, ValueError, LxmlError, zipfile.BadZipFile, OSError) as error:
        raise ReadError(f"the Word file is damaged or not a .docx file ({type(error).__name__}: {error})") from error
    yield RawDocument(text="\n\n".join(paragraphs), title=title if isinstance(title, str) else None)


# --- Laws in the register's JSON format --------------------------------------------------------

def law_text(law: LawRecord) -> str:
    """The text of a law as served: its title, then each provision's title and content."""
    parts = [law.title]
    for provision in law.provisions:
        if provision.title:
            parts.append(provision.title)
        if provision.content:
            parts.append(provision.content)
    return "\n\n".join(parts)


def law_document(data: object) -> RawDocument:
    """A law from parsed JSON; ``ReadError`` names the fields that are missing or of a wrong type."""
    if not isinstance(data, dict):
        raise ReadError(f"a law must be a JSON object, not {type(data).__name__}")
    try:
        law = LawRecord.model_validate(data)
    except ValidationError as error:
        raise ReadError(f"not a valid law record ({validation_reason(error)})") from error
    return RawDocument(text=law_text(law), title=law.title, law=law)


def parse_json(data: bytes | str) -> object:
    try:
        return json.loads(data)
    except RecursionError as error:
        raise ReadError("the JSON is nested too deeply") from error
    except UnicodeDecodeError as error:
        raise ReadError(f"not valid UTF-8 (byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise ReadError(f"not valid JSON ({error})") from error


def read_law_json(path: Path, limits: ReadLimits) -> Iterator[RawDocument]:
    yield law_document(parse_json(read_text_file(path)))


def _lines(stream: IO[bytes], limits: ReadLimits) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, each at most ``max_file_bytes`` long and all together at most
    ``max_unpacked_bytes``: a small .gz can unpack to gigabytes."""
    unpacked = 0
    number = 0
    while line := stream.readline(limits.max_file_bytes + 1):
        number += 1
        unpacked += len(line)
        if unpacked > limits.max_unpacked_bytes:
            raise ReadError(f"the file unpacks to more than {limits.max_unpacked_bytes:,} bytes "
                            f"(setting EQUASS_MAX_UNPACKED_BYTES); stopped at line {number}")
        if len(line) > limits.max_file_bytes:
            raise ReadError(f"line {number} is longer than {limits.max_file_bytes:,} bytes (setting EQUASS_MAX_FILE_BYTES)")
        yield number, line


def read_law_jsonl(path: Path, limits: ReadLimits) -> Iterator[RawDocument | RecordProblem]:
    """One law per line. A bad line is reported and skipped; the other laws are read."""
    packed = path.name.lower().endswith(".gz")
    try:
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as stream:
            for number, line in _lines(stream, limits):
                if not line.strip():
                    continue
                try:
                    yield law_document(parse_json(line))
                except ReadError as error:
                    yield RecordProblem(f"line {number}", str(error))
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ReadError(f"the compressed file is truncated or damaged ({error})") from error


def read_file(path: Path, limits: ReadLimits) -> Iterator[RawDocument | RecordProblem]:
    suffix = path.suffix.lower()
    name = path.name.lower()
    if name.endswith(".jsonl.gz") or suffix == ".jsonl":
        return read_law_jsonl(path, limits)
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
        supported = sorted([*readers, ".jsonl", ".jsonl.gz"])
        raise ReadError(f"unsupported file type '{suffix}'; supported: {', '.join(supported)}")
    return readers[suffix](path, limits)
