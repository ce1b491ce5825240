"""Fit the query adapter (service/query_adapter.py) on staff-style questions: the tuning questions
and the training questions about other laws and policies.

Each training question brings its quote candidates, as the answer step finds them, with the
ones that hold its gold passage marked: the adapter learns to turn the question's vector so the
gold candidates come out closer than the other candidates of the same question (hard negatives:
passages retrieval already found close). Loss: the softmax cross-entropy of the gold candidates
among all of them, with a penalty on the size of ``W`` that keeps the turn small. Only the
question side changes, so nothing is re-encoded.

The answer model is then fitted on features made with the adapter. For every question those
features are cross-fitted: each fold's questions get an adapter fitted without them, so
the answer model learns how much the adapted cosine is worth on questions it has not seen.
"""

from dataclasses import dataclass

import numpy as np

from service.query_adapter import QueryAdapter, model_key

EPOCHS = 15
REGULARISATION = 0.01
TEMPERATURE = 30.0  # cosines are multiplied by this before the softmax
LEARNING_RATE = 1e-3
BATCH = 32
FOLDS = 5
SEED = 0


@dataclass
class AdapterExample:
    question_vector: np.ndarray  # (dimension,)
    candidate_vectors: np.ndarray  # (candidates × dimension)
    gold: np.ndarray  # (candidates,) bool


def fit_adapter(examples: list[AdapterExample], model: str, fitted_on: str = "", epochs: int = EPOCHS,
                regularisation: float = REGULARISATION, seed: int = SEED) -> QueryAdapter:
    import torch

    torch.manual_seed(seed)
    usable = [e for e in examples if e.gold.any() and (~e.gold).any()]
    dimension = usable[0].question_vector.shape[0] if usable else examples[0].question_vector.shape[0]
    matrix = torch.zeros(dimension, dimension, requires_grad=True)
    optimiser = torch.optim.Adam([matrix], lr=LEARNING_RATE)
    data = [(torch.from_numpy(e.question_vector.astype(np.float32)), torch.from_numpy(e.candidate_vectors.astype(np.float32)),
             torch.from_numpy(e.gold)) for e in usable]
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(data))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            loss = torch.zeros(())
            for i in batch:
                vector, candidates, gold = data[i]
                adapted = vector + matrix @ vector
                scores = TEMPERATURE * (candidates @ (adapted / adapted.norm()))
                loss = loss - (torch.logsumexp(scores[gold], 0) - torch.logsumexp(scores, 0))
            loss = loss / len(batch) + regularisation * (matrix ** 2).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return QueryAdapter(model_key(model), matrix.detach().numpy().astype(np.float32), fitted_on)


def folds_of(count: int, folds: int = FOLDS, seed: int = SEED) -> list[np.ndarray]:
    """The example indexes of each fold."""
    order = np.random.RandomState(seed).permutation(count)
    return [np.sort(order[f::folds]) for f in range(folds)]


def top1(examples: list[AdapterExample], adapter: QueryAdapter | None) -> float:
    """Share of examples with a gold candidate whose closest candidate is gold."""
    hits = total = 0
    for e in examples:
        if not e.gold.any():
            continue
        vector = adapter.adapt(e.question_vector) if adapter else e.question_vector
        total += 1
        hits += bool(e.gold[int(np.argmax(e.candidate_vectors @ vector))])
    return hits / total if total else 0.0
