"""The FastAPI application: thin HTTP handlers over the engine."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from ingest.index_store import IndexNotFound
from ingest.settings import Settings, get_settings
from service import feedback_api, pages, principles_api
from service.conversations import ConversationStore
from service.engine import Engine
from service.feedback import REFUSED, FeedbackStore
from service.generations import GenerationWatcher, Served
from service.schemas import AskRequest, AskResponse, DocumentList, DocumentOut, SearchResponse, Suggestion

log = logging.getLogger(__name__)


class UnknownOrganization(Exception):
    """A request named an organisation the index has no documents of."""

    def __init__(self, organization: str, known: list[str]):
        self.organization = organization
        self.known = known


def engine_of(request: Request) -> Engine:
    engine = request.app.state.engine
    if engine is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return engine


def checked_organization(engine: Engine, organization: str | None) -> str | None:
    """The organisation of a request, which must be one the index knows: a misspelt name would
    otherwise silently drop that organisation's documents from every answer."""
    if organization and organization not in engine.organizations:
        raise UnknownOrganization(organization, engine.organizations)
    return organization or None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    def swap(served: Served) -> None:
        # Each handler reads one of these once, and each holds its own generation's engine.
        app.state.engine = served.engine
        app.state.coverage = served.coverage
        app.state.answerer = served.answerer

    watcher = GenerationWatcher(settings, swap)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.conversations = ConversationStore(
            settings.conversation_db, settings.conversation_ttl_hours, settings.conversation_max,
            settings.conversation_max_turns,
        )
        app.state.feedback = FeedbackStore(settings.conversation_db.with_name("feedback.sqlite3"),
                                           settings.conversation_ttl_hours, settings.conversation_max)
        try:
            watcher.load_now()
        except IndexNotFound as error:
            log.error("%s", error)
            app.state.not_ready_reason = str(error)
        yield

    # The interactive API docs (/docs, /redoc) are served with Swagger UI and ReDoc from the
    # fastapi-offline package: no CDN, so they work on a server without internet access.
    app = FastAPIOffline(
        title="EQUASS assistant",
        description="Answers questions about EQUASS, the organisation's policies and the law with verbatim quotes.",
        lifespan=lifespan,
        static_url="/docs-assets",
        favicon_url="/static/icon.svg",
    )
    app.state.engine = None
    app.state.coverage = None
    app.state.answerer = None
    app.state.watcher = watcher
    app.state.not_ready_reason = "The index is still loading."
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])

    @app.middleware("http")
    async def serve_newest_generation(request: Request, call_next):
        watcher.check()
        return await call_next(request)

    @app.exception_handler(UnknownOrganization)
    async def unknown_organization(request: Request, error: UnknownOrganization) -> JSONResponse:
        return JSONResponse(status_code=422, content={
            "detail": f"Unknown organization '{error.organization}'. Use one of the names in 'organizations' "
                      "(GET /api/organizations), or none for all.",
            "organizations": error.known,
        })

    app.include_router(principles_api.router)
    app.include_router(feedback_api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz(request: Request) -> dict:
        engine = engine_of(request)
        return {"status": "ready", "documents": len(engine.index.documents), "chunks": len(engine.index.chunks),
                "model": engine.index.manifest.get("model"), "generation": engine.index.path.name}

    @app.get("/api/search", response_model=SearchResponse, tags=["search"])
    def search(request: Request, q: str = Query(..., min_length=1, max_length=2000), k: int = Query(10, ge=1, le=100),
               organization: str | None = None) -> SearchResponse:
        engine = engine_of(request)
        return SearchResponse(hits=engine.search(q, k, checked_organization(engine, organization)))

    @app.post("/api/ask", response_model=AskResponse, tags=["ask"])
    def ask(request: Request, body: AskRequest) -> AskResponse:
        answerer = request.app.state.answerer
        if answerer is None:
            raise HTTPException(503, detail=request.app.state.not_ready_reason)
        organization = checked_organization(answerer.engine, body.organization)
        store: ConversationStore = request.app.state.conversations
        history = store.turns(body.conversation_id) if body.conversation_id else []
        result = answerer.answer(body.question, history, organization)
        turn = result.turn()
        turn.quotes = [{"document_id": q.document_id, "char_start": q.char_start, "char_end": q.char_end}
                       for q in result.quotes]
        turn.scope = organization or turn.organization
        conversation_id = store.append(body.conversation_id, turn)
        if result.abstained:
            feedback_api.keep_unanswered(request, turn.scope, body.question, REFUSED)
        return AskResponse(
            conversation_id=conversation_id,
            position=store.latest_position(conversation_id),
            answer=result.answer,
            abstained=result.abstained,
            quotes=result.quotes,
            suggestions=[Suggestion(document_id=s.document_id, title=s.title, organization=s.organization, url=s.url)
                         for s in result.suggestions],
        )

    @app.get("/api/documents", response_model=DocumentList, tags=["documents"])
    def documents(request: Request, organization: str | None = None) -> DocumentList:
        return DocumentList(documents=engine_of(request).documents(organization))

    @app.get("/api/documents/{document_id}", response_model=DocumentOut, tags=["documents"])
    def document(request: Request, document_id: str) -> DocumentOut:
        found = engine_of(request).document(document_id)
        if found is None:
            raise HTTPException(404, detail=f"No document '{document_id}'. See /api/documents for the list.")
        return found

    return app
