"""How well the principle tagger agrees with hand labels (evaluation/data/principle_labels.jsonl).

The labels are passages (a sentence, a list item, a law paragraph) of the default corpus: the
organisations' own pages, the two laws and the EQUASS descriptions (never the numbered requirement
lines the tagger compares against, which would make the test circular). Each is labelled with the
principles it addresses, possibly none.

Prints precision/recall/F1 at the shipped setting, per principle, overall and for the
organisations' own passages (the ones behind a coordinator's gap report), and, with ``--sweep``,
the best settings of a small grid over the tagger's weights and threshold.
"""

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ingest.analyzer import analyze_document
from ingest.embedding import get_embedder
from ingest.principles import (DENSE_CEILING, DENSE_FLOOR, DENSE_WEIGHT, KEYWORD_SATURATION, PRINCIPLES,
                               TAG_THRESHOLD, PrincipleTagger, combine)
from ingest.index_store import Index, load_index
from ingest.quote_units import QuoteUnit, context_text, form_of, layout_of
from ingest.settings import Settings

LABELS_PATH = Path(__file__).parent / "data" / "principle_labels.jsonl"
SOURCES = ("organization", "equass", "law")


@dataclass
class Labels:
    texts: list[str]
    sources: list[str]
    gold: np.ndarray  # passages × principles, bool
    spans: list[tuple[str, int, int]]  # (document_id, char_start, char_end) of each passage


def load_labels(path: Path = LABELS_PATH) -> Labels:
    texts, sources, rows, spans = [], [], [], []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                item = json.loads(line)
                texts.append(item["text"])
                sources.append(item.get("source", ""))
                rows.append([p.id in item["principles"] for p in PRINCIPLES])
                spans.append((item["document_id"], item["char_start"], item["char_end"]))
    return Labels(texts, sources, np.array(rows, dtype=bool), spans)


def passage_texts(index: Index, labels: Labels) -> list[str]:
    """Each labelled passage as ingest embeds a quote unit: with its document title, section and lead-in."""
    texts = []
    for document_id, start, end in labels.spans:
        document = index.documents[document_id]
        chunk = next(c for c in index.chunks_of(document_id) if c.char_start <= start < c.char_end)
        unit = QuoteUnit(start, end, form_of(document.text[start:end], 1))
        texts.append(context_text(document, chunk, layout_of(document), unit))
    return texts


def scores(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    true_positive = float((predicted & gold).sum())
    precision = true_positive / predicted.sum() if predicted.sum() else 0.0
    recall = true_positive / gold.sum() if gold.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def per_principle_table(title: str, predicted: np.ndarray, gold: np.ndarray) -> Table:
    table = Table(title=title)
    for column in ("principle", "labelled", "tagged", "precision", "recall", "F1"):
        table.add_column(column, justify="right")
    for column, principle in enumerate(PRINCIPLES):
        p, r, f = scores(predicted[:, column], gold[:, column])
        table.add_row(principle.id, str(int(gold[:, column].sum())), str(int(predicted[:, column].sum())),
                      f"{p:.2f}", f"{r:.2f}", f"{f:.2f}")
    p, r, f = scores(predicted, gold)
    table.add_row("all (micro)", str(int(gold.sum())), str(int(predicted.sum())), f"{p:.3f}", f"{r:.3f}", f"{f:.3f}")
    return table


def report(settings: Settings, sweep: bool = False, show_misses: bool = False) -> None:
    console = Console()
    labels = load_labels()
    gold = labels.gold
    embedder = get_embedder(settings)
    tagger = PrincipleTagger(embedder, settings.principles_dir)
    index = load_index(settings.index_dir)
    dense, keywords = tagger.signals([set(analyze_document(t)) for t in labels.texts],
                                     embedder.encode_passages(passage_texts(index, labels)))

    strengths = combine(dense, keywords)
    shipped = strengths >= TAG_THRESHOLD
    precision, recall, f1 = scores(shipped, gold)
    console.print(f"{len(labels.texts)} labelled passages ({', '.join(f'{labels.sources.count(s)} {s}' for s in SOURCES)}), "
                  f"{int(gold.sum())} positive labels. Shipped setting (weight {DENSE_WEIGHT}, cosine "
                  f"{DENSE_FLOOR}-{DENSE_CEILING}, keyword saturation {KEYWORD_SATURATION}, threshold {TAG_THRESHOLD}): "
                  f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}")
    for name, only in (("dense only", combine(dense, keywords, weight=1.0)),
                       ("keywords only", combine(dense, keywords, weight=0.0))):
        best = max((scores(only >= t, gold) + (t,) for t in np.arange(0.1, 1.0, 0.05)), key=lambda r: r[2])
        console.print(f"  {name}, best threshold {best[3]:.2f}: precision {best[0]:.3f}, recall {best[1]:.3f}, F1 {best[2]:.3f}")

    console.print(per_principle_table("All labelled passages, per principle", shipped, gold))
    own = np.array([s == "organization" for s in labels.sources])
    console.print(per_principle_table("The organisations' own passages, per principle", shipped[own], gold[own]))

    if show_misses:
        for row, text in enumerate(labels.texts):
            missed = [p.id for c, p in enumerate(PRINCIPLES) if gold[row, c] and not shipped[row, c]]
            extra = [p.id for c, p in enumerate(PRINCIPLES) if shipped[row, c] and not gold[row, c]]
            if missed or extra:
                console.print(f"[{labels.sources[row]}] missed {missed} extra {extra}: {text[:160]}", markup=False)

    if sweep:
        results = []
        for weight, floor, width, saturation, threshold in itertools.product(
                (0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.76, 0.78, 0.80, 0.82), (0.06, 0.08, 0.10), (1, 2, 3, 4),
                np.arange(0.3, 0.8, 0.05)):
            predicted = combine(dense, keywords, weight, floor, floor + width, saturation) >= threshold
            results.append(scores(predicted, gold) + (weight, floor, floor + width, saturation, round(float(threshold), 2)))
        results.sort(key=lambda r: -r[2])
        sweep_table = Table(title="Best settings by F1")
        for column in ("precision", "recall", "F1", "weight", "floor", "ceiling", "saturation", "threshold"):
            sweep_table.add_column(column, justify="right")
        for row in results[:10]:
            sweep_table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
        console.print(sweep_table)
