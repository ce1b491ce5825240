"""Every question the onboarding page suggests is answered, for its organisation, from the document
it is about: a new employee who clicks one never meets a refusal or someone else's text."""

import pytest

ORGANIZATIONS = ["Kauno rajono socialinių paslaugų centras", "Klaipėdos miesto šeimos ir vaiko gerovės centras",
                 "Vilniaus miesto socialinės paramos centras", "Pagėgių savivaldybės šeimos gerovės centras",
                 "Europos socialinio fondo agentūra"]


def suggested(client, organization: str) -> list[tuple[str, str, str]]:
    steps = client.get("/api/onboarding", params={"organization": organization}).json()["steps"]
    return [(step["principle"]["id"], q["question"], q["document_id"]) for step in steps for q in step["questions"]]


def test_each_organisation_gets_questions_about_its_own_documents(client):
    kaunas = suggested(client, ORGANIZATIONS[0])
    assert sum(document == "kaunas-kokybes-politika" for _, _, document in kaunas) >= 8
    assert all(len([q for q in kaunas if q[0] == principle]) >= 1 for principle, _, _ in kaunas)
    vilnius = suggested(client, ORGANIZATIONS[2])
    assert not any(document == "kaunas-kokybes-politika" for _, _, document in vilnius)


@pytest.mark.parametrize("organization", ORGANIZATIONS)
def test_every_suggested_question_is_answered_from_its_document(client, organization):
    questions = suggested(client, organization)
    assert len(questions) >= 17
    wrong = []
    for principle, question, document_id in questions:
        answer = client.post("/api/ask", json={"question": question, "organization": organization}).json()
        first = answer["quotes"][0]["document_id"] if answer["quotes"] else None
        if answer["abstained"] or first != document_id:
            wrong.append((principle, question, document_id, "refused" if answer["abstained"] else first))
    assert not wrong, wrong
