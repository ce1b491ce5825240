"""The cross-fitted estimate of the tuning part (``python -m evaluation crossfit``)."""

import io

import pytest
from rich.console import Console

from evaluation.gold import load_gold
from evaluation.train import cross_fit, neutral_model
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine
from service.rescoring import MODEL_PATH


@pytest.fixture(scope="module")
def engine(base_settings, corpus_index):
    return Engine.load(base_settings)


def test_every_tuning_question_is_answered_once_by_models_that_did_not_see_it(engine):
    tuning = load_gold(split="tune")
    questions = [q for q in tuning if q.answerable][:30] + [q for q in tuning if not q.answerable][:10]
    shipped = MODEL_PATH.read_bytes()
    answerer = Answerer(engine, Coverage(engine), model=neutral_model())
    summary = cross_fit(answerer, questions, None, Console(file=io.StringIO()))
    assert summary["answers"] == 40
    assert summary["overall"]["answerable"] == 30 and summary["overall"]["unanswerable"] == 10
    assert summary["exact_answers"] == 40  # every quote and nearest passage is verbatim
    assert MODEL_PATH.read_bytes() == shipped  # an estimate: the served model is not rewritten
