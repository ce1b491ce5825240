"""The learned answer model: evidence in, probabilities out.

Three logistic regressions, fitted on the tuning part of the gold set by ``python -m evaluation
train`` and shipped as a small JSON file (``service/answer_model.json``):

* the candidate model weighs the features of each quote candidate (``service.features``) into
  the probability that quoting it answers the question;
* the check model re-weighs the most probable candidates with the answer check's scores
  (``service.verifier``): the candidate model's log-odds, the check's score, its distance to the
  best check of the question and whether it is that best;
* the refusal model weighs what the best candidates look like together (``service.refusal``)
  into the probability that the answer is right; below the answer threshold the assistant
  refuses.

Plain numbers: the service needs numpy only, and a person can read which evidence counts.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).parent / "answer_model.json"


# The check model's features of one checked candidate.
CHECK_FEATURES: tuple[str, ...] = ("candidate_log_odds", "check", "check_gap", "check_best")


def check_rows(probabilities: np.ndarray, checks: np.ndarray) -> np.ndarray:
    """(checked candidates × CHECK_FEATURES) from their candidate-model probabilities and checks."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-6, 1 - 1e-6)
    checks = np.asarray(checks, dtype=np.float64)
    best = checks.max() if len(checks) else 0.0
    return np.column_stack([np.log(p / (1 - p)), checks, checks - best, (checks == best).astype(np.float64)])


class ModelMismatch(Exception):
    """The shipped model was fitted on other features than this code computes."""


@dataclass
class LinearModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                "bias": round(float(self.bias), 6)}

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> "LinearModel":
        if tuple(data["features"]) != expected:
            raise ModelMismatch("service/answer_model.json was fitted on other features than the code computes; "
                                "refit it with: python -m evaluation train")
        return cls(tuple(data["features"]), np.array(data["mean"]), np.array(data["scale"]),
                   np.array(data["weights"]), float(data["bias"]))

    @classmethod
    def neutral(cls, features: tuple[str, ...]) -> "LinearModel":
        """Weighs nothing: every row gets probability one half."""
        n = len(features)
        return cls(features, np.zeros(n), np.ones(n), np.zeros(n), 0.0)


@dataclass
class AnswerModel:
    candidates: LinearModel
    refusal: LinearModel
    # Answer when the refusal model's probability reaches this; refuse below it.
    answer_threshold: float
    # Further quotes must reach this share of the best candidate's probability.
    second_quote_ratio: float
    # The organisation's own documents answer a question scoped to it from this candidate probability on.
    own_threshold: float
    fitted_on: str = ""
    # Re-weighs the checked candidates; None: answers go without the answer check.
    checks: LinearModel | None = None

    def to_json(self) -> dict:
        return {"candidates": self.candidates.to_json(),
                "checks": self.checks.to_json() if self.checks is not None else None,
                "refusal": self.refusal.to_json(),
                "answer_threshold": self.answer_threshold, "second_quote_ratio": self.second_quote_ratio,
                "own_threshold": self.own_threshold, "fitted_on": self.fitted_on}

    def save(self, path: Path = MODEL_PATH) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict) -> "AnswerModel":
        from service.features import FEATURES
        from service.refusal import REFUSAL_FEATURES

        checks = data.get("checks")
        return cls(LinearModel.from_json(data["candidates"], FEATURES),
                   LinearModel.from_json(data["refusal"], REFUSAL_FEATURES),
                   float(data["answer_threshold"]), float(data["second_quote_ratio"]), float(data["own_threshold"]),
                   data.get("fitted_on", ""), LinearModel.from_json(checks, CHECK_FEATURES) if checks else None)


def load_model(path: Path = MODEL_PATH) -> AnswerModel:
    return AnswerModel.from_json(json.loads(path.read_text(encoding="utf-8")))
