"""Who said what: the speaker of each sentence of a news text, by heuristics, without a model.

News reports put officials side by side ("Kim said …; Hoo responded …"), so a citation that
is textually right can still put one person's words in another's mouth. This module finds, for
each sentence, the person it reports as speaking:

* a named subject of a statement verb: "Vice Minister Kang stressed …", "During the meeting,
  Kim Young-suk highlighted …", "Hoo Choon Khing responded by affirming …";
* a trailing or inverted attribution: "…, Hoo Choon Khing said.", "…, said Kim.";
* "According to Dragone, …";
* a pronoun or a role ("He requested …", "She urged …", "The Vice Minister went on to urge …",
  "The South Korean defense minister also called on …"): the most recent person spoken of in the
  same text, by recency, skipping one whose known gender or title does not fit. Paragraph breaks
  do not reset it (news paragraphs go on with the same person); a new named person replaces it.
  Plural subjects ("They", "Both ministers", "The panel") never inherit a person.

Sentences without a statement verb have no speaker. Names are reported without titles and, when
the text spells them out once in full, in full ("Vice Minister Kang" -> "Kang Insun"), unless the
short form fits two people ("Kim" in a text about Kim Young-suk and Kim Ji-yoon stays "Kim").

Pure: standard library and ``diplorag.sentences`` only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from diplorag.sentences import split_sentences

__all__ = [
    "Attribution",
    "WhoSaid",
    "attribute_sentences",
    "attributed_to",
    "name_key",
    "parse_who_said",
    "same_person",
    "speaker_spans",
]


@dataclass(frozen=True, slots=True)
class Attribution:
    """The speaker of one sentence.

    Attributes:
        start: Offset of the sentence in the text it was found in.
        end: End offset of the sentence.
        speaker: The person reported as speaking, without title; ``None`` if the sentence
            reports no statement or its speaker could not be resolved.
        inherited: True when the speaker comes from a pronoun or a role ("He", "The minister")
            resolved to an earlier sentence, False when the sentence names the speaker.
        mention: ``(start, end)`` offsets (same frame as ``start``/``end``) of the words that
            designate the speaker in this sentence, title included ("Vice Minister Kang",
            "He", "The Vice Minister"); ``None`` when there is no speaker.
    """

    start: int
    end: int
    speaker: str | None
    inherited: bool = False
    mention: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class WhoSaid:
    """A question about what a named person said.

    Attributes:
        speaker: The person's name as asked, without title ("Kang", "Kim Young-suk").
        topic: The rest of the question: what the statement is about.
        verb: The reporting verb or noun of the question ("say", "ask", "describe", "view"),
            or ``None`` for "According to X, …".
    """

    speaker: str
    topic: str
    verb: str | None = None


def _wordlist(text: str) -> list[str]:
    """Words of a multi-line literal (vocabulary lists read better as prose)."""
    return text.split()


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- vocabulary -------------------------------------------------------------------------------

# Base forms of verbs that report a statement. Inflections are generated below.
_STATEMENT_LEMMAS = _wordlist(
    """
    say state stress emphasize emphasise underscore underline highlight urge express note add
    affirm reaffirm point request call respond reply tell warn argue insist explain announce
    declare remark suggest propose ask address share speak mention acknowledge welcome criticize
    criticise condemn reiterate vow pledge promise claim confirm deny comment observe describe
    recall caution appeal demand assert voice outline agree thank praise write recommend
    characterize characterise reject dismiss predict concede admit complain
    """
)
_IRREGULAR_FORMS = {
    "say": ("said",),
    "tell": ("told",),
    "speak": ("spoke", "spoken"),
    "write": ("wrote", "written"),
}


def _inflect(lemma: str) -> set[str]:
    """Base, -s, -ed and -ing forms of a regular (or listed irregular) verb."""
    forms = {lemma, *_IRREGULAR_FORMS.get(lemma, ())}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    elif lemma.endswith("e"):
        forms |= {lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    elif lemma.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {lemma + "es", lemma + "ed", lemma + "ing"}
    else:
        forms |= {lemma + "s", lemma + "ed", lemma + "ing"}
    if lemma in _IRREGULAR_FORMS:
        forms.discard(lemma + "ed")
        forms.discard(lemma + "d")
    return forms


_STATEMENT_FORMS: frozenset[str] = frozenset(
    form for lemma in _STATEMENT_LEMMAS for form in _inflect(lemma)
)
# Verbs that commonly follow the quote ("…, said Kim.").
_INVERTED_FORMS = _wordset(
    "said says stated added noted told wrote explained continued asked remarked replied"
)
# Titles: a run of capitalised words up to the last of these is a title, the rest a name.
_TITLES = _wordset(
    """
    minister secretary secretary-general undersecretary under-secretary chairman chairwoman
    chairperson chair president vice-president vice deputy prime premier chancellor ambassador
    envoy general gen admiral adm commander cmdr colonel col lieutenant lt major maj captain capt
    sergeant sgt spokesperson spokesman spokeswoman director director-general chief head senator
    sen representative rep governor gov mayor king queen prince princess sheikh emir sultan pope
    mr mrs ms miss dr prof professor sir dame lord lady judge councillor counsellor counselor
    adviser advisor consul commissioner marshal brigadier officer official researcher analyst
    moderator attaché attache lawmaker legislator congressman congresswoman mp
    """
)
# Words between a title and a name that belong to the title ("Minister of Foreign Affairs").
_DEPARTMENTS = _wordset(
    """
    of the for and foreign affairs defense defence national interior home finance trade industry
    economy economic unification justice state security strategy policy planning energy health
    education environment agriculture transport culture information communications veterans
    international cooperation relations legal political military committee staff joint chiefs
    armed forces navy army air force marine corps coast guard intelligence operations public
    diplomacy treasury ministry department office council commission
    """
)
# Singular roles that refer back to a person ("The Vice Minister", "the defense minister").
_ROLES = _wordset(
    """
    minister secretary chairman chairwoman chairperson chair president premier chancellor
    ambassador envoy general admiral commander spokesperson spokesman spokeswoman director chief
    senator governor mayor official diplomat officer lawmaker researcher analyst moderator
    """
)
_FEMALE = frozenset({"she", "her", "mrs", "ms", "miss", "dame", "lady", "queen", "princess"})
_MALE = frozenset({"he", "him", "his", "mr", "sir", "lord", "king", "prince", "sheikh", "emir"})
# Lower-case particles inside names ("Ursula von der Leyen").
_PARTICLES = frozenset({"von", "van", "der", "den", "de", "da", "di", "del", "la", "le", "bin"})
# Capitalised words that start sentences or intros and are never part of a name.
_INTRO_WORDS = _wordset(
    """
    in during at on after before following furthermore moreover meanwhile however additionally
    also later earlier separately similarly likewise finally first second third then thus
    therefore besides nevertheless nonetheless notably specifically importantly overall regarding
    as when while with under amid amidst despite given elsewhere instead still yet now today
    yesterday last this for from by accordingly consequently hence again lastly ultimately
    subsequently previously recently currently since although though because if once upon
    through throughout within without against across to toward towards into over around
    alongside among between unlike like speaking addressing responding commenting asked
    referring turning according in addition conclusion particular
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december
    """
)
_STOP_CAPS = _wordset(
    """
    the a an he she it they we i you his her its their our my your this that these those there
    both all each every some many most several such no not and but or nor so
    officials analysts diplomats experts sources critics observers leaders participants attendees
    speakers ministers delegates delegations representatives lawmakers residents protesters
    authorities officers members reports scholars researchers panelists organizers countries
    nations governments allies partners
    """
)
_ADVERBS = _wordset(
    """
    also further then later again repeatedly strongly firmly collectively publicly separately
    once additionally subsequently previously recently reportedly similarly
    specifically notably clearly explicitly particularly likewise too
    """
)
_AUXILIARIES = frozenset({"has", "have", "had", "will", "would", "did", "does", "do", "should"})
_PASSIVE = frozenset({"was", "were", "is", "are", "be", "been", "being"})
_PLURAL_PRONOUNS = frozenset({"they", "we", "i", "you", "it", "those", "these", "both", "all"})

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_POSSESSIVE = re.compile(r"[’']s$", re.IGNORECASE)
_DASHES = frozenset({"—", "–"})


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] == "_"

    @property
    def is_cap(self) -> bool:
        return self.text[0].isupper()


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _fold(text: str) -> str:
    """Case- and accent-insensitive form ("Anušić" -> "anusic")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _title_word(word: str) -> bool:
    return _fold(word).rstrip(".") in _TITLES


# --- name runs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive capitalised tokens: a (titled) name such as "Vice Minister Kang"."""

    first: int  # token indices, inclusive
    last: int
    title: tuple[str, ...]  # lower-cased title words
    name: tuple[str, ...]  # name words as written
    possessive: bool

    @property
    def titled(self) -> bool:
        return bool(self.title)


def _name_word(tok: _Tok) -> bool:
    """A capitalised word that may be part of a name or title."""
    return tok.is_word and tok.is_cap and tok.low not in _STOP_CAPS and tok.low not in _INTRO_WORDS


def _bridges(tokens: Sequence[_Tok], i: int, prev: _Tok) -> bool:
    """Whether lower-case token ``i`` joins the run ("Minister of Foreign Affairs", "von der")."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if tok.low in _PARTICLES and nxt is not None and (_name_word(nxt) or nxt.low in _PARTICLES):
        return True
    if tok.low in {"of", "the", "and"} and nxt is not None:
        after_title = _title_word(prev.text) or prev.low in _DEPARTMENTS
        return after_title and (_name_word(nxt) or nxt.low == "the")
    return False


def _make_run(tokens: Sequence[_Tok], first: int, last: int) -> _Run | None:
    words = [t.text for t in tokens[first : last + 1] if t.is_word]
    possessive = bool(_POSSESSIVE.search(words[-1])) if words else False
    if possessive:
        words[-1] = _POSSESSIVE.sub("", words[-1])
    last_title = max((k for k, w in enumerate(words) if _title_word(w)), default=-1)
    title = tuple(_fold(w).rstrip(".") for w in words[: last_title + 1])
    rest = words[last_title + 1 :]
    if title:
        # "Minister of Foreign Affairs Kang Insun": the department is part of the title.
        while rest and _fold(rest[0]) in _DEPARTMENTS:
            rest = rest[1:]
    name = tuple(w for w in rest if w[:1].isupper() or _fold(w) in _PARTICLES)
    if not name and not title:
        return None
    return _Run(first, last, title, name, possessive)


def _run_ending_at(tokens: Sequence[_Tok], last: int) -> _Run | None:
    """The name run whose last token is ``tokens[last]``, walking backwards."""
    if not _name_word(tokens[last]):
        return None
    first = last
    k = last - 1
    while k >= 0:
        tok = tokens[k]
        if _name_word(tok):
            first = k
        elif tok.text == "." and k > 0 and _title_word(tokens[k - 1].text + "."):
            first = k  # "Mr. Kim"
        elif tok.is_word and not tok.is_cap and k > 0 and _bridges(tokens, k, tokens[k - 1]):
            first = k
        else:
            break
        k -= 1
    while first <= last and not tokens[first].is_word:
        first += 1
    return _make_run(tokens, first, last)


def _run_starting_at(tokens: Sequence[_Tok], first: int) -> _Run | None:
    """The name run that starts at ``tokens[first]``, walking forwards."""
    if first >= len(tokens) or not _name_word(tokens[first]):
        return None
    last = first
    k = first + 1
    while k < len(tokens):
        tok = tokens[k]
        if _POSSESSIVE.search(tokens[last].text):
            break
        if _name_word(tok):
            last = k
        elif tok.text == "." and _title_word(tokens[k - 1].text + "."):
            pass  # "Mr. Kim": keep going
        elif tok.is_word and not tok.is_cap and _bridges(tokens, k, tokens[k - 1]):
            pass
        else:
            break
        k += 1
    return _make_run(tokens, first, last)


# --- one sentence -----------------------------------------------------------------------------

_Kind = Literal["named", "pronoun", "role", "other"]


@dataclass(frozen=True, slots=True)
class _Subject:
    kind: _Kind
    mention: tuple[int, int] | None = None  # offsets into the sentence
    run: _Run | None = None
    gender: str | None = None  # "f" / "m" for pronouns
    role: str | None = None  # role word for "the minister"


@dataclass(frozen=True, slots=True)
class _Finding:
    speaker: _Subject | None  # subject of a statement verb
    subject: _Subject | None  # main subject when no statement verb (for later pronouns)


def _span(tokens: Sequence[_Tok], first: int, last: int) -> tuple[int, int]:
    return tokens[first].start, tokens[last].end


def _main_start(tokens: Sequence[_Tok]) -> int:
    """Index of the main clause's first token: after a dateline and introductory phrases."""
    p = 0
    # Dateline: "Seoul, September 9, 2024 — …" (a dash early on, after a place or date).
    for k, tok in enumerate(tokens[:16]):
        if tok.text in _DASHES:
            head = tokens[:k]
            if head and all(t.is_cap or t.text[0].isdigit() or not t.is_word for t in head):
                p = k + 1
            break
    for _ in range(3):
        if p >= len(tokens):
            break
        tok = tokens[p]
        opener = tok.low in _INTRO_WORDS or (tok.is_word and tok.low.endswith("ing") and tok.is_cap)
        if not opener or tok.low == "according":
            break
        comma = next(
            (k for k in range(p + 1, min(len(tokens), p + 40)) if tokens[k].text == ","), None
        )
        if comma is None:
            break
        p = comma + 1
    return p


def _role_before(tokens: Sequence[_Tok], end: int) -> _Subject | None:
    """'The [adjectives] minister' ending at token ``end`` (inclusive), if it is one."""
    role_tok = tokens[end]
    if role_tok.low not in _ROLES:
        return None
    for k in range(end - 1, max(-1, end - 7), -1):
        tok = tokens[k]
        if not tok.is_word:
            return None
        if tok.low == "the":
            return _Subject("role", _span(tokens, k, end), role=role_tok.low)
    return None


def _subject_at(tokens: Sequence[_Tok], p: int, known: frozenset[str]) -> _Subject | None:
    """The subject noun phrase starting at token ``p`` (main clause), if recognisable."""
    if p >= len(tokens):
        return None
    tok = tokens[p]
    if tok.low in ("he", "she"):
        return _Subject("pronoun", (tok.start, tok.end), gender="m" if tok.low == "he" else "f")
    if tok.low in _PLURAL_PRONOUNS:
        return _Subject("other")
    if tok.low == "the":
        for k in range(p + 1, min(len(tokens), p + 7)):
            if not tokens[k].is_word:
                break
            if tokens[k].low in _ROLES:  # "minister’s" is one token: possessives fail here
                return _role_before(tokens, k)
        return _Subject("other")
    run = _run_starting_at(tokens, p)
    if run is None or run.possessive:
        return _Subject("other")
    if not run.name:
        # "Vice Minister went on to …": a bare title works like a role.
        return _Subject("role", _span(tokens, run.first, run.last), role=run.title[-1])
    if not _person_like(run, known):
        return _Subject("other")
    return _Subject("named", _span(tokens, run.first, run.last), run=run)


def _person_like(run: _Run, known: frozenset[str]) -> bool:
    """A run that names a person: titled, several words, or a name the text uses for one."""
    return run.titled or len(run.name) > 1 or name_key(" ".join(run.name)) in known


def _subject_before(tokens: Sequence[_Tok], idx: int, main: _Subject | None) -> _Subject | None:
    """The subject of the statement verb at ``idx``; ``None`` if there is nothing before it."""
    j = idx - 1
    while (
        j >= 0
        and tokens[j].is_word
        and not tokens[j].is_cap
        and (
            tokens[j].low in _ADVERBS
            or tokens[j].low in _AUXILIARIES
            or (tokens[j].low.endswith("ly") and len(tokens[j].low) > 4)
        )
    ):
        j -= 1
    if j >= 0 and tokens[j].low in _PASSIVE:
        return _Subject("other")  # "Kang was urged to …": Kang did not speak
    # "went on to urge", "continued to say", "proceeded to call"
    if j >= 2 and tokens[j].low == "to":
        if tokens[j - 1].low == "on" and tokens[j - 2].low in ("went", "goes", "go"):
            return _subject_before(tokens, j - 2, main)
        if tokens[j - 1].low in ("continued", "proceeded", "moved", "sought"):
            return _subject_before(tokens, j - 1, main)
    if j < 0:
        return None
    tok = tokens[j]
    if tok.low in ("he", "she"):
        return _Subject("pronoun", (tok.start, tok.end), gender="m" if tok.low == "he" else "f")
    if tok.low == "who" and j >= 2 and tokens[j - 1].text == ",":
        run = _run_ending_at(tokens, j - 2)  # "…, who stressed …"
        if run is not None and run.name and not run.possessive:
            return _Subject("named", _span(tokens, run.first, run.last), run=run)
        return _Subject("other")
    if tok.low in _PLURAL_PRONOUNS or tok.low in ("who", "which", "that"):
        return _Subject("other")
    if tok.text in (",", "—", "–", ";") or tok.low == "and":
        # Coordination or the end of an appositive: the verb shares the main subject.
        if main is not None and main.kind != "other":
            return main
        return _Subject("other")
    if tok.is_word and tok.is_cap:
        run = _run_ending_at(tokens, j)
        if run is None or run.possessive:
            return _Subject("other")
        if not run.name:
            return _Subject("role", _span(tokens, run.first, run.last), role=run.title[-1])
        return _Subject("named", _span(tokens, run.first, run.last), run=run)
    if tok.is_word:
        role = _role_before(tokens, j)
        if role is not None:
            return role
    return _Subject("other")


_AFTER_INVERTED = frozenset({"on", "in", "at", "during", "after", "before", "while", "when", "to"})


def _inverted(tokens: Sequence[_Tok], idx: int) -> _Subject | None:
    """The speaker named after the verb: '…, said Kim Young-suk.', '…, said Kim on Monday.'"""
    if tokens[idx].low not in _INVERTED_FORMS or idx == 0:
        return None
    if tokens[idx - 1].text not in (",", "”", '"', "’"):
        return None
    k = idx + 1
    if k < len(tokens) and tokens[k].low in ("he", "she"):
        return None  # "…, said he" is rare; "he said" is handled before
    run = _run_starting_at(tokens, k)
    if run is None or run.possessive or not run.name:
        return None
    after = tokens[run.last + 1] if run.last + 1 < len(tokens) else None
    if after is not None and after.text not in ".,;!?" and after.low not in _AFTER_INVERTED:
        return None  # "…, urging North Korea to return": an object, not a speaker
    return _Subject("named", _span(tokens, run.first, run.last), run=run)


def _according_to(tokens: Sequence[_Tok]) -> _Subject | None:
    """'According to Dragone, …' (at the start of the sentence or of its main clause)."""
    for k in range(min(len(tokens) - 2, 12)):
        if tokens[k].low == "according" and tokens[k + 1].low == "to":
            nxt = tokens[k + 2]
            if nxt.low in ("him", "her"):
                g = "m" if nxt.low == "him" else "f"
                return _Subject("pronoun", (nxt.start, nxt.end), gender=g)
            if nxt.low == "the":
                for r in range(k + 3, min(len(tokens), k + 9)):
                    if tokens[r].low in _ROLES:
                        return _role_before(tokens, r)
                return None
            run = _run_starting_at(tokens, k + 2)
            if run is not None and run.name and not run.possessive:
                return _Subject("named", _span(tokens, run.first, run.last), run=run)
            return None
    return None


def _analyse(sentence: str, known: frozenset[str]) -> _Finding:
    tokens = _tokens(sentence)
    if not tokens:
        return _Finding(None, None)
    start = _main_start(tokens)
    main = _subject_at(tokens, start, known)
    according = _according_to(tokens)
    if according is not None:
        return _Finding(according, main)
    for idx, tok in enumerate(tokens):
        # Verbs are lower-case mid-sentence; "the United States" is no statement.
        if not tok.is_word or tok.is_cap or tok.low not in _STATEMENT_FORMS:
            continue
        inverted = _inverted(tokens, idx)
        if inverted is not None:
            return _Finding(inverted, main)
        subject = _subject_before(tokens, idx, main)
        if subject is None or subject.kind == "other":
            # "Speaking at the forum, …", "the two states agreed …": no person; a later verb
            # may still have one ("…, Hoo Choon Khing said.").
            continue
        return _Finding(subject, main)
    return _Finding(None, main)


# --- names ------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A comparable form of a name: folded words, titles dropped, joined by spaces.

    Args:
        name: A name with or without title ("Vice Minister Kang", "Anušić").

    Returns:
        E.g. ``"kang"``, ``"anusic"``, ``"kim young-suk"``; empty if only a title is left.
    """
    words = [_POSSESSIVE.sub("", w) for w in re.findall(r"\w+(?:[-'’.]\w+)*\.?", name)]
    last_title = max((k for k, w in enumerate(words) if _title_word(w)), default=-1)
    rest = words[last_title + 1 :]
    if last_title >= 0:
        while rest and _fold(rest[0]) in _DEPARTMENTS:
            rest = rest[1:]
    return " ".join(_fold(w).rstrip(".") for w in rest if _fold(w) not in ("the", "of"))


def _key_parts(name: str) -> list[str]:
    """Name words split at hyphens: 'Kim Young-suk' -> ['kim', 'young', 'suk']."""
    return [p for w in name_key(name).split() for p in re.split(r"[-'’]", w) if p]


def same_person(a: str, b: str) -> bool:
    """Whether two names may designate the same person.

    Titles are ignored and the comparison is case- and accent-insensitive. A name matches a
    longer one that contains all its words ("Kang" ~ "Kang Insun" ~ "Vice Minister Kang").
    A short name is *ambiguous*, not exclusive: "Kim" matches both "Kim Young-suk" and
    "Kim Ji-yoon", while "Kim Young-suk" and "Kim Ji-yoon" do not match each other.

    Args:
        a: A name, with or without title.
        b: Another name.

    Returns:
        True if one name's words are all in the other's (or both spell the same letters).
    """
    pa, pb = _key_parts(a), _key_parts(b)
    if not pa or not pb:
        return False
    if "".join(pa) == "".join(pb):
        return True
    sa, sb = set(pa), set(pb)
    return sa <= sb or sb <= sa


# --- a whole text -----------------------------------------------------------------------------


@dataclass
class _Person:
    name: str
    titles: set[str]
    gender: str | None


class _Resolver:
    """Names in one text: full forms, titles, genders and who was spoken of last."""

    def __init__(self, sentences: Sequence[str]) -> None:
        # (full name, its title words, its name parts): every spelled-out name of the text
        self._full: list[tuple[str, frozenset[str], frozenset[str]]] = []
        known: set[str] = set()
        for sentence in sentences:
            tokens = _tokens(sentence)
            k = 0
            while k < len(tokens):
                run = _run_starting_at(tokens, k)
                if run is None:
                    k += 1
                    continue
                if run.name and (run.titled or len(run.name) > 1):
                    full = " ".join(run.name)
                    self._full.append((full, frozenset(run.title), frozenset(_key_parts(full))))
                    if run.titled:
                        known.add(name_key(full))
                k = run.last + 1
        self.known = frozenset(known)
        self.history: list[_Person] = []

    def canonical(self, run: _Run) -> str:
        """The fullest unambiguous spelling of a run's name in this text."""
        name = " ".join(run.name)
        parts = frozenset(_key_parts(name))
        longer = {(full, p) for full, _, p in self._full if parts < p or full == name}
        maximal = {(f, p) for f, p in longer if not any(p < q for _, q in longer)}
        if len({p for _, p in maximal}) == 1:
            return max((f for f, _ in maximal), key=len)
        return name  # unknown, or ambiguous: "Kim" with Kim Young-suk and Kim Ji-yoon

    def titles_of(self, name: str) -> set[str]:
        parts = frozenset(_key_parts(name))
        out: set[str] = set()
        for _, title, full_parts in self._full:
            if parts and parts <= full_parts:
                out |= title
        return out

    def remember(self, name: str, run: _Run | None, gender: str | None = None) -> None:
        person = next((p for p in self.history if name_key(p.name) == name_key(name)), None)
        if person is None:
            person = _Person(name, self.titles_of(name), None)
        else:
            self.history.remove(person)
        if run is not None:
            person.titles |= set(run.title)
            for word in run.title:
                if word in _FEMALE:
                    person.gender = "f"
                elif word in _MALE:
                    person.gender = "m"
        if gender is not None and person.gender is None:
            person.gender = gender
        self.history.append(person)

    def pronoun(self, gender: str | None) -> str | None:
        for person in reversed(self.history):
            if gender is None or person.gender in (None, gender):
                person.gender = person.gender or gender
                return person.name
        return None

    def role(self, role: str | None) -> str | None:
        if not self.history:
            return None
        for person in reversed(self.history):
            if role is not None and any(role in t.split("-") for t in person.titles):
                return person.name
        return self.history[-1].name

    def seed(self, name: str) -> None:
        self.history.append(_Person(name, self.titles_of(name), None))


def _attribute(
    text: str, spans: Sequence[tuple[int, int]], antecedent: str | None
) -> list[Attribution]:
    sentences = [text[s:e] for s, e in spans]
    resolver = _Resolver(sentences)
    if antecedent:
        resolver.seed(antecedent)
    out: list[Attribution] = []
    for (start, end), sentence in zip(spans, sentences, strict=True):
        finding = _analyse(sentence, resolver.known)
        subject = finding.speaker
        speaker: str | None = None
        inherited = False
        if subject is not None and subject.kind == "named" and subject.run is not None:
            speaker = resolver.canonical(subject.run)
            resolver.remember(speaker, subject.run)
        elif subject is not None and subject.kind == "pronoun":
            speaker, inherited = resolver.pronoun(subject.gender), True
        elif subject is not None and subject.kind == "role":
            speaker, inherited = resolver.role(subject.role), True
        elif finding.subject is not None and finding.subject.kind == "named":
            run = finding.subject.run
            if run is not None and (run.titled or name_key(" ".join(run.name)) in resolver.known):
                resolver.remember(resolver.canonical(run), run)  # "Kang Insun attended …"
        mention = None
        if speaker is not None and subject is not None and subject.mention is not None:
            mention = (start + subject.mention[0], start + subject.mention[1])
        out.append(Attribution(start, end, speaker, inherited if speaker else False, mention))
    return out


def speaker_spans(text: str, *, antecedent: str | None = None) -> list[Attribution]:
    """The speaker of every sentence of ``text``.

    Args:
        text: A news text (a whole document, or a passage with its preceding context).
        antecedent: A person a leading pronoun refers to when ``text`` names no one before it
            (e.g. the person a question asks about).

    Returns:
        One ``Attribution`` per sentence of ``split_sentences(text)``, in order, with offsets
        into ``text``.
    """
    return _attribute(text, split_sentences(text), antecedent)


def attribute_sentences(
    sentences: Sequence[str], *, antecedent: str | None = None
) -> list[Attribution]:
    """Like ``speaker_spans`` for text already split into sentences, read in order.

    Args:
        sentences: The sentences, in reading order; pronouns refer back across them.
        antecedent: Who a leading pronoun refers to when no earlier sentence names anyone.

    Returns:
        One ``Attribution`` per sentence; its offsets are into that sentence
        (``start == 0``, ``end == len(sentence)``).
    """
    joined = "\n".join(sentences)
    spans: list[tuple[int, int]] = []
    pos = 0
    for sentence in sentences:
        spans.append((pos, pos + len(sentence)))
        pos += len(sentence) + 1
    out: list[Attribution] = []
    for (start, end), a in zip(spans, _attribute(joined, spans, antecedent), strict=True):
        mention = None if a.mention is None else (a.mention[0] - start, a.mention[1] - start)
        out.append(Attribution(0, end - start, a.speaker, a.inherited, mention))
    return out


def attributed_to(text: str, name: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` whose speaker is ``name`` (see ``same_person``).

    Args:
        text: A news text.
        name: A person's name, with or without title.

    Returns:
        ``(start, end)`` offsets into ``text``, in order.
    """
    return [
        (a.start, a.end)
        for a in speaker_spans(text)
        if a.speaker is not None and same_person(a.speaker, name)
    ]


# --- questions --------------------------------------------------------------------------------

_Q_VERBS = _STATEMENT_LEMMAS + _wordlist(
    "think believe want see view assess discuss raise characterise mean"
)
_Q_VERB = "|".join(sorted(set(_Q_VERBS), key=len, reverse=True))
_WHO = r"(?P<who>[^\s?,]+(?:\s+[^\s?,]+){0,6}?)"
_WH_QUESTION = re.compile(
    r"^\s*(?:what|which|how|why|when|where|whom|in\s+what\s+way|to\s+what\s+extent)\b"
    rf"(?P<obj>[^?]*?)\s+(?:did|does|do|has|have|had|would|will|could)\s+{_WHO}\s+"
    rf"(?P<verb>{_Q_VERB})\b(?P<rest>[^?]*)",
    re.IGNORECASE,
)
_EMBEDDED = re.compile(
    rf"\b(?:what|how)\s+{_WHO}\s+(?P<verb>(?:{_Q_VERB})(?:s|d|ed|es)?|said|told|spoke)\b"
    r"(?P<rest>[^?]*)",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    rf"^\s*(?:did|does|has|had)\s+{_WHO}\s+(?P<verb>{_Q_VERB})\b(?P<rest>[^?]*)",
    re.IGNORECASE,
)
_VIEW_NOUNS = (
    "view|views|position|positions|stance|opinion|message|comments?|response|assessment|"
    "argument|warning|request|call|statement|remarks?|concerns?|message|point"
)
_POSSESSIVE_Q = re.compile(
    r"^\s*(?:what|how)\s+(?:is|was|were|are)\s+(?P<who>[^?]+?)['’]s?\s+"
    rf"(?P<verb>{_VIEW_NOUNS})\b(?P<rest>[^?]*)",
    re.IGNORECASE,
)
_ACCORDING_Q = re.compile(r"^\s*according\s+to\s+(?P<who>[^,?]+?)\s*,\s*(?P<rest>[^?]*)", re.I)
_LEADING_PREPOSITION = re.compile(
    r"^(?:about|regarding|on|concerning|of|with\s+regard\s+to|with\s+respect\s+to|"
    r"in\s+relation\s+to|as\s+to|towards?)\s+",
    re.IGNORECASE,
)


def _person_name(words: str) -> str | None:
    """The name in ``words`` if it is a capitalised (possibly titled) name, else ``None``."""
    tokens = _tokens(words.strip())
    if not tokens or tokens[0].low in _STOP_CAPS or not tokens[0].is_cap:
        return None  # "the panel", "they", "the Vice Minister": no named person
    run = _run_starting_at(tokens, 0)
    if run is None or run.last != len(tokens) - 1 or not run.name:
        return None
    return " ".join(run.name)


def parse_who_said(question: str) -> WhoSaid | None:
    """Recognise a question about what a named person said.

    Handles "What did Kang say about New START?", "What did Kim Young-suk ask Singapore …?",
    "How did Teodoro describe …?", "What emerging technology did Vice Minister Kang say …?",
    "According to Dragone, …?", "What was Kang's position on …?", "Did Hoo say that …?" and
    "Summarise what Kang said about …".

    Only capitalised names count: descriptions ("What did the panel identify …?", "the
    ministers", "they") return ``None``, because they name no one a citation could be checked
    against. So do questions that ask *who* spoke ("Who moderated …?").

    Args:
        question: The user's question.

    Returns:
        The speaker (title stripped) and the topic, or ``None``.
    """
    m = _ACCORDING_Q.match(question)
    if m:
        name = _person_name(m.group("who"))
        if name:
            return WhoSaid(name, m.group("rest").strip(" ?."), None)
        return None
    for pattern in (_WH_QUESTION, _POSSESSIVE_Q, _YES_NO, _EMBEDDED):
        m = pattern.search(question)
        if not m:
            continue
        who = m.group("who")
        if pattern is _POSSESSIVE_Q:
            who = _POSSESSIVE.sub("", who).rstrip("'’")
        name = _person_name(who)
        if name is None:
            return None
        obj = m.groupdict().get("obj") or ""
        rest = _LEADING_PREPOSITION.sub("", m.group("rest").strip())
        topic = " ".join(part for part in (obj.strip(), rest.strip(" ?.")) if part)
        return WhoSaid(name, topic, m.group("verb").lower())
    return None
