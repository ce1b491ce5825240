"""The query adapter: what it does to a vector, how it is stored and fitted, and that search uses it."""

import numpy as np
import pytest

from evaluation.query_adapter import AdapterExample, fit_adapter, folds_of, top1
from ingest.settings import Settings
from service.engine import Engine
from service.query_adapter import ADAPTER_PATH, QueryAdapter, load_adapter, model_key


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_identity_keeps_the_vector_and_any_adapter_gives_unit_length():
    vector = unit(np.arange(1, 9, dtype=np.float32))
    assert np.allclose(QueryAdapter.identity("m", 8).adapt(vector), vector)
    turned = QueryAdapter("m", np.random.RandomState(0).normal(size=(8, 8)).astype(np.float32)).adapt(vector)
    assert np.isclose(np.linalg.norm(turned), 1.0) and not np.allclose(turned, vector)


def test_saved_adapter_loads_only_for_its_model(tmp_path):
    path = tmp_path / "adapter.npz"
    matrix = np.eye(4, dtype=np.float32) * 0.5
    QueryAdapter("multilingual-e5-small", matrix, "test").save(path)
    loaded = load_adapter("/any/folder/multilingual-e5-small", 4, path)
    assert loaded is not None and np.array_equal(loaded.matrix, matrix) and loaded.fitted_on == "test"
    assert load_adapter("/any/folder/another-model", 4, path) is None
    assert load_adapter("/any/folder/multilingual-e5-small", 8, path) is None
    assert load_adapter("multilingual-e5-small", 4, tmp_path / "missing.npz") is None


def test_the_shipped_adapter_fits_the_default_model():
    adapter = load_adapter(Settings().model, 384)
    assert ADAPTER_PATH.exists() and adapter is not None
    assert adapter.model == model_key(Settings().model) and np.abs(adapter.matrix).sum() > 0


def test_fitting_learns_a_turn_that_holds_on_unseen_questions():
    """Gold passages lie where a fixed turn takes the question, other candidates lie around the
    question itself; the fitted adapter finds the gold for questions it was not fitted on."""
    rng = np.random.RandomState(0)
    dimension = 16
    turn = (rng.normal(size=(dimension, dimension)) / np.sqrt(dimension)).astype(np.float32)

    def example() -> AdapterExample:
        question = unit(rng.normal(size=dimension))
        gold = unit(question + turn @ question)
        near = [unit(question + rng.normal(size=dimension) / np.sqrt(dimension)) for _ in range(5)]
        return AdapterExample(question, np.vstack([gold] + near), np.array([True] + [False] * 5))

    examples = [example() for _ in range(300)]
    adapter = fit_adapter(examples[:240], "toy", epochs=30, regularisation=0.0)
    assert top1(examples[240:], None) < 0.4
    assert top1(examples[240:], adapter) > 0.8


def test_folds_cover_every_example_once():
    folds = folds_of(23, folds=5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(23))


@pytest.fixture(scope="module")
def engine(base_settings, corpus_index):
    return Engine.load(base_settings)


def test_search_runs_with_the_adapted_vector(engine):
    searcher = engine.searcher
    assert searcher.adapter is not None
    question = "kolegė visai perdegus, kur jai kreiptis?"
    plain = searcher.embedder.encode_queries([question])[0]
    assert np.allclose(searcher.query_vector(question), searcher.adapter.adapt(plain), atol=1e-5)
    adapted_hits = searcher.search(question, k=5)
    given_hits = searcher.search(question, k=5, query_vector=searcher.adapter.adapt(plain))
    assert [h.chunk.chunk_id for h in adapted_hits] == [h.chunk.chunk_id for h in given_hits]
