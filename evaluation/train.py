"""Fit the answer model on the tuning questions: ``python -m evaluation train``.

First the query adapter (evaluation/query_adapter.py) is fitted on the tuning questions and the
training questions of other documents.
Every tuning question (and every training question of other documents, see
evaluation/training_pairs.py) is run through retrieval and candidate building; each candidate's
features are labelled by whether quoting it would quote a gold span. A logistic regression learns
how to weigh the evidence. A second one learns, from the quotes that would be given, whether one
of them answers. Then the answer threshold (refuse below it), the threshold from which the
organisation's own documents answer a question scoped to it, and how close further quotes must
come to the best are chosen on the tuning questions: the most answers within the limits on wrong
answers (``Sweep.key``). Test questions are never read.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from evaluation.answers import Outcome, outcome, summarize, print_summary
from evaluation.gold import GoldQuestion
from evaluation.query_adapter import AdapterExample, fit_adapter, folds_of, top1
from service.answering import CHECKED, Answerer, Evidence, check_question
from service.features import FEATURES
from service.query_adapter import QueryAdapter
from service.quote_selection import with_lead_in
from service.refusal import REFUSAL_FEATURES, refusal_row
from service.quote_selection import answer_pool, choose
from service.rescoring import CHECK_FEATURES, AnswerModel, LinearModel, check_rows

# Limits the settings are chosen under (on the tuning questions): staff trust an exact quote, so
# a wrong one misleads more than a refusal, which points at the nearest passages to read. The aim
# is at most 5% wrong and at least 85% of unanswerable questions refused on questions never seen;
# a threshold chosen on the questions the models were fitted on answers new ones more boldly
# (cross-fitted, four fold splits: 0.060 wrong, 0.875 refused when chosen under 0.05 and 0.85;
# 0.051, 0.885 under 0.045 and 0.87; 0.047, 0.895 under these), so it is chosen under stricter ones.
WRONG_LIMIT = 0.04
UNANSWERABLE_REFUSED = 0.88
# The product's limits themselves, at which cross-fitted answers are compared (``CrossFitted.at_limits``).
TARGET_WRONG = 0.05
TARGET_REFUSED = 0.85
REGULARISATION = 1.0
THRESHOLDS = np.round(np.arange(0.05, 0.95, 0.025), 3)
OWN_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
# How close a further quote must come to the best one's probability. At least a fifth: with no
# minimum every answer would carry three quotes, however unlikely the second and third.
RATIOS = (0.2, 0.35, 0.5, 0.7, 0.9, 1.01)
BOOTSTRAP = 200


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


def adapter_examples(answerer: Answerer, examples: list[Example]) -> list[AdapterExample]:
    """Each question's vector with the vectors of its candidates and which of them are gold."""
    index = answerer.engine.index
    vectors = answerer.searcher.embedder.encode_queries([e.question.question for e in examples])
    return [AdapterExample(vector, np.asarray(index.quote_vectors[[c.row for c in e.evidence.candidates]], dtype=np.float32),
                           e.labels.copy())
            for e, vector in zip(examples, vectors) if e.evidence.candidates]


Source = tuple[Answerer, list[GoldQuestion]]


def fit_adapters(sources: list[Source], console: Console) -> tuple[QueryAdapter, dict[str, QueryAdapter]]:
    """The query adapter fitted on the questions of all ``sources`` (each: its answerer and its
    questions), and for every question one fitted without it (its fold's), for cross-fitted
    features. Candidates and their labels do not depend on the answer model: collected once."""
    data: list[AdapterExample] = []
    ids: list[str] = []
    embedder = sources[0][0].searcher.embedder
    for answerer, questions in sources:
        # Retrieved with the plain vector: the candidates must not depend on an earlier adapter.
        answerer.adapter = QueryAdapter.identity(embedder.name, embedder.dimension)
        examples = [e for e in collect(answerer, questions) if e.evidence.candidates]
        data += adapter_examples(answerer, examples)
        ids += [e.question.id for e in examples]
    model = embedder.name
    adapter_of: dict[str, QueryAdapter] = {}
    held_plain = held_adapted = 0.0
    for fold in folds_of(len(data)):
        held = set(fold.tolist())
        adapter = fit_adapter([d for i, d in enumerate(data) if i not in held], model)
        adapter_of.update({ids[i]: adapter for i in fold})
        held_plain += top1([data[i] for i in fold], None) * len(fold)
        held_adapted += top1([data[i] for i in fold], adapter) * len(fold)
    adapter = fit_adapter(data, model, fitted_on=f"{len(data)} questions")
    console.print(f"query adapter ({len(data)} questions): the closest candidate is gold for {held_plain / len(data):.3f} "
                  f"of held-out questions with the plain cosine, {held_adapted / len(data):.3f} with the adapted one")
    return adapter, adapter_of


def collect_cross_fitted(answerer: Answerer, questions: list[GoldQuestion],
                         adapter_of: dict[str, QueryAdapter]) -> list[Example]:
    """Examples retrieved and weighed with an adapter fitted without their question, in the order
    of ``questions``."""
    by_adapter: dict[int, list[GoldQuestion]] = {}
    adapters = {}
    for question in questions:
        adapter = adapter_of.get(question.id)
        by_adapter.setdefault(id(adapter), []).append(question)
        adapters[id(adapter)] = adapter
    collected = {}
    for key, group in by_adapter.items():
        answerer.adapter = adapters[key]
        collected.update({e.question.id: e for e in collect(answerer, group)})
    return [collected[q.id] for q in questions]


def matrix(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [c.features for e in examples for c in e.evidence.candidates]
    labels = np.concatenate([e.labels for e in examples]) if examples else np.zeros(0, bool)
    groups = np.concatenate([[i] * len(e.labels) for i, e in enumerate(examples)]) if examples else np.zeros(0)
    return np.vstack(rows), labels, groups


def fit(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], weights: np.ndarray | None = None,
        regularisation: float = REGULARISATION) -> LinearModel:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=regularisation, max_iter=5000)
    model.fit((x - mean) / scale, y, sample_weight=weights)
    return LinearModel(features, mean, scale, model.coef_[0], float(model.intercept_[0]))


def refusal_examples(examples: list[Example], own_threshold: float,
                     ratio: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question that would get quotes: the refusal features of those quotes, whether one of them
    is gold, and whether the question is answerable at all."""
    rows, labels, answerable = [], [], []
    for example in examples:
        evidence = example.evidence
        chosen = choose(answer_pool(evidence.candidates, evidence.own_documents, own_threshold), ratio)
        if not chosen:
            continue
        rows.append(refusal_row(chosen, bool(evidence.own_documents)))
        labels.append(any(example.labels[evidence.candidates.index(c)] for c in chosen))
        answerable.append(example.question.answerable)
    return np.vstack(rows), np.array(labels), np.array(answerable)


# Fits the refusal model on tuning examples under one own-documents threshold and quote ratio.
RefusalFit = Callable[[list[Example], float, float], LinearModel]


def fit_refusal(examples: list[Example], own_threshold: float, ratio: float) -> LinearModel:
    """The refusal model: a logistic regression on the tuning examples' refusal rows."""
    rows, labels, _ = refusal_examples(examples, own_threshold, ratio)
    return fit(rows, labels, REFUSAL_FEATURES)


def rescore(examples: list[Example], model: AnswerModel, answerer: Answerer | None = None) -> None:
    """Weigh every example's candidates with ``model``'s candidate model, most probable first, and
    with its check model too when ``answerer`` (whose model it must be) is given."""
    for example in examples:
        candidates = example.evidence.candidates
        if not candidates:
            continue
        probabilities = model.candidates.probabilities(np.vstack([c.features for c in candidates]))
        for candidate, probability in zip(candidates, probabilities):
            candidate.probability = float(probability)
            candidate.check = candidate.check_gap = None
        label_of = {id(c): label for c, label in zip(candidates, example.labels)}
        candidates = sorted(candidates, key=lambda c: -c.probability)
        if answerer is not None:
            answerer.check(candidates, example.evidence.resolved)
        example.evidence.candidates = candidates
        example.labels = np.array([label_of[id(c)] for c in candidates], dtype=bool)


def fit_checks(answerer: Answerer, examples: list[Example]) -> LinearModel | None:
    """The check model, from the most probable candidates of each tuning example (weighed by the
    candidate model alone) with their answer-check scores; None without an answer check."""
    if answerer.verifier is None:
        return None
    rows, labels = [], []
    for example in examples:
        top = example.evidence.candidates[:CHECKED]
        if not top:
            continue
        scores = answerer.check_scores(check_question(example.evidence.resolved), top)
        rows.append(check_rows(np.array([c.probability for c in top]), scores))
        labels.append(example.labels[:CHECKED])
    return fit(np.vstack(rows), np.concatenate(labels), CHECK_FEATURES)


def weigh(answerer: Answerer, examples: list[Example], model: AnswerModel, fitted: list[Example] | None = None) -> None:
    """Rescore ``examples`` with ``model``'s candidate model, fit its check model on them (or on
    the ``fitted`` ones among them) and rescore them with both."""
    answerer.model = model
    rescore(examples, model)
    model.checks = fit_checks(answerer, examples if fitted is None else fitted)
    if model.checks is not None:
        rescore(examples, model, answerer)


def outcomes(answerer: Answerer, examples: list[Example]) -> list[Outcome]:
    return [outcome(answerer, e.question, answerer.decide(e.evidence)) for e in examples]


@dataclass
class Sweep:
    """With one refusal model and quote choice: per tuning question, the probability that its
    answer is right (-inf when it is refused at any threshold, inf when it is answered at any) and
    what answering would give."""

    probability: np.ndarray
    hit1: np.ndarray
    hit3: np.ndarray
    answerable: np.ndarray

    def key(self, threshold: float, rows: np.ndarray) -> tuple:
        """How these questions (``rows``, repeats allowed) fare answered from ``threshold``: by how
        far they miss the limits on wrong answers, then by hit@3 and hit@1. Answer as much as
        possible while at most WRONG_LIMIT of answerable questions get a confident quote that does
        not answer them and at least UNANSWERABLE_REFUSED of unanswerable questions are refused."""
        hit1, hit3, wrong, refused = self.rates(threshold, rows)
        missing = max(0.0, wrong - WRONG_LIMIT) + max(0.0, UNANSWERABLE_REFUSED - refused)
        return round(float(missing), 6), -float(hit3), -float(hit1)

    def rates(self, threshold: float, rows: np.ndarray | None = None) -> tuple[float, float, float, float]:
        """hit@1, hit@3 and wrong (of answerable questions) and unanswerable refused, answering
        these questions (``rows``, repeats allowed; all by default) from ``threshold``."""
        rows = np.arange(len(self.probability)) if rows is None else rows
        answered = self.probability[rows] >= threshold
        answerable = self.answerable[rows]
        count, unanswerable = int(answerable.sum()), int((~answerable).sum())
        hit3 = (answered & self.hit3[rows]).sum() / count
        hit1 = (answered & self.hit1[rows]).sum() / count
        wrong = (answered & ~self.hit3[rows] & answerable).sum() / count
        refused = 1 - (answered & ~answerable).sum() / unanswerable if unanswerable else 1.0
        return float(hit1), float(hit3), float(wrong), float(refused)


def sweep(answerer: Answerer, examples: list[Example]) -> Sweep:
    """Every question answered as the model would at threshold zero, with its answer probability."""
    model = answerer.model
    threshold, model.answer_threshold = model.answer_threshold, 0.0
    results = outcomes(answerer, examples)
    model.answer_threshold = threshold
    probabilities = []
    for example, result in zip(examples, results):
        evidence = example.evidence
        chosen = choose(answer_pool(evidence.candidates, evidence.own_documents, model.own_threshold),
                        model.second_quote_ratio)
        probability = answerer.answer_probability(chosen, bool(evidence.own_documents))
        if result.abstained or probability is None:
            probability = -np.inf
        elif answerer.names_principle(evidence, chosen):
            probability = np.inf  # answered at any threshold
        probabilities.append(probability)
    return Sweep(np.array(probabilities), np.array([r.hit1 for r in results]), np.array([r.hit3 for r in results]),
                 np.array([e.question.answerable for e in examples]))


def bagged_choice(sweeps: list[Sweep], resamples: int = BOOTSTRAP, seed: int = 0) -> tuple[int, float, float]:
    """Which quote choice (index into ``sweeps``) and which answer threshold: in each bootstrap
    resample of the tuning questions (answerable and unanswerable ones resampled apart) the
    choice and threshold with the best ``Sweep.key`` are found; the choice best most often is
    taken, with the median of its best thresholds. A threshold picked on one sample sits on the
    edge of a limit that a question or two decide; the median over resamples does not. The median
    is raised, when it must be, until the tuning questions themselves are within the limits."""
    answerable = sweeps[0].answerable
    groups = [np.flatnonzero(answerable), np.flatnonzero(~answerable)]
    rng = np.random.RandomState(seed)
    wins = np.zeros(len(sweeps), dtype=int)
    best_thresholds: list[list[float]] = [[] for _ in sweeps]
    for _ in range(resamples):
        rows = np.concatenate([rng.choice(group, len(group)) for group in groups if len(group)])
        overall = None
        for i, one in enumerate(sweeps):
            key, threshold = min((one.key(float(t), rows), float(t)) for t in THRESHOLDS)
            best_thresholds[i].append(threshold)
            if overall is None or key < overall[0]:
                overall = (key, i)
        wins[overall[1]] += 1
    index = int(np.argmax(wins))
    threshold = float(np.median(best_thresholds[index]))
    # Fewer answers only lower the wrong ones and raise the refused unanswerable ones: the lowest
    # threshold within the limits on all tuning questions is a floor.
    everyone = np.arange(len(answerable))
    within = [float(t) for t in THRESHOLDS if sweeps[index].key(float(t), everyone)[0] == 0]
    if within:
        threshold = max(threshold, min(within))
    return index, round(threshold, 4), wins[index] / resamples


def calibrate(answerer: Answerer, examples: list[Example], model: AnswerModel,
              refusal_fit: RefusalFit = fit_refusal) -> float:
    """Fit the refusal model (``refusal_fit``: other ways are tried with it) and choose the
    own-documents threshold, the second-quote ratio and the answer threshold on the tuning
    questions (``bagged_choice``); returns the share of resamples the choice won."""
    combinations = []
    for own, ratio in itertools.product(OWN_THRESHOLDS, RATIOS):
        model.refusal = refusal_fit(examples, own, ratio)
        model.own_threshold, model.second_quote_ratio = own, ratio
        combinations.append((own, ratio, model.refusal, sweep(answerer, examples)))
    index, threshold, share = bagged_choice([c[3] for c in combinations])
    model.own_threshold, model.second_quote_ratio, model.refusal, _ = combinations[index]
    model.answer_threshold = threshold
    return share


def ranking_cv(examples: list[Example], extra: list[Example] = (), folds: int = 5) -> float:
    """Cross-validated share of answerable questions whose most probable candidate is a gold one:
    how well the weighing generalises to tuning questions it was not fitted on (the ``extra``
    examples are always among the fitted ones)."""
    x, y, groups = matrix(examples)
    hits, total = 0, 0
    for train, held in GroupKFold(n_splits=folds).split(x, y, groups):
        fitted = set(groups[train].tolist())
        z = fit_candidates([e for i, e in enumerate(examples) if i in fitted], extra).probabilities(x[held])
        for group in np.unique(groups[held]):
            mask = groups[held] == group
            if y[held][mask].any():
                total += 1
                hits += bool(y[held][mask][np.argmax(z[mask])])
    return hits / total if total else 0.0


@dataclass
class Fitted:
    """What fitting on the tuning questions gives: the answer model, the query adapter, and the
    tuning and training examples as the last round collected them (features made with adapters
    that did not see their question)."""

    model: AnswerModel
    adapter: QueryAdapter
    examples: list[Example]
    extra_examples: list[Example]


def fit_candidates(examples: list[Example], extra: list[Example] = ()) -> LinearModel:
    """The candidate model from the tuning examples and the training examples of other documents
    that have a gold candidate. It weighs which quote answers a question; whether any does is the
    refusal model's to say, so a question without a gold candidate (an unanswerable one, or one
    whose answer was not retrieved) teaches it nothing about that and is left out."""
    x, y, _ = matrix([e for e in list(examples) + list(extra) if e.labels.any()])
    return fit(x, y, FEATURES)


def fit_rounds(answerer: Answerer, questions: list[GoldQuestion], extra: tuple[Answerer, list[GoldQuestion]] | None,
               console: Console) -> Fitted:
    """Fit the query adapter on the tuning questions and the training questions of other documents
    (``extra``: their answerer and questions), then the candidate model on both, in two rounds;
    the refusal model and the thresholds are calibrated on the tuning questions in between."""
    answerers = [answerer] + ([extra[0]] if extra else [])
    for each in answerers:
        each.model = neutral_model()
    answerer.checked = {}  # the same questions are checked again in every round and fold
    if extra:
        extra[0].verifier = None  # the answer check was trained on the training questions: they go without it
    model = None
    extra_examples: list[Example] = []
    # Without training questions the adapter turns nothing: the adapted vector is the plain one.
    embedder = answerer.searcher.embedder
    adapter = QueryAdapter.identity(embedder.name, embedder.dimension)
    adapter_of: dict[str, QueryAdapter] = {}
    if extra:
        adapter, adapter_of = fit_adapters([(answerer, questions), extra], console)
    answerer.adapter = adapter
    for round_number in (1, 2):
        # The second round collects with the first round's model, so follow-ups see real earlier answers.
        examples = collect_cross_fitted(answerer, questions, adapter_of) if extra else collect(answerer, questions)
        if extra:
            extra_examples = collect_cross_fitted(extra[0], extra[1], adapter_of)
        candidate_count = sum(len(e.labels) for e in examples + extra_examples)
        gold_count = sum(int(e.labels.sum()) for e in examples + extra_examples)
        fitted_on = f"{len(questions)} tuning questions" + (f" and {len(extra[1])} training questions" if extra else "")
        model = AnswerModel(fit_candidates(examples, extra_examples), LinearModel.neutral(REFUSAL_FEATURES), 0.5, 0.8, 0.2,
                            fitted_on=f"{fitted_on}, {candidate_count} candidates")
        for each in answerers:
            each.model = model
        rescore(extra_examples, model)
        weigh(answerer, examples, model)
        console.print(f"round {round_number}: {fitted_on}, {candidate_count} candidates, {gold_count} gold; tuning ranking "
                      f"hit@1 cross-validated {ranking_cv(examples, extra_examples):.3f}"
                      + (f" (without the training questions {ranking_cv(examples):.3f})" if extra else ""))
        if round_number == 1:
            # The second round's follow-ups come after earlier answers as the service would give
            # them: refused ones too, which carry their nearest passage's document into focus.
            calibrate(answerer, examples, model)
    return Fitted(model, adapter, examples, extra_examples)


def train(answerer: Answerer, questions: list[GoldQuestion], extra: tuple[Answerer, list[GoldQuestion]] | None = None,
          console: Console | None = None) -> tuple[AnswerModel, QueryAdapter]:
    """Fit the query adapter on the tuning questions and the training questions of other documents
    (``extra``: their answerer and questions), the candidate model on both, then the refusal model
    and the thresholds on the tuning questions alone. Every feature the models are fitted on is
    made with an adapter that did not see its question."""
    console = console or Console()
    fitted = fit_rounds(answerer, questions, extra, console)
    model, adapter, examples, extra_examples = fitted.model, fitted.adapter, fitted.examples, fitted.extra_examples
    share = calibrate(answerer, examples, model)
    summary = summarize(outcomes(answerer, examples))
    console.print(f"chosen in {share:.0%} of {BOOTSTRAP} resamples of the tuning questions; answer threshold: "
                  "the median of the resamples' best")
    answerer.adapter = adapter
    console.print(f"chosen: answer threshold {model.answer_threshold}, own-documents threshold {model.own_threshold}, "
                  f"second-quote ratio {model.second_quote_ratio}")
    print_summary(summary, "Tuning questions with the fitted model", console)
    if extra:
        print_summary(summarize(outcomes(extra[0], extra_examples)), "Training questions with the fitted model", console)
    for name, linear in (("candidate", model.candidates), ("check", model.checks), ("refusal", model.refusal)):
        if linear is None:
            continue
        weights = sorted(zip(linear.features, linear.weights), key=lambda item: -abs(item[1]))
        console.print(f"{name} weights (standardised features): " + ", ".join(f"{n} {w:+.2f}" for n, w in weights))
    return model, adapter


@dataclass
class CrossFitted:
    """One fold split of the tuning questions answered as unseen ones: the summary of the answers
    at the thresholds chosen in each fold, and each question's out-of-fold answer probability."""

    summary: dict
    held_out: Sweep
    # Each question's out-of-fold answer, in the order of the questions.
    outcomes: list[Outcome] = field(default_factory=list)

    def at_limits(self, wrong: float = TARGET_WRONG, refused: float = TARGET_REFUSED) -> float | None:
        """The most hit@1 one threshold over the pooled out-of-fold probabilities gives with at most
        ``wrong`` answered wrongly and at least ``refused`` unanswerable questions refused: how good
        the ranking of answers is, apart from where each fold's threshold happened to fall."""
        probability = self.held_out.probability
        within = [hit1 for hit1, _, missed, kept in
                  (self.held_out.rates(t) for t in sorted(set(probability[np.isfinite(probability)].tolist())) + [np.inf])
                  if missed <= wrong and kept >= refused]
        return max(within) if within else None


def fold_parts(count: int, split: int, folds: int = 5) -> list[np.ndarray]:
    """The held-out parts of fold split ``split``: split 0 is the crossfit command's (GroupKFold in
    question order), the others shuffle the questions with their number as the seed."""
    order = np.arange(count)
    if split == 0:
        return [held for _, held in GroupKFold(n_splits=folds).split(order, order, order)]
    return np.array_split(np.random.default_rng(split).permutation(count), folds)


def cross_fit_splits(answerer: Answerer, questions: list[GoldQuestion],
                     extra: tuple[Answerer, list[GoldQuestion]] | None = None, console: Console | None = None,
                     splits: int = 1, folds: int = 5, refusal_fit: RefusalFit = fit_refusal) -> list[CrossFitted]:
    """The tuning questions answered as unseen ones, once per fold split: split into ``folds``
    parts, each part is answered by a candidate model, refusal model and thresholds fitted without
    it (the training questions of other documents always among the fitted ones). The served model
    is fitted on all tuning questions, so its own numbers on them are optimistic; these are not.
    One split moves by a question or two with where its folds fall, so changes are compared over
    several. ``refusal_fit`` fits each fold's refusal model (the default is the served way).
    Writes nothing."""
    console = console or Console()
    fitted = fit_rounds(answerer, questions, extra, console)
    examples, extra_examples = fitted.examples, fitted.extra_examples
    count = len(examples)
    answerable = np.array([e.question.answerable for e in examples])
    results = []
    for split in range(splits):
        answers: list[Outcome | None] = [None] * count
        probability, hit1, hit3 = np.zeros(count), np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
        for held_rows in fold_parts(count, split, folds):
            held_out = set(held_rows.tolist())
            fitted_part = [examples[i] for i in range(count) if i not in held_out]
            model = AnswerModel(fit_candidates(fitted_part, extra_examples), LinearModel.neutral(REFUSAL_FEATURES),
                                0.5, 0.8, 0.2)
            weigh(answerer, examples, model, fitted_part)
            calibrate(answerer, fitted_part, model, refusal_fit)
            held = [examples[i] for i in held_rows]
            for i, result in zip(held_rows, outcomes(answerer, held)):
                answers[i] = result
            swept = sweep(answerer, held)
            probability[held_rows], hit1[held_rows], hit3[held_rows] = swept.probability, swept.hit1, swept.hit3
        results.append(CrossFitted(summarize(answers), Sweep(probability, hit1, hit3, answerable), answers))
    return results


def print_splits(results: list[CrossFitted], console: Console) -> None:
    """One row per fold split and their mean: the cross-fitted numbers and hit@1 at the limits."""
    from rich.table import Table

    table = Table(title=f"Tuning part cross-fitted, {len(results)} fold split(s); at the limits: at most "
                        f"{TARGET_WRONG:.0%} wrong, at least {TARGET_REFUSED:.0%} unanswerable refused")
    columns = ("hit@1", "hit@3", "refused", "wrong", "unanswerable_refused")
    for column in ("split", *columns, "hit@1 at the limits"):
        table.add_column(column.replace("_", " "), justify="right")
    rows = [[r.summary["overall"][c] for c in columns] + [r.at_limits()] for r in results]
    for split, row in enumerate(rows):
        table.add_row(str(split), *("-" if v is None else f"{v:.3f}" for v in row))
    if len(rows) > 1:
        means = [None if any(row[i] is None for row in rows) else float(np.mean([row[i] for row in rows]))
                 for i in range(len(rows[0]))]
        table.add_row("mean", *("-" if v is None else f"{v:.3f}" for v in means))
    console.print(table)
