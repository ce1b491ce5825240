"""The JSON shapes of the HTTP contract (see README, "HTTP API")."""

from pydantic import BaseModel, Field


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


class DocumentOut(DocumentSummary):
    text: str
    sections: list[dict]


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=2000)
    conversation_id: str | None = Field(None, max_length=64)
    organization: str | None = Field(None, max_length=200)


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


class FeedbackRequest(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=64)
    position: int = Field(..., ge=0)
    helpful: bool
