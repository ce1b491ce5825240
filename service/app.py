"""The FastAPI application: thin HTTP handlers over the engine."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from ingest.index_store import IndexNotFound
from ingest.settings import Settings, get_settings
from service import pages, principles_api
from service.answering import Answerer
from service.conversations import ConversationStore
from service.coverage import Coverage
from service.engine import Engine
from service.schemas import AskRequest, AskResponse, DocumentList, DocumentOut, SearchResponse, Suggestion

log = logging.getLogger(__name__)


def engine_of(request: Request) -> Engine:
    engine = request.app.state.engine
    if engine is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return engine


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.conversations = ConversationStore(
            settings.conversation_db, settings.conversation_ttl_hours, settings.conversation_max,
            settings.conversation_max_turns,
        )
        try:
            app.state.engine = Engine.load(settings)
            app.state.coverage = Coverage(app.state.engine)
            app.state.answerer = Answerer(app.state.engine, app.state.coverage)
        except IndexNotFound as error:
            log.error("%s", error)
            app.state.not_ready_reason = str(error)
        yield

    app = FastAPI(
        title="EQUASS assistant",
        description="Answers questions about EQUASS, the organisation's policies and the law with verbatim quotes.",
        lifespan=lifespan,
    )
    app.state.engine = None
    app.state.coverage = None
    app.state.not_ready_reason = "The index is still loading."
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])

    app.include_router(principles_api.router)
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
        return SearchResponse(hits=engine_of(request).search(q, k, organization))

    @app.post("/api/ask", response_model=AskResponse, tags=["ask"])
    def ask(request: Request, body: AskRequest) -> AskResponse:
        engine_of(request)
        store: ConversationStore = request.app.state.conversations
        history = store.turns(body.conversation_id) if body.conversation_id else []
        result = request.app.state.answerer.answer(body.question, history, body.organization or None)
        conversation_id = store.append(body.conversation_id, result.turn())
        return AskResponse(
            conversation_id=conversation_id,
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
