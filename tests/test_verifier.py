"""The answer check: pairs are read as trained, the shipped check prefers the quote that answers,
and the training command's adapter and head become an int8 copy that scores."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.model_build import VERIFIER_DIR, export_verifier, verifier_files  # noqa: E402
from ingest.settings import get_settings  # noqa: E402
from service.verifier import MAX_TOKENS, Verifier, pair_ids, passage_text  # noqa: E402

MODEL = Path(get_settings().model)
QUESTION = "Kiek laiko galioja EQUASS Assurance sertifikatas?"
ANSWER = passage_text("EQUASS Assurance", "Sertifikavimas", "EQUASS Assurance sertifikatas galioja trejus metus.")
OTHER = passage_text("Socialinių paslaugų įstatymas", "1 straipsnis", "Socialinė globa – asmeniui teikiama nuolatinė "
                     "specialistų pagalba, apimanti visumą paslaugų.")


def test_pair_ids_read_question_then_quote_cut_to_the_limit():
    assert pair_ids([5, 6], [7, 8, 9], bos=0, eos=2) == [0, 5, 6, 2, 2, 7, 8, 9, 2]
    long = pair_ids([5] * 10, list(range(1000)), bos=0, eos=2)
    assert len(long) == MAX_TOKENS and long[-1] == 2 and long[:11] == [0] + [5] * 10


def test_pair_ids_match_the_tokenizer_the_check_was_trained_with():
    from transformers import AutoTokenizer
    import sentencepiece

    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(MODEL / "onnx" / "tokenizer.model"))
    for question, passage in [(QUESTION, ANSWER), ("kas yra socialine globa", OTHER * 20)]:
        expected = tokenizer("query: " + question, "passage: " + passage, truncation="only_second",
                             max_length=MAX_TOKENS)["input_ids"]
        question_ids, passage_ids = pieces.encode(["query: " + question, "passage: " + passage])
        assert pair_ids(question_ids, passage_ids, pieces.bos_id(), pieces.eos_id()) == expected


def test_shipped_check_prefers_the_quote_that_answers():
    assert Verifier.available(MODEL), "the model build must export the shipped answer check"
    scores = Verifier(MODEL).scores(QUESTION, [OTHER, ANSWER])
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert scores[1] > scores[0]
    assert Verifier(MODEL).scores(QUESTION, []).shape == (0,)


def test_shipped_check_files_are_in_the_repository():
    assert verifier_files(VERIFIER_DIR) is not None


def test_trained_adapter_and_head_export_to_an_int8_copy_that_scores(tmp_path):
    from evaluation.verifier import Group, train_verifier

    groups = [Group(QUESTION, [ANSWER], [OTHER] * 5), Group("kas yra socialinė globa", [OTHER], [ANSWER] * 5)]
    report = train_verifier(MODEL, groups, tmp_path / "check", epochs=1)
    assert report["steps"] == 1
    assert verifier_files(tmp_path / "check") is not None
    out = export_verifier(MODEL, tmp_path / "check", tmp_path / "model" / "verifier" / "model-int8.onnx")
    assert out.exists()
    (tmp_path / "model" / "onnx").mkdir()
    (tmp_path / "model" / "onnx" / "tokenizer.model").symlink_to(MODEL / "onnx" / "tokenizer.model")
    scores = Verifier(tmp_path / "model").scores(QUESTION, [ANSWER, OTHER, OTHER])
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert scores[1] == pytest.approx(scores[2], abs=1e-5)  # the same pair scores the same
