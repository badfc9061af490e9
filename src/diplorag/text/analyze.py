"""The one text analyser: folding, stop words, words, stems, numbers, negation and names.

BM25 (``index.bm25_backend``), relevance, evidence selection and verification all call this
module, so they agree on what "the same word" means. Pure and dependency-free.

``terms`` is also the BM25 tokenisation of every index on disk: changing ``fold``,
``STOP_WORDS``, ``WORD`` or ``stem`` changes what old indexes hold, so bump
``LEXICAL_VERSION`` with it (an index whose manifest records another version has its BM25
rebuilt from the stored chunk texts when it is opened).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "LEXICAL_VERSION",
    "NEGATIONS",
    "REPORTING_VERBS",
    "SCAFFOLDING",
    "STOP_WORDS",
    "WORD",
    "abbreviations",
    "content_terms",
    "entity_keys",
    "fold",
    "has_negation",
    "is_seat",
    "name_key",
    "names",
    "numbers",
    "same_name",
    "stem",
    "term_spans",
    "terms",
]

LEXICAL_VERSION = 1

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

WORD = re.compile(r"\w+(?:['’]\w+)*")

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
    r"critic|apolog|emphas|legal|neutral|minim|maxim|optim|util|harmon|central)is"
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
    """A deliberately light stemmer: possessives, plurals, -ing/-ed ("threats" ~ "threat").

    ``word`` is folded already. "issues" → "issue", "fighters" → "fighter", "urged" → "urg",
    "urging" → "urg", "urges" → "urg"; numbers are left alone.
    """
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


def _stop(word: str) -> bool:
    return word in STOP_WORDS or word.replace("’", "'") in STOP_WORDS


def terms(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """The stemmed, folded terms of ``text`` in order (stop words dropped unless asked)."""
    out = []
    for m in WORD.finditer(fold(text)):
        w = m.group(0)
        if not keep_stop_words and _stop(w):
            continue
        out.append(stem(w))
    return out


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` for every non-stop word of ``text`` (offsets into ``text``)."""
    spans = []
    for m in WORD.finditer(text):
        w = fold(m.group(0))
        if _stop(w):
            continue
        spans.append((m.start(), m.end(), stem(w)))
    return spans


def _stems(words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words.split())


# Words that say how something is asked, not what about ("What did X say about …?").
SCAFFOLDING = _stems(
    """
    what who whom whose which when where why how many much did does do say said says tell told
    ask asked asks according regarding about mention mentioned mentions think thought describe
    described view views position stance comment comments remark remarks statement statements
    document documents article articles text passage passages happen happened anything
    something give gave reaction react respond responded response
    """
)
# Verbs that report speech: a claim's content, not its support ("X said that …").
REPORTING_VERBS = _stems(
    """
    say said says saying state stated stress stressed emphasize emphasized note noted add added
    tell told according remark remarked explain explained comment commented
    """
)


def content_terms(text: str, *, drop: Iterable[str] = ()) -> list[str]:
    """``terms`` without scaffolding, reporting verbs or ``drop``, each once, in order."""
    dropped = SCAFFOLDING | REPORTING_VERBS | set(drop)
    return list(dict.fromkeys(t for t in terms(text) if t not in dropped))


# -- numbers --------------------------------------------------------------------------------

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100"})
_DIGITS = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
# "one" is a pronoun at least as often as a number ("one of the ..."): not a number claim.
_NOT_CLAIMS = frozenset({"0", "1"})


def numbers(text: str) -> set[str]:
    """The numbers of ``text``, normalised: "7,400" → "7400", "ten" → "10", "55.7m" → "55.7".

    "one" and "zero" are left out (mostly pronouns and idioms); a digit "1" is kept.
    """
    out: set[str] = set()
    for m in _DIGITS.finditer(text):
        raw = m.group(0)
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
            raw = raw.replace(",", "")
        out.add(raw.rstrip(".,"))
    for m in _NUMBER_WORD.finditer(text):
        value = _NUMBER_WORDS[m.group(1).lower()]
        if value not in _NOT_CLAIMS:
            out.add(value)
    return out


# -- negation -------------------------------------------------------------------------------

NEGATIONS = _stems(
    """
    not no never nothing none neither nor without deny denied denies denial reject rejected
    refuse refused dismiss dismissed groundless baseless unfounded untrue false cannot
    """
)
_NEGATION = re.compile(r"n['’]t\b|\b(?:not|no|never|nothing|none|neither|nor|cannot)\b", re.I)


def has_negation(text: str) -> bool:
    """Whether ``text`` negates or denies ("did not", "never", "denied", "groundless")."""
    if _NEGATION.search(text):
        return True
    return any(stem(fold(m.group(0))) in NEGATIONS for m in WORD.finditer(text))


# -- names ----------------------------------------------------------------------------------

# Countries and what stands for them in news: demonyms, capitals, seats of government. Each
# group is one entity for matching ("Beijing's defence ministry" = "China's defense ministry").
_ENTITY_GROUPS = [
    "russia russian russians moscow kremlin",
    "china chinese beijing prc",
    "japan japanese tokyo",
    "us usa america american americans washington pentagon states",
    "britain british uk england english london",
    "france french paris",
    "germany german germans berlin",
    "iran iranian iranians tehran",
    "iraq iraqi iraqis baghdad",
    "syria syrian syrians damascus",
    "turkey turkish turks ankara",
    "ukraine ukrainian ukrainians kiev kyiv",
    "korea korean koreans seoul pyongyang dprk",
    "israel israeli israelis",
    "india indian indians delhi",
    "pakistan pakistani pakistanis islamabad",
    "sweden swedish swedes stockholm",
    "norway norwegian norwegians oslo",
    "poland polish poles warsaw",
    "mexico mexican mexicans",
    "europe european europeans eu",
    "taiwan taiwanese taipei",
    "philippines philippine filipino manila",
    "saudi saudis riyadh",
    "nato alliance",
    "un nations",
    "crimea crimean",
    "afghanistan afghan afghans kabul",
    "egypt egyptian cairo",
    "libya libyan libyans tripoli",
    "yemen yemeni sanaa",
    "is isis isil daesh",
]
_GROUP_OF = {w: g.split()[0] for g in _ENTITY_GROUPS for w in g.split()}
# The places in those groups: a question about Seoul itself is not about "South Korean" arms.
_SEATS = frozenset(
    """
    moscow kremlin beijing tokyo washington pentagon london paris berlin tehran baghdad damascus
    ankara kiev kyiv seoul pyongyang delhi islamabad stockholm oslo warsaw taipei manila riyadh
    kabul cairo tripoli sanaa
    """.split()
)
# Capitalised words that do not name anything: sentence openers, question words, months.
_NOT_NAMES = frozenset(
    """
    a an the what who whom whose which when where why how did does do is are was were will would
    could should can may might has have had he she it they we i you his her its their our this
    that these those there here and but or so if in on at by for from to of with as after before
    during according also however mr mrs ms dr
    """.split()
)
_NAME = re.compile(r"[A-Z][\w’'-]*|[A-Z]{2,}[\w-]*|\w*\d\w*")
_POSSESSIVE = re.compile(r"['’]s?$")


def _bare(word: str) -> str:
    """One name word folded, its possessive dropped ("the Kremlin's" -> "kremlin")."""
    return _POSSESSIVE.sub("", fold(word)).replace("’", "'")


@lru_cache(maxsize=1 << 17)
def name_key(word: str) -> str:
    """A comparable form of one name word: folded, possessive and plural dropped, spelling
    variants merged ("Sergei" ~ "Sergey", "Aleksandr" ~ "Alexander", "F-15s" ~ "F-15")."""
    w = _bare(word)
    if re.search(r"\d s?$", w.replace("-", " ")) or re.search(r"\ds$", w):
        w = w.removesuffix("s")
    w = w.replace("-", "")
    if w in _GROUP_OF:
        return _GROUP_OF[w]
    if len(w) > 4 and w.endswith("s") and not w.endswith("ss") and w[:-1] in _GROUP_OF:
        return _GROUP_OF[w[:-1]]
    w = w.replace("ks", "x").replace("y", "i").replace("ph", "f")
    w = re.sub(r"(.)\1", r"\1", w)  # doubled letters
    w = re.sub(r"(?<=[a-z]{3})er$", "r", w)  # "Alexander" ~ "Aleksandr"
    if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]  # plurals of names: "F-16s", "Americans", "Houthis"
    return w


def is_seat(word: str) -> bool:
    """Whether a name word is a city that stands for its country ("Seoul", "the Kremlin's")."""
    return _bare(word) in _SEATS


def same_name(a: str, b: str) -> bool:
    """Whether two name words may be the same name ("Sergei" ~ "Sergey", "Russia's" ~ "Russia")."""
    return name_key(a) == name_key(b)


def names(text: str) -> list[str]:
    """The name-like words of ``text``: capitalised or with digits, stop words excluded.

    A capitalised word opening the text or a sentence counts only if it is not a common
    opener ("The", "What", "He"). "F-15s", "Russia's", "PLA", "Lavrov" are names.
    """
    out: list[str] = []
    consumed = 0
    for m in WORD.finditer(text):
        if m.start() < consumed:
            continue
        # WORD stops at hyphens: take "F-15s" whole.
        end = m.end()
        while end < len(text) - 1 and text[end] == "-" and text[end + 1].isalnum():
            nxt = WORD.match(text, end + 1)
            if nxt is None:
                break
            end = nxt.end()
        word = text[m.start() : end]
        consumed = end
        if not _NAME.fullmatch(word):
            continue
        if fold(_POSSESSIVE.sub("", word)) in _NOT_NAMES:
            continue
        if word.isdigit():
            continue  # numbers are checked as numbers
        out.append(word)
    return out


@lru_cache(maxsize=512)
def entity_keys(text: str) -> frozenset[str]:
    """``name_key`` of every word of ``text`` that could carry a name (any case). Memoised: a
    question reads the same few documents many times."""
    keys = {name_key(m.group(0)) for m in WORD.finditer(text)}
    keys.update(name_key(word) for word in re.findall(r"\w+(?:-\w+)+", text))
    return frozenset(keys)


_DEFINED = re.compile(r"\(([A-Z][A-Za-z]{1,7})\)")
_LINKS = frozenset({"of", "on", "for", "and", "the", "in", "to", "de", "&"})


def abbreviations(text: str) -> dict[str, str]:
    """Abbreviations the text defines, with their long forms: "Conference on Disarmament (CD)"
    gives ``{"CD": "Conference on Disarmament"}``, "Comprehensive Nuclear Test Ban Treaty
    (CTBT)" gives CTBT. The abbreviation's letters must be the long form's initials in order,
    starting with the first (others may be skipped: "Nuclear" in CTBT)."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        short = m.group(1)
        letters = [ch for ch in short if ch.isupper()]
        if len(letters) < 2 or short in out:
            continue
        words = text[max(0, m.start() - 120) : m.start()].split()
        for n in range(len(letters), min(len(words), 2 * len(letters) + 2) + 1):
            long = words[-n:]
            if not long[0][:1].isupper() or long[0][:1] != letters[0]:
                continue
            initials = [w[0] for w in long if w.lower() not in _LINKS and w[:1].isupper()]
            if any(w[:1].islower() and w.lower() not in _LINKS for w in long):
                break
            it = iter(initials)
            if initials[-1:] == letters[-1:] and all(ch in it for ch in letters):
                out[short] = " ".join(long)
                break
    return out
