"""A chat's memory: earlier questions, their queries and answers (what ``chat`` keeps)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diplorag.answer.query import Query
    from diplorag.types import Answer

__all__ = ["Conversation", "Turn"]


@dataclass(frozen=True)
class Turn:
    query: Query
    answer: Answer


@dataclass
class Conversation:
    """The last few turns of a chat; follow-ups are read against the latest one.

    Attributes:
        max_turns: Turns kept (older ones are forgotten).
        key: Names this conversation to a ``diplorag serve`` that keeps it for a chat
            (``serve.client``); a reset starts a new one.
    """

    max_turns: int = 3
    turns: list[Turn] = field(default_factory=list)
    key: str = field(default_factory=lambda: os.urandom(8).hex())

    @property
    def last_query(self) -> Query | None:
        return self.turns[-1].query if self.turns else None

    def add(self, query: Query, answer: Answer) -> None:
        self.turns.append(Turn(query, answer))
        del self.turns[: -self.max_turns]

    def reset(self) -> None:
        self.turns.clear()
        self.key = os.urandom(8).hex()

    def history(self) -> Sequence[tuple[str, str]]:
        """``(question, answer text)`` of the kept turns, oldest first."""
        return [(t.query.text, t.answer.answer) for t in self.turns]
