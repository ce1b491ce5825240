"""The fresh questions of writer 11 without those that are, word for word, a gold question.
usage: PYTHONPATH=. python evaluation/results/fresh-questions-unseen.py > evaluation/results/fresh-questions-unseen.txt"""
from evaluation.answers import evaluate, summarize
from evaluation.gold import FRESH_PATHS, load_gold, squash
from ingest.settings import get_settings
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine

engine = Engine.load(get_settings())
answerer = Answerer(engine, Coverage(engine))
gold = {squash(q.question).lower() for q in load_gold()}
fresh = load_gold(FRESH_PATHS[1])
unseen = [q for q in fresh if squash(q.question).lower() not in gold]
print(f"{len(fresh) - len(unseen)} of {len(fresh)} are gold questions word for word:",
      " ".join(q.id for q in fresh if q not in unseen))
o = summarize(evaluate(answerer, unseen))["overall"]
print(f"the other {len(unseen)}: " + ", ".join(f"{k} {o[k]:.3f}" for k in ("hit@1", "hit@3", "refused", "wrong"))
      + f"; unanswerable refused {o['unanswerable_refused']:.3f} of {o['unanswerable']}")
