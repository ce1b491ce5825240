"""Fixtures for the browser tests: the real app served by uvicorn, a foreign host page, Chromium.

Chromium is Debian's (`make browser`); Playwright cannot download its own browsers here.
"""

import functools
import http.server
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from ingest.pipeline import ingest
from ingest.settings import PROJECT_ROOT
from service.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
WIDGET_ORGANIZATION = "Kauno rajono socialinių paslaugų centras"
INJECTION_ORGANIZATION = "Bandomasis centras"
INJECTION_TEXT = """Bandomasis dokumentas <img src=x onerror="window.__pwned=1">

I. BENDROSIOS NUOSTATOS

Socialinių paslaugų centras gerbia kiekvieno paslaugų gavėjo orumą ir privatumą.

<script>window.__pwned=1</script>

Skundai nagrinėjami per dešimt darbo dienų nuo jų gavimo.

<img src=x onerror="window.__pwned=1">

Darbuotojai kelia kvalifikaciją kasmet.
"""


class LiveServer:
    """A FastAPI app served by uvicorn on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app: FastAPI):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)
        self.url = ""

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start; see the log above")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        ready = httpx.get(f"{self.url}/readyz", timeout=10)
        assert ready.status_code == 200, f"the app is not ready: {ready.text}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class StaticHost:
    """A plain web server for a folder: a page of some other site that embeds the widget."""

    def __init__(self, folder: Path):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.folder = folder
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="static-host", daemon=True)

    def start(self) -> "StaticHost":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def host_site(tmp_path_factory):
    """Another origin, for the widget: its pages are written by the test that needs them."""
    host = StaticHost(tmp_path_factory.mktemp("host-site")).start()
    yield host
    host.stop()


@pytest.fixture(scope="session")
def live_server(base_settings, corpus_index, host_site):
    """The real app over the default corpus; the host site's origin may call its API (CORS)."""
    settings = base_settings.model_copy(update={"cors_origins": [host_site.url]})
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def injection_server(base_settings, corpus_index, tmp_path_factory):
    """A second app over one hostile document whose text contains HTML and script."""
    root = tmp_path_factory.mktemp("injection")
    (root / "documents").mkdir()
    (root / "documents" / "injekcija.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    settings = base_settings.model_copy(update={"index_dir": root / "index",
                                                "conversation_db": root / "conversations.sqlite3"})
    report = ingest([root / "documents"], settings.index_dir, settings, organization=INJECTION_ORGANIZATION,
                    show_progress=False)
    assert report.documents == 1, report.problems
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium fonts-dejavu-core)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, width: int = 1280, height: int = 900):
    """A fresh browser context (own storage); JavaScript errors on the page are collected in page.errors."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="lt-LT")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    return context, page


@pytest.fixture
def page(browser):
    context, page = open_page(browser)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context, page = open_page(browser, 375, 740)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
