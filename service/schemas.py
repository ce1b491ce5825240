"""The JSON shapes of the HTTP contract (see README, "HTTP API"), and the checks on what comes in."""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

# Control characters other than tab and line breaks: never part of a question.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The conversation ids this service issues; a client cannot choose its own.
CONVERSATION_ID_PATTERN = r"^[0-9a-f]{32}$"
MAX_QUESTION_CHARS = 2000
MAX_ORGANIZATION_CHARS = 200


def plain_text(value: str) -> str:
    """NFC text without control characters, trimmed. (Lone surrogates never get here: pydantic
    refuses them as not being text.)"""
    return CONTROL.sub(" ", unicodedata.normalize("NFC", value)).strip()


def words(value: str) -> str:
    """Text that holds at least one letter or digit: a blank or punctuation-only question has
    nothing to search for."""
    value = plain_text(value)
    if not any(character.isalnum() for character in value):
        raise ValueError("the text is empty: write the question in words")
    return value


Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(words)]
OrganizationName = Annotated[str, Field(max_length=MAX_ORGANIZATION_CHARS), AfterValidator(plain_text)]


class Quote(BaseModel):
    """A verbatim span: ``text == document.text[char_start:char_end]``."""

    text: str
    document_id: str
    title: str
    organization: str
    section: str
    url: str = Field(description="Link to the span in the document view of this service")
    source_url: str | None = Field(None, description="Where the document was published, when known")
    char_start: int
    char_end: int
    score: float
    principles: list[str] = []


class SearchResponse(BaseModel):
    hits: list[Quote]


class DocumentSummary(BaseModel):
    document_id: str
    title: str
    organization: str
    url: str
    source_url: str | None
    date: str | None
    kind: str
    shared: bool
    chars: int
    visibility: str = Field("internal", description="public (published, the widget may quote it) or internal")
    indexed_at: str | None = Field(None, description="When its text was last indexed (ISO 8601, UTC)")


class DocumentOut(DocumentSummary):
    text: str
    sections: list[dict]


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class AskRequest(BaseModel):
    question: Question
    conversation_id: str | None = Field(
        None, pattern=CONVERSATION_ID_PATTERN,
        description="The id an earlier answer returned; an unknown or expired one starts a new conversation")
    organization: OrganizationName | None = Field(
        None, description="One of /api/organizations; an unknown name is refused with 422")


# A JSON body that cannot be parsed (not UTF-8, not JSON): FastAPI answers 400.
UNREADABLE_BODY_RESPONSE = {400: {"description": "The body cannot be read as JSON"}}


class Suggestion(BaseModel):
    document_id: str
    title: str
    organization: str
    url: str


class AskResponse(BaseModel):
    conversation_id: str
    position: int = Field(0, description="The answer's position in its conversation, for POST /api/feedback")
    answer: str
    abstained: bool
    quotes: list[Quote]
    suggestions: list[Suggestion] = Field([], description="Where to look when the answer was not found")
    nearest: list[Quote] = Field([], description="With a refusal: the passages nearest to the question, exact like "
                                                 "quotes, to read; they are not an answer")
    refusal: str | None = Field(None, description="With a refusal, its reason when it is not that the documents hold no "
                                                  "answer: 'choose_organization' (the question is about the asker's own "
                                                  "organisation, none is chosen, and what was found is one organisation's "
                                                  "own document)")


class FeedbackRequest(BaseModel):
    conversation_id: str = Field(..., pattern=CONVERSATION_ID_PATTERN)
    position: int = Field(..., ge=0)
    helpful: bool


class UnknownOrganizationError(BaseModel):
    """The answer to a request naming an organisation the index does not know (HTTP 422)."""

    detail: str = Field(description="Names the value sent and lists the known organisations")
    organizations: list[str] = Field(description="The known organisations, as /api/organizations lists them")


class InvalidField(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class InvalidRequest(BaseModel):
    """The answer to a malformed request (HTTP 422): which fields are wrong and why."""

    detail: list[InvalidField]
