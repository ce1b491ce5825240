"""Many organisations on one service: two organisations, three roles and a widget key. Nothing of
one organisation's internal documents reaches another's staff or the widget, through any endpoint
(enumerated from the OpenAPI document, so a new one is probed too) or page; conversations belong
to their owner; sign-in is protected by CSRF tokens and a rate limit."""

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from service.accounts.database import migrate, open_database
from service.accounts.tables import metadata
from service.app import create_app
from tests.accounts_fixtures import (A, A_INTERNAL_ID, A_MARKERS, A_PUBLIC_ID, A_QUESTION, B, B_INTERNAL_ID,
                                     B_MARKERS, B_QUESTION, PASSWORD, WIDGET_ORIGIN, organisations)  # noqa: F401

UPLOAD = ("tvarka.txt", "Bandomoji tvarka\n\nTvarka peržiūrima kasmet.\n".encode(), "text/plain")


def ask(client, question: str, **extra) -> dict:
    response = client.post("/api/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def quoted(answer: dict) -> set[str]:
    return {q["document_id"] for q in answer["quotes"]} | {s["document_id"] for s in answer["suggestions"]}


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
    assert all(q["organization"] in (A, "EQUASS", "Lietuvos Respublikos Seimas") for q in answer["quotes"])
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
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


# --- Every endpoint and page, enumerated --------------------------------------------------------

def parameter_values(organisations) -> dict[str, list]:
    """A value (or values) for every parameter the API has; a new parameter must be added here."""
    conversation = ask(organisations.staff_b, B_QUESTION)
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


@pytest.mark.parametrize("who", ["staff_a", "widget_a", "anonymous"])
def test_no_page_shows_another_organisations_internal_documents(organisations, who):
    client = getattr(organisations, who)
    pages = [route.path for route in organisations.app.routes
             if getattr(route, "include_in_schema", True) is False and "GET" in getattr(route, "methods", set())]
    assert {"/", "/documents/{document_id}", "/principles", "/onboarding", "/uploads", "/login"} <= set(pages)
    for path in pages:
        response = client.get(path.replace("{document_id}", B_INTERNAL_ID))
        assert response.status_code < 500
        assert_never_shown(response, B_MARKERS, f"page {path}")
