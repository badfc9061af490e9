"""A scripted ``Generator`` for tests: no model, deterministic replies, recorded prompts."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from diplorag.errors import GenerationError
from diplorag.generate import ChatMessage, GenerationStats

__all__ = ["ScriptedGenerator", "echo_first_sentence", "scripted"]

# A word with the white space before it: pieces the size of a real model's tokens, roughly.
_PIECE = re.compile(r"\s*\S+|\s+")

Reply = Callable[[list[ChatMessage]], str]


class ScriptedGenerator:
    """Streams scripted replies, as a model would, and records what it was asked.

    Args:
        replies: Replies handed out in order, one per ``stream`` call; or a function from the
            messages to the reply.
        name: The model name answers report.

    Attributes:
        calls: The messages of every ``stream`` call, oldest first.
        last_stats: Stats of the latest stream; token counts are pieces, timings are real.
    """

    def __init__(self, replies: Sequence[str] | Reply, *, name: str = "scripted") -> None:
        self.name = name
        self.last_stats: GenerationStats | None = None
        self.calls: list[list[ChatMessage]] = []
        self.grammars: list[str | None] = []  # the grammar of every call (not enforced)
        if isinstance(replies, str):
            replies = [replies]  # one reply, not one reply per character
        self._replies: list[str] | None = None if callable(replies) else list(replies)
        self._reply_fn: Reply | None = replies if callable(replies) else None

    @property
    def last_messages(self) -> list[ChatMessage]:
        """The messages of the latest call."""
        if not self.calls:
            raise AssertionError("ScriptedGenerator.stream was never called")
        return self.calls[-1]

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        grammar: str | None = None,
    ) -> Iterator[str]:
        """Yield the next scripted reply in word-sized pieces.

        Like a real model, the reply ends before the first ``stop`` string and after
        ``max_tokens`` pieces.

        Raises:
            GenerationError: the script has no reply left.
        """
        # Recorded now, not on first next(), so a test sees the prompt even if it never iterates.
        self.calls.append(copy.deepcopy(messages))
        self.grammars.append(grammar)
        text = self._next_reply(messages)
        return self._pieces(text, max_tokens=max_tokens, stop=stop)

    def _next_reply(self, messages: list[ChatMessage]) -> str:
        if self._reply_fn is not None:
            return self._reply_fn(copy.deepcopy(messages))
        assert self._replies is not None
        if not self._replies:
            raise GenerationError(f"ScriptedGenerator has no reply left for call {len(self.calls)}")
        return self._replies.pop(0)

    def _pieces(self, text: str, *, max_tokens: int, stop: Sequence[str]) -> Iterator[str]:
        started = time.perf_counter()
        finish: Literal["stop", "length", "interrupted"] = "interrupted"
        cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
        if cut >= 0:
            text = text[:cut]
        pieces = _PIECE.findall(text)
        if len(pieces) > max_tokens:
            pieces = pieces[:max_tokens]
            final: Literal["stop", "length"] = "length"
        else:
            final = "stop"
        first: float | None = None
        sent = 0
        try:
            for piece in pieces:
                if first is None:
                    first = time.perf_counter() - started
                sent += 1
                yield piece
            finish = final
        finally:
            total = time.perf_counter() - started
            self.last_stats = GenerationStats(
                prompt_tokens=sum(len(m["content"].split()) for m in self.calls[-1]),
                completion_tokens=sent,
                first_token_seconds=first if first is not None else total,
                total_seconds=total,
                finish_reason=finish,
            )


_EVIDENCE_LINE = re.compile(r"^\[(\d+)\](?: \([^)]*speaking\))? (.+)$")
# How long a gated fake waits for its gate before it fails (a test that forgot to open it).
GATE_TIMEOUT_S = 60.0


def echo_first_sentence(messages: list[ChatMessage]) -> str:
    """The reply of a model that repeats the first numbered evidence sentence, cited."""
    for line in messages[-1]["content"].splitlines():
        m = _EVIDENCE_LINE.match(line.strip())
        if m:
            return f"{m.group(2).rstrip(' .')} [{m.group(1)}]."
    return "The documents do not say."


def _fail(messages: list[ChatMessage]) -> str:
    raise GenerationError("the fake model failed, as it was asked to (fake-fail)")


class GatedGenerator(ScriptedGenerator):
    """A ``ScriptedGenerator`` that stops after the first piece until a file exists.

    Lets a test hold a stream open for as long as it needs (a server generating while it
    searches), without sleeping for a guessed time.
    """

    def __init__(self, replies: Sequence[str] | Reply, gate: Path, *, name: str = "fake") -> None:
        super().__init__(replies, name=name)
        self.gate = gate

    def stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        grammar: str | None = None,
    ) -> Iterator[str]:
        pieces = super().stream(messages, max_tokens=max_tokens, stop=stop, grammar=grammar)
        return self._gated(pieces)

    def _gated(self, pieces: Iterator[str]) -> Iterator[str]:
        try:
            for i, piece in enumerate(pieces):
                yield piece
                if i == 0:
                    self._wait()
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    def _wait(self) -> None:
        deadline = time.monotonic() + GATE_TIMEOUT_S
        while not self.gate.exists():
            if time.monotonic() > deadline:
                raise GenerationError(f"the gate {self.gate} of the fake model never opened")
            time.sleep(0.01)


def scripted(name: str) -> ScriptedGenerator | None:
    """The fake model a setting names, or ``None`` when ``name`` names no fake.

    ``fake`` repeats the first evidence sentence with its marker (an answer that verifies);
    ``fake-fail`` raises ``GenerationError`` when asked; ``fake-gate:PATH`` answers like
    ``fake`` but holds its stream after the first piece until ``PATH`` exists.
    """
    if name == "fake":
        return ScriptedGenerator(echo_first_sentence, name="fake")
    if name == "fake-fail":
        return ScriptedGenerator(_fail, name="fake-fail")
    if name.startswith("fake-gate:"):
        return GatedGenerator(echo_first_sentence, Path(name.removeprefix("fake-gate:")))
    return None
