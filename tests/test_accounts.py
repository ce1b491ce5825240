"""Many organisations on one service: two organisations, three roles and a widget key. Nothing of
one organisation's internal documents reaches another's staff or the widget, through any endpoint
(enumerated from the OpenAPI document, so a new one is probed too) or page; conversations belong
to their owner; sign-in is protected by CSRF tokens and a rate limit."""

import re
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from ingest.shared_index import metadata as index_metadata
from service.accounts.database import migrate, open_database
from service.accounts.store import AccountStore
from service.accounts.tables import metadata
from service.app import create_app
from tests.accounts_fixtures import (A, A_INTERNAL_ID, A_MARKERS, A_PUBLIC_ID, A_QUESTION, ASKED, B,  # noqa: F401
                                     B_INTERNAL_ID, B_MARKERS, B_QUESTION, PASSWORD, WIDGET_ORIGIN, organisations,
                                     service_logs)

UPLOAD = ("tvarka.txt", "Bandomoji tvarka\n\nTvarka peržiūrima kasmet.\n".encode(), "text/plain")


def ask(client, question: str, **extra) -> dict:
    ASKED.add(question)
    response = client.post("/api/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def quoted(answer: dict) -> set[str]:
    """Every document an answer shows: its quotes, a refusal's nearest passages and suggestions."""
    shown = answer["quotes"] + answer["nearest"] + answer["suggestions"]
    return {item["document_id"] for item in shown}


# --- Each organisation's staff gets its own internal documents (the positive controls) -----------

def test_staff_are_answered_from_their_own_internal_documents(organisations):
    answer = ask(organisations.staff_b, B_QUESTION)
    assert not answer["abstained"] and answer["quotes"][0]["document_id"] == B_INTERNAL_ID, answer["answer"]
    answer = ask(organisations.staff_a, A_QUESTION)
    assert not answer["abstained"] and answer["quotes"][0]["document_id"] == A_INTERNAL_ID, answer["answer"]
    assert organisations.staff_b.get(f"/api/documents/{B_INTERNAL_ID}").status_code == 200
    listed = {d["document_id"] for d in organisations.staff_a.get("/api/documents").json()["documents"]}
    assert {A_INTERNAL_ID, A_PUBLIC_ID, "lt-law-x-493"} <= listed and B_INTERNAL_ID not in listed


def test_a_question_naming_another_organisation_stays_in_the_callers_own(organisations):
    answer = ask(organisations.staff_a, B_QUESTION)
    assert B_INTERNAL_ID not in quoted(answer)
    shown = answer["quotes"] + answer["nearest"] + answer["suggestions"]
    assert all(item["organization"] in (A, "EQUASS", "Lietuvos Respublikos Seimas") for item in shown)
    widened = organisations.staff_a.post("/api/ask", json={"question": B_QUESTION, "organization": B})
    assert widened.status_code == 403 and B not in widened.text.replace(f"documents of {A}", "")


def test_the_widget_key_sees_its_organisations_public_and_the_shared_documents_only(organisations):
    widget = organisations.widget_a
    answer = ask(widget, A_QUESTION)
    assert A_INTERNAL_ID not in quoted(answer)
    answer = ask(widget, "Kaip dažnai vertinama Centro veiklos kokybė?")
    assert quoted(answer) <= {A_PUBLIC_ID} | {d for d in quoted(answer) if d.startswith(("lt-", "equass-"))}
    listed = {d["organization"] for d in widget.get("/api/documents").json()["documents"]}
    assert listed <= {A, "EQUASS", "Lietuvos Respublikos Seimas"}
    ids = {d["document_id"] for d in widget.get("/api/documents").json()["documents"]}
    assert A_PUBLIC_ID in ids and A_INTERNAL_ID not in ids
    assert widget.get(f"/api/documents/{A_INTERNAL_ID}").status_code == 404
    assert widget.get("/api/search", params={"q": "savanoriai"}).status_code == 403
    elsewhere = TestClient(organisations.app, base_url="https://testserver",
                           headers={"X-Embed-Key": organisations.widget_key, "Origin": "https://kitas.example"})
    assert elsewhere.post("/api/ask", json={"question": A_QUESTION}).status_code == 403


def test_anyone_with_the_link_reads_public_and_shared_documents_and_nothing_internal(organisations):
    anonymous = organisations.anonymous
    assert anonymous.get(f"/api/documents/{A_PUBLIC_ID}").status_code == 200
    assert anonymous.get("/api/documents/lt-law-x-493").status_code == 200
    assert anonymous.get(f"/api/documents/{A_INTERNAL_ID}").status_code == 404
    assert anonymous.post("/api/ask", json={"question": A_QUESTION}).status_code == 401
    assert anonymous.get("/api/documents").status_code == 401
    page = anonymous.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_conversation_belongs_to_its_account(organisations):
    first = ask(organisations.staff_b, B_QUESTION)
    follow_up = ask(organisations.staff_a, "O kas jai vadovauja?", conversation_id=first["conversation_id"])
    assert follow_up["conversation_id"] != first["conversation_id"]
    assert B_INTERNAL_ID not in quoted(follow_up)
    vote = organisations.staff_a.post("/api/feedback", json={"conversation_id": first["conversation_id"],
                                                             "position": first["position"], "helpful": False})
    assert vote.status_code == 404
    own = ask(organisations.staff_b, "O kas jai vadovauja?", conversation_id=first["conversation_id"])
    assert own["conversation_id"] == first["conversation_id"]


def test_roles(organisations):
    assert organisations.staff_a.get("/api/coverage").status_code == 403
    assert organisations.staff_a.get("/api/unanswered").status_code == 403
    assert organisations.staff_a.get("/principles").status_code == 200  # the refusal page, not the table
    assert "neprieinamas" in organisations.staff_a.get("/principles").text
    coverage = organisations.coordinator_a.get("/api/coverage").json()
    assert {d["organization"] for d in coverage["documents"]} <= {A, "Lietuvos Respublikos Seimas"}
    assert A_INTERNAL_ID in {d["document_id"] for d in coverage["documents"]}
    assert organisations.coordinator_a.get("/api/admin/accounts").status_code == 403
    everything = {d["document_id"] for d in organisations.admin.get("/api/documents").json()["documents"]}
    assert {A_INTERNAL_ID, B_INTERNAL_ID} <= everything
    narrowed = {d["organization"] for d in organisations.admin.get("/api/documents", params={"organization": B}).json()["documents"]}
    assert A not in narrowed and B in narrowed


# --- A coordinator's documents, without a terminal or a restart ---------------------------------

UPLOADED_TEXT = """Kauno rajono socialinių paslaugų centro darbuotojų pasitarimų tvarka

Darbuotojų pasitarimai vyksta kiekvieną antradienį devintą valandą ryto centro salėje.

Pasitarimą veda direktorius, o jo protokolą per tris darbo dienas parengia sekretorius.
"""
UPLOADED_QUESTION = "Kada vyksta darbuotojų pasitarimai?"


def finished(client, job: dict, seconds: float = 300) -> dict:
    """Follow an upload or withdrawal job, as the upload page does, until it is done or failed."""
    deadline = time.monotonic() + seconds
    while job["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the job is still {job['state']} ({job['stage']})"
        time.sleep(0.5)
        job = client.get(f"/api/uploads/jobs/{job['id']}").json()
    return job


def test_a_coordinators_upload_is_answered_from_without_a_restart_and_a_withdrawal_takes_it_away(organisations):
    coordinator, served_before = organisations.coordinator_a, organisations.app.state.served
    files = [("files", ("pasitarimai.txt", UPLOADED_TEXT.encode(), "text/plain")),
             ("files", ("programa.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream")),
             ("files", ("tuscias.txt", b"", "text/plain"))]
    response = coordinator.post("/api/uploads", files=files, data={"visibility": "internal"})
    assert response.status_code == 202, response.text
    job = finished(coordinator, response.json())
    assert job["state"] == "done", job["message"]
    results = {f["file"]: f for f in job["files"]}
    assert results["pasitarimai.txt"]["result"] == "added"
    assert results["programa.exe"]["result"] == "refused" and "'.exe' is not accepted" in results["programa.exe"]["reason"]
    assert results["tuscias.txt"]["result"] == "refused" and "empty" in results["tuscias.txt"]["reason"]
    uploaded = results["pasitarimai.txt"]["document_id"]

    # The same app, no restart: the next question is answered from the new document.
    assert organisations.app.state.served is not served_before
    answer = ask(organisations.staff_a, UPLOADED_QUESTION)
    shown = answer["quotes"] or answer["nearest"]
    assert shown and shown[0]["document_id"] == uploaded, answer["answer"]
    text = organisations.staff_a.get(f"/api/documents/{uploaded}").json()["text"]
    assert text[shown[0]["char_start"]:shown[0]["char_end"]] == shown[0]["text"]
    assert "antradienį" in " ".join(q["text"] for q in shown)
    listed = coordinator.get("/api/uploads").json()["documents"]
    assert [d["indexed_at"] is not None for d in listed if d["document_id"] == uploaded] == [True]
    # Internal: not for the other organisation, nor for the widget.
    assert uploaded not in quoted(ask(organisations.staff_b, UPLOADED_QUESTION))
    assert uploaded not in quoted(ask(organisations.widget_a, UPLOADED_QUESTION))
    assert organisations.staff_b.get(f"/api/documents/{uploaded}").status_code == 404

    withdrawn = coordinator.delete(f"/api/uploads/documents/{uploaded}")
    assert withdrawn.status_code == 202, withdrawn.text
    assert finished(coordinator, withdrawn.json())["state"] == "done"
    assert uploaded not in quoted(ask(organisations.staff_a, UPLOADED_QUESTION))
    assert organisations.staff_a.get(f"/api/documents/{uploaded}").status_code == 404
    assert uploaded not in {d["document_id"] for d in coordinator.get("/api/uploads").json()["documents"]}

    audit = [(e["actor"], e["action"], e["target"]) for e in coordinator.get("/api/audit").json()["entries"]]
    assert ("koordinatore.a", "document.added", uploaded) in audit
    assert ("koordinatore.a", "document.withdrawn", uploaded) in audit
    assert ("koordinatore.a", "document.refused", "programa.exe") in audit
    others = organisations.coordinator_b.get("/api/audit").json()["entries"]
    assert all(e["organization"] == B for e in others) and uploaded not in {e["target"] for e in others}


def test_state_changes_with_a_session_need_its_csrf_token(organisations):
    client = organisations.staff_a
    token = client.headers.pop("X-CSRF-Token")
    try:
        assert client.post("/api/ask", json={"question": A_QUESTION}).status_code == 403
        assert client.post("/api/ask", json={"question": A_QUESTION},
                           headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    finally:
        client.headers["X-CSRF-Token"] = token
    assert client.post("/api/ask", json={"question": A_QUESTION}).status_code == 200


def test_sign_in_needs_the_forms_token_and_is_rate_limited(base_settings, tmp_path):
    settings = base_settings.model_copy(update={"accounts": True, "conversation_db": tmp_path / "c.sqlite3",
                                                "sign_in_limit": "3/minute", "upload_dir": tmp_path / "uploads"})
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        app.state.accounts.add_account("vardenis", PASSWORD, "staff", A, create_organization=True)
        token = re.search(r'name="sign-in-token" content="([^"]+)"', client.get("/login").text).group(1)
        cookie = client.cookies.get("equass_sign_in")
        assert token == cookie and "httponly" in client.get("/login").headers["set-cookie"].lower()
        assert client.post("/api/session", json={"username": "vardenis", "password": PASSWORD}).status_code == 403
        for _ in range(3):
            wrong = client.post("/api/session", json={"username": "vardenis", "password": "neteisingas-1"},
                                headers={"X-CSRF-Token": token})
            assert wrong.status_code == 401
        blocked = client.post("/api/session", json={"username": "vardenis", "password": PASSWORD},
                              headers={"X-CSRF-Token": token})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    with TestClient(create_app(settings), base_url="https://testserver") as client:  # a new window
        token = re.search(r'name="sign-in-token" content="([^"]+)"', client.get("/login").text).group(1)
        good = client.post("/api/session", json={"username": "VARDENIS", "password": PASSWORD},
                           headers={"X-CSRF-Token": token})
        assert good.status_code == 200
        flags = good.headers["set-cookie"].lower()
        assert "equass_session=" in flags and "httponly" in flags and "secure" in flags and "samesite=lax" in flags


def test_the_migrations_make_the_schema_the_code_expects(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'accounts.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), [metadata, index_metadata]) == []


# --- Every endpoint and page, enumerated --------------------------------------------------------

def parameter_values(organisations) -> dict[str, list]:
    """A value (or values) for every parameter the API has; a new parameter must be added here."""
    conversation = ask(organisations.staff_b, B_QUESTION)
    ASKED.update([B_QUESTION, "krizių valdymo grupė", "O kas jai vadovauja?"])
    return {
        "document_id": [B_INTERNAL_ID], "principle_id": ["continuous_improvement", "leadership"],
        "q": [B_QUESTION, "krizių valdymo grupė"], "k": [100], "organization": [None, B],
        "job_id": ["0" * 32], "account_id": [1], "key_id": [1], "shared": [None],
        "_conversation": conversation,
    }


def bodies(operation: dict, values: dict) -> list[dict]:
    """Request bodies for an operation: every schema the API accepts must have an example here."""
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return [{}]
    if "multipart/form-data" in content:
        return [{"files": {"files": (UPLOAD[0], UPLOAD[1], UPLOAD[2])}, "data": {"organization": B}}]
    schema = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    conversation = values["_conversation"]
    examples = {
        "AskRequest": [{"question": B_QUESTION}, {"question": B_QUESTION, "organization": B},
                       {"question": "O kas jai vadovauja?", "conversation_id": conversation["conversation_id"]}],
        "FeedbackRequest": [{"conversation_id": conversation["conversation_id"], "position": 0, "helpful": False}],
        "SignIn": [{"username": "darbuotojas.b", "password": "neteisingas-slaptazodis"}],
        "NewOrganization": [{"name": "Naujas centras"}],
        "NewAccount": [{"username": "isilauzelis", "password": PASSWORD, "role": "administrator"}],
        "AccountChange": [{"role": "administrator", "organization": B}],
        "NewEmbedKey": [{"organization": B, "origins": ["https://piktas.example"]}],
    }
    assert schema in examples, f"add an example body for {schema} to this test"
    return [{"json": body} for body in examples[schema]]


def requests_of(openapi: dict, values: dict):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", [])]
            for name in names:
                assert name in values, f"{method.upper()} {path}: add values for the parameter '{name}'"
            combinations = [{}]
            for name in names:
                combinations = [{**c, name: v} for c in combinations for v in values[name]]
            for combination in combinations:
                url = path.format(**{k: v for k, v in combination.items() if "{" + k + "}" in path})
                query = {k: v for k, v in combination.items() if "{" + k + "}" not in path and v is not None}
                for body in bodies(operation, values):
                    yield method, url, query, body


def assert_never_shown(response, markers: tuple[str, ...], where: str) -> None:
    text = response.content.decode("utf-8", "replace")
    for marker in markers:
        assert marker.casefold() not in text.casefold(), f"{where} showed '{marker}' (HTTP {response.status_code})"


@pytest.mark.parametrize("who", ["staff_a", "coordinator_a", "widget_a"])
def test_no_endpoint_shows_another_organisations_internal_documents(organisations, who):
    client = getattr(organisations, who)
    openapi = organisations.app.openapi()
    values = parameter_values(organisations)
    markers = B_MARKERS + (A_MARKERS if who == "widget_a" else ())
    probed = 0
    for method, url, query, body in requests_of(openapi, values):
        if url == "/api/session" and method == "delete":
            continue  # signing out is probed last, below
        response = client.request(method.upper(), url, params=query, **body)
        assert response.status_code < 500, f"{method.upper()} {url}: {response.status_code} {response.text[:200]}"
        assert_never_shown(response, markers, f"{method.upper()} {url} {query}")
        probed += 1
    assert probed >= len(openapi["paths"])
    # Nothing above changed another organisation or the accounts.
    assert "isilauzelis" not in {a.username for a in organisations.store.accounts()}
    assert "Naujas centras" not in organisations.store.organizations()
    assert organisations.staff_b.get(f"/api/documents/{B_INTERNAL_ID}").status_code == 200


def routes_of(router) -> list:
    """Every route of the app, including those of included routers (FastAPI keeps an included
    router as one entry of ``app.routes``; its own routes hang below it)."""
    found = []
    for route in router.routes:
        included = getattr(route, "original_router", None)
        found += routes_of(included) if included is not None else [route]
    return found


@pytest.mark.parametrize("who", ["staff_a", "widget_a", "anonymous"])
def test_no_page_shows_another_organisations_internal_documents(organisations, who):
    client = getattr(organisations, who)
    pages = [route.path for route in routes_of(organisations.app.router)
             if getattr(route, "include_in_schema", True) is False and "GET" in getattr(route, "methods", set())]
    assert {"/", "/documents/{document_id}", "/principles", "/onboarding", "/uploads", "/login"} <= set(pages)
    for path in pages:
        response = client.get(path.replace("{document_id}", B_INTERNAL_ID))
        assert response.status_code < 500
        assert_never_shown(response, B_MARKERS, f"page {path}")


# --- Last: the logs ---------------------------------------------------------------------------

def test_no_log_holds_a_question_asked(organisations, service_logs):
    """Everything the service and ingest logged while this module's tests ran (every level,
    tracebacks included), searched for the questions and searches sent: none is there."""
    assert {UPLOADED_QUESTION, A_QUESTION, B_QUESTION} <= ASKED
    assert any("Serving index generation" in line for _, line in service_logs.lines), "the service's log was not collected"
    hits = [(question, line) for question in ASKED for _, line in service_logs.lines
            if question.casefold() in line.casefold()]
    assert hits == []


def test_a_replica_fails_only_the_jobs_of_runners_that_stopped(tmp_path, monkeypatch):
    engine = open_database(f"sqlite:///{tmp_path / 'accounts.sqlite3'}")
    migrate(engine)
    store = AccountStore(engine, 12)
    clock = [1_000_000.0]
    monkeypatch.setattr("service.accounts.store.time.time", lambda: clock[0])
    store.runner_alive("live")
    store.runner_alive("crashed")
    running = store.add_job(None, None, [], runner="live")
    cut_short = store.add_job(None, None, [], runner="crashed")
    unnamed = store.add_job(None, None, [])  # queued before runners were named
    store.update_job(running.id, state="running")
    clock[0] += 45
    store.runner_alive("live")
    assert store.fail_orphaned_jobs(60, "stopped") == 1  # no runner: failed at once
    clock[0] += 30  # "crashed" has been silent for 75 s, "live" said it was alive 30 s ago
    assert store.fail_orphaned_jobs(60, "stopped") == 1
    assert store.job(running.id).state == "running"
    assert store.job(cut_short.id).state == "failed" and store.job(cut_short.id).message == "stopped"
    assert store.job(unnamed.id).state == "failed"
