"""Fit the answer model on the tuning questions: ``python -m evaluation train``.

Every tuning question (and every training question of other documents, see
evaluation/training_pairs.py) is run through retrieval and candidate building; each candidate's
features are labelled by whether quoting it would quote a gold span. A logistic regression learns
how to weigh the evidence. A second one learns, from the quotes that would be given, whether one
of them answers. Then the answer threshold (refuse below it), the threshold from which the
organisation's own documents answer a question scoped to it, and how close further quotes must
come to the best are chosen on the tuning questions: the most answers within the limits on wrong
answers (``choice_key``). Test questions are never read.
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
from service.quote_selection import answer_pool, choose
from service.rescoring import AnswerModel, LinearModel

# Limits the settings are chosen under (on the tuning questions): staff trust an exact quote, so
# a wrong one misleads more than a refusal, which points at the nearest passages to read.
WRONG_LIMIT = 0.05
UNANSWERABLE_REFUSED = 0.85
REGULARISATION = 1.0
THRESHOLDS = np.round(np.arange(0.05, 0.80, 0.025), 3)
OWN_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
RATIOS = (0.0, 0.2, 0.35, 0.5, 0.7, 0.9, 1.01)


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


def refusal_examples(examples: list[Example], own_threshold: float, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Per question, the refusal features of the quotes that would be given and whether one of them is gold."""
    rows, labels = [], []
    for example in examples:
        evidence = example.evidence
        chosen = choose(answer_pool(evidence.candidates, evidence.own_documents, own_threshold), ratio)
        if not chosen:
            continue
        rows.append(refusal_row([c.probability for c in chosen], chosen[0].features, bool(evidence.own_documents)))
        labels.append(any(example.labels[evidence.candidates.index(c)] for c in chosen))
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


def choice_key(summary: dict) -> tuple:
    """Settings are compared by how far they miss the limits on wrong answers, then by hit@3 and
    hit@1: answer as much as possible while at most WRONG_LIMIT of answerable questions get a
    confident quote that does not answer them and at least UNANSWERABLE_REFUSED of unanswerable
    questions are refused."""
    o = summary["overall"]
    unanswerable_refused = o["unanswerable_refused"] if o["unanswerable"] else 1.0
    missing = max(0.0, o["wrong"] - WRONG_LIMIT) + max(0.0, UNANSWERABLE_REFUSED - unanswerable_refused)
    return round(missing, 6), -o["hit@3"], -o["hit@1"]


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
    for own, ratio in itertools.product(OWN_THRESHOLDS, RATIOS):
        model.refusal = fit(*refusal_examples(examples, own, ratio), REFUSAL_FEATURES)
        for threshold in THRESHOLDS:
            model.answer_threshold, model.own_threshold, model.second_quote_ratio = float(threshold), own, ratio
            summary = summarize(outcomes(answerer, examples))
            key = choice_key(summary)
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
