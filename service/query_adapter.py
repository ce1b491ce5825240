"""A learned turn of the question's vector toward the passages that answer questions like it.

The embedding model places a staff question ("kolegė visai perdegus, kur jai kreiptis?") near
passages that share its words and tone, not always near the provision that answers it. The query
adapter is a matrix ``W`` learned from staff-style questions, the tuning questions and questions
about other laws and policies (evaluation/query_adapter.py): the adapted question vector is
``v + W v``, normalised. The dense search runs with it (service/retrieval.py), and its cosine
with each quote candidate is one more piece of evidence for the answer model (``cos_adapted`` in
service/features.py). Documents are not re-encoded; the matrix only works with the embedding
model it was fitted for, and without it the plain vector is used.

Shipped as ``service/query_adapter.npz``, rebuilt by ``python -m evaluation train``.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ADAPTER_PATH = Path(__file__).parent / "query_adapter.npz"


@dataclass
class QueryAdapter:
    model: str  # the embedding model the matrix was fitted for (``model_key``)
    matrix: np.ndarray  # (dimension × dimension)
    fitted_on: str = ""

    @classmethod
    def identity(cls, model: str, dimension: int) -> "QueryAdapter":
        """An adapter that turns nothing: the plain question vector."""
        return cls(model_key(model), np.zeros((dimension, dimension), dtype=np.float32), "nothing")

    def adapt(self, vector: np.ndarray) -> np.ndarray:
        """The adapted, unit-length question vector."""
        adapted = vector + self.matrix @ vector
        norm = float(np.linalg.norm(adapted))
        return (adapted / norm).astype(np.float32) if norm > 0 else vector

    def save(self, path: Path = ADAPTER_PATH) -> None:
        np.savez_compressed(path, matrix=self.matrix.astype(np.float32), model=np.array(self.model),
                            fitted_on=np.array(self.fitted_on))


def model_key(model: str) -> str:
    """The model's name without the folder it lies in: the same in every checkout."""
    return Path(model).name


def load_adapter(model: str, dimension: int, path: Path = ADAPTER_PATH) -> QueryAdapter | None:
    """The shipped adapter, or None when there is none or it was fitted for another model."""
    model = model_key(model)
    if not path.exists():
        return None
    with np.load(path) as data:
        adapter = QueryAdapter(str(data["model"]), data["matrix"].astype(np.float32), str(data["fitted_on"]))
    if adapter.model != model or adapter.matrix.shape != (dimension, dimension):
        log.warning("The query adapter was fitted for the model %s, not %s; answers use the plain cosine",
                    adapter.model, model)
        return None
    return adapter
