import numpy as np
from ingest.settings import get_settings
from evaluation.gold import load_gold
from service.engine import Engine
from service.answering import Answerer, check_question
from service.coverage import Coverage
from service.quote_selection import choose, answer_pool, with_lead_in
from service.verifier import passage_text
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
S=get_settings(); engine=Engine.load(S); a=Answerer(engine, Coverage(engine))
docs=engine.index.documents
NULLS={'empty': passage_text('', '', ''), 'generic': passage_text('Dokumentas', '', 'Šiame dokumente aprašoma organizacijos veikla.')}
rows=[]
for q in load_gold(split='tune'):
    if q.history: continue
    ev=a.evidence(q.question, [], q.organization)
    ch=choose(answer_pool(ev.candidates, ev.own_documents, a.model.own_threshold), a.model.second_quote_ratio)
    if not ch or ch[0].check is None: continue
    ok=any(q.held_by(c.document_id, docs[c.document_id].text[slice(*with_lead_in(c, docs[c.document_id].text))]) for c in ch)
    cq=check_question(ev.resolved)
    nulls=a.verifier.scores(cq, list(NULLS.values()))
    p=a.answer_probability(ch, bool(ev.own_documents))
    rows.append((ok, p, ch[0].check, *nulls))
r=np.array(rows, dtype=float); y=r[:,0]
print(len(r), 'right', y.sum())
for j,n in [(1,'p'),(2,'check'),(3,'null_empty'),(4,'null_generic')]: print(n, round(roc_auc_score(y, r[:,j]),3))
print('check-empty', round(roc_auc_score(y, r[:,2]-r[:,3]),3), 'check-generic', round(roc_auc_score(y, r[:,2]-r[:,4]),3))
p=np.clip(r[:,1],1e-4,1-1e-4); lp=np.log(p/(1-p))
for cols,name in [([lp],'p'),([lp,r[:,3]],'p+null_empty'),([lp,r[:,4]],'p+null_generic'),([lp,r[:,2]-r[:,3]],'p+lift')]:
    X=np.column_stack(cols)
    pr=cross_val_predict(LogisticRegression(), X, y, cv=10, method='predict_proba')[:,1]
    print(name, round(roc_auc_score(y,pr),4), LogisticRegression().fit(X,y).coef_)
