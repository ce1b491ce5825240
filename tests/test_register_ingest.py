"""Ingest for the law register: a stopped ingest resumes, the register setup (ONNX passages,
late-pooled quote units, torch in bfloat16) builds an index that answers, and vectors are kept at
half precision."""

import numpy as np
import pytest

from evaluation.scale import REGISTER_SETUP
from ingest import vectors
from ingest.embedding import Embedder, bfloat16_supported
from ingest.index_store import load_index
from ingest.pipeline import ingest
from ingest.vector_file import VectorFile
from service.answering import Answerer
from service.engine import Engine
from tests.test_pipeline import COMPLAINTS, POLICY

MORE = """Savanorių priėmimo tvarka

1. Savanoris pasirašo savanoriškos veiklos sutartį.

2. Savanoriui paskiriamas kuratorius iš Centro darbuotojų.

3. Savanoris supažindinamas su konfidencialumo reikalavimais.
"""


@pytest.fixture
def folder(tmp_path):
    corpus = tmp_path / "policies"
    corpus.mkdir()
    for name, text in (("mokymai.txt", POLICY), ("skundai.md", COMPLAINTS), ("savanoriai.txt", MORE)):
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def test_a_stopped_ingest_keeps_what_it_embedded_and_the_rerun_continues(folder, tmp_path, base_settings, monkeypatch):
    index_dir = tmp_path / "index"
    monkeypatch.setattr(vectors, "GROUP", 2)
    real = vectors._embed_group
    calls = []

    def stops_after_the_first_group(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(vectors, "_embed_group", stops_after_the_first_group)
    with pytest.raises(KeyboardInterrupt):
        ingest([folder], index_dir, base_settings, show_progress=False)
    assert list((index_dir / vectors.RESUME_FOLDER).glob("group-*.npz"))
    assert not (index_dir / "current").exists()

    monkeypatch.setattr(vectors, "_embed_group", real)
    report = ingest([folder], index_dir, base_settings, show_progress=False)
    assert report.resumed_chunks == 2 and report.embedded_chunks == report.chunks
    assert not (index_dir / vectors.RESUME_FOLDER).exists()

    fresh = ingest([folder], tmp_path / "fresh", base_settings, show_progress=False)
    assert fresh.resumed_chunks == 0
    resumed, whole = load_index(index_dir), load_index(tmp_path / "fresh")
    assert np.allclose(np.asarray(resumed.embeddings, np.float32), np.asarray(whole.embeddings, np.float32), atol=2e-3)


def test_vectors_are_half_precision_and_read_by_rows(folder, tmp_path, base_settings):
    ingest([folder], tmp_path / "index", base_settings, show_progress=False)
    index = load_index(tmp_path / "index")
    assert index.embeddings.dtype == np.float16 and index.quote_vectors.dtype == np.float16
    assert isinstance(index.embeddings, VectorFile) and isinstance(index.quote_vectors, VectorFile)
    assert index.dense.ntotal == len(index.chunks)
    # faiss's own copy gives search the vectors of the file, to a byte a dimension
    rows = [len(index.chunks) - 1, 0, 2]
    assert np.abs(index.chunk_vectors(rows) - index.embeddings[rows].astype(np.float32)).max() < 0.01


def test_vector_file_reads_any_rows(tmp_path):
    matrix = np.arange(40, dtype=np.float16).reshape(10, 4)
    np.save(tmp_path / "v.npy", matrix)
    vectors = VectorFile(tmp_path / "v.npy")
    assert len(vectors) == 10 and vectors.shape == (10, 4) and vectors.dtype == np.float16
    assert np.array_equal(vectors[3], matrix[3])
    assert np.array_equal(vectors[2:7], matrix[2:7])
    assert np.array_equal(vectors[[9, 0, 1, 2, 9, 5]], matrix[[9, 0, 1, 2, 9, 5]])
    assert np.array_equal(np.asarray(vectors), matrix) and vectors[[]].shape == (0, 4)
    with pytest.raises(IndexError):
        vectors[[10]]


def test_the_register_setup_answers_from_its_exact_text(folder, tmp_path, base_settings):
    settings = base_settings.model_copy(update={**REGISTER_SETUP, "index_dir": tmp_path / "index"})
    report = ingest([folder], settings.index_dir, settings, show_progress=False)
    assert report.embedded_units > 0 and report.units_in_context < report.embedded_units
    index = load_index(settings.index_dir)
    assert all(index.manifest[key] == value for key, value in REGISTER_SETUP.items())
    assert index.dense.ntotal == len(index.chunks)
    answer = Answerer(Engine.load(settings)).answer("Per kiek dienų išnagrinėjamas paslaugų gavėjo skundas?")
    quote = (answer.quotes or answer.nearest)[0]
    assert quote.document_id == "skundai" and "dešimt darbo dienų" in quote.text
    assert index.documents["skundai"].text[quote.char_start:quote.char_end] == quote.text


def test_bfloat16_passages_are_the_float32_ones_to_within_rounding(base_settings):
    texts = [POLICY, COMPLAINTS, MORE, "Trumpas sakinys."]
    exact = Embedder(base_settings.model_copy(update={"passage_precision": "float32"})).encode_passages(texts)
    embedder = Embedder(base_settings.model_copy(update={"passage_precision": "bfloat16"}))
    fast = embedder.encode_passages(texts)
    assert np.min(np.sum(exact * fast, axis=1)) > 0.999
    # On a CPU with bfloat16 instructions the passes really ran in it: not the float32 numbers.
    assert embedder.torch_bfloat16 == bfloat16_supported()
    assert np.array_equal(exact, fast) != embedder.torch_bfloat16
