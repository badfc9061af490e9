"""Terms for lexical matching: lower-case words, English stop words removed, light stemming.

Shared by the BM25 index, the relevance gate and query highlighting so that all three agree on
what "the same word" means. Pure and dependency-free.
"""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can cannot could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    also s t d ll m re ve y shall may might must us per via upon
    """.split()
)

_WORD = re.compile(r"\w+(?:['’]\w+)*")

# British spellings, folded to American so "defence" finds "defense" (news wires mix both).
_BRITISH = {
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "programme": "program",
    "programmes": "programs",
    "centre": "center",
    "centres": "centers",
    "metre": "meter",
    "travelled": "traveled",
    "travelling": "traveling",
    "cancelled": "canceled",
    "judgement": "judgment",
    "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers",
}
_OUR = re.compile(r"^(armo|behavio|colo|endeavo|favo|harbo|hono|labo|neighbo|rumo|vigo)ur")
_ISE = re.compile(r"(i)s(ation|ations|e|ed|es|ing)$")
_ISE_WORDS = re.compile(
    r"^(organ|recogn|author|real|modern|mobil|stabil|normal|militar|priorit|character|"
    r"critic|apolog|emphas|legal|neutral|minim|maxim|optim|util|util|harmon|central)is"
)


def _american(word: str) -> str:
    if word in _BRITISH:
        return _BRITISH[word]
    word = _OUR.sub(r"\1r", word)
    if _ISE_WORDS.match(word):
        word = _ISE.sub(r"\1z\2", word)
    return word


def fold(text: str) -> str:
    """Lower-case and strip diacritics ("Anušić" → "anusic") so spellings match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A deliberately light stemmer: possessives, plurals, -ing/-ed, so "threats" ~ "threat"."""
    w = _american(re.sub(r"['’]s?$", "", word))
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "es" and not re.search(r"(s|x|z|ch|sh)es$", w):
                continue  # "issues" → "issue" by the plain -s rule below
            if suffix == "s" and w.endswith("ss"):
                continue
            return w[: len(w) - len(suffix)] + repl
    return w


def terms(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """The stemmed, folded terms of ``text`` in order (stop words dropped unless asked)."""
    out = []
    for m in _WORD.finditer(fold(text)):
        w = m.group(0)
        if not keep_stop_words and (w in STOP_WORDS or w.replace("’", "'") in STOP_WORDS):
            continue
        out.append(stem(w))
    return out


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` for every non-stop word of ``text`` (offsets into ``text``)."""
    spans = []
    for m in _WORD.finditer(text):
        w = fold(m.group(0))
        if w in STOP_WORDS:
            continue
        spans.append((m.start(), m.end(), stem(w)))
    return spans
