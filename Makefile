# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
INDEX ?= data/index
MODEL_DIR ?= models/multilingual-e5-small
# Extra pip arguments for torch, e.g. the CPU wheel index on a machine with internet access.
TORCH_PIP_ARGS ?=

.PHONY: install model index run test evaluate bench browser clean

# torch first, from the CPU build: a plain `torch` requirement would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

model: install
	$(PY) -m ingest.model_build --target $(MODEL_DIR)

index: model
	$(PY) -m ingest corpus --index $(INDEX)

run: index
	$(PY) -m service --index $(INDEX) --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; fi; }

test: model browser
	$(PY) -m pytest -q

evaluate: index
	$(PY) -m evaluation retrieval
	$(PY) -m evaluation answers

bench: index
	$(PY) -m evaluation bench

clean:
	rm -rf data test-artifacts
