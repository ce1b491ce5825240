"""Two organisations, three roles and a widget key over a copy of the default corpus index, with
an internal document of each organisation (fixtures for the accounts and upload tests)."""

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import ingest
from service.accounts.database import migrate, open_database
from service.accounts.store import ADMINISTRATOR, COORDINATOR, STAFF, AccountStore
from service.app import create_app

A = "Kauno rajono socialinių paslaugų centras"
B = "Klaipėdos miesto šeimos ir vaiko gerovės centras"
PASSWORD = "labai-slaptas-slaptazodis"
WIDGET_ORIGIN = "https://intranetas.kaunas.example"
A_PUBLIC_ID = "kaunas-kokybes-politika"
A_INTERNAL_ID = "kaunas-savanoriu-tvarka"
B_INTERNAL_ID = "klaipeda-kriziu-valdymas"
A_INTERNAL_TEXT = """Kauno rajono socialinių paslaugų centro savanorių tvarka

Savanoriai į centro veiklą priimami po pokalbio su savanorių koordinatoriumi ir pasirašo savanoriškos veiklos sutartį.

Savanorių veiklą kartą per ketvirtį aptaria centro kokybės grupė.
"""
B_INTERNAL_TEXT = """Klaipėdos centro krizių valdymo tvarka

Krizių valdymo grupė susirenka per dvi valandas nuo pranešimo apie krizę.

Grupei vadovauja direktoriaus pavaduotojas, o po kiekvienos krizės grupė parengia veiklos gerinimo planą ir su juo supažindina darbuotojus.
"""
A_QUESTION = "Kaip savanoriai priimami į centro veiklą?"
B_QUESTION = "Per kiek laiko susirenka Klaipėdos centro krizių valdymo grupė?"
# Words of B's internal document that must never reach staff of A, nor A's widget.
B_MARKERS = (B_INTERNAL_ID, "Krizių valdymo grupė susirenka", "krizių valdymo tvarka")
A_MARKERS = (A_INTERNAL_ID, "savanoriškos veiklos sutartį", "savanorių tvarka")


# Every question and search the accounts tests send, for the check that no log holds one.
ASKED: set[str] = set()
# Loggers of the test's own HTTP client: what it logs is the client's, not the service's.
CLIENT_LOGGERS = ("httpx", "httpcore")


class Collected(logging.Handler):
    """Keeps every log record, formatted as a log file would hold it (message and traceback)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append((record.name, self.format(record)))


@pytest.fixture(scope="module")
def service_logs():
    """Everything the service and ingest log, at every level, while the module's app lives."""
    root = logging.getLogger()
    collected, level = Collected(), root.level
    root.addHandler(collected)
    root.setLevel(logging.DEBUG)
    yield collected
    root.removeHandler(collected)
    root.setLevel(level)


@dataclass
class Organisations:
    app: object
    settings: object
    store: AccountStore
    widget_key: str
    admin: TestClient
    coordinator_a: TestClient
    staff_a: TestClient
    staff_b: TestClient
    coordinator_b: TestClient
    widget_a: TestClient
    anonymous: TestClient


def signed_in(app, username: str) -> TestClient:
    """A browser of its own, signed in through the sign-in page: its cookies and CSRF token."""
    client = TestClient(app, base_url="https://testserver")
    page = client.get("/login")
    token = re.search(r'name="sign-in-token" content="([^"]+)"', page.text).group(1)
    response = client.post("/api/session", json={"username": username, "password": PASSWORD},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def write_documents(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "savanoriai.txt").write_text(A_INTERNAL_TEXT, encoding="utf-8")
    (folder / "krizes.txt").write_text(B_INTERNAL_TEXT, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"documents": [
        {"path": "savanoriai.txt", "id": A_INTERNAL_ID, "organization": A, "visibility": "internal"},
        {"path": "krizes.txt", "id": B_INTERNAL_ID, "organization": B, "visibility": "internal"},
    ]}, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def organisations(base_settings, corpus_index, tmp_path_factory, service_logs):
    root = tmp_path_factory.mktemp("accounts")
    shutil.copytree(corpus_index, root / "index", symlinks=True)
    settings = base_settings.model_copy(update={
        "index_dir": root / "index", "conversation_db": root / "conversations.sqlite3", "accounts": True,
        "upload_dir": root / "uploads", "sign_in_limit": "1000/minute"})
    report = ingest([write_documents(root / "internal")], settings.index_dir, settings, show_progress=False)
    assert sorted(report.added) == [A_INTERNAL_ID, B_INTERNAL_ID], report.problems
    store = AccountStore(open_database(settings.database), settings.session_hours)
    migrate(store.engine)
    store.add_account("admin", PASSWORD, ADMINISTRATOR, None)
    store.add_account("koordinatore.a", PASSWORD, COORDINATOR, A, create_organization=True)
    store.add_account("darbuotojas.a", PASSWORD, STAFF, A)
    store.add_account("darbuotojas.b", PASSWORD, STAFF, B, create_organization=True)
    store.add_account("koordinatorius.b", PASSWORD, COORDINATOR, B)
    key, _ = store.add_embed_key(A, [WIDGET_ORIGIN])
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as lifespan:
        widget = TestClient(app, base_url="https://testserver",
                            headers={"X-Embed-Key": key, "Origin": WIDGET_ORIGIN})
        yield Organisations(app, settings, store, key, signed_in(app, "admin"), signed_in(app, "koordinatore.a"),
                            signed_in(app, "darbuotojas.a"), signed_in(app, "darbuotojas.b"),
                            signed_in(app, "koordinatorius.b"), widget, lifespan)
