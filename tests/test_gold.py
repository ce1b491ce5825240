"""The gold set (evaluation/data/gold.jsonl) is well formed and its spans are the served text."""

from collections import Counter

import pytest

from evaluation.gold import FRESH_PATHS, SPLITS, load_gold, squash
from service.engine import Engine

KINDS = {"fact", "paraphrase", "no_diacritics", "english", "list", "organization", "short", "followup", "unanswerable"}


@pytest.fixture(scope="module")
def engine(base_settings, corpus_index):
    return Engine.load(base_settings)


def test_every_answer_span_is_verbatim_in_the_served_document(engine):
    documents = engine.index.documents
    questions = load_gold() + [q for path in FRESH_PATHS for q in load_gold(path)]
    missing = [(q.id, span.document_id) for q in questions for span in q.answers
               if span.document_id not in documents
               or squash(span.text) not in squash(documents[span.document_id].text)]
    assert missing == []


def test_questions_are_well_formed():
    questions = load_gold()
    assert len({q.id for q in questions}) == len(questions)
    assert not [q.id for q in questions if q.kind not in KINDS or q.split not in SPLITS]
    assert not [q.id for q in questions if (q.kind == "unanswerable") == q.answerable]
    assert not [q.id for q in questions if (q.kind == "followup") != bool(q.history)]
    # Independent writers sometimes ask the same thing in the same words, but one writer never twice.
    texts = Counter((q.id.split("-")[0], squash(q.question).lower()) for q in questions)
    assert [text for text, count in texts.items() if count > 1] == []
    # Writers 1 to 4 wrote at the same time and sometimes the same question ("Kiek laiko galioja
    # EQUASS Assurance sertifikatas?"); a writer added later to the tuning part never copies a test question.
    test = {squash(q.question).lower() for q in questions if q.split == "test"}
    later = [q.id for q in questions if q.split == "tune" and int(q.id.split("-")[0][1:]) >= 5
             and squash(q.question).lower() in test]
    assert later == []
    # The test part is the two writers it was split with, and only they write in it.
    writers = {split: {q.id.split("-")[0] for q in questions if q.split == split} for split in SPLITS}
    assert writers["test"] == {"w2", "w4"} and not writers["tune"] & writers["test"]


def test_fresh_questions_are_well_formed():
    # A fresh writer saw no gold question, yet six of writer 11's 80 are, word for word, one
    # ("PDCA ciklas"): staff ask the obvious things in the obvious words. They are kept.
    for path in FRESH_PATHS:
        questions = load_gold(path)
        assert questions and {q.split for q in questions} == {"fresh"}
        assert not [q.id for q in questions if q.kind not in KINDS or (q.kind == "unanswerable") == q.answerable]
        assert not [q.id for q in questions if (q.kind == "followup") != bool(q.history)]
        assert len({q.id for q in questions}) == len(questions)
