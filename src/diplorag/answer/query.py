"""The question, read once: follow-up resolved, the person asked about and the topic parsed.

``build_query`` is the only place that reads the question's wording; every later step takes
the ``Query`` it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diplorag.answer import StatementSource
from diplorag.answer.conversation import Conversation
from diplorag.text.analyze import content_terms, names, numbers, terms
from diplorag.types import Speaker

__all__ = ["Query", "asked_speaker", "build_query", "is_follow_up"]

_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|and what|what of|same for|and how|and who|why)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his)\b", re.IGNORECASE)

# A person's name as a question writes it: capitalised words, particles inside ("de Mistura",
# "Ursula von der Leyen"), optionally after a title.
_PARTICLE = r"(?:de|da|di|del|von|van|der|den|al|el|bin|ibn|la|le|du)"
_CAP = r"[A-Z][\w’'.-]*"
_NAME = rf"(?:{_PARTICLE}\s+)?{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{0,4}}"
_VERBS = (
    "say|said|tell|told|think|believe|want|see|view|assess|discuss|describe|respond|react|"
    "reply|ask|urge|press|warn|call|demand|expect|accuse|deny|concede|admit|defend|claim|"
    "suggest|propose|insist|stress|announce|declare|promise|pledge|vow|criticize|criticise|"
    "condemn|dismiss|reject|welcome|explain|argue|add|note|comment|mean|characterize|agree|"
    "confirm|threaten|blame|praise|acknowledge|emphasize|emphasise|reveal|predict|recommend"
)
_AUX = r"(?:did|does|do|has|have|had|would|will|could|is|was)"
_PATTERNS = [
    re.compile(rf"^\s*(?:[Aa]nd\s+)?(?P<who>{_NAME})\s*(?::|\bon\b)"),
    re.compile(rf"\b(?i:according\s+to)\s+(?P<who>{_NAME})\s*[,?]"),
    re.compile(
        rf"^\s*(?i:what|which|how|why|when|where|whom|in\s+what\s+way|to\s+what\s+extent)\b"
        rf"[^?]*?\b(?i:{_AUX})\s+(?P<who>{_NAME})\s+(?:{_VERBS})\b"
    ),
    re.compile(
        rf"^\s*(?i:what|how)\s+(?:is|was|were|are)\s+(?P<who>{_NAME})['’]s?\s+"
        r"(?:view|views|position|stance|opinion|message|comments?|response|reaction|assessment|"
        r"argument|warning|request|statement|remarks?|concerns?|take)\b"
    ),
    re.compile(rf"^\s*(?i:did|does|has|had)\s+(?P<who>{_NAME})\s+(?:{_VERBS})"),
    re.compile(rf"\b(?i:what|how)\s+(?P<who>{_NAME})\s+(?:{_VERBS})(?:s|d|ed|es)?\b"),
]
_POSSESSIVE_PATTERN = 3
# Words that may open a name run but are not people.
_NOT_PEOPLE = frozenset(
    """
    what which how why when where who whom and the a an did does do is was were are has have had
    according i we you they he she it
    """.split()
)
_TITLES = frozenset(
    """
    minister secretary president prime premier chancellor ambassador envoy general spokesman
    spokeswoman spokesperson director chief senator governor mayor king queen prince mr mrs ms
    dr vice deputy foreign defense defence state
    """.split()
)


def asked_speaker(question: str) -> str | None:
    """The person whose statements ``question`` asks about, as written, titles dropped.

    "What did Kang say about …?" → "Kang"; "Grushko on confidence-building: …" → "Grushko";
    "What did de Mistura ask of …?" → "de Mistura"; "What is Kaczynski's view on …?" →
    "Kaczynski". Descriptions ("Putin's press secretary", "the panel") give ``None``: they name
    no one (a ``StatementSource`` may still resolve them).
    """
    for i, pattern in enumerate(_PATTERNS):
        m = pattern.search(question)
        if m is None:
            continue
        who = m.group("who").strip()
        if i != _POSSESSIVE_PATTERN and re.search(r"['’]s$", who):
            continue  # "How did Putin's press secretary respond": a description
        words = re.sub(r"['’]s$", "", who).split()
        while words and words[0].lower().strip(".") in _TITLES:
            words = words[1:]
        if not words or words[0].lower() in _NOT_PEOPLE:
            continue
        if any(w.endswith(("'s", "’s")) for w in words):
            continue  # "Beijing's defence ministry": a description, not a name
        return " ".join(words)
    return None


def is_follow_up(question: str) -> bool:
    """ "and what about Singapore?", "Why?", "what did he say next" — needs the previous turn."""
    if _FOLLOW_UP.match(question):
        return True
    return (
        bool(_PRONOUN.search(question))
        and asked_speaker(question) is None
        and (len(content_terms(question)) <= 3)
    )


@dataclass(frozen=True)
class Query:
    """A question as every step reads it.

    Attributes:
        text: The question as asked.
        search_text: What retrieval searches for: a follow-up is read with the previous question.
        previous: The previous question, when this one follows up on it.
        asked: The person asked about as the question writes them (or as inherited).
        speaker: That person as the statement index knows them; ``None`` if unknown or none.
        inherited: The speaker comes from the previous turn ("And what about Singapore?").
        topic: What the question is about: the question without the speaker and scaffolding.
        content: The topic's content terms (``text.analyze.content_terms``).
        names: Name-like words of the topic (entities to match: "Libya", "F-15s").
        numbers: Numbers of the question.
    """

    text: str
    search_text: str
    previous: str | None = None
    asked: str | None = None
    speaker: Speaker | None = None
    inherited: bool = False
    topic: str = ""
    content: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    numbers: frozenset[str] = field(default_factory=frozenset)

    @property
    def follow_up(self) -> bool:
        return self.previous is not None

    @property
    def speaker_name(self) -> str | None:
        """The name to check statements against: the index's name, else the asked one."""
        return self.speaker.name if self.speaker is not None else self.asked


def _topic(question: str, speaker_words: set[str]) -> str:
    """The question with the speaker's name words removed."""
    if not speaker_words:
        return question.strip()
    kept = [w for w in question.split() if re.sub(r"['’]s$|[^\w-]", "", w) not in speaker_words]
    return " ".join(kept).strip()


def build_query(
    question: str,
    conversation: Conversation | None = None,
    statements: StatementSource | None = None,
) -> Query:
    """Read ``question`` once, in the light of the conversation so far.

    Args:
        question: The user's question.
        conversation: Earlier turns; a follow-up inherits the previous question's topic and
            speaker.
        statements: Resolves the person asked about to a known speaker.

    Returns:
        The ``Query`` every step of the pipeline reads.
    """
    previous_query = conversation.last_query if conversation is not None else None
    follow = previous_query is not None and is_follow_up(question)
    asked = asked_speaker(question)
    speaker = statements.find_speaker(question) if statements is not None else None
    inherited = False
    if asked is None and speaker is None and follow and previous_query is not None:
        asked, speaker = previous_query.asked, previous_query.speaker
        inherited = asked is not None or speaker is not None
    if asked is None and speaker is not None:
        asked = speaker.name
    words: set[str] = set()
    for name in (asked, speaker.name if speaker else None, *(speaker.aliases if speaker else [])):
        if name:
            words |= {w for w in re.findall(r"[\w-]+", name)}
    topic = _topic(question, words)
    search_text = question
    previous = None
    if follow and previous_query is not None:
        previous = previous_query.text
        search_text = f"{question} {previous_query.topic if inherited else previous}"
        if len(content_terms(topic)) <= 1:
            topic = f"{topic} {previous_query.topic}".strip()
    drop = terms(" ".join(words), keep_stop_words=True)
    return Query(
        text=question,
        search_text=search_text,
        previous=previous,
        asked=asked,
        speaker=speaker,
        inherited=inherited,
        topic=topic,
        content=tuple(content_terms(topic, drop=drop)),
        names=tuple(n for n in names(topic) if n not in words),
        numbers=frozenset(numbers(question)),
    )
