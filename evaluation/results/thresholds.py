"""The served model at other answer thresholds, on the questions no threshold was chosen on: the
test part, the fresh questions of every kind (writer 11) and the fresh near misses (writer 10).
usage: PYTHONPATH=. python evaluation/results/thresholds.py > evaluation/results/thresholds.txt"""
from evaluation.answers import evaluate, summarize
from evaluation.gold import FRESH_PATHS, load_gold
from ingest.settings import get_settings
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine

engine = Engine.load(get_settings())
answerer = Answerer(engine, Coverage(engine))
fitted = answerer.model.answer_threshold
sets = {"test part": load_gold(split="test"), "fresh questions (w11)": load_gold(FRESH_PATHS[1]),
        "fresh near misses (w10)": load_gold(FRESH_PATHS[0])}
print(f"model fitted on {answerer.model.fitted_on!r}; fitted threshold {fitted}")
print("threshold | set | hit@1 | hit@3 | refused | wrong | unanswerable refused")
for threshold in (0.0, fitted, 0.75, 0.8, 0.85):
    answerer.model.answer_threshold = threshold
    for name, questions in sets.items():
        o = summarize(evaluate(answerer, questions))["overall"]
        cells = [o[k] for k in ("hit@1", "hit@3", "refused", "wrong", "unanswerable_refused")]
        print(f"{threshold:.3f} | {name} | " + " | ".join("-" if v is None else f"{v:.3f}" for v in cells))
