"""Coverage a coordinator can act on: levels with evidence, no false gaps, no gap report for a
programme page, a spreadsheet that Lithuanian Excel reads, votes and unanswered questions."""

import csv
import io

import pytest
from openpyxl import load_workbook

from ingest.principles import PRINCIPLES
from service.principles_api import spreadsheet_cell

KAUNAS = "Kauno rajono socialinių paslaugų centras"
ESFA = "Europos socialinio fondo agentūra"


def lithuanian_number(text: str) -> float:
    """A cell as Excel with a Lithuanian locale reads it: decimal comma, no dot."""
    assert "." not in text, text
    return float(text.replace(",", "."))


def test_kaunas_covers_participation_and_person_centredness_with_its_own_words(client):
    matrix = client.get("/api/coverage", params={"organization": KAUNAS}).json()
    missing = {g["principle"] for g in matrix["gaps"] if g["organization"] == KAUNAS and g["status"] == "missing"}
    assert not {"participation", "person_centred"} & missing
    cells = {(c["document_id"], c["principle"]): c for c in matrix["cells"]}
    participation = cells[("kaunas-kokybes-politika", "participation")]
    person = cells[("kaunas-kokybes-politika", "person_centred")]
    assert participation["level"] in ("partial", "strong") and person["level"] in ("partial", "strong")
    assert participation["quote"]["document_id"] == person["quote"]["document_id"] == "kaunas-kokybes-politika"
    for principle, words in (("participation", "įtraukiant juos į sprendimų priėmimą"),
                             ("person_centred", "pagarba paslaugų gavėjui ir jo individualumui")):
        covering = client.get(f"/api/principles/{principle}", params={"organization": KAUNAS}).json()["documents"]
        own = next(d for d in covering if d["document_id"] == "kaunas-kokybes-politika")
        assert any(words in q["text"] for q in own["quotes"]), (principle, own["quotes"])


def test_every_covered_cell_shows_the_exact_quote_that_earned_it(client):
    matrix = client.get("/api/coverage").json()
    texts = {}
    covered = [c for c in matrix["cells"] if c["level"] != "none"]
    assert covered
    for cell in matrix["cells"]:
        assert cell["level"] == ("strong" if cell["strength"] >= matrix["strong"] else
                                 "partial" if cell["strength"] >= matrix["threshold"] else "none")
        if cell["level"] == "none":
            assert cell["quote"] is None
            continue
        quote = cell["quote"]
        if quote["document_id"] not in texts:
            texts[quote["document_id"]] = client.get(f"/api/documents/{quote['document_id']}").json()["text"]
        assert texts[quote["document_id"]][quote["char_start"]:quote["char_end"]] == quote["text"]
        assert cell["principle"] in quote["principles"]


def test_a_programme_page_gets_no_gap_report(client):
    matrix = client.get("/api/coverage").json()
    assert ESFA not in {g["organization"] for g in matrix["gaps"]}
    assert {"organization": ESFA, "reason": "no_policies"} in matrix["not_assessed"]
    assert any(g["organization"] == KAUNAS for g in matrix["gaps"])
    esfa = client.get("/api/coverage", params={"organization": ESFA}).json()
    assert esfa["gaps"] == [] and esfa["not_assessed"] == [{"organization": ESFA, "reason": "no_policies"}]
    kinds = {d["document_id"]: d["kind"] for d in client.get("/api/documents").json()["documents"]}
    assert kinds["esfa-kokybes-projektas"] == "programme"


@pytest.mark.parametrize("organization", [None, KAUNAS])
def test_coverage_csv_opens_in_lithuanian_excel_with_the_numbers_of_the_json(client, organization):
    params = {"organization": organization} if organization else {}
    matrix = client.get("/api/coverage", params=params).json()
    response = client.get("/api/coverage.csv", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[4:] == [p.name_lt for p in PRINCIPLES]
    blank = rows.index([])
    table = rows[1:blank]
    assert [r[0] for r in table] == [d["document_id"] for d in matrix["documents"]]
    cells = {(c["document_id"], c["principle"]): c["strength"] for c in matrix["cells"]}
    for row in table:
        assert len(row) == len(header)
        for principle, value in zip(PRINCIPLES, row[4:]):
            assert lithuanian_number(value) == cells[(row[0], principle.id)]
    assert rows[blank + 1] == ["Spragos"]
    gaps = rows[blank + 3:]
    assert len(gaps) == len(matrix["gaps"])
    for row, gap in zip(gaps, matrix["gaps"]):
        assert row[0] == gap["organization"] and row[1] == gap["name_lt"]
        assert row[2] in ("nėra", "dalinis") and lithuanian_number(row[3]) == gap["best_strength"]


def test_coverage_xlsx_has_the_table_the_gaps_and_the_quotes(client):
    matrix = client.get("/api/coverage", params={"organization": KAUNAS}).json()
    response = client.get("/api/coverage.xlsx", params={"organization": KAUNAS})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Aprėptis", "Spragos", "Citatos"]
    table = list(workbook["Aprėptis"].iter_rows(values_only=True))
    assert list(table[0][4:]) == [p.name_lt for p in PRINCIPLES]
    cells = {(c["document_id"], c["principle"]): c["strength"] for c in matrix["cells"]}
    for row in table[1:]:
        for principle, value in zip(PRINCIPLES, row[4:]):
            assert value == cells[(row[0], principle.id)]
    assert len(list(workbook["Spragos"].iter_rows())) - 1 == len(matrix["gaps"])
    quotes = list(workbook["Citatos"].iter_rows(values_only=True))[1:]
    assert len(quotes) == sum(c["quote"] is not None for c in matrix["cells"])
    assert all(row[5].startswith("http") and "/documents/" in row[5] for row in quotes)


def test_spreadsheet_cells_that_look_like_formulas_are_escaped():
    for dangerous in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert spreadsheet_cell(dangerous) == "'" + dangerous
    assert spreadsheet_cell("Kokybės politika") == "Kokybės politika"
    assert spreadsheet_cell(None) == ""


def test_an_unknown_organisation_is_refused_with_the_known_ones(client):
    payload = {"question": "Kaip dažnai vertinama kokybė?", "organization": "Kauno centras"}
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert "Kauno centras" in body["detail"]
    assert KAUNAS in body["organizations"] and "EQUASS" not in body["organizations"]
    search = client.get("/api/search", params={"q": "kokybė", "organization": "Kauno centras"})
    assert search.status_code == 422 and search.json()["organizations"] == body["organizations"]
    assert client.post("/api/ask", json={**payload, "organization": KAUNAS}).status_code == 200


def test_a_vote_is_kept_with_the_answers_quotes_and_no_author(client):
    answer = client.post("/api/ask", json={"question": "Kaip dažnai vertinama Centro veiklos kokybė?",
                                           "organization": KAUNAS}).json()
    assert not answer["abstained"]
    before = client.get("/api/feedback", params={"organization": KAUNAS}).json()["not_helpful"]
    response = client.post("/api/feedback", json={"conversation_id": answer["conversation_id"],
                                                  "position": answer["position"], "helpful": False})
    assert response.status_code == 200
    votes = client.get("/api/feedback", params={"organization": KAUNAS}).json()
    assert votes["not_helpful"] == before + 1
    vote = votes["votes"][0]
    assert vote["quotes"] == [{"document_id": q["document_id"], "char_start": q["char_start"], "char_end": q["char_end"]}
                              for q in answer["quotes"]]
    assert set(vote) == {"created", "organization", "helpful", "quotes"}
    groups = client.get("/api/unanswered", params={"organization": KAUNAS}).json()["groups"]
    questions = {q["question"]: q for g in groups for q in g["questions"]}
    assert "unhelpful" in questions["Kaip dažnai vertinama Centro veiklos kokybė?"]["reasons"]
    gone = client.post("/api/feedback", json={"conversation_id": "0" * 32, "position": 0, "helpful": True})
    assert gone.status_code == 404 and "expire" in gone.json()["detail"]


def test_refused_questions_are_kept_per_organisation_grouped_by_principle(client):
    question = "Ar mūsų centre yra etikos komisija ir kas jai vadovauja Marijampolėje?"
    answer = client.post("/api/ask", json={"question": question, "organization": KAUNAS}).json()
    assert answer["abstained"], "this question is meant to be refused; pick another"
    groups = client.get("/api/unanswered", params={"organization": KAUNAS}).json()["groups"]
    ethics = next(g for g in groups if g["principle"] and g["principle"]["id"] == "ethics")
    assert question in [q["question"] for q in ethics["questions"]]
    other = client.get("/api/unanswered", params={"organization": "Vilniaus miesto socialinės paramos centras"}).json()
    assert question not in [q["question"] for g in other["groups"] for q in g["questions"]]
    exported = client.get("/api/unanswered.csv", params={"organization": KAUNAS})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Principas", "Klausimas"]
    assert ["Etika", question] in [r[:2] for r in rows[1:]]


def test_feedback_store_keeps_nothing_past_the_retention_limit(tmp_path):
    import time

    from service.accounts.database import migrate, open_database
    from service.feedback import REFUSED, FeedbackStore

    database = open_database(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    migrate(database)
    store = FeedbackStore(database, ttl_hours=0.5 / 3600, max_rows=2)
    store.add_unanswered("A", "pirmas", REFUSED, None)
    store.add_vote("A", True, [{"document_id": "d", "char_start": 0, "char_end": 5}])
    assert [q.question for q in store.unanswered("A")] == ["pirmas"] and len(store.votes()) == 1
    time.sleep(0.6)
    assert store.unanswered() == [] and store.votes() == []
    for text in ("a", "b", "c"):
        store.add_unanswered(None, text, REFUSED, None)
    assert [q.question for q in store.unanswered()] == ["c", "b"]


def test_onboarding_shows_the_organisations_own_documents_first_and_law_only_as_a_basis(client):
    steps = client.get("/api/onboarding", params={"organization": KAUNAS}).json()["steps"]
    leadership = steps[0]
    assert leadership["principle"]["id"] == "leadership"
    roles = [d["role"] for d in leadership["documents"]]
    assert roles[0] == "own" and "law" not in roles
    assert leadership["documents"][0]["document_id"] == "kaunas-kokybes-politika"
    for step in steps:
        roles = [d["role"] for d in step["documents"]]
        assert roles == sorted(roles, key=["own", "equass", "law"].index)
        for document in step["documents"]:
            assert document["organization"] in (KAUNAS, "EQUASS", "Lietuvos Respublikos Seimas")
    rights = next(s for s in steps if s["principle"]["id"] == "rights")
    assert any(d["role"] == "law" for d in rights["documents"])
    anyone = client.get("/api/onboarding").json()["steps"]
    for step in anyone:
        assert {d["role"] for d in step["documents"]} <= {"equass", "law"}
