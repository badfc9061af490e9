"""Parse the citations of a model's answer and verify each sentence against the cited passages.

The product's promise is that a sentence shown as fact is backed by an exact quote. For every
sentence of the answer (``diplorag.sentences.split_sentences``):

1. **Markers** ``[1]``, ``[1, 2]``, ``[1][2]``, ``[1-3]``, ``[Source 2]`` and, when all its
   numbers name given passages, ``(1)`` before punctuation, are parsed and stripped from the
   sentence. A marker written after the full stop ("… treaty. [1]") belongs to the sentence it
   follows, unless the answer puts markers first ("[1] Kang said …").
2. **Unknown sources**: ``[n]`` with ``n < 1`` or ``n > len(evidence)`` is removed (reason says).
3. **Support**: a passage supports a sentence when one of its sentences, or two adjacent ones,
   holds at least ``policy.min_recall`` of the sentence's content words (lower-cased, accents
   folded, stop words and neutral reporting verbs dropped, light stemming; numbers count as
   words) *and* every number, every capitalised name and (if the sentence has one) a negation
   of the sentence: a wrong number, person or polarity is never supported. The quote is that
   exact text: ``Citation.quote == hit.text[a:b]``, ``quote_start == hit.start + a``.
4. **Who said what**: when the sentence names who said it ("Kang stressed …", "…, Hoo said",
   "According to Dragone, …"), the quote must be attributed to the same person in the source
   (``diplorag.attribution``); a pronoun in the answer ("She urged …") or the person the question
   asks about is an *implied* speaker: the quote may be narration, but never another person's.
5. **Repair**: unsupported citations are removed; if none of the cited passages supports the
   sentence, another passage that clearly supports it (``policy.min_recall_added``) gets the
   citation (CORRECTED, "citation moved"/"citation added"); otherwise the sentence is
   UNVERIFIED (kept, marked ``[unverified]``) or DROPPED, with the reason.
6. **Non-claims**: an abstention ("The documents do not say.") and a short connective with no
   name, number or second content word ("This matters.") are not checked: status VERIFIED,
   no citations, a reason saying why. They never make an answer ``supported``.

7. **Addresses**: a sentence with a URL, e-mail address or phone number that its cited quotes
   do not contain is DROPPED (``diplorag.text.untrusted.unquoted_contacts``).

Pure functions: standard library, pydantic and ``diplorag.{sentences,types,attribution,text}``
only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from diplorag.attribution import Attribution, attribute_sentences, parse_who_said, same_person
from diplorag.attribution import speaker_spans as _speaker_spans
from diplorag.sentences import split_sentences
from diplorag.text.untrusted import unquoted_contacts
from diplorag.types import AnswerSentence, Citation, Hit, VerificationStatus

__all__ = [
    "ABSTENTION",
    "DEFAULT_POLICY",
    "UNVERIFIED_MARKER",
    "ParsedSentence",
    "SentenceKind",
    "VerifiedAnswer",
    "VerifyPolicy",
    "is_abstention",
    "parse_answer",
    "strip_markers",
    "verify_answer",
]


def _wordset(text: str) -> frozenset[str]:
    """Words of a multi-line literal (vocabulary lists read better as prose)."""
    return frozenset(text.split())


ABSTENTION = "The documents do not say."
UNVERIFIED_MARKER = "[unverified]"


class VerifyPolicy(BaseModel):
    """How strict verification is.

    Attributes:
        min_recall: Share of a sentence's content words a quote must hold to support it, when
            the model cited that passage.
        min_recall_added: The same, when verification adds or moves a citation on its own:
            without the model's pointer, support must be clearer.
        max_window: Most adjacent passage sentences one quote may span.
        keep_unverified: Keep unsupported sentences, marked, instead of dropping them.
        connective_max_words: A sentence with no name, number or speaker and at most this many
            content words is a connective, not a claim.
        unverified_marker: Appended to unverified sentences in the rendered answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_recall: float = Field(0.6, ge=0.0, le=1.0)
    min_recall_added: float = Field(0.75, ge=0.0, le=1.0)
    max_window: int = Field(2, ge=1, le=4)
    keep_unverified: bool = True
    connective_max_words: int = Field(1, ge=0)
    unverified_marker: str = UNVERIFIED_MARKER


DEFAULT_POLICY = VerifyPolicy()


class SentenceKind(StrEnum):
    CLAIM = "claim"  # checked against the passages
    CONNECTIVE = "connective"  # no claim to check ("Yes.", "This matters.")
    ABSTENTION = "abstention"  # the model says the passages do not answer


class VerifiedAnswer(BaseModel):
    """The answer after verification.

    Attributes:
        answer: The rendered answer: verified and corrected sentences with ``[n]`` markers
            (``n`` = position in the evidence list, as given to the model, not renumbered),
            unverified ones suffixed with ``policy.unverified_marker``, dropped ones left out,
            connectives and abstentions as written. Line breaks between sentences are kept.
        sentences: Every sentence of the model's answer, in order, dropped ones included.
        kinds: ``kinds[i]`` says whether ``sentences[i]`` is a claim, connective or abstention.
        supported: At least one claim is VERIFIED or CORRECTED; when False the caller abstains.
        model_abstained: The answer is an abstention: it has an abstention sentence and no
            claim. An abstention next to claims (a partial answer) is kept as a sentence.
    """

    model_config = ConfigDict(extra="forbid")

    answer: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    kinds: list[SentenceKind] = Field(default_factory=list)
    supported: bool = False
    model_abstained: bool = False


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
_META_PREFIX = re.compile(
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


# --- content words ----------------------------------------------------------------------------

_STOP = _wordset(
    """
    a about above across after afterwards again against all almost along already also although
    always am among amongst an and another any anyhow anyone anything anyway anywhere are around
    as at be became because become becomes been before beforehand behind being below beside
    besides between beyond both but by can cannot could did do does doing done down due during
    each either else elsewhere enough etc even ever every everyone everything everywhere except
    few for former formerly from further had has have having he hence her here hereafter hereby
    herein hers herself him himself his how however i if in indeed into is it its itself just
    keep latter least less made make many may me meanwhile might mine more moreover most mostly
    much must my myself namely neither never nevertheless next no nobody none noone nor not
    nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps please put quite rather re really regarding same seem
    seemed seeming seems several she should since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence there
    thereafter thereby therefore therein thereupon these they this those though through
    throughout thru thus to together too toward towards under until up upon us very via was we
    well were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will with
    within without would yet you your yours yourself yourselves according addition particular
    co non pre un s t ll ve d m o yes ok okay sure summary conclusion overall additionally
    furthermore specifically notably importantly similarly likewise finally firstly secondly
    lastly answer passage passages document documents
    """
)
# Reporting verbs that only say *that* someone spoke: who spoke is checked separately, and
# answers paraphrase them freely ("said" for "pointed out").
_NEUTRAL_VERBS = _wordset(
    """
    say says said saying stated stating tell tells told telling add adds added adding note
    noted noting remark remarked remarking comment commented commenting mention mentioned
    mentioning spoke speak speaks speaking explain explained explaining stress stressed
    stressing emphasize emphasized emphasizing emphasise emphasised emphasising underscore
    underscored underscoring highlight highlighted highlighting pointed pointing express
    expressed expressing went
    """
)
_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
    "dozen": "12",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
    "eleventh": "11",
    "twelfth": "12",
}
_IRREGULAR_STEMS = {
    "said": "say",
    "met": "meet",
    "told": "tell",
    "spoke": "speak",
    "spoken": "speak",
    "defence": "defense",
    "programme": "program",
    "programmes": "program",
    "centre": "center",
    "men": "man",
    "women": "woman",
    "children": "child",
}
_NEGATIONS = _wordset("not no never neither nor none nobody nothing cannot without")
_DIGITS = re.compile(
    r"(?<![\w.,])[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?(?:st|nd|rd|th)?(?![\w]|[.,][0-9])"
)
_WORDS = re.compile(r"\w+(?:[-'’]\w+)*")
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_POSSESSIVE = re.compile(r"[’']s?$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    """Light stemming: plural, -ed, -ing, final e; enough to match 'urged' with 'urge'."""
    w = _POSSESSIVE.sub("", _fold(word))
    # Irregular forms and British spellings first, then the regular suffixes.
    w = _IRREGULAR_STEMS.get(w, w)
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # "planned" -> "plan"
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _number_value(token: str) -> str:
    """'1,000' -> '1000'; '14th' -> '14'; '3.50' -> '3.5'."""
    value = re.sub(r"(?:st|nd|rd|th)$", "", token).replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class _Unit:
    """One content word of an answer sentence: matched by its joined form or all its parts."""

    key: str
    parts: tuple[str, ...]
    surface: str
    is_name: bool

    def found_in(self, stems: frozenset[str] | set[str]) -> bool:
        return self.key in stems or (bool(self.parts) and all(p in stems for p in self.parts))


@dataclass(frozen=True, slots=True)
class _Features:
    units: tuple[_Unit, ...]  # content words, names included
    numbers: Mapping[str, str]  # value -> surface
    stems: frozenset[str]  # every word form, for the passage side
    negation: str | None = None  # the first negation word ("not", "never", "didn't")

    @property
    def names(self) -> tuple[_Unit, ...]:
        return tuple(u for u in self.units if u.is_name)


def _word_key(word: str) -> tuple[str, tuple[str, ...]]:
    """Joined stem of a word and the stems of its hyphen parts ('re-engage')."""
    pieces = [p for p in re.split(r"[-'’]", _POSSESSIVE.sub("", word)) if p]
    joined = _stem("".join(pieces)) if pieces else _stem(word)
    if word.isupper() and len(word) > 1 and _fold(word) in _STOP:
        joined = "#" + _fold(word)  # "US" is a country, "us" a pronoun
    parts = tuple(_stem(p) for p in pieces) if len(pieces) > 1 else ()
    return joined, parts


def _features(text: str) -> _Features:
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    numbers: dict[str, str] = {}
    for m in _DIGITS.finditer(text):
        numbers.setdefault(_number_value(m.group(0)), m.group(0))
    units: dict[str, _Unit] = {}
    stems: set[str] = set()
    negation: str | None = None
    words = [m.group(0) for m in _WORDS.finditer(text)]
    for i, word in enumerate(words):
        key, parts = _word_key(word)
        stems.add(key)
        stems.update(parts)
        low = _fold(word)
        if negation is None and _is_negation(low, words[i + 1] if i + 1 < len(words) else ""):
            negation = word
        for piece in (low, *low.split("-")):
            if piece in _NUMBER_WORDS:
                numbers.setdefault(_NUMBER_WORDS[piece], word)
        if any(ch.isdigit() for ch in word) and _DIGITS.fullmatch(word):
            continue
        if low in _NUMBER_WORDS or low in _NEUTRAL_VERBS or len(key) < 2:
            continue
        if low in _STOP and not key.startswith("#"):
            continue
        content_parts = tuple(
            p
            for p, raw in zip(parts, re.split(r"[-'’]", low), strict=False)
            if raw not in _STOP and len(p) > 1
        )
        if parts and not content_parts:
            continue
        is_name = word[0].isupper()
        units.setdefault(key, _Unit(key, content_parts, _POSSESSIVE.sub("", word), is_name))
    return _Features(tuple(units.values()), numbers, frozenset(stems), negation)


def _is_negation(low: str, following: str) -> bool:
    """'not', 'never', "didn't"…, but not the 'not' of 'not only … but also'."""
    if low in ("not", "no") and _fold(following) == "only":
        return False
    return low in _NEGATIONS or low.endswith(("n't", "n’t"))


# --- passages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Passage:
    n: int
    hit: Hit
    spans: tuple[tuple[int, int], ...]  # sentences, offsets into hit.text
    features: tuple[_Features, ...]
    speakers: tuple[str | None, ...]


def _passage_speakers(
    hit: Hit,
    spans: Sequence[tuple[int, int]],
    documents: Mapping[str, str] | None,
    cache: dict[str, list[Attribution]],
) -> tuple[str | None, ...]:
    """Speaker of each passage sentence, read with the whole document before it if known."""
    doc = documents.get(hit.doc_id) if documents else None
    if doc is not None and doc[hit.start : hit.end] == hit.text:
        if hit.doc_id not in cache:
            cache[hit.doc_id] = _speaker_spans(doc)
        attrs, offset = cache[hit.doc_id], hit.start
    else:
        attrs, offset = _speaker_spans(hit.text), 0
    out: list[str | None] = []
    for start, _ in spans:
        pos = offset + start
        found = next((a for a in attrs if a.start <= pos < a.end), None)
        out.append(found.speaker if found else None)
    return tuple(out)


def _passages(evidence: Sequence[Hit], documents: Mapping[str, str] | None) -> list[_Passage]:
    cache: dict[str, list[Attribution]] = {}
    out = []
    for n, hit in enumerate(evidence, start=1):
        spans = tuple(split_sentences(hit.text))
        feats = tuple(_features(hit.text[s:e]) for s, e in spans)
        out.append(_Passage(n, hit, spans, feats, _passage_speakers(hit, spans, documents, cache)))
    return out


# --- support ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claim:
    text: str
    features: _Features
    speaker: str | None
    explicit: bool  # the sentence itself names the speaker


@dataclass(frozen=True, slots=True)
class _Window:
    """A candidate quote (one or more adjacent passage sentences) and how well it fits."""

    passage: _Passage
    first: int
    last: int
    recall: float
    missing: tuple[str, ...]  # names and numbers of the claim the quote lacks
    speaker: str | None
    speaker_problem: str | None

    def ok(self, threshold: float) -> bool:
        return self.recall >= threshold and not self.missing and self.speaker_problem is None

    def rank(self) -> tuple[float, int, int, int, int]:
        """Best first: most of the claim, fewest sentences, shortest quote, earliest passage."""
        length = self.passage.spans[self.last][1] - self.passage.spans[self.first][0]
        return (-self.recall, self.last - self.first, length, self.passage.n, self.first)

    def failure(self, threshold: float) -> str:
        n = self.passage.n
        if self.missing:
            return f"[{n}] lacks " + ", ".join(repr(m) for m in self.missing[:3])
        if self.recall < threshold:
            return f"[{n}] covers {self.recall:.0%} of its content words (needs {threshold:.0%})"
        return self.speaker_problem or f"[{n}] does not support it"


def _speaker_problem(claim: _Claim, quote_speaker: str | None) -> str | None:
    if claim.speaker is None:
        return None
    if quote_speaker is None:
        if claim.explicit:
            return f"the source does not attribute this to {claim.speaker}"
        return None  # an implied speaker may be backed by narration
    if not same_person(claim.speaker, quote_speaker):
        return f"attributed to {quote_speaker} in the source, not {claim.speaker}"
    return None


def _windows(claim: _Claim, passage: _Passage, max_window: int) -> list[_Window]:
    units = claim.features.units
    numbers = claim.features.numbers
    negation = claim.features.negation
    total = len(units) + len(numbers)
    out: list[_Window] = []
    for first in range(len(passage.spans)):
        stems: set[str] = set()
        nums: set[str] = set()
        negated = False
        counts: list[int] = []
        for last in range(first, min(first + max_window, len(passage.spans))):
            feat = passage.features[last]
            mine = sum(u.found_in(feat.stems) for u in units)
            mine += sum(v in feat.numbers for v in numbers)
            if last > first and mine == 0:
                break  # a sentence that adds nothing does not belong in the quote
            counts.append(mine)
            stems |= feat.stems
            nums |= set(feat.numbers)
            negated = negated or feat.negation is not None
            matched = sum(u.found_in(stems) for u in units) + sum(v in nums for v in numbers)
            if last > first and matched == max(counts[:-1]):
                continue  # the pair adds nothing over the sentence alone
            missing = tuple(
                [u.surface for u in units if u.is_name and not u.found_in(stems)]
                + [surface for v, surface in numbers.items() if v not in nums]
                # "Kang did not express concern" needs a negation in the quote too.
                + ([negation] if negation is not None and not negated else [])
            )
            # The quote's speaker is that of the sentence carrying most of the claim.
            main = first + max(range(len(counts)), key=lambda k: (counts[k], -k))
            speaker = passage.speakers[main]
            out.append(
                _Window(
                    passage,
                    first,
                    last,
                    matched / total if total else 0.0,
                    missing,
                    speaker,
                    _speaker_problem(claim, speaker),
                )
            )
    return out


def _best(windows: Sequence[_Window], threshold: float) -> _Window | None:
    good = [w for w in windows if w.ok(threshold)]
    return min(good, key=_Window.rank) if good else None


def _most_informative_failure(windows: Sequence[_Window], threshold: float) -> _Window | None:
    """The failing window whose failure best explains why nothing supports the claim."""
    if not windows:
        return None

    def key(w: _Window) -> tuple[bool, float, int]:
        # The closest match tells most: "[1] lacks 'Geneva'" beats "covers 12%".
        content_ok = w.recall >= threshold and not w.missing
        return (content_ok, w.recall, -len(w.missing))

    return max(windows, key=key)


def _citation(window: _Window) -> Citation:
    hit = window.passage.hit
    local_start = window.passage.spans[window.first][0]
    local_end = window.passage.spans[window.last][1]
    return Citation(
        n=window.passage.n,
        chunk_id=hit.chunk_id,
        doc_id=hit.doc_id,
        title=hit.title,
        path=hit.path,
        published=hit.published,
        quote=hit.text[local_start:local_end],
        quote_start=hit.start + local_start,
        quote_end=hit.start + local_end,
        speaker=window.speaker,
        score=round(window.recall, 4),
    )


def _blank(text: str, span: tuple[int, int] | None) -> str:
    """``text`` with the speaker's mention blanked out (it is checked as a speaker instead)."""
    if span is None:
        return text
    start, end = max(0, span[0]), min(len(text), span[1])
    return text[:start] + " " * (end - start) + text[end:]


def _missing_everywhere(claim: _Claim, passages: Sequence[_Passage]) -> list[str]:
    stems: set[str] = set()
    nums: set[str] = set()
    for p in passages:
        for f in p.features:
            stems |= f.stems
            nums |= set(f.numbers)
    names = [u.surface for u in claim.features.names if not u.found_in(stems)]
    numbers = [s for v, s in claim.features.numbers.items() if v not in nums]
    negation = claim.features.negation
    if negation is not None and not any(f.negation for p in passages for f in p.features):
        numbers.append(negation)
    return names + numbers


def _check_claim(
    claim: _Claim,
    cited: Sequence[int],
    passages: Sequence[_Passage],
    policy: VerifyPolicy,
) -> tuple[VerificationStatus, str | None, list[Citation]]:
    notes: list[str] = []
    k = len(passages)
    valid = [n for n in cited if 1 <= n <= k]
    for n in cited:
        if n not in valid:
            given = f"{k} passage" + ("" if k == 1 else "s")
            notes.append(f"[{n}] cites a source that was not given ({given}); removed")

    # Cited passages first; the others are only searched when none of those supports it.
    windows = {n: _windows(claim, passages[n - 1], policy.max_window) for n in valid}
    kept: list[Citation] = []
    failures: dict[int, str] = {}
    for n in valid:
        best = _best(windows[n], policy.min_recall)
        if best is not None:
            kept.append(_citation(best))
        else:
            worst = _most_informative_failure(windows[n], policy.min_recall)
            failures[n] = worst.failure(policy.min_recall) if worst else f"[{n}] is empty"
    if kept:
        for n, why in failures.items():
            notes.append(f"[{n}] does not support it ({why}); removed")
        status = VerificationStatus.CORRECTED if notes else VerificationStatus.VERIFIED
        return status, "; ".join(notes) or None, kept

    for p in passages:
        if p.n not in windows:
            windows[p.n] = _windows(claim, p, policy.max_window)
    others = [p for p in passages if p.n not in valid]
    found = [w for p in others if (w := _best(windows[p.n], policy.min_recall_added))]
    if found:
        best = min(found, key=_Window.rank)
        if valid:
            moved = "".join(f"[{n}]" for n in valid)
            why = "; ".join(failures.values())
            notes.append(f"citation moved from {moved} to [{best.passage.n}] ({why})")
        else:
            notes.append(f"citation added: [{best.passage.n}]")
        return VerificationStatus.CORRECTED, "; ".join(notes), [_citation(best)]

    notes.append(_why_unsupported(claim, valid, failures, windows, passages, policy))
    status = VerificationStatus.UNVERIFIED if policy.keep_unverified else VerificationStatus.DROPPED
    return status, "; ".join(notes), []


def _why_unsupported(
    claim: _Claim,
    valid: Sequence[int],
    failures: Mapping[int, str],
    windows: Mapping[int, list[_Window]],
    passages: Sequence[_Passage],
    policy: VerifyPolicy,
) -> str:
    if not passages:
        return "no passages were given"
    absent = _missing_everywhere(claim, passages)
    if absent:
        return "no passage contains " + ", ".join(repr(a) for a in absent[:3])
    every = [w for ws in windows.values() for w in ws]
    speaker_fails = [
        w for w in every if w.recall >= policy.min_recall and not w.missing and w.speaker_problem
    ]
    if speaker_fails:
        return str(min(speaker_fails, key=_Window.rank).speaker_problem)
    if valid:
        cited = "; ".join(failures[n] for n in valid)
        return f"{cited}; no other passage supports it"
    worst = _most_informative_failure(every, policy.min_recall)
    detail = worst.failure(policy.min_recall) if worst else "nothing matches"
    return f"no passage supports it (best: {detail})"


# --- the answer -------------------------------------------------------------------------------

_TRAILING_PUNCT = re.compile(r"[.!?…]+$")


def _with_marker(text: str, marker: str) -> str:
    """Put ``marker`` before the sentence's final punctuation ('… START [1].')."""
    if not marker:
        return text
    m = _TRAILING_PUNCT.search(text)
    if m is None:
        return f"{text} {marker}"
    return f"{text[: m.start()].rstrip()} {marker}{m.group(0)}"


def _render(
    parsed: Sequence[ParsedSentence],
    sentences: Sequence[AnswerSentence],
    kinds: Sequence[SentenceKind],
    policy: VerifyPolicy,
) -> str:
    parts: list[str] = []
    for p, s, kind in zip(parsed, sentences, kinds, strict=True):
        if s.status is VerificationStatus.DROPPED:
            continue
        if kind is not SentenceKind.CLAIM:
            text = s.text
        elif s.status is VerificationStatus.UNVERIFIED:
            text = _with_marker(s.text, policy.unverified_marker)
        else:
            text = _with_marker(s.text, "".join(f"[{c.n}]" for c in s.citations))
        if parts:
            parts.append(p.separator or " ")
        parts.append(text)
    return "".join(parts)


def _kind(claim: _Claim, policy: VerifyPolicy) -> SentenceKind:
    if is_abstention(claim.text):
        return SentenceKind.ABSTENTION
    if _ENUMERATOR.match(claim.text):
        return SentenceKind.CONNECTIVE
    f = claim.features
    if (
        not claim.explicit
        and not f.names
        and not f.numbers
        and len(f.units) <= policy.connective_max_words
    ):
        return SentenceKind.CONNECTIVE
    return SentenceKind.CLAIM


def _without_unquoted_contacts(sentence: AnswerSentence) -> AnswerSentence:
    """Drop a sentence naming a web address, e-mail or phone number its quotes do not hold.

    Whatever else supports it, such a sentence is how a planted instruction would advertise.
    """
    stray = unquoted_contacts(sentence.text, [c.quote for c in sentence.citations])
    if not stray:
        return sentence
    return sentence.model_copy(
        update={
            "status": VerificationStatus.DROPPED,
            "reason": f"names {', '.join(stray)}, which its cited text does not",
            "citations": [],
        }
    )


def verify_answer(
    answer_text: str,
    evidence: Sequence[Hit],
    *,
    question: str | None = None,
    policy: VerifyPolicy = DEFAULT_POLICY,
    documents: Mapping[str, str] | None = None,
) -> VerifiedAnswer:
    """Check every sentence of a model's answer against the passages it was given.

    Args:
        answer_text: The model's raw answer; ``[n]`` refers to ``evidence[n - 1]``.
        evidence: The passages, in the order they were numbered for the model.
        question: The question; if it asks what a person said ("What did Kang say about …?"),
            that person is the implied speaker of sentences that name no one, and a quote the
            source attributes to someone else does not support them.
        policy: Thresholds and what to do with unsupported sentences.
        documents: Optional full texts by ``doc_id``; when given (and ``hit.text`` is the slice
            ``[hit.start:hit.end]`` of it), a passage sentence starting with "He …" is
            resolved with the document before the passage, not only the passage itself.

    Returns:
        The verified answer; it never raises on odd input (any text, any markers).
    """
    parsed = parse_answer(answer_text, n_sources=len(evidence))
    who = parse_who_said(question) if question else None
    passages = _passages(evidence, documents)
    attributions = attribute_sentences(
        [p.text for p in parsed], antecedent=who.speaker if who else None
    )

    sentences: list[AnswerSentence] = []
    kinds: list[SentenceKind] = []
    for p, attr in zip(parsed, attributions, strict=True):
        explicit = attr.speaker is not None and not attr.inherited
        speaker = attr.speaker if attr.speaker is not None else (who.speaker if who else None)
        body = _blank(p.text, attr.mention if explicit or attr.inherited else None)
        meta = _META_PREFIX.match(body)
        body = _blank(body, meta.span() if meta else None)
        claim = _Claim(p.text, _features(body), speaker, explicit)
        kind = _kind(claim, policy)
        kinds.append(kind)
        if kind is not SentenceKind.CLAIM:
            why = "abstention" if kind is SentenceKind.ABSTENTION else "connective"
            note = f"no claim to check ({why})"
            if p.cited:
                note += "; markers " + "".join(f"[{n}]" for n in p.cited) + " removed"
            sentences.append(
                AnswerSentence(text=p.text, status=VerificationStatus.VERIFIED, reason=note)
            )
            continue
        status, reason, citations = _check_claim(claim, p.cited, passages, policy)
        sentences.append(
            AnswerSentence(text=p.text, status=status, reason=reason, citations=citations)
        )

    sentences = [_without_unquoted_contacts(s) for s in sentences]
    claims = [s for s, k in zip(sentences, kinds, strict=True) if k is SentenceKind.CLAIM]
    supported = any(
        s.status in (VerificationStatus.VERIFIED, VerificationStatus.CORRECTED) for s in claims
    )
    abstained = not claims and SentenceKind.ABSTENTION in kinds
    return VerifiedAnswer(
        answer=_render(parsed, sentences, kinds, policy),
        sentences=sentences,
        kinds=kinds,
        supported=supported,
        model_abstained=abstained,
    )
