"""How many questions of a file of unanswerable questions the served model refuses, and which it
answers. usage: PYTHONPATH=. [EQUASS_ANSWER_THRESHOLD=T] python evaluation/results/fresh-unanswerable.py FILE.jsonl [ID_PREFIX]"""
import sys
from pathlib import Path

from evaluation.answers import run_question
from evaluation.gold import load_gold
from ingest.settings import get_settings
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine

engine = Engine.load(get_settings())
answerer = Answerer(engine, Coverage(engine))
prefix = sys.argv[2] if len(sys.argv) > 2 else ""
questions = [q for q in load_gold(Path(sys.argv[1])) if q.id.startswith(prefix) and not q.answerable]
answered = [q.id for q in questions if not run_question(answerer, q).abstained]
refused = len(questions) - len(answered)
print(f"model fitted on {answerer.model.fitted_on!r}, threshold {answerer.model.answer_threshold}: "
      f"{refused} of {len(questions)} refused ({refused / len(questions):.3f})")
print("answered:", " ".join(answered))
