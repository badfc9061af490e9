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

# Line breaks are the characters ``str.splitlines`` breaks on, so a lone "\r" ends a line too.
_LINE_BREAK = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[" + _LINE_BREAK + r"]\s*")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_NEXT_WORD = re.compile(r"\s*([\"'“‘(\[]?)(\w+)")
# Abbreviations that stand before a number ("No. 5", "pp. 3-4"); elsewhere "no." ends a sentence.
_BEFORE_NUMBER = frozenset({"no", "nos", "vol", "pp", "fig"})
# Words that, capitalised after an abbreviation ("the U.S. The talks…"), start a new sentence.
_SENTENCE_OPENERS = frozenset(
    """
    the a an he she it they we i this that these those there his her its their our but however
    in on at after before during while when
    """.split()
)
_ACRONYM = re.compile(r"(?:[a-z]\.)+[a-z]")
# No abbreviation is longer than this; bounding the look-back keeps splitting linear in the text.
_MAX_TOKEN = 24


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the full stop at ``dot`` closes an abbreviation or an initial, not a sentence."""
    begin = dot
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
        if dot - begin > _MAX_TOKEN:
            return False
    token = text[begin:dot].rstrip(".").lstrip("(\"'“‘[").lower()
    if not token:
        return False
    nxt = _NEXT_WORD.match(text, dot + 1)
    if token in _BEFORE_NUMBER:
        return nxt is not None and nxt.group(2)[0].isdigit()
    # Single letters ("J. Smith") and dotted acronyms ("U.S.A.") are initials.
    initial = (len(token) == 1 and token.isalpha()) or bool(_ACRONYM.fullmatch(token))
    if not (initial or token in ABBREVIATIONS):
        return False
    return nxt is None or nxt.group(2).lower() not in _SENTENCE_OPENERS


def _next_starts_sentence(text: str, pos: int) -> bool:
    """A sentence may start at the first non-space character at or after ``pos``."""
    m = _NEXT_CHAR.match(text, pos)
    if m is None:
        return True
    return not m.group(1).islower()


def split_sentences(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[lo:hi]`` into sentence spans (absolute offsets into ``text``).

    Line breaks (``\\n``, ``\\r\\n``, a lone ``\\r``, ``\\u2028`` …) always end a sentence:
    headlines, datelines and list items are sentences of their own. ``. ! ? …`` end one when
    followed by white space and a word that is not lower-case, unless the full stop closes a known
    abbreviation or an initial ("Mr. Kim", "J. Smith", "No. 5") that a sentence opener ("the U.S.
    The talks…") does not follow. Runs in time linear in ``hi - lo``.

    Args:
        text: The whole text; offsets are into it.
        lo: Where to start (e.g. ``Document.body_start``).
        hi: Where to stop; the end of ``text`` if ``None``.

    Returns:
        ``(start, end)`` spans, ordered, non-overlapping, with no white space at either end.
    """
    hi = len(text) if hi is None else hi
    spans: list[tuple[int, int]] = []
    start = lo
    for m in _BOUNDARY.finditer(text, lo, hi):
        if m.group(0)[0].isspace():
            end = m.start()
        else:
            single_dot = m.group(0)[0] == "." and len(m.group(0).rstrip("\"'”’)]")) == 1
            if single_dot and _is_abbreviation(text, m.start()):
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
