"""Typed records that cross module boundaries: a document, a chunk of it, a search hit."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Section:
    """A heading found in a document, with the span of text it governs."""

    title: str
    level: int
    start: int
    end: int


@dataclass
class Document:
    """A cleaned source document. ``text`` is what the service serves and quotes point into."""

    document_id: str
    title: str
    organization: str
    text: str
    source_path: str
    url: str | None = None
    source: str | None = None
    date: str | None = None
    shared: bool = False
    kind: str = "policy"
    content_hash: str = ""
    sections: list[Section] = field(default_factory=list)
    # An organisation's document is "public" (published, e.g. its web page: the widget may quote it)
    # or "internal" (its own staff only, when accounts are on). Shared documents are seen by all.
    visibility: str = "internal"
    # When this text was last embedded into the index (ISO 8601, UTC); kept while the text is unchanged.
    indexed_at: str | None = None

    @property
    def public(self) -> bool:
        return self.shared or self.visibility == "public"

    def visible_to(self, organization: str | None) -> bool:
        """Whether staff of ``organization`` see this document: their own, and the shared ones
        (laws, EQUASS material). No organisation means all documents."""
        return not organization or self.shared or self.organization == organization


@dataclass(slots=True)
class Chunk:
    """A retrievable passage: ``document.text[char_start:char_end]``. Its text is not kept twice:
    at 300k chunks a copy would cost half a gigabyte of every replica's memory."""

    chunk_id: int
    document_id: str
    char_start: int
    char_end: int
    section: str
    principles: dict[str, float] = field(default_factory=dict)
    # Per principle, [start, end] in the document text of the sentence that earned its strength.
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)


def chunk_text(document: "Document", chunk: Chunk) -> str:
    return document.text[chunk.char_start:chunk.char_end]


@dataclass
class Hit:
    """One retrieved passage with its scores."""

    chunk: Chunk
    score: float
    dense_score: float
    lexical_score: float
