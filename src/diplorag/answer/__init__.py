"""Answering a question, as steps: query → retrieve → evidence → generate → verify → ``Answer``.

One module per step (``query``, ``retrieve``, ``evidence``, ``relevance``, ``generate``,
``verify``), ``pipeline`` runs them in order and ``api.Session.ask`` only wires them to an
index, an embedder and a model.

Who said what comes from outside the pipeline, through the two protocols below: a
``StatementSource`` finds a person's statements (for "What did X say about Y?") and a
``SpeakerCheck`` says who speaks in a stretch of a document (for verification). The statement
index implements both (``api.IndexStatements``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from diplorag.types import Filters, Speaker, Statement

__all__ = ["SpeakerCheck", "StatementSource"]


class StatementSource(Protocol):
    """Who said what across the index."""

    def find_speaker(self, question: str) -> Speaker | None:
        """The person (or organisation) whose statements ``question`` asks about, if the index
        knows them: "What did Lavrov say about …?", "Grushko on …: what does he say …?",
        "According to Putin's press secretary, …". ``None`` when the question asks about no
        one's statements, or about someone the index does not quote."""
        ...

    def asked_name(self, question: str) -> str | None:
        """The phrase ``question`` uses for the person it asks about ("Lavrov", "Putin's press
        secretary"), whether or not the index quotes them; ``None`` if it asks about no one."""
        ...

    def said(self, speaker_id: str, about: str, k: int, filters: Filters | None) -> list[Statement]:
        """Up to ``k`` statements of ``speaker_id``, most relevant to ``about`` first (``score``
        set); with an empty ``about``, the newest first."""
        ...

    def who_said(
        self, topic: str, k: int, filters: Filters | None, documents: Sequence[str] = ()
    ) -> list[Statement]:
        """Up to ``k`` statements by anyone, most relevant to ``topic`` first (``score`` set);
        every statement of ``documents`` (found relevant already) is weighed too."""
        ...

    def colleagues_said(
        self, speaker: Speaker, topic: str, k: int, filters: Filters | None
    ) -> list[Statement]:
        """Up to ``k`` statements on ``topic`` by people of ``speaker``'s government and field
        (for Lavrov, Deputy Foreign Minister Bogdanov), most relevant first: who said it when
        ``speaker`` did not."""
        ...

    def suggest(self, name: str) -> list[str]:
        """Canonical names of known speakers close to ``name`` ("Lavrow" → "Sergei Lavrov"),
        best first; empty when none is close."""
        ...


class SpeakerCheck(Protocol):
    """Who speaks where: what verification asks of the statement index."""

    def statements_in(self, doc_id: str, start: int, end: int) -> list[Statement]:
        """The statements whose sentence overlaps ``[start, end)`` of document ``doc_id``."""
        ...

    def same_person(self, name: str, speaker_id: str) -> bool:
        """Whether ``name`` as written in an answer ("Lavrov", "Sergey Lavrov", "the Russian
        foreign minister") designates the speaker ``speaker_id``."""
        ...
