"""Where the refused right answers are lost, from the per-question out-of-fold results that
crossfit-per-question.py keeps (its variant "base" is the crossfit command's four splits).
usage: PYTHONPATH=. python evaluation/results/trial-loss-by-kind.py OUT.pkl"""
import json
import pickle
import sys

import numpy as np

data = pickle.load(open(sys.argv[1], "rb"))
gold = {q["id"]: q for q in map(json.loads, open("evaluation/data/gold.jsonl", encoding="utf-8"))}
kinds, answerable = np.array(data["kinds"]), data["answerable"]
splits = data["results"]["base"]
print("kind, answerable questions: first quote right answering everything (threshold 0) | at each fold's threshold;"
      " mean of four splits")
for kind in sorted(set(kinds) - {"unanswerable"}):
    rows = (kinds == kind) & answerable
    everything = np.mean([s["hit1"][rows].mean() for s in splits])
    served = np.mean([s["summary"]["by_kind"][kind]["hit@1"] for s in splits])
    print(f"{kind:14s} {rows.sum():3d}  {everything:.3f} | {served:.3f}")
probability = np.mean([np.where(np.isfinite(s["prob"]), s["prob"], np.where(s["prob"] > 0, 1.0, 0.0)) for s in splits],
                      axis=0)
unanswerable = ~answerable
print(f"unanswerable questions {unanswerable.sum()}: out-of-fold answer probability in [0.5, 0.775): "
      f"{((probability >= 0.5) & (probability < 0.775) & unanswerable).sum()}, from 0.775: "
      f"{((probability >= 0.775) & unanswerable).sum()} (mean over splits)")
print("the 20 unanswerable tuning questions with the highest mean out-of-fold answer probability:")
order = [i for i in np.argsort(-probability) if unanswerable[i]][:20]
for i in order:
    print(f"  {data['ids'][i]} {probability[i]:.2f} {gold[data['ids'][i]]['question']}")
