"""Fit the answer model on the tuning questions: ``python -m evaluation train``.

Every tuning question is run through retrieval and candidate building; each candidate's features
are labelled by whether quoting it would quote a gold span. A logistic regression learns how to
weigh the evidence; then the answer threshold (refuse below it), the threshold from which the
organisation's own documents answer a question scoped to it, and how close further quotes must
come to the best are chosen on the same questions, by a cost that counts a wrong answer (a
confident quote that does not answer) as worse than a refusal. Test questions are never read.
"""

import itertools
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from evaluation.answers import Outcome, outcome, summarize, print_summary
from evaluation.gold import GoldQuestion
from service.answering import Answerer, Evidence
from service.features import FEATURES
from service.quote_selection import with_lead_in
from service.refusal import REFUSAL_FEATURES, refusal_row
from service.quote_selection import answer_pool
from service.rescoring import AnswerModel, LinearModel

# A wrong answer costs this many refusals: staff trust an exact quote, so a wrong one misleads.
WRONG_COST = 3.0
REGULARISATION = 1.0
THRESHOLDS = np.round(np.arange(0.05, 0.80, 0.025), 3)
OWN_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


@dataclass
class Example:
    question: GoldQuestion
    evidence: Evidence
    labels: np.ndarray


def neutral_model() -> AnswerModel:
    """A model that weighs nothing yet: used to collect the features of the first pass."""
    return AnswerModel(LinearModel.neutral(FEATURES), LinearModel.neutral(REFUSAL_FEATURES), 0.5, 0.5, 0.9)


def collect(answerer: Answerer, questions: list[GoldQuestion]) -> list[Example]:
    documents = answerer.engine.index.documents
    examples = []
    for question in questions:
        history = []
        for earlier in question.history:
            history.append(answerer.answer(earlier, history, question.organization).turn())
        evidence = answerer.evidence(question.question, history, question.organization)
        labels = []
        for candidate in evidence.candidates:
            text = documents[candidate.document_id].text
            start, end = with_lead_in(candidate, text)
            labels.append(question.held_by(candidate.document_id, text[start:end]))
        examples.append(Example(question, evidence, np.array(labels, dtype=bool)))
    return examples


def matrix(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [c.features for e in examples for c in e.evidence.candidates]
    labels = np.concatenate([e.labels for e in examples]) if examples else np.zeros(0, bool)
    groups = np.concatenate([[i] * len(e.labels) for i, e in enumerate(examples)]) if examples else np.zeros(0)
    return np.vstack(rows), labels, groups


def fit(x: np.ndarray, y: np.ndarray, features: tuple[str, ...]) -> LinearModel:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return LinearModel(features, mean, scale, model.coef_[0], float(model.intercept_[0]))


def refusal_examples(examples: list[Example], own_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Per question, the refusal features of its answer pool and whether the pool's best candidate is gold."""
    rows, labels = [], []
    for example in examples:
        evidence = example.evidence
        pool = answer_pool(evidence.candidates, evidence.own_documents, own_threshold)
        if not pool:
            continue
        rows.append(refusal_row([c.probability for c in pool[:2]], [c.features for c in pool[:1]],
                                bool(evidence.own_documents)))
        labels.append(bool(example.labels[evidence.candidates.index(pool[0])]))
    return np.vstack(rows), np.array(labels)


def rescore(examples: list[Example], model: AnswerModel) -> None:
    for example in examples:
        candidates = example.evidence.candidates
        if not candidates:
            continue
        probabilities = model.candidates.probabilities(np.vstack([c.features for c in candidates]))
        for candidate, probability in zip(candidates, probabilities):
            candidate.probability = float(probability)
        order = np.argsort(-probabilities, kind="stable")
        example.evidence.candidates = [candidates[i] for i in order]
        example.labels = example.labels[order]


def outcomes(answerer: Answerer, examples: list[Example]) -> list[Outcome]:
    return [outcome(answerer, e.question, answerer.decide(e.evidence)) for e in examples]


def cost(summary: dict) -> float:
    """Refusals of answerable questions cost 1, wrong answers WRONG_COST, answered unanswerable ones WRONG_COST."""
    o = summary["overall"]
    refused = o["refused"] * o["answerable"]
    wrong = o["wrong"] * o["answerable"]
    answered_unanswerable = (1 - o["unanswerable_refused"]) * o["unanswerable"] if o["unanswerable"] else 0
    missed_first = (o["hit@3"] - o["hit@1"]) * o["answerable"]
    return refused + WRONG_COST * (wrong + answered_unanswerable) + 0.25 * missed_first


def ranking_cv(examples: list[Example], extra: list[Example] = (), folds: int = 5) -> float:
    """Cross-validated share of answerable questions whose most probable candidate is a gold one:
    how well the weighing generalises to tuning questions it was not fitted on (the ``extra``
    examples are always among the fitted ones)."""
    x, y, groups = matrix(examples)
    extra_x, extra_y = (matrix(list(extra))[:2]) if extra else (np.zeros((0, x.shape[1])), np.zeros(0, bool))
    hits, total = 0, 0
    for train, held in GroupKFold(n_splits=folds).split(x, y, groups):
        z = fit(np.vstack([x[train], extra_x]), np.concatenate([y[train], extra_y]), FEATURES).probabilities(x[held])
        for group in np.unique(groups[held]):
            mask = groups[held] == group
            if y[held][mask].any():
                total += 1
                hits += bool(y[held][mask][np.argmax(z[mask])])
    return hits / total if total else 0.0


def train(answerer: Answerer, questions: list[GoldQuestion], extra: tuple[Answerer, list[GoldQuestion]] | None = None,
          console: Console | None = None) -> AnswerModel:
    """Fit the candidate model on the tuning questions (and, with ``extra``, on questions answered
    by another answerer over other documents), then the refusal model and the thresholds on the
    tuning questions alone."""
    console = console or Console()
    answerers = [answerer] + ([extra[0]] if extra else [])
    for each in answerers:
        each.model = neutral_model()
    model = None
    extra_examples: list[Example] = []
    for round_number in (1, 2):
        # The second round collects with the first round's model, so follow-ups see real earlier answers.
        examples = collect(answerer, questions)
        if extra:
            extra_examples = collect(extra[0], extra[1])
        x, y, _ = matrix(examples + extra_examples)
        fitted_on = f"{len(questions)} tuning questions" + (f" and {len(extra[1])} training questions" if extra else "")
        model = AnswerModel(fit(x, y, FEATURES), LinearModel.neutral(REFUSAL_FEATURES), 0.5, 0.8, 0.2,
                            fitted_on=f"{fitted_on}, {len(y)} candidates")
        for each in answerers:
            each.model = model
        rescore(examples, model)
        rescore(extra_examples, model)
        console.print(f"round {round_number}: {fitted_on}, {len(y)} candidates, {int(y.sum())} gold; tuning ranking "
                      f"hit@1 cross-validated {ranking_cv(examples, extra_examples):.3f}"
                      + (f" (without the training questions {ranking_cv(examples):.3f})" if extra else ""))

    best = None
    for own in OWN_THRESHOLDS:
        model.refusal = fit(*refusal_examples(examples, own), REFUSAL_FEATURES)
        for threshold, ratio in itertools.product(THRESHOLDS, RATIOS):
            model.answer_threshold, model.own_threshold, model.second_quote_ratio = float(threshold), own, ratio
            summary = summarize(outcomes(answerer, examples))
            key = (cost(summary), -summary["overall"]["hit@1"])
            if best is None or key < best[0]:
                best = (key, float(threshold), own, ratio, summary, model.refusal)
    _, model.answer_threshold, model.own_threshold, model.second_quote_ratio, summary, model.refusal = best
    console.print(f"chosen: answer threshold {model.answer_threshold}, own-documents threshold {model.own_threshold}, "
                  f"second-quote ratio {model.second_quote_ratio}")
    print_summary(summary, "Tuning questions with the fitted model", console)
    if extra:
        print_summary(summarize(outcomes(extra[0], extra_examples)), "Training questions with the fitted model", console)
    for name, linear in (("candidate", model.candidates), ("refusal", model.refusal)):
        weights = sorted(zip(linear.features, linear.weights), key=lambda item: -abs(item[1]))
        console.print(f"{name} weights (standardised features): " + ", ".join(f"{n} {w:+.2f}" for n, w in weights))
    return model
