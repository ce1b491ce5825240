"""Train the answer check (service/verifier.py): ``python -m evaluation verifier``.

A cross-encoder reads a question and a candidate quote together and scores whether the quote
answers it. It is trained on the training questions of other documents (the 17 laws of the
register and the fictional centre's policies, evaluation/training_pairs.py), never on the gold
questions, so the tuning part can still fit how much the check is worth and the test part stays
unseen. Each training question is answered over the training index as the second round of
fitting the answer model weighs it (``evaluation.train.fit_rounds``: the candidate model of that
round, features made with query adapters that did not see the question); the quotes that hold
its gold passage are the positives and the five most probable that do not are its hard
negatives. The loss is the softmax cross-entropy of the positive among its
question's six quotes (listwise), which teaches ranking within a question rather than one
threshold across questions.

The transformer layers and a linear head over the mean of the token outputs learn; the token
embeddings stay as trained on many languages. What is shipped (``ingest/finetune_data/verifier/``)
is the head and the change of each weight matrix truncated to rank 32, in LoRA form, with the
changed biases and layer norms: a few MB instead of a second model. ``python -m ingest.model_build``
adds it to the base weights and writes an int8 ONNX copy. Two CPU cores train it in about 20
minutes. (A LoRA adapter trained as such, rank 16 on the top six layers, learned less: with it the
cross-fitted tuning answers refused fewer unanswerable questions.)
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.model_build import VERIFIER_DIR
from service.answering import check_question
from service.verifier import MAX_TOKENS, PASSAGE_PREFIX, QUERY_PREFIX, candidate_text

log = logging.getLogger(__name__)

NEGATIVES = 5
POSITIVES = 2  # of a question's quotes that hold its gold passage, the most probable ones
EPOCHS = 2
QUESTIONS_PER_STEP = 2
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3
# The change of each weight matrix is shipped truncated to this rank.
RANK = 32
SEED = 0
NEGATIVES_RANKED_BY = "the candidate model of the second training round (tuning and training questions)"


@dataclass
class Group:
    """One training question with quotes that answer it and quotes that do not."""

    question: str
    positives: list[str]
    negatives: list[str]


def groups_of(examples, documents) -> list[Group]:
    groups = []
    for example in examples:
        candidates = example.evidence.candidates
        positives = [c for c, gold in zip(candidates, example.labels) if gold][:POSITIVES]
        negatives = [c for c, gold in zip(candidates, example.labels) if not gold][:NEGATIVES]
        if positives and len(negatives) == NEGATIVES:
            groups.append(Group(check_question(example.evidence.resolved), [candidate_text(documents, c) for c in positives],
                                [candidate_text(documents, c) for c in negatives]))
    return groups


def train_verifier(model_dir: Path, groups: list[Group], out_dir: Path = VERIFIER_DIR, epochs: int = EPOCHS,
                   seed: int = SEED, rank: int = RANK) -> dict:
    """Fit the transformer layers and the head on ``groups``; write the head and the change of the
    layers (``shipped_change``) to ``out_dir``."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    transformer = AutoModel.from_pretrained(str(model_dir))
    base = {name: value.detach().clone() for name, value in transformer.state_dict().items()}
    for parameter in transformer.embeddings.parameters():
        parameter.requires_grad = False
    head = torch.nn.Linear(transformer.config.hidden_size, 1)

    def scores(questions: list[str], passages: list[str]):
        batch = tokenizer([QUERY_PREFIX + q for q in questions], [PASSAGE_PREFIX + p for p in passages],
                          truncation="only_second", max_length=MAX_TOKENS, padding=True, return_tensors="pt")
        states = transformer(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return head((states * mask).sum(1) / mask.sum(1)).squeeze(-1)

    parameters = [p for p in transformer.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": parameters, "lr": LEARNING_RATE},
                                   {"params": head.parameters(), "lr": HEAD_LEARNING_RATE}], weight_decay=0.01)
    steps = epochs * (len(groups) // QUESTIONS_PER_STEP)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 40) * max(0.0, 1 - step / max(1, steps)))
    transformer.train()
    order = list(groups)
    started, step, running = time.perf_counter(), 0, None
    for _ in range(epochs):
        rng.shuffle(order)
        for offset in range(0, len(order) - QUESTIONS_PER_STEP + 1, QUESTIONS_PER_STEP):
            questions, passages = [], []
            for group in order[offset:offset + QUESTIONS_PER_STEP]:
                quotes = [rng.choice(group.positives), *group.negatives]
                questions += [group.question] * len(quotes)
                passages += quotes
            logits = scores(questions, passages).view(QUESTIONS_PER_STEP, -1)
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(QUESTIONS_PER_STEP, dtype=torch.long))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters + list(head.parameters()), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
            if step % 50 == 0 or step == steps:
                log.warning("answer check: step %d/%d, loss %.3f (%.0f s)", step, steps, running,
                            time.perf_counter() - started)
    tuned = {name: value.detach() for name, value in transformer.state_dict().items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    low_rank, replaced, kept = shipped_change(base, tuned, rank)
    save_file(low_rank, str(out_dir / "adapter_model.safetensors"))
    (out_dir / "adapter_config.json").write_text(json.dumps({"r": rank, "lora_alpha": rank, "peft_type": "LORA",
                                                             "note": "the change of each weight matrix, truncated to rank r"},
                                                            indent=1) + "\n", encoding="utf-8")
    replaced.update({"weight": head.weight.detach().contiguous(), "bias": head.bias.detach().contiguous()})
    save_file(replaced, str(out_dir / "head.safetensors"))
    report = {"questions": len(groups), "negatives_ranked_by": NEGATIVES_RANKED_BY, "epochs": epochs, "steps": steps,
              "final_loss": round(running or 0.0, 4), "learning_rate": LEARNING_RATE, "rank": rank, "change_kept": round(kept, 4), "seed": seed,
              "seconds": round(time.perf_counter() - started, 1)}
    (out_dir / "training.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def shipped_change(base: dict, tuned: dict, rank: int) -> tuple[dict, dict, float]:
    """What is shipped of the fitted layers: each changed weight matrix's change truncated to
    ``rank`` (by its singular values) as LoRA factors ``B @ A``, which ``ingest.model_build``
    adds to the base weights; the changed biases and layer norms whole (``layer.`` names). Also
    returns the share of the matrices' change (squared norm) the truncation keeps."""
    import torch

    low_rank, replaced = {}, {}
    kept = total = 0.0
    for name, value in tuned.items():
        change = (value - base[name]).float()
        if not change.abs().max() > 0:
            continue
        if value.dim() == 2 and name.endswith(".weight"):
            u, singular, v = torch.linalg.svd(change, full_matrices=False)
            root = singular[:rank].sqrt()
            prefix = "base_model.model." + name[: -len(".weight")]
            low_rank[prefix + ".lora_A.weight"] = (root[:, None] * v[:rank]).contiguous()
            low_rank[prefix + ".lora_B.weight"] = (u[:, :rank] * root[None, :]).contiguous()
            kept += float((singular[:rank] ** 2).sum())
            total += float((singular ** 2).sum())
        else:
            replaced["layer." + name] = value.contiguous().clone()
    return low_rank, replaced, kept / total if total else 1.0
