"""The laws in scope (``EQUASS_LAWS_IN_SCOPE``): with the register indexed beside the laws an
organisation works under, answers, search and the document list draw on those laws only."""

import numpy as np
from fastapi.testclient import TestClient

from ingest.index_store import load_index
from service.answering import term_statistics
from service.app import create_app
from service.generations import load_served
from service.scopes import EVERYTHING, Scope

SOCIAL_SERVICES = "lt-law-x-493"
DATA_PROTECTION = "lt-pdpa-i1374"
DATA_QUESTION = "Kokias teises turi duomenų subjektas?"


def test_a_scope_of_laws_keeps_other_documents_and_drops_other_laws(corpus_index):
    documents = load_index(corpus_index).documents
    scope = Scope(laws=frozenset([SOCIAL_SERVICES]))
    assert not scope.everything and EVERYTHING.everything
    assert scope.allows(documents[SOCIAL_SERVICES]) and not scope.allows(documents[DATA_PROTECTION])
    assert scope.allows(documents["equass-ethics"]) and scope.allows(documents["kaunas-kokybes-politika"])


def test_term_statistics_of_a_scope_count_its_chunks_only(corpus_index):
    index = load_index(corpus_index)
    whole, total = term_statistics(index)
    everything, same_total = term_statistics(index, np.arange(len(index.chunks)))
    assert everything == whole and same_total == total
    rows = np.array([c.chunk_id for c in index.chunks if c.document_id != DATA_PROTECTION])
    part, count = term_statistics(index, rows)
    assert count == len(rows) < total
    assert all(part[term] <= whole[term] for term in whole)
    assert sum(part.values()) < sum(whole.values())


def test_every_organisations_view_shares_one_count_of_the_laws_in_scope(base_settings, corpus_index):
    served = load_served(base_settings)
    laws = frozenset([SOCIAL_SERVICES])
    kaunas = served.within(Scope("Kauno rajono socialinių paslaugų centras", laws=laws)).answerer
    everyone = served.within(Scope(laws=laws)).answerer
    assert kaunas.document_frequency is everyone.document_frequency
    assert kaunas.chunk_count == everyone.chunk_count < served.answerer.chunk_count


def test_answers_search_and_documents_keep_to_the_laws_in_scope(base_settings, corpus_index):
    with TestClient(create_app(base_settings)) as everything:
        answer = everything.post("/api/ask", json={"question": DATA_QUESTION}).json()
        assert DATA_PROTECTION in {q["document_id"] for q in answer["quotes"] + answer["nearest"]}
    settings = base_settings.model_copy(update={"laws_in_scope": [SOCIAL_SERVICES]})
    with TestClient(create_app(settings)) as scoped:
        answer = scoped.post("/api/ask", json={"question": DATA_QUESTION}).json()
        quoted = {q["document_id"] for q in answer["quotes"] + answer["nearest"]}
        assert DATA_PROTECTION not in quoted
        hits = scoped.get("/api/search", params={"q": "duomenų subjekto teisės"}).json()["hits"]
        assert hits and DATA_PROTECTION not in {h["document_id"] for h in hits}
        listed = {d["document_id"] for d in scoped.get("/api/documents").json()["documents"]}
        assert SOCIAL_SERVICES in listed and DATA_PROTECTION not in listed
        assert scoped.get(f"/api/documents/{DATA_PROTECTION}").status_code == 404
        answer = scoped.post("/api/ask", json={"question": "Kas yra socialinė rizika?"}).json()
        assert not answer["abstained"] and answer["quotes"][0]["document_id"] == SOCIAL_SERVICES
