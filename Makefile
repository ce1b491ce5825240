# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
INDEX ?= data/index
MODEL_DIR ?= models/multilingual-e5-small
# Extra pip arguments for torch, e.g. the CPU wheel index on a machine with internet access.
TORCH_PIP_ARGS ?=
# The index is rebuilt only when a corpus file or the ingest code changed since the last ingest.
INDEX_STAMP := $(INDEX)/.ingested
CORPUS_FILES := $(shell find corpus -type f 2>/dev/null)
INGEST_CODE := $(wildcard ingest/*.py)

.PHONY: install model index run test evaluate bench browser postgres clean

# torch first, from the CPU build: a plain `torch` requirement would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@echo "==> Installing Python packages into $(VENV) (the first time takes a few minutes)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) torch==2.13.0
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(VENV)/.installed

model: install
	@echo "==> Checking the embedding model in $(MODEL_DIR) (built once)"
	@$(PY) -m ingest.model_build --target $(MODEL_DIR)

$(INDEX_STAMP): $(CORPUS_FILES) $(INGEST_CODE) $(VENV)/.installed
	@echo "==> Indexing corpus/ into $(INDEX)"
	@$(PY) -m ingest corpus --index $(INDEX) --quiet
	@touch $@

index: model
	@if $(MAKE) --no-print-directory --question $(INDEX_STAMP); then \
		echo "==> Index in $(INDEX) is up to date: corpus/ has not changed since the last ingest"; \
	else $(MAKE) --no-print-directory $(INDEX_STAMP); fi

run: index
	@echo "==> Serving on http://$(HOST):$(PORT)"
	@$(PY) -m service --index $(INDEX) --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "==> Installing Chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; fi; }

# Debian's PostgreSQL for the replica tests, which start their own server from its binaries.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
		echo "==> Installing PostgreSQL for the replica tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null; fi; }

test: model browser postgres
	$(PY) -m pytest -q

evaluate: index
	$(PY) -m evaluation retrieval
	$(PY) -m evaluation answers
	$(PY) -m evaluation principles

bench: index
	$(PY) -m evaluation bench

clean:
	rm -rf data test-artifacts
