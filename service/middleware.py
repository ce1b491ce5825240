"""HTTP middleware that keeps the service standing: back-pressure, safe errors, safe content types,
and the origins the widget may be embedded in.

All are plain ASGI middleware, so they also cover responses that FastAPI's exception
handlers never see.
"""

import asyncio
import json
import logging
import math
import time
import traceback

import anyio
from starlette.middleware.cors import CORSMiddleware

log = logging.getLogger(__name__)

# The longest Retry-After a busy answer gives. Idle connections are kept open longer than this, so
# a client that waits as told and asks again on the same connection does not find it closed.
MAX_RETRY_AFTER = 30

ASGIApp = object  # any ASGI application: ``await app(scope, receive, send)``


async def send_json(send, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                   (b"x-content-type-options", b"nosniff")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


class ConcurrencyLimit:
    """At most ``limit`` API requests are served at once and ``queue`` more wait, each at most
    ``max_wait`` seconds; past that the answer is 503 with Retry-After, at once. Without a bound,
    every request waits behind all the others and a burst makes everyone wait many seconds.
    Only ``/api/`` is limited: health checks, pages and static files never wait."""

    def __init__(self, app: ASGIApp, limit: int, queue: int, max_wait: float, prefix: str = "/api/"):
        self.app = app
        self.limit = limit
        self.queue = queue
        self.max_wait = max_wait
        self.prefix = prefix
        self.waiting = 0
        self.average_seconds = 0.05  # a smoothed request time, for Retry-After
        self._loop = None
        self._semaphore: anyio.Semaphore | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore_of_this_loop()
        if semaphore.value == 0 and self.waiting >= self.queue:
            await self._busy(send)
            return
        acquired = False
        self.waiting += 1
        try:
            with anyio.move_on_after(self.max_wait):
                await semaphore.acquire()
                acquired = True
        finally:
            self.waiting -= 1
        if not acquired:
            await self._busy(send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            semaphore.release()
            self.average_seconds = 0.9 * self.average_seconds + 0.1 * (time.perf_counter() - started)

    def retry_after(self) -> int:
        """Seconds until the queue has probably drained."""
        return max(1, min(MAX_RETRY_AFTER, math.ceil((self.waiting + self.limit) * self.average_seconds / self.limit)))

    async def _busy(self, send) -> None:
        seconds = self.retry_after()
        await send_json(send, 503, {"detail": f"The assistant is busy answering others; try again in {seconds} s."},
                        {"Retry-After": str(seconds)})

    def _semaphore_of_this_loop(self) -> anyio.Semaphore:
        """A semaphore belongs to one event loop; a new loop (a restarted server, a test client)
        gets its own."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._semaphore, self.waiting = loop, anyio.Semaphore(self.limit), 0
        return self._semaphore


class ErrorsWithoutInput:
    """An unexpected error answers 500 with a short message and is logged with its type and stack
    only: an exception's message can hold what a staff member typed, which is never logged."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            log.error("%s while serving %s %s\n%s", type(error).__name__, scope["method"], scope["path"],
                      "".join(traceback.format_tb(error.__traceback__)).rstrip())
            if not started:
                await send_json(send, 500, {"detail": "Internal error; the service log has the details."})


class NoSniff:
    """Every response says its content type is meant (``X-Content-Type-Options: nosniff``), so a
    browser never runs JSON or a document's text as a script or a page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_header)


class OriginsOfKeys(CORSMiddleware):
    """CORS for the widget's pages: the origins of ``EQUASS_CORS_ORIGINS`` and, with accounts on,
    those of every live embed key (read from the database at most every ``refresh_seconds``, so a
    new key works on every replica within that time). Cookies are never allowed cross-origin: the
    widget authenticates with its key, which works only from the key's own origins."""

    def __init__(self, app: ASGIApp, app_state, refresh_seconds: float = 10.0, **options):
        super().__init__(app, **options)
        self.app_state = app_state
        self.refresh_seconds = refresh_seconds
        self._origins: set[str] = set()
        self._read_at = -math.inf
        self._keys_version = -1

    def is_allowed_origin(self, origin: str) -> bool:
        return super().is_allowed_origin(origin) or origin.lower() in self.key_origins()

    def key_origins(self) -> set[str]:
        store = getattr(self.app_state, "accounts", None)
        if store is None:
            return set()
        if time.monotonic() - self._read_at > self.refresh_seconds or store.keys_version != self._keys_version:
            self._keys_version = store.keys_version
            self._origins = store.embed_origins()
            self._read_at = time.monotonic()
        return self._origins
