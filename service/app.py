"""The FastAPI application: thin HTTP handlers over the engine."""

import base64
import hashlib
import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import AfterValidator
from sqlalchemy.exc import OperationalError
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import fastapi_offline
from ingest.index_store import IndexNotFound
from ingest.shared_index import SharedIndex, is_postgres
from ingest.settings import Settings, get_settings
from service import admin_api, feedback_api, pages, principles_api, session_api, uploads_api
from service.access import ACCESS_RESPONSES, Access, Caller, access, caller_of, narrowed
from service.accounts.database import migrate, open_database
from service.accounts.store import STAFF, AccountStore
from service.conversations import ConversationStore
from service.engine import Engine
from service.feedback import REFUSED, FeedbackStore
from service.generations import GenerationWatcher, Served
from service.index_follower import IndexFollower
from service.middleware import ConcurrencyLimit, ErrorsWithoutInput, NoSniff, OriginsOfKeys
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE, UnknownOrganization, unknown_organization_response
from service.schemas import (MAX_QUESTION_CHARS, AskRequest, AskResponse, DocumentList, DocumentOut, SearchResponse,
                             UNREADABLE_BODY_RESPONSE, Suggestion, words)
from service.scopes import confined
from service.session_api import sign_in_limiter
from service.uploads import UploadManager

log = logging.getLogger(__name__)

DATABASE_RETRY_SECONDS = 5
BUSY_RESPONSE = {503: {"description": "Busy (see Retry-After) or the index is not loaded yet"}}
INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
# Swagger UI and ReDoc as shipped in the fastapi-offline package: /docs works with no internet.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS_URL = "/docs-assets"


def engine_of(request: Request) -> Engine:
    engine = request.app.state.engine
    if engine is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return engine


def served_within(request: Request, scope) -> Served:
    """The served generation as the request's scope sees it (one object read once per request)."""
    served = request.app.state.served
    if served is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return served.within(scope)


def check_within(view: Served, quotes, suggestions) -> None:
    """The last gate before an answer leaves: every document it quotes or suggests is one the
    caller may see. The views already guarantee it; a failure here is a defect, answered with a 500."""
    documents = view.engine.index.documents
    if not all(view.engine.allows(documents[item.document_id]) for item in [*quotes, *suggestions]):
        raise RuntimeError("an answer named a document outside the caller's scope; it was not sent")


async def database_unreachable(request: Request, error: OperationalError) -> JSONResponse:
    """The database is down (a PostgreSQL restart): what needs it (sign-in, accounts) answers 503 for
    a moment; the index stays loaded and served to whatever does not."""
    log.warning("The database cannot be reached (%s) while serving %s %s", type(error.orig or error).__name__,
                request.method, request.url.path)
    return JSONResponse(status_code=503, headers={"Retry-After": str(DATABASE_RETRY_SECONDS)},
                        content={"detail": "The database cannot be reached just now; try again in a moment."})


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 without the ``input`` it echoes: the value may not even be encodable (a lone
    surrogate) and need not be repeated back."""
    return JSONResponse(status_code=422, content={"detail": [
        {"type": item["type"], "loc": list(item["loc"]), "msg": item["msg"]} for item in error.errors()
    ]})


def documentation_page(page: HTMLResponse, sources: dict[str, str]) -> HTMLResponse:
    """FastAPI's documentation page with a Content-Security-Policy: only its own inline code (by
    hash) and the sources it names may run or load."""
    hashes = {kind: [] for kind in ("script", "style")}
    for kind, body in INLINE.findall(page.body.decode("utf-8")):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes[kind].append(f"'sha256-{digest}'")
    policy = {"default-src": "'none'", "connect-src": "'self'", "base-uri": "'none'", "form-action": "'none'",
              "frame-ancestors": "'self'", "object-src": "'none'", **sources}
    for kind, values in hashes.items():
        # A hash would make the browser ignore 'unsafe-inline' (ReDoc injects its styles at run time).
        if values and "'unsafe-inline'" not in policy.get(f"{kind}-src", ""):
            policy[f"{kind}-src"] = " ".join([policy.get(f"{kind}-src", ""), *values]).strip()
    page.headers["Content-Security-Policy"] = "; ".join(f"{name} {value}" for name, value in policy.items())
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    def swap(served: Served) -> None:
        # Each handler reads one of these once, and each holds its own generation's engine.
        app.state.served = served
        app.state.engine = served.engine
        app.state.coverage = served.coverage
        app.state.answerer = served.answerer

    watcher = GenerationWatcher(settings, swap)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        database = open_database(settings.database)
        migrate(database)
        app.state.conversations = ConversationStore(database, settings.conversation_ttl_hours,
                                                    settings.conversation_max, settings.conversation_max_turns)
        app.state.feedback = FeedbackStore(database, settings.conversation_ttl_hours, settings.conversation_max)
        # PostgreSQL is the store of record of the index too: start from its current generation, and
        # follow the ones other replicas publish.
        shared = SharedIndex(database) if is_postgres(settings.database_url) else None
        follower = None
        if shared is not None:
            follower = IndexFollower(shared, settings.database_url, settings.index_dir,
                                     settings.ingest_lock_wait_seconds, watcher.check)
            follower.catch_up()  # before loading: the generation loaded is then the newest
        if settings.accounts:
            app.state.accounts = AccountStore(database, settings.session_hours)
            app.state.sign_in_limiter = sign_in_limiter(settings)
            app.state.uploads = UploadManager(settings, app.state.accounts, watcher, shared)
        try:
            watcher.load_now()
        except IndexNotFound as error:
            log.error("%s", error)
            app.state.not_ready_reason = str(error)
        if follower is not None:
            follower.start()
        yield
        if follower is not None:
            follower.stop()
        if settings.accounts:
            app.state.uploads.stop()
        database.dispose()

    app = FastAPI(
        title="EQUASS assistant",
        description="Answers questions about EQUASS, the organisation's policies and the law with verbatim quotes.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.served = None
    app.state.engine = None
    app.state.coverage = None
    app.state.answerer = None
    app.state.accounts = None
    app.state.watcher = watcher
    app.state.not_ready_reason = "The index is still loading."
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(UnknownOrganization, unknown_organization_response)
    app.add_exception_handler(OperationalError, database_unreachable)
    # Outermost last: errors and nosniff wrap everything, CORS headers reach the 503s too.
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests,
                       queue=settings.max_waiting_requests, max_wait=settings.max_wait_seconds)
    if settings.cors_origins or settings.accounts:
        # The widget's pages: EQUASS_CORS_ORIGINS, and the origins of live embed keys.
        app.add_middleware(OriginsOfKeys, app_state=app.state, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type", "X-Embed-Key"])
    app.add_middleware(NoSniff)
    app.add_middleware(ErrorsWithoutInput)

    @app.middleware("http")
    async def serve_newest_generation(request: Request, call_next):
        watcher.check()
        return await call_next(request)

    app.include_router(principles_api.router)
    app.include_router(feedback_api.router)
    app.include_router(session_api.router)
    app.include_router(uploads_api.router)
    app.include_router(admin_api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} – API",
                                   swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url="/static/icon.svg")
        return documentation_page(page, {"script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:"})

    @app.get("/redoc", include_in_schema=False)
    def redoc_docs() -> HTMLResponse:
        page = get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} – API",
                              redoc_js_url=f"{DOCS_ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url="/static/icon.svg", with_google_fonts=False)
        return documentation_page(page, {"script-src": "'self'", "worker-src": "blob:",
                                         "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:"})

    # Health checks are plain coroutines: they never wait for a worker thread behind busy requests.
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses=BUSY_RESPONSE)
    async def readyz(request: Request) -> dict:
        engine = engine_of(request)
        return {"status": "ready", "documents": len(engine.index.documents), "chunks": len(engine.index.chunks),
                "model": engine.index.manifest.get("model"), "generation": engine.index.path.name}

    @app.get("/api/search", response_model=SearchResponse, tags=["search"],
             responses={**UNKNOWN_ORGANIZATION_RESPONSE, **ACCESS_RESPONSES, **BUSY_RESPONSE})
    def search(request: Request,
               q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(words)],
               allowed: Annotated[Access, Depends(access(STAFF))],
               k: Annotated[int, Query(ge=1, le=100)] = 10) -> SearchResponse:
        view = served_within(request, allowed.scope)
        return SearchResponse(hits=view.engine.search(q, k, allowed.organization))

    @app.post("/api/ask", response_model=AskResponse, tags=["ask"],
              responses={**UNREADABLE_BODY_RESPONSE, **UNKNOWN_ORGANIZATION_RESPONSE,
                         **ACCESS_RESPONSES, **BUSY_RESPONSE})
    def ask(request: Request, body: AskRequest,
            caller: Annotated[Caller, Depends(caller_of(STAFF, widget=True))]) -> AskResponse:
        allowed = narrowed(request, caller, body.organization)
        view = served_within(request, allowed.scope)
        store: ConversationStore = request.app.state.conversations
        history = store.turns(body.conversation_id, caller.owner) if body.conversation_id else []
        if not allowed.scope.everything:
            history = confined(history, allowed.scope, view.engine.index.documents)
        result = view.answerer.answer(body.question, history, allowed.organization)
        check_within(view, result.quotes, result.suggestions)
        turn = result.turn()
        turn.quotes = [{"document_id": q.document_id, "char_start": q.char_start, "char_end": q.char_end}
                       for q in result.quotes]
        turn.scope = allowed.organization or turn.organization
        conversation_id = store.append(body.conversation_id, turn, caller.owner)
        if result.abstained and result.refusal is None:  # a question waiting for its organisation is no gap
            feedback_api.keep_unanswered(request, turn.scope, body.question, REFUSED)
        return AskResponse(
            conversation_id=conversation_id,
            position=store.latest_position(conversation_id) or 0,
            answer=result.answer,
            abstained=result.abstained,
            quotes=result.quotes,
            suggestions=[Suggestion(document_id=s.document_id, title=s.title, organization=s.organization, url=s.url)
                         for s in result.suggestions],
            nearest=result.nearest,
            refusal=result.refusal,
        )

    @app.get("/api/documents", response_model=DocumentList, tags=["documents"],
             responses={**UNKNOWN_ORGANIZATION_RESPONSE, **ACCESS_RESPONSES, **BUSY_RESPONSE})
    def documents(request: Request, allowed: Annotated[Access, Depends(access(STAFF, widget=True))]) -> DocumentList:
        view = served_within(request, allowed.scope)
        return DocumentList(documents=view.engine.documents(allowed.organization))

    @app.get("/api/documents/{document_id}", response_model=DocumentOut, tags=["documents"],
             responses={404: {"description": "No such document, or not one the caller may see"},
                        **ACCESS_RESPONSES, **BUSY_RESPONSE})
    def document(request: Request, document_id: str,
                 caller: Annotated[Caller, Depends(caller_of(STAFF, widget=True, anonymous=True))]) -> DocumentOut:
        """Public and shared documents open for anyone with the link (the widget's quotes link here);
        internal ones only for staff of their organisation."""
        found = served_within(request, caller.scope).engine.document(document_id)
        if found is None:
            # The same answer for a document that does not exist and one the caller may not see.
            raise HTTPException(404, detail="No such document. See /api/documents for the list.")
        return found

    return app
