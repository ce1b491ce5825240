"""The answer check: a cross-encoder that reads the question and a candidate quote together.

The answer model's features weigh a quote by what can be measured apart (cosines of separate
vectors, shared words); the check reads both texts in one pass of the transformer, so it sees
whether the quote says what the question asks ("per kiek laiko" against a period of another
body, a paraphrase against the words of the law). It is multilingual-e5-small with a small LoRA
adapter and a scoring head, trained by ``python -m evaluation verifier`` on the training
questions of other documents (never on the gold questions), merged and exported to int8 ONNX by
``python -m ingest.model_build`` into ``verifier/`` of the model folder.

Only the few most probable candidates of a question are checked, in one batch. A model folder
without the check (a model named from a hub) answers without it.
"""

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

VERIFIER_FILE = Path("verifier") / "model-int8.onnx"
SENTENCEPIECE_FILE = Path("onnx") / "tokenizer.model"
# Question and quote together are cut to this many tokens (the quote is cut, not the question).
MAX_TOKENS = 144
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


def passage_text(title: str, section: str, text: str) -> str:
    """What the check reads of a quote: where it stands (document title, section) and the quote."""
    head = title + (f" — {section}" if section and section != title else "")
    return f"{head}\n{text}"


def candidate_text(documents, candidate) -> str:
    """What the check reads of a quote candidate (a ``service.candidates.Candidate``)."""
    document = documents[candidate.document_id]
    return passage_text(document.title, candidate.chunk.section or "", document.text[candidate.start:candidate.end])


def pair_ids(question: list[int], passage: list[int], bos: int, eos: int, limit: int = MAX_TOKENS) -> list[int]:
    """Token ids of a question and a passage read together, as the model was trained on them:
    ``<s> question </s></s> passage </s>``, the passage cut to fit ``limit``."""
    question = question[:limit // 2]
    room = max(0, limit - len(question) - 4)
    return [bos, *question, eos, eos, *passage[:room], eos]


class Verifier:
    """Scores (question, quote) pairs: higher means the quote more likely answers the question."""

    def __init__(self, model_dir: Path, threads: int = 1):
        import onnxruntime
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(Path(model_dir) / SENTENCEPIECE_FILE))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(Path(model_dir) / VERIFIER_FILE), options,
                                                    providers=["CPUExecutionProvider"])

    @staticmethod
    def available(model_dir: str | Path) -> bool:
        folder = Path(model_dir)
        return (folder / VERIFIER_FILE).exists() and (folder / SENTENCEPIECE_FILE).exists()

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encoded = self.processor.encode([QUERY_PREFIX + question.strip()] + [PASSAGE_PREFIX + p for p in passages],
                                        num_threads=1)
        bos, eos = self.processor.bos_id(), self.processor.eos_id()
        scores = np.zeros(len(passages), dtype=np.float32)
        # One pair a run: no padding to the longest pair, which costs more than the extra runs.
        for i, ids in enumerate(encoded[1:]):
            row = np.array([pair_ids(encoded[0], ids, bos, eos)], dtype=np.int64)
            scores[i] = self.session.run(None, {"input_ids": row, "attention_mask": np.ones_like(row)})[0][0]
        return scores


_LOADED: dict[tuple[str, int], "Verifier | None"] = {}


def get_verifier(model_dir: str | Path, threads: int = 1) -> "Verifier | None":
    """The answer check of a model folder, loaded once per process; None when the folder has none."""
    key = (str(model_dir), threads)
    if key not in _LOADED:
        _LOADED[key] = Verifier(Path(model_dir), threads) if Verifier.available(model_dir) else None
        if _LOADED[key] is None:
            log.warning("The model folder %s has no answer check (%s): answers go without it", model_dir, VERIFIER_FILE)
    return _LOADED[key]
