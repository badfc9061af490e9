# The README's commands. Everything runs from ./.venv, which scripts/bootstrap.sh creates.
VENV ?= .venv
BIN  := $(VENV)/bin
QUESTION ?= What did Kang say about New START?

.PHONY: demo test test-fast test-default lint bench setup setup-default clean-index

## Main job: install everything (incl. the default 1.5B model), index corpus/, answer a question.
demo: setup-default
	$(BIN)/diplorag ingest corpus/
	$(BIN)/diplorag ask "$(QUESTION)"

## Whole test suite, including the real embedding model and SmolLM2 end-to-end tests.
test: setup
	$(BIN)/python -m pytest -q

## Unit tests only (no real models): seconds.
test-fast:
	$(BIN)/python -m pytest -q -m "not model and not default_model"

## Dev-question quality report with the default 1.5B model (slow; not in CI).
test-default: setup-default
	$(BIN)/python -m pytest -q -m default_model -s

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench:
	$(BIN)/python benchmarks/retrieval.py

setup:
	scripts/bootstrap.sh

setup-default:
	scripts/bootstrap.sh --default

clean-index:
	rm -rf indexes/default
