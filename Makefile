# The README's commands. Everything runs from ./.venv, which scripts/bootstrap.sh creates.
VENV ?= .venv
BIN  := $(VENV)/bin
QUESTION ?= What did Kang say about New START?

.PHONY: demo test test-fast test-default eval-default lint bench setup setup-default clean-index

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

## Both dev sets with the default model (slow; not in CI). The seed index is built here; the
## news index must exist (shared/tools/news_corpus.py OUT, then diplorag ingest OUT --index news).
SHARED ?= ../shared
DEV_INDEX_DIR ?= indexes
NEWS_INDEX_DIR ?= indexes
eval-default: setup-default
	$(BIN)/diplorag ingest corpus/ --index-dir $(DEV_INDEX_DIR) --index dev-seed -q
	$(BIN)/diplorag eval $(SHARED)/eval/dev_seed_qa.jsonl --index-dir $(DEV_INDEX_DIR) \
		--index dev-seed --answers-out eval-seed-answers.jsonl
	$(BIN)/diplorag eval $(SHARED)/eval/dev_news_qa.jsonl --index-dir $(NEWS_INDEX_DIR) \
		--index news --answers-out eval-news-answers.jsonl

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
