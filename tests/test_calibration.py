"""Choosing the answer threshold (``evaluation/train.py: bagged_choice``)."""

import numpy as np

from evaluation.train import THRESHOLDS, Sweep, bagged_choice


def test_the_answer_threshold_keeps_all_tuning_questions_within_the_limits():
    # 40 answerable questions, answered right more often the surer the model, and 10 unanswerable
    # ones; on these the median of the resamples' best thresholds (0.6625) lets too many through.
    rng = np.random.RandomState(0)
    answerable = np.array([True] * 40 + [False] * 10)
    probability = np.concatenate([rng.uniform(0, 1, 40), rng.uniform(0, 0.8, 10)])
    right = answerable & (rng.uniform(0, 1, 50) < probability)
    sweep = Sweep(probability, right, right, answerable)
    everyone = np.arange(len(answerable))
    _, threshold, _ = bagged_choice([sweep], resamples=20)
    assert sweep.key(threshold, everyone)[0] == 0  # no limit missed
    assert threshold == min(float(t) for t in THRESHOLDS if sweep.key(float(t), everyone)[0] == 0)
