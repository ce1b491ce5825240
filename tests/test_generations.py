"""A new index generation is served without a restart: ingest into the index a running service
serves, and the next questions are answered from the new document; a withdrawn one disappears."""

import time

from fastapi.testclient import TestClient

from ingest.pipeline import ingest
from service.app import create_app

ORGANIZATION = "Bandomasis centras"
FIRST = ("Bandomojo centro kokybės grupė\n\nCentro kokybės grupė renkasi kas ketvirtį ir aptaria paslaugų gavėjų "
         "pasiūlymus.\n")
NEW = ("Bandomojo centro savanorių tvarka\n\nSavanoriai į centro veiklą priimami po pokalbio su savanorių "
       "koordinatoriumi ir pasirašo savanoriškos veiklos sutartį.\n")
QUESTION = "Kaip savanoriai priimami į centro veiklą?"


def wait_for_generation(client: TestClient, old: str) -> str:
    """Requests keep coming while the new generation loads in the background, as in real use."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        generation = client.get("/readyz").json()["generation"]
        if generation != old:
            return generation
        time.sleep(0.2)
    raise AssertionError("the service did not pick up the new index generation")


def test_ingest_into_the_served_index_is_answered_without_a_restart(base_settings, tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "kokybes-grupe.txt").write_text(FIRST, encoding="utf-8")
    settings = base_settings.model_copy(update={"index_dir": tmp_path / "index",
                                                "conversation_db": tmp_path / "conversations.sqlite3"})
    ingest([documents], settings.index_dir, settings, organization=ORGANIZATION, show_progress=False)

    with TestClient(create_app(settings)) as client:
        first = client.get("/readyz").json()["generation"]
        before = client.post("/api/ask", json={"question": QUESTION}).json()
        assert not any(q["document_id"] == "savanoriu-tvarka" for q in before["quotes"])

        (documents / "savanoriu-tvarka.txt").write_text(NEW, encoding="utf-8")
        report = ingest([documents], settings.index_dir, settings, organization=ORGANIZATION, show_progress=False)
        assert report.added == ["savanoriu-tvarka"]
        second = wait_for_generation(client, first)

        answer = client.post("/api/ask", json={"question": QUESTION}).json()
        # Answered from the new document, or (on such a tiny index) pointed at it as the nearest passage.
        shown = answer["nearest"] if answer["abstained"] else answer["quotes"]
        assert shown[0]["document_id"] == "savanoriu-tvarka"
        assert "savanoriškos veiklos sutartį" in shown[0]["text"]

        (documents / "savanoriu-tvarka.txt").unlink()
        report = ingest([documents], settings.index_dir, settings, organization=ORGANIZATION, show_progress=False)
        assert report.removed == ["savanoriu-tvarka"]
        wait_for_generation(client, second)
        ids = [d["document_id"] for d in client.get("/api/documents").json()["documents"]]
        assert ids == ["kokybes-grupe"]
        assert client.get("/api/documents/savanoriu-tvarka").status_code == 404
