"""Every test gets its own home, index folder and a clean DIPLORAG_* environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DIPLORAG_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DIPLORAG_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setenv("DIPLORAG_CONFIG", str(tmp_path / "diplorag.toml"))
    # Models assembled from parts are big: share the repo's models/ folder between tests.
    monkeypatch.setenv("DIPLORAG_MODELS_DIR", str(REPO / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # A `diplorag serve` someone runs on this machine must not answer the tests' commands.
    monkeypatch.setenv("DIPLORAG_SERVER_URL", "none")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the seed corpus, safe to change."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
