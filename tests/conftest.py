"""Shared fixtures: one real index of the default corpus, built once per test session."""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.pipeline import ingest  # noqa: E402
from ingest.settings import PROJECT_ROOT, Settings  # noqa: E402
from service.app import create_app  # noqa: E402
# The browser fixtures live here, not in each browser test module, so the session has one
# Chromium and one live server however many modules use them.
from tests.web_fixtures import (  # noqa: E402,F401 - fixtures are used by name
    browser, host_site, injection_server, live_server, page, phone_page, screenshots,
)

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("data")
    return Settings(index_dir=data / "index", conversation_db=data / "conversations.sqlite3")


@pytest.fixture(scope="session")
def corpus_index(base_settings) -> Path:
    """The default corpus, ingested with the real model."""
    ingest([CORPUS], base_settings.index_dir, base_settings, show_progress=False)
    return base_settings.index_dir


@pytest.fixture(scope="session")
def client(base_settings, corpus_index):
    with TestClient(create_app(base_settings)) as test_client:
        yield test_client
