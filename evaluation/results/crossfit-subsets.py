"""Cross-fitted numbers on parts of the tuning questions (writers 1-8, writer 9, all) from a pickle of
crossfit-per-question.py. usage: PYTHONPATH=. python evaluation/results/crossfit-subsets.py OUT.pkl [VARIANT]"""
import pickle, sys, json
import numpy as np
from evaluation.train import Sweep, TARGET_WRONG, TARGET_REFUSED
d = pickle.load(open(sys.argv[1], "rb"))
variant = sys.argv[2] if len(sys.argv) > 2 else "base"
ids = np.array(d["ids"]); ans = d["answerable"]
for name, keep in [("w1-w8 (660)", np.array([not i.startswith("w9-") for i in ids])), ("w9 only", np.array([i.startswith("w9-") for i in ids])), ("all", np.ones(len(ids), bool))]:
    if not keep.any(): continue
    rows = []
    for s in d["results"][variant]:
        o = np.array(s["outcomes"], dtype=bool)  # hit1, hit3, abstained
        a = ans & keep; u = ~ans & keep
        hit1 = o[a, 0].mean() if a.any() else np.nan; hit3 = o[a, 1].mean() if a.any() else np.nan
        wrong = (~o[a, 2] & ~o[a, 1]).mean() if a.any() else np.nan
        refused = o[u, 2].mean() if u.any() else np.nan
        sw = Sweep(s["prob"][keep], s["hit1"][keep], s["hit3"][keep], ans[keep])
        p = sw.probability
        within = [h1 for h1, _, w, r in (sw.rates(t) for t in sorted(set(p[np.isfinite(p)].tolist())) + [np.inf]) if w <= TARGET_WRONG and r >= TARGET_REFUSED] if a.any() and u.any() else []
        rows.append((hit1, hit3, wrong, refused, max(within) if within else np.nan))
    m = np.nanmean(np.array(rows, dtype=float), axis=0)
    print(f"{name:12s} hit@1 {m[0]:.3f} hit@3 {m[1]:.3f} wrong {m[2]:.3f} unans refused {m[3]:.3f} at limits {m[4]:.3f}  (n={keep.sum()})")
