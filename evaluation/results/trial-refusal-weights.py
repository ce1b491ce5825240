"""Refusal-model variants, each cross-fitted over 4 splits on the same collected examples.
usage: PYTHONHASHSEED=7 python variants.py OUT.pkl VARIANT[,VARIANT...]"""
import pickle, sys, itertools, time
import numpy as np
from rich.console import Console
from ingest.settings import get_settings
from evaluation.gold import load_gold
from service.engine import Engine
from service.answering import Answerer
from service.coverage import Coverage
import evaluation.__main__ as m
import evaluation.train as T
from evaluation.train import *
from evaluation.answers import summarize
from service.refusal import refusal_row
from service.quote_selection import answer_pool, choose
from sklearn.linear_model import LogisticRegression

S = get_settings()
engine = Engine.load(S)
answerer = Answerer(engine, Coverage(engine), model=neutral_model())
qs = load_gold(split="tune")
console = Console()
extra = m.training_questions(S)
fitted = fit_rounds(answerer, qs, extra, console)
examples, extra_examples = fitted.examples, fitted.extra_examples

VARIANTS = {
    "base": dict(),
    "unans2": dict(unans=2.0), "unans3": dict(unans=3.0), "unans1.5": dict(unans=1.5),
    "C0.3": dict(C=0.3), "C3": dict(C=3.0), "balanced": dict(balanced=True),
}

def refusal_data(examples, own, ratio):
    rows, labels, unans = [], [], []
    for example in examples:
        ev = example.evidence
        chosen = choose(answer_pool(ev.candidates, ev.own_documents, own), ratio)
        if not chosen:
            continue
        rows.append(refusal_row(chosen, bool(ev.own_documents)))
        labels.append(any(example.labels[ev.candidates.index(c)] for c in chosen))
        unans.append(not example.question.answerable)
    return np.vstack(rows), np.array(labels), np.array(unans)

def fitv(x, y, w, C):
    mean = x.mean(axis=0); scale = x.std(axis=0); scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return LinearModel(REFUSAL_FEATURES, mean, scale, model.coef_[0], float(model.intercept_[0]))

def calibrate_v(answerer, examples, model, v):
    combinations = []
    for own, ratio in itertools.product(OWN_THRESHOLDS, RATIOS):
        x, y, u = refusal_data(examples, own, ratio)
        w = np.where(u, v.get("unans", 1.0), 1.0)
        if v.get("balanced"):
            w = w * np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
        model.refusal = fitv(x, y, w, v.get("C", REGULARISATION))
        model.own_threshold, model.second_quote_ratio = own, ratio
        combinations.append((own, ratio, model.refusal, sweep(answerer, examples)))
    index, threshold, share = bagged_choice([c[3] for c in combinations])
    model.own_threshold, model.second_quote_ratio, model.refusal, _ = combinations[index]
    model.answer_threshold = threshold

count = len(examples)
answerable = np.array([e.question.answerable for e in examples])
out = {}
for name in sys.argv[2].split(","):
    v = VARIANTS[name]
    t0 = time.time()
    results = []
    for split in range(4):
        answers = [None] * count
        probability, hit1, hit3 = np.zeros(count), np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
        for held_rows in fold_parts(count, split, 5):
            held_out = set(held_rows.tolist())
            fitted_part = [examples[i] for i in range(count) if i not in held_out]
            model = AnswerModel(fit_candidates(fitted_part, extra_examples), LinearModel.neutral(REFUSAL_FEATURES), 0.5, 0.8, 0.2)
            weigh(answerer, examples, model, fitted_part)
            calibrate_v(answerer, fitted_part, model, v)
            held = [examples[i] for i in held_rows]
            for i, result in zip(held_rows, outcomes(answerer, held)):
                answers[i] = result
            swept = sweep(answerer, held)
            probability[held_rows], hit1[held_rows], hit3[held_rows] = swept.probability, swept.hit1, swept.hit3
        results.append(CrossFitted(summarize(answers), Sweep(probability, hit1, hit3, answerable)))
    console.print(f"variant {name} {v} ({time.time() - t0:.0f} s)")
    print_splits(results, console)
    out[name] = [dict(prob=r.held_out.probability, hit1=r.held_out.hit1, hit3=r.held_out.hit3, summary=r.summary,
                      at_limits=r.at_limits()) for r in results]
    pickle.dump(dict(ids=[q.id for q in qs], kinds=[q.kind for q in qs], answerable=answerable, results=out), open(sys.argv[1], "wb"))
