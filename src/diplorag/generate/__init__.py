"""Answer writing: the ``Generator`` protocol and what every backend shares.

Backends, one per file: ``llama.LlamaGenerator`` (llama.cpp, the real one) and
``fake.ScriptedGenerator`` (scripted replies, for tests). ``models`` turns a model name into a
verified GGUF; ``prompts`` turns a question and evidence sentences into chat messages;
``grammar`` is the GBNF form an answer must take.

Importing this package is cheap: nothing here imports ``llama_cpp``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict, runtime_checkable

__all__ = ["ChatMessage", "GenerationStats", "Generator", "Role"]

Role = Literal["system", "user", "assistant"]


class ChatMessage(TypedDict):
    """One chat turn, in the shape llama-cpp-python's ``create_chat_completion`` takes."""

    role: Role
    content: str


@dataclass(frozen=True)
class GenerationStats:
    """Token counts and timings of one finished (or interrupted) stream.

    Attributes:
        prompt_tokens: Tokens of the formatted chat prompt the model read.
        completion_tokens: Tokens the model produced (an end-of-turn token included).
        first_token_seconds: From the call to the first piece of text: mostly prompt reading.
        total_seconds: From the call to the end of the stream.
        finish_reason: ``"stop"`` (end of turn or a stop string), ``"length"`` (hit
            ``max_tokens``) or ``"interrupted"`` (the consumer stopped early).
    """

    prompt_tokens: int
    completion_tokens: int
    first_token_seconds: float
    total_seconds: float
    finish_reason: Literal["stop", "length", "interrupted"] = "stop"

    @property
    def tokens_per_second(self) -> float:
        """Generation speed after the first token (0.0 when it cannot be measured)."""
        span = self.total_seconds - self.first_token_seconds
        return (
            (self.completion_tokens - 1) / span if self.completion_tokens > 1 and span > 0 else 0.0
        )


@runtime_checkable
class Generator(Protocol):
    """A chat model that streams an answer as text pieces.

    ``last_stats`` is ``None`` until a stream has finished, then describes the most recent one,
    also when the consumer stopped it early (``finish_reason == "interrupted"``). A generator
    must stay usable after an interrupted stream: chat asks the next question on the same one.
    """

    name: str
    last_stats: GenerationStats | None

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        grammar: str | None = None,
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` piece by piece.

        Args:
            messages: The chat so far, system message first, ending with the user's turn.
            max_tokens: Stop after this many tokens.
            stop: Strings that end the reply; they are not part of it.
            grammar: A GBNF grammar the reply must follow (``generate.grammar``), or ``None``.

        Raises:
            GenerationError: the model failed (e.g. the prompt does not fit its context).
        """
        ...
