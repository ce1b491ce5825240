"""HTTP handlers for helpful / not-helpful votes and the unanswered questions coordinators review."""

import csv
import io
from datetime import datetime, timezone

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ingest.embedding import get_embedder
from ingest.principles import BY_ID, PRINCIPLES, PrincipleTagger, closest_principle
from service.access import ACCESS_RESPONSES, Caller, caller_of
from service.accounts.store import STAFF
from service.coverage import principle_summary
from service.feedback import REFUSED, UNHELPFUL, FeedbackStore
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE
from service.principles_api import CoordinatorAccess, download, spreadsheet_cell
from service.schemas import UNREADABLE_BODY_RESPONSE, FeedbackRequest

router = APIRouter(tags=["feedback"], responses=ACCESS_RESPONSES)

REASON_LT = {REFUSED: "atsakymas nerastas", UNHELPFUL: "pažymėta kaip nenaudinga"}


def store_of(request: Request) -> FeedbackStore:
    return request.app.state.feedback


def principle_tagger(request: Request) -> PrincipleTagger:
    """Built on first use: it embeds the principles' requirements once per process."""
    state = request.app.state
    if getattr(state, "principle_tagger", None) is None:
        state.principle_tagger = PrincipleTagger(get_embedder(state.settings), state.settings.principles_dir)
    return state.principle_tagger


def keep_unanswered(request: Request, organization: str | None, question: str, reason: str) -> None:
    """Keep a question the assistant refused or that was marked not helpful, with the principle it resembles."""
    settings = request.app.state.settings
    principle = closest_principle(principle_tagger(request), get_embedder(settings), question)
    store_of(request).add_unanswered(organization, question, reason, principle)


@router.post("/api/feedback", responses={**UNREADABLE_BODY_RESPONSE,
                                         404: {"description": "No such answer in the caller's conversations "
                                                              "(or no longer kept: conversations expire)"}})
def feedback(request: Request, body: FeedbackRequest,
             caller: Annotated[Caller, Depends(caller_of(STAFF, widget=True))]) -> dict:
    """A helpful / not-helpful vote on one answer of the caller's own conversation; stored with the
    answer's quotes, never with who voted."""
    turn = request.app.state.conversations.turn_at(body.conversation_id, body.position, caller.owner)
    if turn is None:
        raise HTTPException(404, detail="That answer is no longer kept (conversations expire), so the vote was not "
                                        "stored. Ask the question again to rate the new answer.")
    store_of(request).add_vote(turn.scope, body.helpful, turn.quotes)
    if not body.helpful:
        keep_unanswered(request, turn.scope, turn.question, UNHELPFUL)
    return {"stored": True, "helpful": body.helpful}


@router.get("/api/feedback", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def votes(request: Request, allowed: CoordinatorAccess) -> dict:
    organization = allowed.organization
    found = store_of(request).votes(organization)
    return {
        "organization": organization,
        "helpful": sum(v.helpful for v in found),
        "not_helpful": sum(not v.helpful for v in found),
        "votes": [{"created": iso(v.created), "organization": v.organization, "helpful": v.helpful, "quotes": v.quotes}
                  for v in found],
    }


def grouped(request: Request, organization: str | None) -> list[dict]:
    """Unanswered questions by the principle they most resemble (principle order, the rest last);
    the same question asked again is listed once with its count."""
    by_principle: dict[str | None, dict[str, dict]] = {}
    for item in store_of(request).unanswered(organization):
        questions = by_principle.setdefault(item.principle if item.principle in BY_ID else None, {})
        entry = questions.setdefault(item.question.strip().casefold(), {
            "question": item.question, "organization": item.organization, "reasons": [], "count": 0,
            "last": iso(item.created)})
        entry["count"] += 1
        if item.reason not in entry["reasons"]:
            entry["reasons"].append(item.reason)
    order = [p.id for p in PRINCIPLES] + [None]
    return [{"principle": principle_summary(BY_ID[key]) if key else None, "questions": list(by_principle[key].values())}
            for key in order if key in by_principle]


@router.get("/api/unanswered", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def unanswered(request: Request, allowed: CoordinatorAccess) -> dict:
    return {"organization": allowed.organization, "groups": grouped(request, allowed.organization)}


@router.get("/api/unanswered.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The unanswered questions as CSV"},
                       **UNKNOWN_ORGANIZATION_RESPONSE})
def unanswered_csv(request: Request, allowed: CoordinatorAccess) -> Response:
    organization = allowed.organization
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Principas", "Klausimas", "Organizacija", "Priežastis", "Kartų", "Paskutinį kartą"])
    for group in grouped(request, organization):
        name = group["principle"]["name_lt"] if group["principle"] else "Kita"
        for question in group["questions"]:
            writer.writerow([spreadsheet_cell(name), spreadsheet_cell(question["question"]),
                             spreadsheet_cell(question["organization"]),
                             ", ".join(REASON_LT[r] for r in question["reasons"]), question["count"], question["last"]])
    return download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8",
                    f"neatsakyti-klausimai-{organization or 'visos'}.csv")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")
