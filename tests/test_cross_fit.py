"""The cross-fitted estimate of the tuning part (``python -m evaluation crossfit``)."""

import io

import numpy as np
import pytest
from rich.console import Console

from evaluation.gold import load_gold
from evaluation.train import CrossFitted, Sweep, cross_fit_splits, fold_parts, neutral_model
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
    results = cross_fit_splits(answerer, questions, None, Console(file=io.StringIO()), splits=2)
    assert len(results) == 2
    for result in results:
        summary = result.summary
        assert summary["answers"] == 40
        assert summary["overall"]["answerable"] == 30 and summary["overall"]["unanswerable"] == 10
        assert summary["exact_answers"] == 40  # every quote and nearest passage is verbatim
        assert len(result.held_out.probability) == 40
    assert MODEL_PATH.read_bytes() == shipped  # an estimate: the served model is not rewritten


def test_fold_splits_hold_out_every_question_once():
    for split in range(3):
        parts = fold_parts(23, split)
        assert len(parts) == 5 and sorted(np.concatenate(parts).tolist()) == list(range(23))
    assert [p.tolist() for p in fold_parts(23, 1)] != [p.tolist() for p in fold_parts(23, 0)]


def test_hit_at_the_limits_answers_down_to_the_lowest_probability_within_them():
    # Answerable: right at 0.9 and 0.6, wrong at 0.7 and 0.4, refused at any threshold (-inf);
    # unanswerable: answered from 0.5 down.
    probability = np.array([0.9, 0.7, 0.6, 0.4, -np.inf, 0.5, 0.2, 0.1, 0.05])
    hit = np.array([True, False, True, False, False, False, False, False, False])
    answerable = np.array([True] * 5 + [False] * 4)
    fitted = CrossFitted({}, Sweep(probability, hit, hit, answerable))
    assert fitted.at_limits(wrong=0.0, refused=1.0) == pytest.approx(1 / 5)  # only 0.9 answered
    assert fitted.at_limits(wrong=0.2, refused=1.0) == pytest.approx(2 / 5)  # 0.6 reached, one wrong
    assert fitted.at_limits(wrong=0.2, refused=0.75) == pytest.approx(2 / 5)  # 0.5 adds nothing right
    assert CrossFitted({}, Sweep(np.array([0.9, 0.8]), np.array([False, False]), np.array([False, False]),
                                 np.array([True, False]))).at_limits(wrong=0.0, refused=1.0) == 0.0
