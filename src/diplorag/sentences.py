"""Sentence and word spans with exact character offsets: shared by chunking and citation checks.

Pure and dependency-free. ``split_sentences(text)`` returns ``(start, end)`` pairs such that
``text[start:end]`` is one sentence with no surrounding white space; the spans are ordered, do not
overlap, and together cover every non-blank character of ``text[lo:hi]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Words that end in a full stop without ending a sentence (compared lower-case, without the dot).
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen lt col maj capt cmdr adm sgt gov rep sen pres amb
    rev hon dept univ assn bros co corp inc ltd plc vs etc al fig no nos vol pp approx est
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    e.g i.e u.s u.k u.n e.u a.m p.m d.c n.y
    """.split()
)

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n\s*")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the full stop at ``dot`` closes an abbreviation or an initial, not a sentence."""
    m = _TOKEN_BEFORE.search(text, 0, dot + 1)
    if m is None:
        return False
    token = m.group(1).rstrip(".").lstrip("(\"'“‘[").lower()
    if not token:
        return False
    if token in ABBREVIATIONS:
        return True
    # Single letters ("J. Smith") and dotted acronyms ("U.S.A.") are initials.
    return len(token) == 1 and token.isalpha() or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def _next_starts_sentence(text: str, pos: int) -> bool:
    """A sentence may start at the first non-space character at or after ``pos``."""
    m = re.compile(r"\s*(\S)").match(text, pos)
    if m is None:
        return True
    ch = m.group(1)
    return not ch.islower()


def split_sentences(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[lo:hi]`` into sentence spans (absolute offsets into ``text``).

    Line breaks always end a sentence (headlines, datelines and list items are sentences of their
    own); ``. ! ? …`` end one when followed by white space and a word that is not lower-case,
    unless the full stop closes a known abbreviation or an initial.
    """
    hi = len(text) if hi is None else hi
    spans: list[tuple[int, int]] = []
    start = lo
    for m in _BOUNDARY.finditer(text, lo, hi):
        if m.group(0)[0] in "\n\r\t " or m.group(0).isspace():
            end = m.start()
        else:
            if m.group(0)[0] == "." and len(m.group(0).rstrip("\"'”’)]")) == 1:
                if _is_abbreviation(text, m.start()):
                    continue
            if not _next_starts_sentence(text, m.end()):
                continue
            end = m.end()
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, hi, spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def iter_words(text: str) -> Iterator[re.Match[str]]:
    """Word tokens (letters, digits, inner hyphens and apostrophes) with their offsets."""
    return _WORD.finditer(text)


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``."""
    return [m.group(0).lower() for m in _WORD.finditer(text)]
