"""The generation step: prompt over the numbered evidence, grammar-constrained, streamed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from diplorag.answer.evidence import Evidence
from diplorag.answer.markers import is_abstention
from diplorag.answer.query import Query
from diplorag.generate import GenerationStats, Generator
from diplorag.generate.grammar import answer_grammar, surface_numbers
from diplorag.generate.prompts import build_prompt
from diplorag.sentences import split_sentences

__all__ = ["Generated", "generate_answer", "stop_at"]


@dataclass
class Generated:
    raw: str
    interrupted: bool = False
    stats: GenerationStats | None = None
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens_estimate: int = 0


def stop_at(text: str) -> int | None:
    """Where to cut a small model that has said all it will: an opening abstention, or a loop."""
    spans = split_sentences(text)
    if len(spans) < 2:
        return None
    complete = [text[a:b].strip() for a, b in spans[:-1]]  # the last one may be unfinished
    if is_abstention(complete[0]):
        return spans[0][1]
    if len(complete) >= 2 and complete[-1] in complete[:-1]:
        return spans[len(complete) - 2][1]
    return None


def generate_answer(
    generator: Generator,
    query: Query,
    evidence: Evidence,
    *,
    max_tokens: int,
    history: Sequence[tuple[str, str]] = (),
    on_token: Callable[[str], None] | None = None,
    constrained: bool = True,
) -> Generated:
    """Ask the model to answer ``query`` from ``evidence``; stream its pieces to ``on_token``.

    Args:
        generator: The language model.
        query: The question as read.
        evidence: The numbered sentences the model may cite.
        max_tokens: Longest answer.
        history: The previous turn, for a follow-up.
        on_token: Called with each piece as it streams.
        constrained: Apply the answer grammar (``generate.grammar``).

    Returns:
        The raw answer, whether the user interrupted it, and the model's stats.
    """
    asked = query.text if not query.follow_up else f"{query.text} (follow-up to: {query.previous})"
    prompt = build_prompt(
        asked,
        evidence.sentences,
        speakers=evidence.speakers,
        history=history[-1:],
        speaker=query.speaker_name,
    )
    grammar = None
    if constrained:
        grammar = answer_grammar(
            len(evidence.sentences), surface_numbers(h.text for h in evidence.sentences)
        )
    began = time.perf_counter()
    out = Generated(raw="", prompt_tokens_estimate=prompt.estimated_tokens)
    pieces: list[str] = []
    stream = generator.stream(prompt.messages, max_tokens=max_tokens, grammar=grammar)
    try:
        for piece in stream:
            if not pieces:
                out.timings["model_first_token_wall_s"] = time.perf_counter() - began
            pieces.append(piece)
            if on_token:
                on_token(piece)
            cut = stop_at("".join(pieces))
            if cut is not None:
                pieces = ["".join(pieces)[:cut]]
                break
    except KeyboardInterrupt:
        out.interrupted = True
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    out.timings["generation_s"] = time.perf_counter() - began
    out.raw = "".join(pieces)
    out.stats = generator.last_stats
    return out
