"""The crossfit command's four fold splits, keeping each tuning question's out-of-fold result, with
unanswerable examples from other documents for the refusal model at the given weights (0: none, the
command itself). usage: PYTHONPATH=. PYTHONHASHSEED=7 [GOLD=FILE] python evaluation/results/crossfit-per-question.py OUT.pkl 0[,W...]"""
import pickle, sys, itertools, dataclasses, time
from pathlib import Path
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
from sklearn.linear_model import LogisticRegression

S = get_settings()
engine = Engine.load(S)
answerer = Answerer(engine, Coverage(engine), model=neutral_model())
import os
qs = load_gold(Path(os.environ["GOLD"]), split="tune") if os.environ.get("GOLD") else load_gold(split="tune")
console = Console()
extra = m.training_questions(S)
stash = {}
_fa = T.fit_adapters
def fa(sources, console):
    a, of = _fa(sources, console); stash['of'] = of; return a, of
T.fit_adapters = fa
t0 = time.time()
fitted = fit_rounds(answerer, qs, extra, console)
print("fit_rounds", time.time() - t0, flush=True)
examples, extra_examples = fitted.examples, fitted.extra_examples
ORGS = ["Kauno rajono socialinių paslaugų centras", "Klaipėdos miesto šeimos ir vaiko gerovės centras",
        "Vilniaus miesto socialinės paramos centras", "Pagėgių savivaldybės šeimos gerovės centras"]
foreign_qs = []
for i, q in enumerate(extra[1]):
    org = ORGS[i % 4] if q.organization else None
    foreign_qs.append(dataclasses.replace(q, organization=org))
t0 = time.time()
answerer.model = fitted.model
foreign = collect_cross_fitted(answerer, foreign_qs, stash['of'])
print("foreign collected", len(foreign), time.time() - t0, flush=True)

def fitw(x, y, w, features):
    mean = x.mean(axis=0); scale = x.std(axis=0); scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return LinearModel(features, mean, scale, model.coef_[0], float(model.intercept_[0]))

def calibrate_f(answerer, examples, model, foreign, weight):
    combinations = []
    for own, ratio in itertools.product(OWN_THRESHOLDS, RATIOS):
        x, y = refusal_examples(examples, own, ratio)
        w = np.ones(len(y))
        if weight > 0:
            fx, fy = refusal_examples(foreign, own, ratio)
            x = np.vstack([x, fx]); y = np.concatenate([y, fy]); w = np.concatenate([w, np.full(len(fy), weight)])
        model.refusal = fitw(x, y, w, REFUSAL_FEATURES)
        model.own_threshold, model.second_quote_ratio = own, ratio
        combinations.append((own, ratio, model.refusal, sweep(answerer, examples)))
    index, threshold, share = bagged_choice([c[3] for c in combinations])
    model.own_threshold, model.second_quote_ratio, model.refusal, _ = combinations[index]
    model.answer_threshold = threshold
    return share

count = len(examples)
answerable = np.array([e.question.answerable for e in examples])
out = {}
for weight in [float(w) for w in sys.argv[2].split(",")]:
    results, kept = [], []
    for split in range(4):
        answers = [None] * count
        probability, hit1, hit3 = np.zeros(count), np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
        for held_rows in fold_parts(count, split, 5):
            held_out = set(held_rows.tolist())
            fitted_part = [examples[i] for i in range(count) if i not in held_out]
            model = AnswerModel(fit_candidates(fitted_part, extra_examples), LinearModel.neutral(REFUSAL_FEATURES), 0.5, 0.8, 0.2)
            weigh(answerer, examples, model, fitted_part)
            if weight > 0:
                rescore(foreign, model, answerer)
            calibrate_f(answerer, fitted_part, model, foreign, weight)
            held = [examples[i] for i in held_rows]
            for i, result in zip(held_rows, outcomes(answerer, held)):
                answers[i] = result
            swept = sweep(answerer, held)
            probability[held_rows], hit1[held_rows], hit3[held_rows] = swept.probability, swept.hit1, swept.hit3
        results.append(CrossFitted(summarize(answers), Sweep(probability, hit1, hit3, answerable)))
        kept.append([(a.hit1, a.hit3, a.abstained) for a in answers])
    console.print(f"weight {weight}")
    print_splits(results, console)
    out[weight] = [dict(outcomes=o, prob=r.held_out.probability, hit1=r.held_out.hit1, hit3=r.held_out.hit3, summary=r.summary,
                        at_limits=r.at_limits()) for r, o in zip(results, kept)]
    pickle.dump(dict(ids=[q.id for q in qs], kinds=[q.kind for q in qs], answerable=answerable, results=out), open(sys.argv[1], "wb"))
