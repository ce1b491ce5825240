"""Screen a 'known questions' feature on the tuning part, memory = other writers' tuning questions."""
import numpy as np, sys
from ingest.settings import get_settings
from service.engine import Engine
from service.answering import Answerer
from service.coverage import Coverage
from evaluation.gold import load_gold, squash
from evaluation.answers import run_question
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
eng = Engine.load(get_settings()); a = Answerer(eng, Coverage(eng))
a.model.answer_threshold = 0.0
enc = a.searcher.embedder.encode_queries
tune = load_gold(split='tune')
def q(x): return x.question if not x.history else x.history[-1] + ' ' + x.question
V = np.asarray(enc([q(x) for x in tune])); S = V @ V.T
writer = np.array([x.id.split('-')[0] for x in tune])
ansr = np.array([x.answerable for x in tune])
rows = []
docs = eng.index.documents
for i, x in enumerate(tune):
    r = run_question(a, x)
    p = r.signals.get('answer', 0.0)
    first = r.quotes[0] if r.quotes else None
    y = bool(first) and x.held_by(first.document_id, first.text)
    other = writer != writer[i]
    known = max([S[i, k] for k in range(len(tune)) if other[k] and ansr[k] and first is not None and tune[k].held_by(first.document_id, first.text)], default=0.7)
    anyans = max(S[i, other & ansr]); unans = max(S[i, other & ~ansr])
    rows.append((p, known, anyans, unans, y, x.answerable, x.kind))
    if i % 100 == 0: print(i, file=sys.stderr)
R = np.array([r[:4] for r in rows], float); Y = np.array([r[4] for r in rows]); A = np.array([r[5] for r in rows]); K = [r[6] for r in rows]
np.save('/tmp/s37/known-rows.npy', np.column_stack([R, Y, A]))
print('AUC p', roc_auc_score(Y, R[:,0]), 'known', roc_auc_score(Y, R[:,1]), 'known-any', roc_auc_score(Y, R[:,1]-R[:,2]), 'unans', roc_auc_score(Y, -R[:,3]))
lp = np.log(np.clip(R[:,0],1e-4,1-1e-4)/(1-np.clip(R[:,0],1e-4,1-1e-4)))
for name, X in (('p', lp[:,None]), ('p+known', np.column_stack([lp, R[:,1]])), ('p+known+any+unans', np.column_stack([lp, R[:,1], R[:,2], R[:,3]]))):
    out = np.zeros(len(Y))
    for tr, te in GroupKFold(5).split(X, Y, writer):
        m = LogisticRegression(C=1.0, max_iter=1000).fit((X[tr]-X[tr].mean(0))/X[tr].std(0), Y[tr]); out[te] = m.predict_proba((X[te]-X[tr].mean(0))/X[tr].std(0))[:,1]
    # at limits: max hit1 with wrong<=5% of answerable and unans refused>=85%
    best = 0
    for t in np.unique(out):
        ans = out >= t
        hit = (ans & Y & A).sum()/A.sum(); wrong = (ans & ~Y & A).sum()/A.sum(); ref = (~ans & ~A).sum()/(~A).sum()
        if wrong <= 0.05 and ref >= 0.85: best = max(best, hit)
    print(name, 'AUC', round(roc_auc_score(Y, out),4), 'hit@1 at limits', round(best,3))
