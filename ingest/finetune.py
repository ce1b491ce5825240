"""Adapt the embedding model to how staff ask: ``python -m ingest.finetune``.

multilingual-e5-small is the strongest multilingual model whose weights can be installed here,
and it matches a staff question ("klientas nepatenkintas, kur jis gali kreiptis?") to the law
paragraph that answers it less well than to a paragraph that merely shares its words. This
command teaches it the domain with a small LoRA adapter:

* training pairs are staff-style questions (paraphrases, no diacritics, English, keyword
  queries, follow-ups) written for passages of OTHER documents than the default corpus: 17
  social-welfare laws of the register (``../shared/corpora/lt-laws.jsonl.gz``) and eight
  policies of a fictional centre (``ingest/finetune_data/policies``); the default corpus and
  its gold questions are never trained on, so the evaluation stays honest;
* each pair gets hard negatives: the paragraphs of the same document that the base model ranks
  highest but that do not hold the answer;
* the loss is in-batch multiple-negatives ranking with those hard negatives, at a low learning
  rate, with the token embeddings frozen (only the adapter on the attention and feed-forward
  layers learns), and a held-out part of the pairs is scored before and after.

The adapter (``ingest/finetune_data/adapter/``, about 2 MB) is merged into the model folder by
``python -m ingest.model_build``; this command rebuilds it.
"""

import argparse
import gzip
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.cleaning import clean_text
from ingest.readers import law_text

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "finetune_data"
PAIRS_PATH = DATA_DIR / "pairs.jsonl"
POLICIES_DIR = DATA_DIR / "policies"
ADAPTER_DIR = DATA_DIR / "adapter"
LAWS_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "lt-laws.jsonl.gz"
BLANK_LINE = re.compile(r"\n\s*\n")
SPACE = re.compile(r"\s+")

# The adapter: rank and targets of the LoRA matrices.
LORA_RANK = 16
LORA_ALPHA = 32
# Only the top layers are adapted: the lower ones stay as trained on many languages, and the
# backward pass stops early, which keeps training on two CPU cores within minutes.
ADAPTED_LAYERS = 6
# Passages are cut to this many tokens while training: an answer sits in a paragraph's first lines.
MAX_TOKENS = 160
LORA_TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]


@dataclass
class Pair:
    id: str
    kind: str
    question: str
    document_id: str
    passage: str


def load_pairs(path: Path = PAIRS_PATH) -> list[Pair]:
    with open(path, encoding="utf-8") as lines:
        return [Pair(**json.loads(line)) for line in lines if line.strip()]


def squash(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def training_documents(document_ids: set[str], laws: Path = LAWS_PATH, policies: Path = POLICIES_DIR) -> dict[str, str]:
    """The cleaned text of every document the pairs come from."""
    texts = {p.stem: clean_text(p.read_text(encoding="utf-8")) for p in sorted(policies.glob("*.txt"))}
    wanted = document_ids - set(texts)
    if wanted:
        if not laws.exists():
            raise SystemExit(f"The law register {laws} is needed for training pairs of {len(wanted)} laws.")
        with gzip.open(laws, "rt", encoding="utf-8") as lines:
            for line in lines:
                law = json.loads(line)
                if law["id"] in wanted:
                    texts[law["id"]] = clean_text(law_text(law))
    missing = document_ids - set(texts)
    if missing:
        raise SystemExit(f"Training pairs name documents that were not found: {sorted(missing)}")
    return texts


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in BLANK_LINE.split(text) if len(p.strip()) >= 30]


def query_text(pair: Pair) -> str:
    """A follow-up pair is written "earlier question || follow-up"; the model sees both, as search does."""
    if "||" in pair.question:
        earlier, follow_up = (part.strip() for part in pair.question.split("||", 1))
        return f"{follow_up} {earlier}"
    return pair.question


def mine_negatives(model, pairs: list[Pair], texts: dict[str, str], per_pair: int, seed: int) -> list[list[str]]:
    """For each pair, paragraphs of its own document that the model ranks high but that do not hold the answer."""
    rng = random.Random(seed)
    by_document = {d: paragraphs(t) for d, t in texts.items()}
    vectors = {d: model.encode(ps, prompt="passage: ", normalize_embeddings=True, batch_size=32)
               for d, ps in by_document.items()}
    questions = model.encode([query_text(p) for p in pairs], prompt="query: ", normalize_embeddings=True, batch_size=64)
    negatives = []
    for pair, vector in zip(pairs, questions):
        candidates = by_document[pair.document_id]
        passage = squash(pair.passage)
        order = np.argsort(-(vectors[pair.document_id] @ vector))
        hard = [candidates[i] for i in order
                if passage not in squash(candidates[i]) and squash(candidates[i]) not in passage][:per_pair * 3]
        negatives.append(rng.sample(hard, min(per_pair, len(hard))) if hard else [])
    return negatives


def retrieval_hits(model, pairs: list[Pair], texts: dict[str, str], k: int = 5) -> tuple[float, float]:
    """hit@1 and hit@k of the answering paragraph among all paragraphs of all training documents."""
    corpus = [(d, p) for d, t in texts.items() for p in paragraphs(t)]
    vectors = model.encode([p for _, p in corpus], prompt="passage: ", normalize_embeddings=True, batch_size=32)
    questions = model.encode([query_text(p) for p in pairs], prompt="query: ", normalize_embeddings=True, batch_size=64)
    hit1 = hitk = 0
    for pair, vector in zip(pairs, questions):
        order = np.argsort(-(vectors @ vector))[:k]
        passage = squash(pair.passage)
        good = [corpus[i][0] == pair.document_id and (passage in squash(corpus[i][1]) or squash(corpus[i][1]) in passage)
                for i in order]
        hit1 += good[0]
        hitk += any(good)
    return hit1 / len(pairs), hitk / len(pairs)


def train(model_dir: Path, out_dir: Path, epochs: int, learning_rate: float, batch_size: int, negatives: int,
          held_out: float, seed: int) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(seed)
    random.seed(seed)
    pairs = load_pairs()
    texts = training_documents({p.document_id for p in pairs})
    # Held out by document, so the check is on documents the adapter never saw.
    documents = sorted(texts)
    random.Random(seed).shuffle(documents)
    held_documents = set(documents[:max(1, round(len(documents) * held_out))]) if held_out > 0 else set()
    train_pairs = [p for p in pairs if p.document_id not in held_documents]
    check_pairs = [p for p in pairs if p.document_id in held_documents]
    log.info("%d training pairs over %d documents, %d held-out pairs over %s", len(train_pairs),
             len(texts) - len(held_documents), len(check_pairs), sorted(held_documents))

    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = MAX_TOKENS
    held_texts = {d: texts[d] for d in held_documents}
    report = {"pairs": len(train_pairs), "held_out_pairs": len(check_pairs), "held_out_documents": sorted(held_documents)}
    if check_pairs:
        report["before"] = retrieval_hits(model, check_pairs, held_texts)
        log.info("held-out paragraph hit@1 / hit@5 before: %.3f / %.3f", *report["before"])
    cache = out_dir / "negatives.json"
    cached = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    if all(p.id in cached for p in train_pairs):
        hard = [cached[p.id] for p in train_pairs]
    else:
        hard = mine_negatives(model, train_pairs, texts, negatives, seed)
        cache.write_text(json.dumps({p.id: h for p, h in zip(train_pairs, hard)}, ensure_ascii=False), encoding="utf-8")

    transformer = model[0].auto_model
    layers = transformer.config.num_hidden_layers
    config = LoraConfig(r=LORA_RANK, lora_alpha=LORA_ALPHA, lora_dropout=0.1, target_modules=LORA_TARGETS,
                        layers_to_transform=list(range(layers - ADAPTED_LAYERS, layers)), bias="none")
    adapted = get_peft_model(transformer, config)
    model[0].auto_model = adapted
    loss_function = MultipleNegativesRankingLoss(model)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.01)
    steps = epochs * ((len(train_pairs) + batch_size - 1) // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / max(1, steps // 10)) * max(0.0, 1 - step / steps))

    def features(texts_: list[str], prompt: str):
        tokens = model.preprocess([prompt + t for t in texts_])
        return {k: v for k, v in tokens.items()}

    model.train()
    step = 0
    started = time.perf_counter()
    rng = random.Random(seed)
    for epoch in range(epochs):
        order = list(range(len(train_pairs)))
        rng.shuffle(order)
        for offset in range(0, len(order), batch_size):
            batch = [order[i] for i in range(offset, min(offset + batch_size, len(order)))]
            questions = [query_text(train_pairs[i]) for i in batch]
            positives = [train_pairs[i].passage for i in batch]
            columns = [features(questions, "query: "), features(positives, "passage: ")]
            for n in range(negatives):
                column = [hard[i][n] if len(hard[i]) > n else rng.choice(positives) for i in batch]
                columns.append(features(column, "passage: "))
            loss = loss_function(columns, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 5 == 0 or step == steps:
                log.info("epoch %d step %d/%d loss %.4f (%.0f s)", epoch + 1, step, steps, loss.item(),
                         time.perf_counter() - started)
    model.eval()
    adapted.save_pretrained(str(out_dir))  # the adapter only: adapter_model.safetensors, adapter_config.json
    report["seconds"] = round(time.perf_counter() - started, 1)
    if check_pairs:
        report["after"] = retrieval_hits(model, check_pairs, held_texts)
        log.info("held-out paragraph hit@1 / hit@5 after: %.3f / %.3f", *report["after"])
    report.update(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, negatives=negatives, seed=seed)
    (out_dir / "training.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    from ingest.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m ingest.finetune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=None,
                        help="the base model folder (default: the bundled model built without the adapter)")
    parser.add_argument("--out", type=Path, default=ADAPTER_DIR)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--negatives", type=int, default=1)
    parser.add_argument("--held-out", type=float, default=0.15, help="share of training documents kept for the check")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    base = args.base
    if base is None:
        from ingest.model_build import build_model

        base = Path(get_settings().model).parent / "multilingual-e5-small-base"
        build_model(base, adapter=None)
    args.out.mkdir(parents=True, exist_ok=True)
    report = train(base, args.out, args.epochs, args.learning_rate, args.batch_size, args.negatives, args.held_out, args.seed)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
