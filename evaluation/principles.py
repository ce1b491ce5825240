"""How well the principle tagger agrees with hand labels (evaluation/data/principle_labels.jsonl).

Prints micro precision/recall/F1 at the shipped setting, a per-principle breakdown, and, with
``--sweep``, the best settings of a small grid over the tagger's weights and threshold.
"""

import itertools
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ingest.analyzer import analyze_document
from ingest.embedding import get_embedder
from ingest.principles import (DENSE_CEILING, DENSE_FLOOR, DENSE_WEIGHT, KEYWORD_SATURATION, PRINCIPLES,
                               TAG_THRESHOLD, PrincipleTagger, combine)
from ingest.settings import Settings

LABELS_PATH = Path(__file__).parent / "data" / "principle_labels.jsonl"


def load_labels(path: Path = LABELS_PATH) -> tuple[list[str], np.ndarray]:
    texts, rows = [], []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                item = json.loads(line)
                texts.append(item["text"])
                rows.append([p.id in item["principles"] for p in PRINCIPLES])
    return texts, np.array(rows, dtype=bool)


def scores(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    true_positive = float((predicted & gold).sum())
    precision = true_positive / predicted.sum() if predicted.sum() else 0.0
    recall = true_positive / gold.sum() if gold.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report(settings: Settings, sweep: bool = False) -> None:
    console = Console()
    texts, gold = load_labels()
    embedder = get_embedder(settings)
    tagger = PrincipleTagger(embedder, settings.principles_dir)
    dense, keywords = tagger.signals([set(analyze_document(t)) for t in texts], embedder.encode_passages(texts))

    shipped = combine(dense, keywords) >= TAG_THRESHOLD
    precision, recall, f1 = scores(shipped, gold)
    console.print(f"{len(texts)} labelled passages, {int(gold.sum())} positive labels. Shipped setting "
                  f"(weight {DENSE_WEIGHT}, cosine {DENSE_FLOOR}-{DENSE_CEILING}, keyword saturation "
                  f"{KEYWORD_SATURATION}, threshold {TAG_THRESHOLD}): precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}")
    for name, only in (("dense only", combine(dense, keywords, weight=1.0)),
                       ("keywords only", combine(dense, keywords, weight=0.0))):
        best = max((scores(only >= t, gold) + (t,) for t in np.arange(0.1, 1.0, 0.05)), key=lambda r: r[2])
        console.print(f"  {name}, best threshold {best[3]:.2f}: precision {best[0]:.3f}, recall {best[1]:.3f}, F1 {best[2]:.3f}")

    table = Table(title="Per principle at the shipped setting")
    for column in ("principle", "labelled", "tagged", "precision", "recall"):
        table.add_column(column, justify="right")
    for column, principle in enumerate(PRINCIPLES):
        p, r, _ = scores(shipped[:, column], gold[:, column])
        table.add_row(principle.id, str(int(gold[:, column].sum())), str(int(shipped[:, column].sum())), f"{p:.2f}", f"{r:.2f}")
    console.print(table)

    if sweep:
        results = []
        for weight, floor, width, saturation, threshold in itertools.product(
                (0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.76, 0.78, 0.80, 0.82), (0.06, 0.08, 0.10), (2, 3, 4),
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
