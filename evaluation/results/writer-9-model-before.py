import sys
from ingest.settings import get_settings
from evaluation.gold import load_gold
from service.engine import Engine
from service.answering import Answerer
from service.coverage import Coverage
from evaluation.answers import run_question
S=get_settings(); engine=Engine.load(S); a=Answerer(engine, Coverage(engine))
qs=[q for q in load_gold(split='tune') if q.id.startswith('w9-')]
ref=0; answered=[]
for q in qs:
    ans=run_question(a,q)
    ref+=ans.abstained
    if not ans.abstained: answered.append(q.id)
print(f"model {a.model.fitted_on!r} threshold {a.model.answer_threshold}: w9 unanswerable questions refused {ref}/{len(qs)} = {ref/len(qs):.3f}")
print("answered:", " ".join(answered))
