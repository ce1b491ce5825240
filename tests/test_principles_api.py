"""Principles, coverage and onboarding over the real default corpus."""

from ingest.principles import PRINCIPLES

ORGANIZATION = "Kauno rajono socialinių paslaugų centras"


def test_ten_principles_with_both_names(client):
    principles = client.get("/api/principles").json()["principles"]
    assert [p["id"] for p in principles] == [p.id for p in PRINCIPLES]
    assert len(principles) == 10
    for principle in principles:
        assert principle["name_lt"] and principle["name_en"]
        assert principle["description_document_id"].startswith("equass-")


def test_each_principle_page_lists_a_covering_document(client):
    for principle in PRINCIPLES:
        body = client.get(f"/api/principles/{principle.id}").json()
        assert body["documents"], f"no document covers {principle.id}"
        strengths = [d["strength"] for d in body["documents"]]
        assert all(d["kind"] != "equass" for d in body["documents"])
        own = [d for d in body["documents"] if d["kind"] != "law"]
        assert [d["strength"] for d in own] == sorted((d["strength"] for d in own), reverse=True)
        assert all(s > 0 for s in strengths)
        for document in body["documents"]:
            for quote in document["quotes"]:
                assert principle.id in quote["principles"]
        assert body["summary"]["document_id"].startswith("equass-")
    assert client.get("/api/principles/nera").status_code == 404


def test_gaps_are_reported_per_organisation(client):
    gaps = client.get("/api/coverage").json()["gaps"]
    organizations = client.get("/api/organizations").json()["organizations"]
    assert len(organizations) == 5
    for gap in gaps:
        assert gap["organization"] in organizations
        assert gap["status"] in ("missing", "weak")


def test_principle_question_is_answered_from_coverage(client):
    answer = client.post("/api/ask", json={"question": "Kuri politika apima etikos principą?"}).json()
    assert not answer["abstained"]
    assert answer["quotes"]
    assert all("ethics" in q["principles"] for q in answer["quotes"])
    english = client.post("/api/ask", json={"question": "Which policy covers participation?"}).json()
    assert english["answer"].startswith("The principle")
    assert all("participation" in q["principles"] for q in english["quotes"])
    # Sharing a principle's stem is not naming it: this asks about a project, not which documents cover a principle.
    project = client.post("/api/ask", json={"question": "In the ESF Agency quality project, what share of the "
                                                        "participating organisations is expected to implement the "
                                                        "quality standard successfully?"}).json()
    assert not project["answer"].startswith("The principle")


def test_a_principle_the_organisation_does_not_cover_is_answered_as_a_gap(client):
    organization = "Kauno rajono socialinių paslaugų centras"
    gaps = {g["principle"] for g in client.get("/api/coverage").json()["gaps"]
            if g["organization"] == organization and g["status"] == "missing"}
    assert "comprehensiveness" in gaps
    answer = client.post("/api/ask", json={"question": "Kuri mūsų politika apima kompleksiškumo principą?",
                                           "organization": organization}).json()
    assert answer["answer"].startswith(f"Organizacijos „{organization}“ dokumentuose principo „Kompleksiškumas“ "
                                       "neradau – tai spraga.")
    assert all(q["organization"] != organization for q in answer["quotes"])
    covered = client.post("/api/ask", json={"question": "Kuri mūsų politika apima etikos principą?",
                                            "organization": organization}).json()
    assert covered["answer"].startswith("Principą „Etika“ apima šie dokumentai:")
    assert covered["quotes"][0]["organization"] == organization


def test_onboarding_has_ten_steps(client):
    steps = client.get("/api/onboarding", params={"organization": ORGANIZATION}).json()["steps"]
    assert [s["step"] for s in steps] == list(range(1, 11))
    for step in steps:
        assert step["summary"]["text"]
        assert 1 <= len(step["questions"]) <= 5
        for document in step["documents"]:
            assert document["organization"] in (ORGANIZATION, "EQUASS", "Lietuvos Respublikos Seimas")
