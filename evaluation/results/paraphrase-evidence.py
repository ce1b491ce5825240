"""Why paraphrased questions are refused: with the served model, the refusal model's features of
the quotes it would give, averaged over the tuning paraphrases whose quotes hold a gold span and
over the unanswerable tuning questions, raw and as weighted contributions to the log-odds; then,
for every kind, the share of answerable tuning questions whose gold passage the search ranks
within 12 (what the answer step weighs), 20, 30 and 60 passages.
usage: PYTHONPATH=. python evaluation/results/paraphrase-evidence.py"""
import collections

import numpy as np

from evaluation.gold import load_gold
from evaluation.train import collect
from ingest.settings import get_settings
from service.answering import Answerer
from service.engine import Engine
from service.followups import resolve
from service.glossary import lithuanian_query
from service.quote_selection import answer_pool, choose
from service.refusal import REFUSAL_FEATURES, refusal_row

engine = Engine.load(get_settings())
answerer = Answerer(engine)
model = answerer.model
questions = load_gold(split="tune")
examples = collect(answerer, [q for q in questions if q.kind in ("paraphrase", "unanswerable")])
groups = {"paraphrase, gold quoted": [], "unanswerable": []}
for example in examples:
    evidence = example.evidence
    chosen = choose(answer_pool(evidence.candidates, evidence.own_documents, model.own_threshold), model.second_quote_ratio)
    if not chosen:
        continue
    row = refusal_row(chosen, bool(evidence.own_documents))
    if not example.question.answerable:
        groups["unanswerable"].append(row)
    elif any(example.labels[evidence.candidates.index(c)] for c in chosen):
        groups["paraphrase, gold quoted"].append(row)
refusal = model.refusal
summary = {}
for name, rows in groups.items():
    rows = np.array(rows)
    contributions = (rows - refusal.mean) / refusal.scale * refusal.weights
    logit = float((contributions.sum(axis=1) + refusal.bias).mean())
    print(f"{name}: {len(rows)} questions, mean log-odds of answering {logit:.2f} "
          f"(the threshold {model.answer_threshold} is {np.log(model.answer_threshold / (1 - model.answer_threshold)):.2f})")
    summary[name] = (rows.mean(axis=0), contributions.mean(axis=0))
print(f"{'feature':24s} {'paraphrase':>10s} {'unanswer.':>10s} {'contrib. p':>10s} {'contrib. u':>10s}")
(p_raw, p_con), (u_raw, u_con) = summary.values()
for i, feature in enumerate(REFUSAL_FEATURES):
    print(f"{feature:24s} {p_raw[i]:10.3f} {u_raw[i]:10.3f} {p_con[i]:10.3f} {u_con[i]:10.3f}")

documents = engine.index.documents
ranks = collections.defaultdict(list)
for question in questions:
    if not question.answerable or question.history:
        continue
    spans = []
    for gold in question.answers:
        text = documents[gold.document_id].text
        start = text.find(gold.text[:80])
        if start >= 0:
            spans.append((gold.document_id, start, start + len(gold.text)))
    if not spans:  # gold spans are matched with spacing ignored (GoldQuestion.held_by); not found as typed: left out
        continue
    resolved = resolve(question.question, [], question.organization, engine.organizations)
    vector = answerer.adapted(answerer.searcher.embedder.encode_queries([resolved.query])[0])
    lexical = lithuanian_query(resolved.query) if resolved.english else resolved.query
    hits = answerer.searcher.search(resolved.query, k=60, organization=resolved.organization, query_vector=vector,
                                    lexical_query=lexical)
    rank = next((i for i, h in enumerate(hits) if any(h.chunk.document_id == d and h.chunk.char_start < e and s < h.chunk.char_end
                                                      for d, s, e in spans)), 99)
    ranks[question.kind].append(rank)
print("gold passage among the first k passages searched (answerable tuning questions without history):")
for kind, values in sorted(ranks.items()):
    values = np.array(values)
    print(f"{kind:14s} n={len(values):3d}  @12 {np.mean(values < 12):.2f}  @20 {np.mean(values < 20):.2f}  "
          f"@30 {np.mean(values < 30):.2f}  @60 {np.mean(values < 60):.2f}")
