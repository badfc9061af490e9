"""Citation markers and abstentions in a model's answer: parse, strip, recognise.

Markers ``[1]``, ``[1, 2]``, ``[1][2]``, ``[1-3]``, ``[Source 2]`` and, when all its numbers
name given sources, ``(1)`` before punctuation, are parsed and stripped from each sentence
(``diplorag.sentences.split_sentences``). A marker written after the full stop ("… treaty. [1]")
belongs to the sentence it follows, unless the answer puts markers first ("[1] Kang said …").

Pure: standard library and ``diplorag.sentences`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diplorag.sentences import split_sentences

__all__ = [
    "ABSTENTION",
    "META_PREFIX",
    "ParsedSentence",
    "is_abstention",
    "is_enumerator",
    "parse_answer",
    "strip_markers",
    "with_marker",
]

ABSTENTION = "The documents do not say."


@dataclass(frozen=True, slots=True)
class ParsedSentence:
    """One sentence of a model's answer with its markers parsed out.

    Attributes:
        text: The sentence without markers, spaces tidied.
        cited: Cited numbers in order of appearance, without duplicates (unchecked).
        separator: What preceded the sentence in the answer: ``""``, ``" "`` or ``"\\n"``.
    """

    text: str
    cited: tuple[int, ...]
    separator: str


# --- markers ----------------------------------------------------------------------------------

_NUM = r"[0-9]{1,6}"
_ITEM = rf"{_NUM}(?:\s*[-–]\s*{_NUM})?"
_LIST = rf"{_ITEM}(?:\s*[,;]\s*(?:and\s+)?{_ITEM})*"
_LABEL = (
    r"(?:(?:sources?|passages?|docs?|documents?|refs?|references?|evidence|citations?)"
    r"\s*#?\s*)?"
)
_BRACKET_CORE = rf"\[\s*{_LABEL}(?P<nums>{_LIST})\s*\]"
_ANY_BRACKET = rf"\[\s*{_LABEL}{_LIST}\s*\]"
_SMALL = r"[0-9]{1,2}(?:\s*[-–]\s*[0-9]{1,2})?"
# "(1)" is a marker only before punctuation, the end or another marker: elsewhere "(1)" is
# usually an enumeration or a quoted number.
_PAREN = re.compile(
    rf"\(\s*{_LABEL}(?P<nums>{_SMALL}(?:\s*[,;]\s*{_SMALL})*)\s*\)"
    r"(?=\s*(?:[.!?…;:,]|$|\[|\())",
    re.IGNORECASE,
)
_MARKER_BEFORE = re.compile(rf"[ \t]*(?:{_BRACKET_CORE})", re.IGNORECASE)
_LEADING_MARKERS = re.compile(rf"^(?:\s*{_ANY_BRACKET})+", re.IGNORECASE)
_AFTER_STOP = re.compile(
    rf"(?P<stop>[.!?…]+[\"'”’)]*)(?P<marks>(?:[ \t]*{_ANY_BRACKET})+)", re.IGNORECASE
)
# "According to the passages, …": the model citing in words, not a claim's content.
META_PREFIX = re.compile(
    r"^\s*(?:according\s+to|based\s+on|as\s+stated\s+in|as\s+per|per|from|in)\s+"
    r"(?:the\s+)?(?:provided\s+|given\s+|above\s+|retrieved\s+)?"
    r"(?:passages?|documents?|sources?|context|texts?|articles?|evidence)\b[,:]?",
    re.IGNORECASE,
)
# A list item's number or bullet, split off as a "sentence" of its own ("1.", "b)", "•").
_ENUMERATOR = re.compile(r"^\(?(?:[0-9]{1,3}|[A-Za-z])[.)]$|^[-*•–]$")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+(?=[.,;:!?…])")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_MAX_RANGE = 50


def _numbers(spec: str) -> list[int]:
    """'1, 3-4' -> [1, 3, 4]; a reversed or huge range gives its two ends."""
    out: list[int] = []
    for item in re.split(r"\s*[,;]\s*(?:and\s+)?", spec.strip()):
        if not item:
            continue
        ends = [int(x) for x in re.split(r"\s*[-–]\s*", item) if x]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= _MAX_RANGE:
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    return out


def strip_markers(text: str, *, n_sources: int | None = None) -> tuple[str, list[int]]:
    """Remove citation markers from a piece of answer text.

    Args:
        text: A sentence (or any text) of a model's answer.
        n_sources: Number of passages given; ``(n)`` counts as a marker only if every number
            in it is in ``1..n_sources`` (with ``None``: any 1- or 2-digit number).

    Returns:
        The text without markers (spaces left by them tidied) and the cited numbers in order
        of appearance, duplicates removed. No ``[n]`` marker is left in the text, even nested.
    """
    cited: list[int] = []

    def take(m: re.Match[str]) -> str:
        cited.extend(_numbers(m.group("nums")))
        return ""

    def take_paren(m: re.Match[str]) -> str:
        nums = _numbers(m.group("nums"))
        if n_sources is not None and not all(1 <= n <= n_sources for n in nums):
            return m.group(0)
        cited.extend(nums)
        return ""

    previous = None
    # Repeat until stable: removing "[2]" from "[1[2]]" must not leave a new "[1]".
    while previous != text:
        previous = text
        text = _MARKER_BEFORE.sub(take, text)
        text = _PAREN.sub(take_paren, text)
    text = _SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub("", text)).strip()
    return text, list(dict.fromkeys(cited))


def parse_answer(answer_text: str, *, n_sources: int | None = None) -> list[ParsedSentence]:
    """Split a model's answer into sentences and their cited numbers.

    Markers after a sentence's full stop ("… treaty. [1] She …", "… treaty.[1]") belong to
    that sentence. If the answer *starts* with a marker, markers are taken to precede their
    sentences ("[1] Kang said …. [2] Kim said ….") and stay with the sentence they open.

    Args:
        answer_text: The raw answer.
        n_sources: Number of passages given (see ``strip_markers``).

    Returns:
        The non-empty sentences, in order.
    """
    text = answer_text.replace("\r\n", "\n")
    prefix_style = bool(_LEADING_MARKERS.match(text.lstrip()))
    if not prefix_style:
        text = _AFTER_STOP.sub(lambda m: m.group("marks") + m.group("stop"), text)
    out: list[ParsedSentence] = []
    prev_end = 0
    for start, end in split_sentences(text):
        gap = text[prev_end:start]
        separator = "" if not out else ("\n" if "\n" in gap or "\r" in gap else " ")
        prev_end = end
        raw = text[start:end]
        lead = _LEADING_MARKERS.match(raw)
        if lead and out and not prefix_style:
            _, moved = strip_markers(lead.group(0), n_sources=n_sources)
            last = out[-1]
            out[-1] = ParsedSentence(
                last.text, tuple(dict.fromkeys((*last.cited, *moved))), last.separator
            )
            raw = raw[lead.end() :]
        clean, cited = strip_markers(raw, n_sources=n_sources)
        if not clean:
            if out:  # a marker-only line: it cites for the sentence before
                last = out[-1]
                out[-1] = ParsedSentence(
                    last.text, tuple(dict.fromkeys((*last.cited, *cited))), last.separator
                )
            continue
        out.append(ParsedSentence(clean, tuple(cited), separator))
    return out


# --- abstention -------------------------------------------------------------------------------

_ABSTAIN = re.compile(
    r"\b(?:the\s+)?(?:provided\s+|given\s+|available\s+|retrieved\s+|above\s+|these\s+)?"
    r"(?:documents?|passages?|sources?|context|texts?|evidence|articles?|information)\s+"
    r"(?:do(?:es)?\s+not|don['’]t|doesn['’]t|did\s+not|never|fails?\s+to)\s+"
    r"(?:say|mention|contain|provide|state|specify|include|address|discuss|answer|cover|"
    r"indicate|give|describe|report|tell|offer|reveal)"
    r"|\bno\s+(?:relevant\s+|specific\s+|such\s+)?(?:information|mention|details?|data)\s+"
    r"(?:about|on|regarding|is|was|in|of|can|could)"
    r"|\bnot\s+(?:mentioned|stated|specified|provided|covered|addressed|discussed|found)\s+"
    r"in\s+the\s+(?:provided\s+|given\s+)?(?:documents?|passages?|sources?|context|texts?)"
    r"|\bi\s+(?:do\s+not|don['’]t|cannot|can['’]t)\s+(?:know|find|answer|determine|tell)"
    r"|\b(?:cannot|can['’]t|could\s+not)\s+be\s+(?:determined|answered|found)\b"
    r"|\bthere\s+is\s+no\s+(?:mention|information|evidence|indication)\b"
    r"|^\s*(?:unknown|not\s+stated|no\s+answer|n/?a)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def is_abstention(sentence: str) -> bool:
    """Whether a sentence says the passages do not answer ("The documents do not say.").

    Args:
        sentence: One sentence, markers stripped.

    Returns:
        True for abstentions in their common wordings.
    """
    return bool(_ABSTAIN.search(sentence))


def is_enumerator(sentence: str) -> bool:
    """A list item's number or bullet split off as a sentence of its own ("1.", "b)", "•")."""
    return bool(_ENUMERATOR.match(sentence))


_TRAILING_PUNCT = re.compile(r"[.!?…]+$")


def with_marker(text: str, marker: str) -> str:
    """Put ``marker`` before the sentence's final punctuation ('… START [1].')."""
    if not marker:
        return text
    m = _TRAILING_PUNCT.search(text)
    if m is None:
        return f"{text} {marker}"
    return f"{text[: m.start()].rstrip()} {marker}{m.group(0)}"
