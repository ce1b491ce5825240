"""Reading a question in its conversation: what a follow-up refers to, and which organisation it is about."""

from dataclasses import dataclass

from service.conversations import Turn
from service.language import is_english, looks_like_follow_up, mentioned_organization

# A follow-up is searched together with the thread before it, cut to this length so that a long
# conversation never grows the query without bound.
MAX_QUERY_CHARS = 400


@dataclass
class Resolved:
    """The question as retrieval sees it, after the conversation is taken into account."""

    question: str
    query: str
    organization: str | None
    focus_documents: list[str]
    english: bool
    follow_up: bool
    # For a follow-up: what it follows (the earlier thread's query), read before it by the answer check.
    earlier: str = ""


def resolve(question: str, history: list[Turn], organization: str | None, organizations: list[str]) -> Resolved:
    """Carry the organisation, documents and topic of earlier turns into a follow-up. The
    organisation the request chose is the scope and wins over one the question names ("Kauno
    centro misija" asked in the Vilnius centre's widget is asked within the Vilnius centre's
    documents and the shared ones); without one, the organisation named, then the conversation's."""
    named = mentioned_organization(question, organizations)
    previous = history[-1] if history else None
    if previous is not None and looks_like_follow_up(question):
        chosen = organization or named or previous.organization
        return Resolved(
            question=question,
            query=f"{question} {previous.query}"[:MAX_QUERY_CHARS],
            organization=chosen,
            focus_documents=previous.document_ids if chosen == previous.organization else [],
            english=is_english(question),
            follow_up=True,
            earlier=previous.query,
        )
    return Resolved(question, question[:MAX_QUERY_CHARS], organization or named, [], is_english(question), False)
