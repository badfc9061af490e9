"""The question, read once: follow-up resolved, the person asked about and the topic parsed.

``build_query`` is the only place that reads the question's wording; every later step takes
the ``Query`` it returns.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from diplorag.answer import StatementSource
from diplorag.answer.conversation import Conversation
from diplorag.text.analyze import content_terms, names, numbers, terms
from diplorag.types import Speaker

__all__ = [
    "Query",
    "answer_type",
    "build_query",
    "date_window",
    "focus_terms",
    "is_follow_up",
]

_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|and what|what of|same for|and how|and who|why)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them|his)\b", re.IGNORECASE)
_ASKS = [
    ("person", re.compile(r"^\W*(?:and\s+)?(?:who|whom)\b", re.IGNORECASE)),
    ("number", re.compile(r"\bhow\s+(?:many|much)\b", re.IGNORECASE)),
    (
        "place",
        re.compile(
            r"^\W*(?:and\s+)?(?:where\b|(?:in|at|to|from)\s+(?:which|what)\s+(?:\w+\s+){0,2}"
            r"(?:town|city|village|port|country|region|province|base)\b)",
            re.IGNORECASE,
        ),
    ),
]


_WHO_DID = re.compile(r"^\W*(?:and\s+)?who\s+(\w+)", re.IGNORECASE)
_AUX = r"(?:did|does|do|was|were|is|are|has|have|had)"
# "Which Islamic State official did …", "Which minister said …": the noun before the verb.
_WHICH_NOUN = re.compile(
    rf"^\W*(?:and\s+)?(?:which|what)\s+(?!{_AUX}\b)(?:[\w'’-]+\s+){{0,4}}?([\w-]+)\s+"
    rf"(?:{_AUX}|will|would|could|can|said|told|met)\b",
    re.IGNORECASE,
)
_MONTHS = {m.lower(): n for n, m in enumerate(calendar.month_name) if m}
_MONTHS |= {m.lower(): n for n, m in enumerate(calendar.month_abbr) if m}
# "in March 2017", "during Feb. 2017", "in 2017": a month and year, or a year, the question
# places its events in.
_WHEN = re.compile(
    r"\b(?:in|during|from|of|since|early|late|mid)\s+(?:(?P<month>[A-Za-z]{3,9})\.?\s+)?"
    r"(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# Role heads that name an office, not a person.
_NOT_PEOPLE = frozenset({"ministry", "department"})


def focus_terms(question: str) -> tuple[str, ...]:
    """What a "who" question asks the person to have done: "Who moderated the panel?" gives
    the term of "moderated" (``()`` for "Who is …?" and other questions)."""
    m = _WHO_DID.match(question)
    return tuple(content_terms(m.group(1))) if m else ()


def answer_type(question: str) -> str | None:
    """What kind of thing the question asks for: "person" (who …?, which official …?),
    "number" (how many …?), "place" (where …?, in which town …?), or ``None`` (anything
    else). A person is also asked for by "which"/"what" before a role the statement rules
    know ("Which Islamic State official did police say they killed …?")."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    m = _WHICH_NOUN.match(question)
    if m:
        from diplorag.statements.rules import fold, load_rules

        noun = fold(m.group(1))
        if noun in load_rules().role_heads and noun not in _NOT_PEOPLE:
            return "person"
    return None


def date_window(question: str) -> tuple[tuple[dt.date, dt.date], str] | None:
    """The month or year the question places its events in, and the words that say so:
    "… near Palmyra in March 2017?" gives (2017-03-01, 2017-03-31) and "in March 2017".
    ``None`` when the question names no month and year (a lone month says no year)."""
    m = _WHEN.search(question)
    if m is None:
        return None
    year = int(m.group("year"))
    word = (m.group("month") or "").lower()
    if word and word not in _MONTHS:
        return None
    if word:
        month = _MONTHS[word]
        last = calendar.monthrange(year, month)[1]
        return (dt.date(year, month, 1), dt.date(year, month, last)), m.group(0)
    return (dt.date(year, 1, 1), dt.date(year, 12, 31)), m.group(0)


def is_follow_up(question: str, asked: str | None = None) -> bool:
    """ "and what about Singapore?", "Why?", "what did he say next" — needs the previous turn.

    ``asked`` is the person the question names itself, if any (then a pronoun is theirs).
    """
    if _FOLLOW_UP.match(question):
        return True
    return bool(_PRONOUN.search(question)) and asked is None and len(content_terms(question)) <= 3


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
        asks: What the answer must name (``answer_type``): "person", "number", "place".
        focus: What a "who" question asks the person to have done (``focus_terms``).
        window: The dates the question places its events in (``date_window``): a soft
            filter, the topic reads without them.
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
    asks: str | None = None
    focus: tuple[str, ...] = ()
    window: tuple[dt.date, dt.date] | None = None

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
    asked = statements.asked_name(question) if statements is not None else None
    follow = previous_query is not None and is_follow_up(question, asked)
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
    when = date_window(question)
    topic = _topic(question, words)
    if when is not None:
        topic = " ".join(topic.replace(when[1], " ").split())
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
        asks=answer_type(question),
        focus=focus_terms(question),
        window=when[0] if when is not None else None,
    )
