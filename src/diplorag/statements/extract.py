"""Who said what in one document, from spaCy's parse: entities, people, statements.

``analyse(text, docs)`` reads the spaCy docs of a document's paragraphs (with their offsets)
and returns what the statement index stores:

* **mentions** of PERSON, ORG, GPE and NORP entities with exact character offsets;
* **people**: the document's persons, each mention ("Kang", "Vice Minister Kang",
  "the Russian foreign minister") resolved to the fullest name the document gives, with the
  roles it gives them ("Russian Foreign Minister", "Kremlin spokesman");
* **statements**: a speech or stance predicate (``rules.toml``) with its speaker — the
  grammatical subject, the name after a quote ("…", said Lavrov), the object of "according
  to", a pronoun or a role noun resolved to the person the document last named (in that
  role) — and what was said: the quote, or the reported clause, negation included. A quote
  that runs over several sentences keeps its speaker in each.

The parse is duck-typed (spaCy ``Doc``/``Token``/``Span``); nothing here imports spaCy.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from diplorag.sentences import ABBREVIATIONS
from diplorag.statements.people import ends_with_name, matches, name_parts, same_name
from diplorag.statements.roles import role_match
from diplorag.statements.rules import Rules, fold, load_rules

Label = Literal["PERSON", "ORG", "GPE", "NORP"]
LABELS: frozenset[str] = frozenset({"PERSON", "ORG", "GPE", "NORP"})

# Content of a statement: the complements of its predicate.
_CONTENT_DEPS = frozenset({"ccomp", "xcomp", "dobj", "parataxis", "oprd", "attr", "prep", "acomp"})
# Before the predicate only a quote or a clause is what was said ("'…,' Lavrov said"), not a
# time or place ("During the meeting, Kim stressed…").
_CONTENT_BEFORE = frozenset({"ccomp", "parataxis", "xcomp"})
# Prepositions that carry what was said: call for/on, warn of/against, talk about, concern over.
_CONTENT_PREPS = frozenset({"on", "for", "against", "of", "about", "over", "into", "upon"})
# Verbs whose complement is a clause or a quote, never a prepositional phrase ("said on
# Thursday", "told reporters in Moscow").
_CLAUSE_VERBS = frozenset(
    "say tell add state note write report explain announce confirm declare reveal".split()
)
# A predicate under one of these is hypothetical, not a statement ("States should reaffirm").
_MODALS = frozenset({"should", "must", "could", "might", "may", "can", "would", "ought"})
_NON_SPEAKERS = frozenset(
    "it this that there which what i we you me us one who whom something nobody "
    "anyone everyone someone these those both all none".split()
)
_NEGATING_HEADS = frozenset({"refuse", "decline", "fail"})
_RELATIVISERS = frozenset({"who", "whom", "that", "which", "whose"})
# Verbs whose "as" phrase is part of what was said ("described his arrest as a provocation").
_AS_VERBS = frozenset(
    "describe brand characterize characterise label portray dub depict denounce hail".split()
)
# A clause under one of these marks is a reason or a condition, never what was said
# ("Because the results… can be hard to measure, Prose suggests a different metric").
_NOT_SAID_MARKS = frozenset({"because", "since", "if", "unless", "although", "though", "while"})
_MALE_TITLES = frozenset({"mr", "sir", "lord"})
_FEMALE_TITLES = frozenset({"mrs", "ms", "miss", "dame", "lady", "madam"})
# Words of a role phrase that NER takes for a name ("Permanent Representative").
_ROLE_MODIFIERS = frozenset(
    "assistant permanent acting senior junior associate executive special interim".split()
)
# Role words that are also surnames ("Stephen King", "John Major"): alone, they may be a name.
_SURNAME_LIKE = frozenset(
    "king queen prince judge pope cardinal chief head leader chair general major bishop mayor "
    "sultan emir captain colonel lieutenant marshal chancellor deputy".split()
)
# A surname before one of these names a family ("the Meehan family", "the Meehan brothers").
_KIN_GROUPS = frozenset(
    "family brother sister sibling clan household twin couple dynasty cousin".split()
)
# A name before "'s Day" names a day, not a person ("St Patrick's Day").
_DAYS = frozenset({"day", "eve", "night"})
# What may stand before a name in one role phrase: "Russian Ambassador to Norway Teimuraz
# Ramishvili", "Croatian Deputy Prime Minister and Defense Minister Ivan Anušić".
_ROLE_DEPS = frozenset(
    {"compound", "amod", "poss", "case", "nmod", "npadvmod", "prep", "pobj", "cc", "conj"}
)
# Single words NER calls ORG or NORP that are institutions, not people misread.
_INSTITUTIONS = frozenset(
    "kremlin pentagon parliament government ministry congress senate cabinet army navy police "
    "nato un eu opec interpol xinhua tass reuters afp ap bbc cnn isis isil daesh taliban hamas "
    "hezbollah duma bundestag knesset".split()
)
# Words that make a name an organisation's ("Amnesty International", "Human Rights Watch").
_ORG_WORDS = frozenset(
    "international organization organisation group council committee agency institute "
    "institution foundation association union party front alliance coalition watch office "
    "ministry department company corporation bank fund commission authority network "
    "centre center forces army observatory".split()
)
_OPEN, _CLOSE = "“„«", "”»"
# Where a sentence ends inside a span the parser took for one sentence (damaged text loses
# the space or glues a dash after the full stop: "Dáil.- Speaking on RTÉ…"). A full stop after
# two lower-case letters, so "U.S. Army", "St. Louis" and initials do not end anything.
_SENTENCE_END = re.compile(r"(?<=[a-z0-9%)\]]{2})[.!?][\"”’]?(?:\s*[-–—]+\s*|\s+)(?=[\"“]?[A-Z])")
_LEAD_IN = re.compile(r"(?:Speaking|Talking|Writing|Addressing|Responding|Asked)\b")
# Words whose full stop ends no sentence: diplorag.sentences' list and the rules' titles.
_ABBREVIATIONS = ABBREVIATIONS | load_rules().abbreviated_titles
# Damaged text runs an organisation's name into the next sentence ("The Atlanta Journal
# Constitution.- Huge Trump").
_NAME_END = re.compile(r"(?<=[a-z]{2})\.(?:\s*-|\s+(?=[A-Z]))")
_WORD = re.compile(r"\w+")
_MARKS = frozenset('"“”«»')
# Adverbs that link a clause to the one before ('…for "breakthrough discoveries," so he expects
# the cut to be revised'): a quote before them is not introduced by the verb after.
_LINKING_ADVERBS = frozenset({"so", "thus", "therefore", "hence", "then", "yet", "still"})
# Determiners that bring in someone new ("a spokesman said"): not the one named before.
_INDEFINITE = frozenset({"a", "an", "another"})
_EDGE = " \t\r\n,;:.—–-\"'“”‘’«»()"


@dataclass
class Mention:
    start: int
    end: int
    label: str
    text: str
    person: int | None = None  # index into DocumentAnalysis.people


@dataclass
class Person:
    """One person of the document: the fullest name given, the other forms, the roles."""

    name: str
    parts: list[str]
    aliases: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    gender: str | None = None
    seen: list[int] = field(default_factory=list)  # where the document names them, in order
    # A lone surname that several full names of the document share, credited to none of them.
    shared: bool = False
    named_full: list[int] = field(default_factory=list)  # where named with two parts or more

    def saw(self, pos: int) -> None:
        bisect.insort(self.seen, pos)

    def last_before(self, pos: int) -> int:
        """Where the document last named them at or before ``pos`` (-1: not yet).

        Entities are registered a whole parsed piece at a time, before its sentences are read,
        so "the latest mention" must be taken relative to the sentence being read.
        """
        i = bisect.bisect_right(self.seen, pos)
        return self.seen[i - 1] if i else -1


@dataclass
class Speaker:
    """Who a statement is by, as resolved inside the document."""

    person: int | None = None  # index into people
    label: str | None = None  # for a speaker that is an organisation or a place
    name: str | None = None


@dataclass
class Found:
    sentence_start: int
    sentence_end: int
    content_start: int
    content_end: int
    speaker: Speaker
    mention: str
    mention_start: int
    mention_end: int
    predicate: str
    direct: bool
    negated: bool


@dataclass
class DocumentAnalysis:
    mentions: list[Mention] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    statements: list[Found] = field(default_factory=list)


# -- quotes ---------------------------------------------------------------------------------


def quote_regions(text: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks (marks excluded); a quote left open ends at the line's end.

    A straight ``"`` between two letters is a damaged apostrophe ("don"t"), not a quote mark.
    """
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for i, c in enumerate(text):
        if c in "\r\n":
            if start is not None and i > start:
                regions.append((start, i))
            start = None
            continue
        if c == '"':
            before = text[i - 1] if i > 0 else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if before.isalnum() and after.isalnum():
                continue  # a damaged apostrophe: don"t
            opens = (before.isspace() or before in "([{—–-") and not after.isspace()
            closes = not before.isspace() and (after.isspace() or after in ",.;:!?)]}—–")
            if opens and not closes:
                if start is not None and i > start:  # an unclosed quote before: end it
                    regions.append((start, i))
                start = i + 1
            elif closes and not opens:
                if start is not None:
                    regions.append((start, i))
                start = None
            elif start is None:
                start = i + 1
            else:
                regions.append((start, i))
                start = None
        elif c in _OPEN:
            start = i + 1
        elif c in _CLOSE and start is not None:
            regions.append((start, i))
            start = None
    if start is not None and start < len(text):
        regions.append((start, len(text)))
    return [(a, b) for a, b in regions if b > a]


def _overlap(a: int, b: int, regions: Sequence[tuple[int, int]]) -> int:
    return sum(max(0, min(b, y) - max(a, x)) for x, y in regions)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _EDGE:
        a += 1
    while b > a and text[b - 1] in _EDGE:
        b -= 1
    if text[a : a + 5] == "that " and b - a > 8:  # "That is why…" opens a quote
        a += 5
    return a, b


# -- the analyser -----------------------------------------------------------------------------


class _Analyser:
    def __init__(self, text: str, rules: Rules, original: str | None = None) -> None:
        self.text = text
        self.original = original if original is not None else text
        self.rules = rules
        self.quotes = quote_regions(text)
        self.quote_starts = [a for a, _ in self.quotes]  # sorted: the regions do not overlap
        self.out = DocumentAnalysis()
        self.last_subject: list[int] = []  # people who were subjects, most recent last
        self.subject_sentence: dict[int, int] = {}  # person → last sentence they were subject in
        self.sentence_no = 0
        self.recent_starts: list[int] = [0]  # where the two sentences before the current began
        self.previous_sentence = 0  # where the last sentence of the piece before began
        self.piece_offset = 0  # where the spaCy doc being read starts in ``text``

    # people -------------------------------------------------------------------------------

    def _clean_name(self, ent: Any, offset: int) -> tuple[str, int, int, int] | None:
        tokens = list(ent)
        doc = ent.doc
        first = ent.start
        while first > 0:  # NER often drops a first name: "Gilberto [Teodoro]"
            t = doc[first - 1]
            word = fold(t.text)
            if not (
                t.pos_ == "PROPN"
                and t.dep_ == "compound"
                and ent.start <= t.head.i < ent.end
                and t.text[:1].isupper()
                and not t.text.isupper()
                and word not in self.rules.titles
                and word not in self.rules.place_of
                and word not in self.rules.role_heads
                and not t.ent_type_
                and not self._portfolio(t)
            ):
                break
            first -= 1
        tokens = list(doc[first : ent.start]) + tokens
        while tokens and (
            # "Minister for Finance Michael Noonan": the portfolio is not a first name.
            (len(tokens) >= 3 and self._portfolio(tokens[0]))
            or tokens[0].lower_ in ("the", "a", "an")
            # Link text and headings: "Follow St Patrick", "Defeating al-Shabab".
            or (len(tokens) >= 2 and tokens[0].tag_ in ("VB", "VBG"))
            or fold(tokens[0].text).strip(".") in self.rules.titles
            or not any(c.isalnum() for c in tokens[0].text)
        ):
            tokens = tokens[1:]
        while tokens and (tokens[-1].lower_ in ("'s", "’s", "'") or tokens[-1].is_punct):
            tokens = tokens[:-1]
        if not tokens or not any(t.text[:1].isupper() for t in tokens) or len(tokens) > 6:
            return None
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        text = ent.doc.text
        # Damaged text glues punctuation to names ('"?Trump', '-Lavrov', 'Sergei]').
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
            end -= 1
        name = text[start:end]
        if "\ufffd" in self.original[offset + start : offset + end]:
            # The parse read a repaired copy ("Raeisaen Shortall", ``parser.repair``); the
            # name is the document's own, damage and all: "R��is��n Shortall" is no other
            # Shortall.
            name = self.original[offset + start : offset + end]
        if not name or any(c in name for c in '[]{}()<>"|/\\*=+?!@,'):
            return None
        return name, start, end, tokens[0].i

    def _title_gender(self, ent: Any) -> str | None:
        """The gender a title right before (or opening) a name tells ("Mr Byrne", "Ms Byrne")."""
        doc = ent.doc
        words = [fold(ent[0].text).rstrip(".")]
        if ent.start > 0:
            words.append(fold(doc[ent.start - 1].text).rstrip("."))
        for w in words:
            if w in _FEMALE_TITLES:
                return "female"
            if w in _MALE_TITLES:
                return "male"
        return None

    def _portfolio(self, tok: Any) -> bool:
        """ "Minister for [Finance] Michael Noonan": a word of the role before a name."""
        doc = tok.doc
        return (
            tok.i > 1
            and doc[tok.i - 1].lower_ in ("for", "of")
            and fold(doc[tok.i - 2].lemma_) in self.rules.role_heads | self.rules.titles
        )

    def _as_written(self, name: str, pos: int) -> str:
        """``name`` as the document writes it near ``pos`` (where the name or its last word
        stands): a letter the text damaged is read from the original ("R��is��n Shortall"),
        not from the parser's repaired copy ("Raeisaen Shortall", ``parser.repair``)."""
        if self.original is self.text or not name:
            return name
        near = self.original[max(0, pos - len(name) - 1) : pos + len(name) + 1]
        if "\ufffd" not in near:
            return name
        pattern = "".join(f"[{c}\ufffd]" if c in "aeA" else re.escape(c) for c in name)
        m = re.search(pattern, near)
        return m.group(0) if m and "\ufffd" in m.group(0) else name

    def _person_for(
        self,
        name: str,
        pos: int,
        *,
        create: bool = True,
        gender: str | None = None,
        window: int | None = None,
    ) -> int | None:
        """The document's person for a name seen at ``pos`` (created unless ``create`` is off).

        ``window`` is where the sentence before the one at ``pos`` begins: a lone surname that
        several full names share is the one named there, or else none of them.
        """
        name = self._as_written(name.strip(" \t\"'“”‘’?!.,;:-–—[](){}"), pos)
        if (
            not name
            or not _capitalised(name, self.rules)
            or any(c in name for c in '"“”[](){}?!|/\\@,')
        ):
            return None
        words = [fold(w) for w in name.replace("-", " ").split()]
        if (
            any(w in self.rules.not_person_words for w in words)
            or self._role_words(words)
            or words[-1].strip(".") in self.rules.role_after
        ):
            return None  # "Trump Tower", "State Department", "Assistant Commissioner", "… TD"
        parts = name_parts(name, self.rules)
        if not parts:
            return None
        people = self.out.people
        best: int | None = None
        if len(parts) >= 2:
            for i, p in enumerate(people):
                if p.parts == parts or (len(p.parts) >= 2 and same_name(parts, p.parts)):
                    best = i
                    break
            if best is None:  # a fuller name for someone named by surname so far
                given = self._given_gender(parts)
                for i, p in enumerate(people):
                    if p.shared:
                        continue  # the surname several people share names none of them
                    if given and p.gender and p.gender != given:
                        continue  # "Ms O'Sullivan" is not Michael O'Sullivan named later
                    if len(p.parts) == 1 and p.parts[0] in (parts[-1], parts[0]):
                        best = i
                        break
            if best is not None and len(parts) > len(people[best].parts):
                people[best].name, people[best].parts = name, parts
        else:
            candidates = [i for i, p in enumerate(people) if matches(parts, p.parts)]
            if gender is not None:
                # "Mr Byrne" is Darren Byrne, "Ms Byrne" Michelle Byrne ("no relation").
                fit = [i for i in candidates if people[i].gender in (None, gender)]
                told = [i for i in fit if people[i].gender == gender]
                candidates = told or fit
            full = self._holders(parts[0], candidates)
            if len(full) >= 2:
                # Two people of one family in one story (Hans Rosling and his son Ola; Justin
                # Ross Harris and his son Cooper Harris): the surname alone is the one named in
                # this sentence or the one before ("…a second man, Li Jun. During Li's
                # detention…"), or the one named in full far more often; where neither
                # decides, none of them.
                near = [
                    i
                    for i in full
                    if window is not None
                    and any(window <= at <= pos for at in people[i].named_full)
                ]
                times = sorted(
                    ((sum(at <= pos for at in people[i].named_full), i) for i in full),
                    reverse=True,
                )
                if len(near) == 1:
                    best = near[0]
                elif times[0][0] >= 2 and times[0][0] >= 2 * times[1][0]:
                    # The story's main person, named in full at least twice as often as
                    # any other holder so far (Francois Fillon, not his son Charles).
                    best = times[0][1]
                else:
                    lone = [i for i in candidates if people[i].shared]
                    if lone:
                        best = lone[0]
                    elif create:
                        people.append(Person(name=name, parts=parts, shared=True))
                        best = len(people) - 1
                    else:
                        return None
            elif candidates:
                # The one person the surname can be; several lone ones: the one named last.
                best = max(candidates, key=lambda i: people[i].last_before(pos))
        if best is None:
            if not create:
                return None
            people.append(Person(name=name, parts=parts))
            best = len(people) - 1
        people[best].aliases.add(name)
        people[best].saw(pos)
        if len(parts) >= 2 and pos not in people[best].named_full:
            people[best].named_full.append(pos)
        return best

    def _roles_of(self, ent: Any, name_start: int) -> list[str]:
        """Role phrases the parse attaches to a person's name: before it, or in apposition."""
        doc = ent.doc
        roles = []
        i = name_start - 1
        first = name_start
        while i >= 0:
            t = doc[i]
            if t.dep_ in _ROLE_DEPS or (t.text == "-" and i > 0):
                if t.right_edge.i >= ent.end or ent.start - i > 12:
                    break
                first = i
                i -= 1
                continue
            break
        while first < name_start and (doc[first].dep_ == "cc" or doc[first].is_punct):
            first += 1
        if first < name_start:
            phrase = doc[first:name_start]
            if any(fold(t.lemma_) in self.rules.role_heads for t in phrase):
                roles.append(phrase.text)
        root = ent.root
        for child in root.children:
            if child.dep_ == "appos" and child.i >= ent.end:
                span = doc[child.left_edge.i : child.right_edge.i + 1]
                if len(span) <= 10 and any(fold(t.lemma_) in self.rules.role_heads for t in span):
                    roles.append(span.text.strip(" ,"))
        if root.dep_ == "appos" and root.head.i < ent.start:
            head = root.head
            if fold(head.lemma_) in self.rules.role_heads:
                span = doc[head.left_edge.i : head.i + 1]
                if len(span) <= 10:
                    roles.append(span.text)
        return [r for r in roles if r]

    def _gender_of(self, ent: Any, roles: Iterable[str], name: str) -> str | None:
        before = ent.doc[ent.start - 1].lower_.rstrip(".") if ent.start > 0 else ""
        words = {before, *(fold(w) for r in roles for w in r.split())}
        root = ent.root
        # "Natalie's grandmother, Margaret Partida" / "Larry Birkhead, her father"
        if root.dep_ == "appos":
            words.add(fold(root.head.lemma_))
        words.update(fold(c.lemma_) for c in root.children if c.dep_ == "appos")
        if words & self.rules.female:
            return "female"
        if words & self.rules.male:
            return "male"
        return self._given_gender(name_parts(name, self.rules))

    def _given_gender(self, parts: Sequence[str]) -> str | None:
        """The gender a name's given name tells: the first, or the second when the first is
        neither ("Jean-Paul Sartre")."""
        for given in parts[:-1][:2]:
            if given in self.rules.female_names:
                return "female"
            if given in self.rules.male_names:
                return "male"
        return None

    def _not_a_person(self, ent: Any, name: str) -> bool:
        """A name NER calls PERSON that is a building, a party or an event, or a fragment."""
        if not _capitalised(name, self.rules):
            return True  # "ireann": the tail of a name the text damaged
        words = [fold(w) for w in name.replace("-", " ").split()]
        if any(w in self.rules.not_person_words for w in words):
            return True
        root = ent.root
        if len(ent) == 1 and root.is_sent_start and root.tag_ == "NNS":
            return True  # "People are crying…": a common noun capitalised by its place
        if len(ent) == 1 and self._inside_other_name(ent):
            return True
        if self._role_words(words):
            return True
        # "the Meehan family", "the three Meehan brothers": a family, not one of them.
        if (
            len(ent) == 1
            and root.dep_ in ("compound", "nmod", "amod")
            and (fold(root.head.lemma_) in _KIN_GROUPS)
        ):
            return True
        # "St Patrick's Day", "Valentine's Day": a name that names a day.
        doc = ent.doc
        after = ent.end + (1 if ent.end < len(doc) and doc[ent.end].tag_ == "POS" else 0)
        if ent[-1].tag_ == "POS" or after > ent.end:
            nxt = doc[after] if after < len(doc) else None
            if nxt is not None and nxt.text[:1].isupper() and fold(nxt.lemma_) in _DAYS:
                return True
        # "Saint Isaac's Cathedral", "Trump Tower": a name that names a place.
        return root.dep_ in ("compound", "poss") and (
            fold(root.head.lemma_) in self.rules.not_person_words
        )

    def _role_words(self, words: list[str]) -> bool:
        """Role words only ("Assistant Commissioner", "Permanent Representative", "Gen.")."""
        allowed = self.rules.titles | self.rules.role_heads | _ROLE_MODIFIERS
        one = words[0].strip(".") if len(words) == 1 else ""
        return (
            bool(words)
            and all(w.strip(".") in allowed for w in words)
            and (len(words) > 1 or one in self.rules.abbreviated_titles or one not in _SURNAME_LIKE)
        )

    def _inside_other_name(self, ent: Any) -> bool:
        """A lone word NER calls PERSON inside a name that is not a person's: "Marks and
        [Spencer]", "Procter & [Gamble]", "[Spencer] Stuart Group"."""
        doc = ent.doc
        i = ent.start
        if i >= 2 and doc[i - 1].lower_ in ("and", "&"):
            # "Trump and Putin", "the EU and Merkel" are two names; "Marks and Spencer" one
            # shop: a one-word company (not an acronym) and a word that names nobody so far.
            before = doc[i - 2]
            word = name_parts(ent.text, self.rules)
            known = any(word and word[0] in p.parts for p in self.out.people if len(p.parts) > 1)
            if (
                before.ent_type_ == "ORG"
                and before.ent_iob_ == "B"
                and doc[i - 1].ent_type_ != "ORG"
                and not before.text.isupper()
                and not known
            ):
                return True
        root = ent.root
        return (
            root.dep_ == "compound"
            and root.head.pos_ == "PROPN"
            and root.head.ent_type_ in ("ORG", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT")
        )

    def _register_entities(self, doc: Any, offset: int) -> dict[int, int]:
        """Record the doc's entities; returns token index → person index for PERSON tokens."""
        token_person: dict[int, int] = {}
        for ent in doc.ents:
            if ent.label_ not in LABELS:
                continue
            start, end = offset + ent.start_char, offset + ent.end_char
            mention = Mention(start, end, ent.label_, ent.text)
            if ent.label_ == "PERSON":
                cleaned = self._clean_name(ent, offset)
                if cleaned is not None and self._not_a_person(ent, cleaned[0]):
                    cleaned = None
                if cleaned is not None:
                    name, a, b, name_start = cleaned
                    mention = Mention(offset + a, offset + b, "PERSON", name)
                    idx = self._person_for(
                        name,
                        offset + a,
                        gender=self._title_gender(ent),
                        window=self._window(ent, offset),
                    )
                    if idx is not None:
                        mention.person = idx
                        person = self.out.people[idx]
                        roles = self._roles_of(ent, name_start)
                        for r in roles:
                            if r not in person.roles:
                                person.roles.append(r)
                        person.gender = (
                            person.gender
                            or self._title_gender(ent)
                            or self._gender_of(ent, roles, name)
                        )
                        for t in ent:
                            token_person[t.i] = idx
            self.out.mentions.append(mention)
        return token_person

    def _holders(self, surname: str, candidates: list[int]) -> list[int]:
        """The full names among ``candidates`` that have ``surname`` as family name, one per
        person: a name the text glued words onto ("Taoiseach Enda Kenny", "Presenters Faye
        Dunaway") is the person it ends with, and a given name ("Brady" of "Brady Jersey")
        is no family name."""
        people = self.out.people
        full = [
            i
            for i in candidates
            if len(people[i].parts) >= 2
            and (
                people[i].parts[-1] == surname
                or (people[i].parts[0] == surname and surname in self.rules.family_first)
            )
        ]
        return [
            i
            for i in full
            if not any(j != i and ends_with_name(people[i].parts, people[j].parts) for j in full)
        ]

    def _window(self, span: Any, offset: int) -> int:
        """Where the sentence before the one holding ``span`` begins."""
        sent = span.sent
        if sent.start > 0:
            return offset + int(sent.doc[sent.start - 1].sent.start_char)
        return self.previous_sentence

    # speakers ------------------------------------------------------------------------------

    def _by_role(self, words: list[str], pos: int, named: set[str]) -> int | None:
        """The person last named in the role; ``named`` are organisations the role phrase
        names ("a spokesperson for GCHQ"), which the person's role must name too."""
        best: tuple[float, int] | None = None
        chosen = None
        for i, p in enumerate(self.out.people):
            seen = p.last_before(pos)
            if seen < 0:
                continue
            if named and not all(w in fold(" ".join(p.roles)) for w in named):
                continue
            score = max((role_match(words, r, self.rules) for r in p.roles), default=0.0)
            if score > 0 and (best is None or (score, seen) > best):
                best, chosen = (score, seen), i
        return chosen

    def _by_pronoun(self, gender: str, pos: int) -> int | None:
        people = self.out.people
        recent = [
            i
            for i in reversed(self.last_subject)
            if self.subject_sentence.get(i, -9) >= self.sentence_no - 1
            and people[i].last_before(pos) >= 0
            and people[i].gender in (None, gender)
        ]
        if recent:  # the subject of this sentence or the one before, of that gender first
            return next((i for i in recent if people[i].gender == gender), recent[0])
        # A person named only inside a quote is what the quote is about, not who speaks it
        # ("…the economic benefits of Benham Rise," he added).
        latest = max(
            (
                (self._last_outside_quotes(p, pos), i)
                for i, p in enumerate(people)
                if self._last_outside_quotes(p, pos) >= 0 and p.gender in (None, gender)
            ),
            default=None,
        )
        if latest is not None and latest[0] >= self.recent_starts[0]:
            return latest[1]  # "…echoed by Rose Gottemoeller. '…,' she told…"
        for i in reversed(self.last_subject):
            if people[i].last_before(pos) >= 0 and people[i].gender in (None, gender):
                return i
        seen = sorted(
            (self._last_outside_quotes(p, pos), i)
            for i, p in enumerate(people)
            if self._last_outside_quotes(p, pos) >= 0 and p.gender in (None, gender)
        )
        return seen[-1][1] if seen else None

    def _last_outside_quotes(self, person: Person, pos: int) -> int:
        """Where the document last named ``person`` before ``pos`` outside a quote (-1: never)."""
        i = bisect.bisect_right(person.seen, pos)
        for at in reversed(person.seen[:i]):
            q = bisect.bisect_right(self.quote_starts, at) - 1
            if q < 0 or at >= self.quotes[q][1]:
                return at
        return -1

    def _speaker(
        self, subj: Any, token_person: dict[int, int], offset: int
    ) -> tuple[Speaker, int, int] | None:
        """Resolve a subject token; returns the speaker and the mention's offsets."""
        doc = subj.doc
        for child in subj.children:  # "Russia's foreign minister, Sergei Lavrov, said"
            if child.dep_ == "appos" and child.i in token_person:
                subj = child
        pos = offset + subj.idx
        if subj.i in token_person:
            ent = next((e for e in doc.ents if e.start <= subj.i < e.end), None)
            a, b = (ent.start_char, ent.end_char) if ent else (subj.idx, subj.idx + len(subj))
            return Speaker(person=token_person[subj.i]), offset + a, offset + b
        lower = subj.lower_
        if lower in self.rules.pronoun_gender:
            idx = self._by_pronoun(self.rules.pronoun_gender[lower], pos)
            if idx is None:
                return None
            person = self.out.people[idx]
            person.gender = person.gender or self.rules.pronoun_gender[lower]
            return Speaker(person=idx), pos, pos + len(subj)
        if lower in _NON_SPEAKERS or subj.pos_ == "PRON":
            return None
        ent = next((e for e in doc.ents if e.start <= subj.i < e.end), None)
        if subj.pos_ == "PROPN" and fold(subj.text) not in self.rules.titles:
            name = ent.text if ent is not None else subj.text
            window = self._window(subj, offset)
            known = self._person_for(name, pos, create=False, window=window)
            a, b = (ent.start_char, ent.end_char) if ent else (subj.idx, subj.idx + len(subj))
            if known is not None:
                return Speaker(person=known), offset + a, offset + b
            if self._misread_person(subj, ent):
                idx = self._person_for(self._full_propn(subj), pos, window=window)
                if idx is not None:
                    return Speaker(person=idx), offset + a, offset + b
            if ent is not None and ent.label_ in LABELS:
                return self._organisation(ent, offset)
            if (
                ent is None
                and subj.text[:1].isupper()
                and not subj.text.isupper()
                and fold(subj.text) not in self.rules.place_of
            ):
                idx = self._person_for(subj.text, pos, window=window)
                if idx is not None:
                    return Speaker(person=idx), offset + a, offset + b
            return None
        # A role noun ("the Kremlin spokesman", "Moscow's chief diplomat", "the minister").
        span = [t for t in subj.subtree if t.i <= subj.i or t.dep_ in ("prep", "pobj", "amod")]
        span = [t for t in span if t.i >= subj.left_edge.i and t.i <= subj.i + 4]
        words = [fold(t.text) for t in span]
        a, b = offset + span[0].idx, offset + span[-1].idx + len(span[-1].text)
        if fold(subj.lemma_) in self.rules.role_heads:
            named = self._name_in_role(subj, token_person)
            if named is not None:
                tok, idx = named
                return Speaker(person=idx), offset + tok.idx, offset + tok.idx + len(tok)
            if any(c.dep_ == "det" and c.lower_ in _INDEFINITE for c in subj.children):
                # "A GCHQ spokesman said", "according to a diplomat": someone the story has
                # not named, not the spokesman it named before; the organisation speaks.
                return self._serving(subj, offset)
            organisations = {
                fold(t.text)
                for t in span
                if t.dep_ == "pobj"
                and (t.pos_ == "PROPN" or t.ent_type_ in ("ORG", "GPE", "NORP"))
                and fold(t.text) not in self.rules.place_of
                and t.text[:1].isupper()
            }
            idx = self._by_role(words, pos, organisations)
            if idx is not None:
                return Speaker(person=idx), a, b
        if ent is not None and ent.label_ in ("ORG", "GPE", "NORP"):
            return self._organisation(ent, offset)
        return None  # "officials", "the statement": no entity to credit

    def _serving(self, subj: Any, offset: int) -> tuple[Speaker, int, int] | None:
        """The organisation an unnamed role noun speaks for, written before it ("a GCHQ
        spokesman", "A U.S. Central Command spokesman"), or no one: not a person the parser
        took for one ("a Ryan aide")."""
        for ent in subj.doc.ents:
            if (
                ent.label_ == "ORG"
                and ent.end == subj.i
                and all(t.dep_ == "compound" and t.head.i == subj.i for t in ent[-1:])
            ):
                if self._person_for(ent.text, offset + ent.start_char, create=False) is not None:
                    return None
                return self._organisation(ent, offset)
        return None

    def _organisation(self, ent: Any, offset: int) -> tuple[Speaker, int, int] | None:
        """An organisation or place as speaker, named as the text names it without "the"."""
        text = ent.doc.text
        a, b = ent.start_char, ent.end_char
        if text[a : a + 4].lower() == "the ":
            a += 4
        cut = _NAME_END.search(text, a, b)
        if cut is not None:
            b = cut.start()
        while b > a and not (text[b - 1].isalnum() or text[b - 1] in ".)"):
            b -= 1  # "Daily Beast:"
        name = text[a:b].strip()
        if not name[:1].isupper() and not name[:1].isdigit():
            return None  # "ireann": a fragment of a damaged name
        if "@" in name or "," in name:
            return None  # "Willie noone,@SIPTU": a tweet's byline run into the text
        return Speaker(label=ent.label_, name=name), offset + a, offset + a + len(name)

    def _is_media(self, speaker: Speaker) -> bool:
        words = (speaker.name or "").lower().replace(".", "").split()
        return speaker.person is None and any(w in self.rules.media for w in words)

    def _has_needed(self, verb: Any) -> bool:
        """Whether a verb the rules restrict ("call", "share") has what makes it a statement:
        a needed dependent, and no object that makes it something else."""
        lemma = fold(verb.lemma_)
        unwanted = self.rules.not_with_object.get(lemma, frozenset())
        if any(c.dep_ == "dobj" and fold(c.lemma_) in unwanted for c in verb.children):
            return False
        infinitives = self.rules.not_with_xcomp.get(lemma, frozenset())
        if any(c.dep_ == "xcomp" and fold(c.lemma_) in infinitives for c in verb.children):
            return False  # "who asked not to be named"
        if (
            verb.dep_ == "relcl"
            and fold(verb.head.lemma_) in unwanted
            and not any(c.dep_ in ("dobj", "ccomp") for c in verb.children)
        ):
            return False  # "the relationship she shared": the noun is what was shared
        needed = self.rules.needs.get(lemma)
        return needed is None or any(
            c.dep_ in needed
            or (
                c.dep_ in ("prep", "prt", "dobj", "dative")
                and fold(c.lemma_) in needed
                and not any(g.ent_type_ in ("DATE", "TIME") for g in c.children)  # "on Friday"
            )
            for c in verb.children
        )

    def _votes(self, verb: Any) -> bool:
        """ "rejected independence in a referendum": a vote, not a statement."""
        for tok in verb.subtree:
            if tok.dep_ != "pobj" or fold(tok.lemma_) not in self.rules.votes:
                continue
            if tok.head.lower_ not in ("in", "by", "through", "via", "at"):
                continue  # "said ahead of the election": a time, not the means
            node = tok.head
            while node.dep_ in ("prep", "pobj", "advmod") and node.head.i != node.i:
                if node.head.i == verb.i:
                    return True
                node = node.head
        return False

    def _quote_of(self, verb: Any, subj: Any, offset: int) -> tuple[int, int] | None:
        """The quote that closes right before an attribution ('"…," Lavrov said'), joined to
        the quote that resumes right after it ('"If…," Lennon said, "you might…"')."""
        doc = verb.doc
        group = [
            verb,
            *(
                c
                for c in verb.children
                if c.dep_ in ("aux", "advmod", "neg") and c.lower_ not in _LINKING_ADVERBS
            ),
        ]
        if abs(subj.i - verb.i) <= 8:
            group += [subj.left_edge, subj.right_edge]
        first = min(t.i for t in group)
        last = max(t.i for t in group)
        before = self._quote_just_before(offset + doc[first].idx)
        if before is None or before[1] - before[0] < 3:
            return None
        if self.text[before[0] : before[1]].rstrip().endswith("."):
            return None  # a quote that ends its sentence is not introduced by what follows
        end = offset + doc[last].idx + len(doc[last].text)
        for a, b in self.quotes:
            if a > end:
                if len(self.text[end:a]) <= 4 and not self.text[end:a].strip(' ,:"“'):
                    return before[0], b
                break
        return before

    def _overlap_free(self, tok: Any) -> bool:
        """Whether no quotation overlaps the sentence of ``tok``."""
        sent = tok.sent
        a = self.piece_offset + sent.start_char
        return not _overlap(a, self.piece_offset + sent.end_char, self.quotes)

    def _own_statement(self, tok: Any) -> bool:
        """Whether ``tok`` heads an unquoted statement with a subject of its own."""
        if not self.rules.predicate(fold(tok.lemma_)):
            return False
        if not any(g.dep_ in ("nsubj", "nsubjpass") for g in tok.children):
            return False
        doc, o = tok.doc, self.piece_offset
        a = o + doc[tok.left_edge.i].idx
        b = o + doc[tok.right_edge.i].idx + len(doc[tok.right_edge.i].text)
        return bool(_overlap(a, b, self.quotes) * 2 < b - a)

    def _echoed_headline(self, tok: Any) -> bool:
        """Whether ``tok`` heads a clause before a verb of its own lemma in a sentence with no
        quotes: a headline glued to the lede that repeats it ("NBRU warns … Meanwhile, the
        NBRU has warned …")."""
        head = tok.head
        return (
            tok.dep_ == "ccomp"
            and head.i > tok.i
            and fold(head.lemma_) == fold(tok.lemma_)
            and self._overlap_free(tok)
        )

    def _clause_holding(self, quote: tuple[int, int], s_start: int) -> int | None:
        """Where the clause starts that a quote closing before its attribution is only a part
        of ('The collection has likely occurred "all over the world," Beck said'), or None
        when the quote opens its sentence (or a lead-in: 'He added: "…"')."""
        before = self.text[s_start : quote[0]]
        if len(_WORD.findall(before)) < 4 or before.rstrip().endswith((":", ",")):
            return None
        lead = before.rstrip(" \"“‘'«")  # without the quote's own opening mark
        if not self.text[quote[0] : quote[0] + 1].islower() or any(c in lead for c in _MARKS):
            # '…out of hospital "It started from Boxing Day," says Mr Foster': a quote of its
            # own whose opening sentence lost its full stop; marks before it ("Yes, I have
            # regrets "?because…") are damage the pairing of marks cannot be trusted past.
            return None
        if any(
            not _overlap(m.start(), m.start() + 1, self.quotes)
            for m in _SENTENCE_END.finditer(self.text, s_start, quote[0])
        ):
            return None  # the parser ran two sentences together
        return s_start

    def _words_outside_quotes(self, a: int, b: int) -> int:
        """Words of ``text[a:b]`` outside quotation marks, "that" not counted."""
        gaps = []
        pos = a
        for qa, qb in self.quotes:
            if qb <= pos:
                continue
            if qa >= b:
                break
            gaps.append(self.text[pos:qa])
            pos = qb
        gaps.append(self.text[pos:b])
        return sum(1 for gap in gaps for w in _WORD.findall(gap) if w.lower() != "that")

    def _one_sentence(
        self, a: int, b: int, m_start: int, m_end: int, pred_end: int
    ) -> tuple[int, int]:
        """Reported content cut to the one sentence next to its speaker where the parser ran
        several together; (0, 0) when that sentence is only a lead-in ("Speaking on RTÉ,")."""
        ends = [
            m
            for m in _SENTENCE_END.finditer(self.text, a, b)
            if not _overlap(m.start(), m.start() + 1, self.quotes)
            and _last_word(self.text, m.start()) not in _ABBREVIATIONS
        ]
        if not ends:
            return a, b
        bounds = [a, *(m.end() for m in ends)]
        pieces = [(x, (ends[k].start() + 1) if k < len(ends) else b) for k, x in enumerate(bounds)]

        def distance(piece: tuple[int, int]) -> int:
            return max(0, piece[0] - m_end, m_start - piece[1])

        x, y = min(pieces, key=distance)
        if x <= m_start < y:  # the speaker's own sentence: what follows the predicate
            x = max(x, pred_end)
        x, y = _trim(self.text, x, y)
        if self.text[x:y].endswith(",") or _LEAD_IN.match(self.text, x):
            return 0, 0
        return x, y

    def _quote_just_after(self, pos: int) -> tuple[int, int] | None:
        """The quotation that opens right after ``pos`` (only spaces and its mark between)."""
        for a, b in self.quotes:
            if a >= pos:
                gap = self.text[pos:a]
                return (a, b) if len(gap) <= 4 and not gap.strip(" \n\"“'‘") else None
        return None

    def _quote_just_before(self, pos: int) -> tuple[int, int] | None:
        """The quotation that closes right before ``pos`` (only spaces and its mark between)."""
        for a, b in reversed(self.quotes):
            if b <= pos:
                gap = self.text[b:pos]
                return (a, b) if len(gap) <= 3 and not gap.strip(" \"”'’,") else None
        return None

    def _misread_person(self, subj: Any, ent: Any) -> bool:
        """A surname that NER took for an organisation or nationality ("Ramishvili said")."""
        if ent is not None and (ent.label_ not in ("ORG", "NORP") or len(ent) > 2):
            return False
        if ent is not None and any(fold(t.text) in _ORG_WORDS for t in ent):
            return False
        word = fold(subj.text)
        return (
            subj.tag_ == "NNP"
            and subj.text[:1].isupper()
            and not subj.text.isupper()
            and word not in self.rules.place_of
            and word not in _INSTITUTIONS
            and word not in self.rules.titles
            and not word.endswith(("ian", "ese", "ish"))
        )

    def _name_in_role(self, subj: Any, token_person: dict[int, int]) -> tuple[Any, int] | None:
        """The person a role phrase names ("Ambassador to Norway Teimuraz Ramishvili").

        A person right after the preposition ("a spokesperson for Simon Harris", "an aide
        close to Flynn") is whom the role serves, not who holds it: the role names nobody.
        """
        doc = subj.doc
        for tok in subj.subtree:
            if tok.i > subj.i and tok.i - subj.i <= 6 and tok.i in token_person:
                first = tok.i
                while first - 1 > subj.i and token_person.get(first - 1) == token_person[tok.i]:
                    first -= 1
                if doc[first - 1].dep_ == "prep" or doc[first - 1].tag_ == "IN":
                    return None
                return tok, token_person[tok.i]
        for tok in subj.subtree:
            if (
                subj.i < tok.i <= subj.i + 6
                and tok.pos_ == "PROPN"
                and tok.dep_ == "pobj"
                and any(c.dep_ == "compound" and c.pos_ == "PROPN" for c in tok.children)
                and fold(tok.text) not in self.rules.place_of
            ):
                idx = self._person_for(self._full_propn(tok), tok.idx)
                if idx is not None:
                    return tok, idx
        return None

    def _full_propn(self, subj: Any) -> str:
        """The name around a proper-noun head: its compound first names ("Teimuraz Ramishvili")."""
        doc = subj.doc
        first = subj.i
        while first > 0:
            t = doc[first - 1]
            word = fold(t.text)
            if not (
                t.dep_ == "compound"
                and t.head.i == subj.i
                and t.pos_ == "PROPN"
                and word not in self.rules.titles
                and word not in self.rules.role_heads
                and word not in self.rules.place_of
                and not (t.ent_type_ in ("GPE", "NORP") and t.ent_iob_ == "B")
            ):
                break
            first -= 1
        return str(doc[first : subj.i + 1].text)

    # statements ---------------------------------------------------------------------------

    def _subject(self, verb: Any, token_person: dict[int, int]) -> Any | None:
        subject = self._parsed_subject(verb)
        if subject is None and verb.i > 0 and (verb.i - 1) in token_person:
            # "…, Kim Young-suk expressed gratitude": a name just before the verb that the
            # parse hung elsewhere (as an apposition) is its subject.
            subject = verb.doc[verb.i - 1]
        if subject is None and verb.dep_ == "ROOT":
            subject = self._name_before(verb, token_person)
        return subject

    def _name_before(self, verb: Any, token_person: dict[int, int]) -> Any | None:
        """ "…, Nasr al-Hariri, the chief negotiator for the HNC, said": the name whose role
        phrase ends right before a verb that has no subject."""
        doc = verb.doc
        i = verb.i - 1
        while i >= 0 and doc[i].is_punct:
            i -= 1
        if i < 0 or doc[i].text.lower() in ("and", "or"):
            return None
        tok = doc[i]
        for _ in range(8):
            if tok.i in token_person:
                return tok if verb.i - tok.i <= 20 else None
            if tok.dep_ not in ("appos", "pobj", "prep", "compound", "amod", "poss", "case"):
                return None
            tok = tok.head
        return None

    def _parsed_subject(self, verb: Any) -> Any | None:
        node = verb
        for _ in range(3):
            for child in node.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.dep_ != "nsubjpass":
                    if child.lower_ in ("who", "that", "which") and node.dep_ == "relcl":
                        return node.head
                    return child
            infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in node.children)
            climbs = node.dep_ in ("conj", "xcomp") or (node.dep_ == "advcl" and infinitive)
            if climbs and node.head is not node:
                node = node.head
                continue
            break
        return None

    def _content(self, verb: Any, subj: Any, sent: Any) -> tuple[int, int] | None:
        doc = verb.doc
        kids = [
            c
            for c in verb.children
            if c.dep_ in _CONTENT_DEPS
            and c is not subj
            and (c.i > verb.i or c.dep_ in _CONTENT_BEFORE)
            and (
                c.dep_ != "prep"
                or (c.lower_ == "as" and fold(verb.lemma_) in _AS_VERBS)
                or (
                    c.lower_ in _CONTENT_PREPS
                    and fold(verb.lemma_) not in _CLAUSE_VERBS
                    # "spoke on Monday": a time, not a topic
                    and not any(g.ent_type_ in ("DATE", "TIME") for g in c.children)
                )
            )
        ]
        if kids and all(c.dep_ == "prep" for c in kids):
            # "spoke out against the test, …, saying in a statement that it was…": what was
            # said is the clause of "saying", not the object of the preposition.
            for c in verb.children:
                if c.dep_ == "advcl" and c.i > verb.i and c.tag_ == "VBG":
                    said = (
                        [g for g in c.children if g.dep_ == "ccomp"]
                        or [
                            g  # "saying in a statement that it was…" (parsed as the statement's)
                            for g in c.subtree
                            if g.dep_ in ("acl", "ccomp")
                            and any(m.dep_ == "mark" and m.lower_ == "that" for m in g.children)
                        ][:1]
                    )
                    if said and self.rules.predicate(fold(c.lemma_)):
                        lo, hi = said[0].left_edge.i, said[-1].right_edge.i
                        return doc[lo].idx, doc[hi].idx + len(doc[hi].text)
        # "NBRU warns Dublin Bus not to… Meanwhile, the NBRU has warned Dublin Bus not to…": a
        # headline glued to the lede is not what the lede's verb said. "Ryan said Congress was
        # proud…, so he expects the cut to be revised": a clause before that is a statement of
        # its own is not what the verb after it says.
        kids = [c for c in kids if not self._echoed_headline(c)]
        # "Send Facebook … Permalink http://dw.com/p/2XWMU Green politician Volker Beck …
        # said": a page's share bar, not what was said.
        kids = [
            c
            for c in kids
            if c.i > verb.i or not any(t.like_url for t in doc[c.left_edge.i : verb.i])
        ]
        kids = [c for c in kids if not (c.i < verb.i and self._own_statement(c))]
        if fold(verb.lemma_) in self.rules.light:  # "expressed concern", "shared that…"
            kids = [c for c in kids if c.dep_ in ("dobj", "ccomp")]
        before = [c for c in kids if c.i < verb.i]
        kids = before or kids  # "'…,' Peskov told the media": the quote, not the addressee
        clauses = [c.i for c in kids if c.dep_ == "ccomp"]
        addressed = fold(verb.lemma_) in self.rules.addressee
        if fold(verb.lemma_) in _CLAUSE_VERBS and clauses:
            # "told ABC News the report is ridiculous": the clause, not the addressee; after
            # "tell" any object before the clause is ("tell a gathering of Conservatives in
            # Cardiff that…").
            kids = [
                c
                for c in kids
                if not (
                    c.dep_ in ("dobj", "dative")
                    and c.right_edge.i < min(clauses)
                    and (addressed or c.right_edge.i - c.left_edge.i < 5)
                )
            ]
        if addressed and not clauses:
            # "told a meeting of the party that he would…": the parse hangs the that-clause
            # on the addressee as a relative or noun clause with a subject of its own.
            for c in kids:
                if c.dep_ not in ("dobj", "dative"):
                    continue
                for r in c.children:
                    first = doc[r.left_edge.i]
                    if (
                        r.dep_ in ("relcl", "acl")
                        and first.lower_ == "that"
                        and any(
                            g.dep_ in ("nsubj", "nsubjpass") and g.i != first.i for g in r.children
                        )
                    ):
                        end = self._writer_tail(r, first.i, r.right_edge.i)
                        return first.idx, doc[end].idx + len(doc[end].text)
        if addressed and kids and all(c.dep_ in ("dobj", "dative") for c in kids):
            return None  # "Mr Trump also told Reuters:": the addressee, not what was said
        if kids:
            # "called on X to…": what was said starts after the preposition.
            # After the verb, what was said starts after it ("children, who he said will be
            # happy": not "who he said").
            lo = min(
                c.i + 1
                if c.dep_ == "prep"
                else (c.left_edge.i if c.i < verb.i else max(c.left_edge.i, verb.i + 1))
                for c in kids
            )
            hi = self._writer_tail(verb, lo, max(c.right_edge.i for c in kids))
            return doc[lo].idx, doc[hi].idx + len(doc[hi].text)
        if verb.dep_ == "advcl" and any(
            c.dep_ == "mark" and c.lower_ in _NOT_SAID_MARKS for c in verb.children
        ):
            return None
        inverted = verb.dep_ in ("parataxis", "advcl") or (
            verb.dep_ in ("ccomp", "conj") and not self.rules.predicate(fold(verb.head.lemma_))
        )
        if inverted and verb.head.i < verb.i:
            # "We must work together…, Kim stated": the sentence before the attribution.
            first = min(verb.left_edge.i, subj.left_edge.i)
            if first > sent.start:
                return sent.start_char, doc[first - 1].idx + len(doc[first - 1].text)
        return None

    def _writer_tail(self, verb: Any, lo: int, hi: int) -> int:
        """The last token of reported content ``lo..hi`` before the writer's own text runs on:
        a negated concession ("…, although he didn't offer any timeline") or an absolute
        phrase (", with the statement coming on the heels of…")."""
        doc = verb.doc
        cut = hi + 1
        for tok in doc[lo : hi + 1]:
            if tok.i <= lo + 1:
                continue
            if tok.dep_ == "mark" and tok.lower_ in self.rules.writer_marks:
                clause = tok.head
                if clause.dep_ == "advcl" and (
                    any(c.dep_ == "neg" for c in clause.children)
                    or any(
                        c.dep_ == "advmod" and fold(c.lemma_) in self.rules.negating_adverbs
                        for c in clause.children
                    )
                ):
                    cut = min(cut, tok.i)
            if (
                tok.dep_ == "prep"
                and tok.lower_ in self.rules.absolute_preps
                and doc[tok.i - 1].text == ","
                and any(
                    c.dep_ == "pcomp"
                    and c.tag_ == "VBG"
                    and any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children)
                    for c in tok.children
                )
            ):
                cut = min(cut, tok.i)
        if cut > hi:
            return hi
        end = cut - 1
        while end > lo and (doc[end].text in _EDGE or doc[end].dep_ == "cc"):
            end -= 1
        return end

    def _sentence(self, sent: Any, offset: int, token_person: dict[int, int]) -> list[Found]:
        found: list[Found] = []
        text = self.text
        self.piece_offset = offset  # of the spaCy doc being read, for the helpers
        s_start, s_end = offset + sent.start_char, offset + sent.end_char
        for tok in sent:
            predicate = None
            subj = None
            sentence_from, sentence_to = s_start, s_end
            content: tuple[int, int] | None = None
            quoted: tuple[int, int] | None = None
            if tok.lower_ == "according" and tok.i + 1 < sent.end and doc_lower(tok, 1) == "to":
                to = tok.doc[tok.i + 1]
                objs = [c for c in to.children if c.dep_ == "pobj"]
                if not objs:
                    continue
                subj, predicate = objs[0], "according to"
                left, right = tok.i, max(to.right_edge.i, objs[0].right_edge.i)
                before = (sent.start_char, tok.idx)
                after_tok = tok.doc[right]
                after = (after_tok.idx + len(after_tok.text), sent.end_char)
                content = after if after[1] - after[0] >= before[1] - before[0] else before
                del left
            elif (
                tok.pos_ in ("VERB", "AUX")
                and tok.dep_ not in ("amod", "acl", "compound")
                and not _overlap(offset + tok.idx, offset + tok.idx + 1, self.quotes)
            ):
                particles = frozenset(
                    c.lower_ for c in tok.children if c.dep_ in ("prt", "prep", "dative")
                )
                if not self.rules.predicate(fold(tok.lemma_), particles):
                    continue
                blocked = self.rules.not_with_particle.get(fold(tok.lemma_), frozenset())
                if any(
                    c.dep_ in ("prt", "advmod", "prep") and c.lower_ in blocked
                    for c in tok.children
                ):
                    continue  # "welcomed back the deported": a greeting, not a statement
                if any(c.dep_ == "auxpass" for c in tok.children) or not self._has_needed(tok):
                    continue
                if tok.dep_ == "xcomp" and fold(tok.head.lemma_) in self.rules.attempts:
                    continue  # "trying to maintain the shell of the union": an action
                if tok.dep_ == "xcomp" and fold(tok.head.lemma_) in self.rules.not_yet:
                    continue  # "asking for the FBI to talk to reporters": not said (yet)
                if _question(sent, tok):
                    continue  # "What did the Kremlin say about young people?": a heading
                if self._echoed_headline(tok):
                    continue  # the headline's "NBRU warns…": the lede says it again
                if any(
                    c.dep_ == "mark" and c.lower_ in self.rules.question_marks for c in tok.children
                ):
                    continue  # "Asked whether he thought it was likely…": put to him
                if (
                    fold(tok.lemma_) in self.rules.mental | self.rules.intentions
                    and not any(c.dep_ in ("ccomp", "parataxis") for c in tok.children)
                    and any(c.dep_ == "xcomp" for c in tok.children)
                ):
                    continue  # "expected to discuss…", "agreed to come": not what was said
                governing = [tok, tok.head] if tok.dep_ == "conj" else [tok]
                if any(
                    c.dep_ == "aux" and c.lower_ in _MODALS for g in governing for c in g.children
                ):
                    continue
                subj = self._subject(tok, token_person)
                if subj is None or self._votes(tok):
                    continue
                predicate = fold(tok.lemma_)
                content = self._content(tok, subj, sent)
                quoted = self._quote_of(tok, subj, offset)
                held = self._clause_holding(quoted, s_start) if quoted is not None else None
                if quoted is not None and held is not None:
                    # 'The state's collection … has likely occurred "all over the world," Beck
                    # said': the quote is a fragment of the clause that holds it.
                    content = (held - offset, quoted[1] - offset)
                    quoted = None
                elif quoted is not None and not (
                    content is not None and text[offset + content[0] :].startswith("that ")
                ):
                    # '[on other planets]," said Norine Noonan, biologist…': the quote before
                    # the attribution (and its second half after it) is what was said.
                    content = (quoted[0] - offset, quoted[1] - offset)
                    sentence_from = min(sentence_from, quoted[0])
                if (
                    content is None
                    and tok.dep_ == "relcl"
                    and subj.head.i == tok.i
                    and subj.lower_ not in _RELATIVISERS
                ):
                    continue  # "the relationship she and her brother shared": no content
                if content is None:
                    # A quote of the predicate's own clause or after it: not one that closed
                    # in an earlier clause ('…money for "breakthrough discoveries," so he
                    # expects the cut to be revised').
                    clause_from = offset + tok.doc[tok.left_edge.i].idx
                    inside = [
                        (max(a, offset + sent.start_char) - offset, min(b, s_end) - offset)
                        for a, b in self.quotes
                        if a < s_end and b > max(s_start, clause_from)
                    ]
                    if not inside and text[s_start:s_end].rstrip().endswith(":"):
                        # 'Mr Trump also told Reuters:' and the quote that follows.
                        following = self._quote_just_after(s_end)
                        if following is None:
                            continue
                        inside = [(following[0] - offset, following[1] - offset)]
                        sentence_to = following[1]
                    if not inside:
                        # '"… It won't affect relations." Liu Zhenmin said on Jan 11.': the
                        # quote closed just before this sentence.
                        closed = self._quote_just_before(s_start)
                        if closed is None:
                            continue
                        inside = [(closed[0] - offset, closed[1] - offset)]
                        sentence_from = closed[0]
                    content = (inside[0][0], inside[-1][1])
            else:
                continue
            resolved = self._speaker(subj, token_person, offset)
            if resolved is None:
                continue
            speaker, m_start, m_end = resolved
            if predicate in self.rules.mental and speaker.person is None:
                continue  # "the SNP believes…": the writer's analysis
            c_start, c_end = _trim(text, offset + content[0], offset + content[1])
            if c_end - c_start < 3 or text[c_start:c_end].lower() in self.rules.pronoun_content:
                continue  # "Clapper also has publicly denied them", "asked herself": nothing
            direct = _overlap(c_start, c_end, self.quotes) * 2 > c_end - c_start
            if direct and quoted is None and self._words_outside_quotes(c_start, c_end) >= 3:
                direct = False  # 'he said the US "strongly supports" NATO': reported speech
            if not direct:
                pred_end = offset + tok.idx + len(tok.text)
                c_start, c_end = self._one_sentence(c_start, c_end, m_start, m_end, pred_end)
            repeat = text.find(f"{text[m_start:m_end]} {tok.text} ", c_start, c_end)
            if repeat > c_start and not direct:
                # A headline glued to its lede ("Cadillac expects major sales growth General
                # Motors Co's Cadillac expects sales…"): what was said follows the repeat.
                c_start, c_end = _trim(text, repeat + m_end - m_start + len(tok.text) + 2, c_end)
            if c_start < m_start < c_end and quoted is None:
                # What was said ends where its speaker is named (a split quote, '"…," Lennon
                # said, "…"', is the one exception).
                c_start, c_end = _trim(text, c_start, m_start)
            if c_end - c_start < 3:
                continue
            # A newspaper's report keeps the content its parse gives: a quotation beside it is
            # most often someone else's words ("…, The Guardian reported. 'When we tested…'").
            if direct and not self._is_media(speaker):
                # A quote that began in an earlier sentence ('"I am very concerned… It troubles
                # me," she told…') is said whole: the statement reaches back to its start.
                opened = [a for a, b in self.quotes if a < s_start < b and s_start - a < 800]
                if opened:
                    sentence_from = min(sentence_from, opened[0])
                lo = min(sentence_from, s_start)
                spans = [(max(a, lo), min(b, sentence_to)) for a, b in self.quotes]
                spans = [(a, b) for a, b in spans if a < b and a < c_end and b > c_start]
                if spans:
                    c_start, c_end = _trim(text, spans[0][0], spans[-1][1])
            negated = (
                any(c.dep_ == "neg" for c in tok.children)
                or (tok.dep_ == "xcomp" and fold(tok.head.lemma_) in _NEGATING_HEADS)
                # "he no longer thinks…", "she never said…"
                or any(
                    c.dep_ == "advmod"
                    and (
                        fold(c.lemma_) in self.rules.negating_adverbs
                        or any(g.dep_ == "neg" for g in c.children)
                    )
                    for c in tok.children
                )
            )
            if negated and predicate in self.rules.silent_when_negated:
                continue  # "did not say how", "declined to comment": nothing was said
            if speaker.person is not None:
                self.last_subject.append(speaker.person)
                self.subject_sentence[speaker.person] = self.sentence_no
                self.out.people[speaker.person].saw(m_start)
            found.append(
                Found(
                    min(sentence_from, s_start),
                    sentence_to,
                    c_start,
                    c_end,
                    speaker,
                    text[m_start:m_end],
                    m_start,
                    m_end,
                    predicate,
                    direct,
                    negated,
                )
            )
        for tok in sent:  # subjects of any verb are candidates for "he"/"she" later
            # but not inside a quote: whom the quoted words are about is not who speaks
            # next ('…"that President Obama went outside the chain of command." He said…').
            if (
                tok.dep_ == "nsubj"
                and tok.i in token_person
                and not _overlap(offset + tok.idx, offset + tok.idx + 1, self.quotes)
            ):
                idx = token_person[tok.i]
                if not self.last_subject or self.last_subject[-1] != idx:
                    self.last_subject.append(idx)
                self.subject_sentence[idx] = self.sentence_no
        return _cut_at_next_speaker(self.text, _outermost(_without_headline(self.text, found)))

    def run(self, docs: Iterable[tuple[int, Any]]) -> DocumentAnalysis:
        sentences: list[tuple[int, int, list[Found]]] = []
        for offset, doc in docs:
            token_person = self._register_entities(doc, offset)
            for sent in doc.sents:
                self.sentence_no += 1
                got = self._sentence(sent, offset, token_person)
                self.recent_starts = [*self.recent_starts[-1:], offset + sent.start_char]
                sentences.append((offset + sent.start_char, offset + sent.end_char, got))
                self.previous_sentence = offset + sent.start_char
        self._continue_quotes(sentences)
        self.out.statements = _without_parts([f for _, _, got in sentences for f in got])
        return self.out

    def _not_continued(self, before: int, start: int) -> bool:
        """Whether the sentence at ``start`` cannot go on with a quote that ran to ``before``.

        A quote that goes on in a new paragraph opens it with a quote mark; without one, a
        quote mark the text lost runs on into the writer's own text. A link or a byline
        ("Follow Julie Pace at http://…") is never anyone's words.
        """
        end = self.text.find("\n", start)
        sentence = self.text[start : end if end >= 0 else len(self.text)]
        if _WEB.search(sentence[:300]):
            return True
        if "\n" not in self.text[before:start]:
            return False
        line = self.text.rfind("\n", 0, start) + 1
        first_of_paragraph = not self.text[line:start].strip()
        opens = self.text[start:].lstrip()[:1] in _OPENING_QUOTES
        return not (first_of_paragraph and opens)

    def _ends_in_quote(self, f: Found) -> bool:
        return any(a < f.content_end <= b + 1 for a, b in self.quotes)

    def _continue_quotes(self, sentences: list[tuple[int, int, list[Found]]]) -> None:
        """Sentences inside a quote with no predicate of their own keep the quote's speaker."""
        previous: Found | None = None
        for i, (start, end, got) in enumerate(sentences):
            if got:
                # A direct quote, or reported speech that ends in one ('He said the department
                # "realized that … food security. Regional efforts are important…"').
                previous = next(
                    (
                        f
                        for f in reversed(got)
                        if (f.direct or self._ends_in_quote(f)) and not self._is_media(f.speaker)
                    ),
                    None,
                )
                continue
            quoted = _overlap(start, end, self.quotes)
            if previous is None or quoted * 10 < (end - start) * 8:
                previous = None
                continue
            # Same quotation (one region spans both), or a quote that follows directly.
            follows = i > 0 and sentences[i - 1][2] and previous in sentences[i - 1][2]
            same_region = any(
                a <= previous.content_end and b >= start for a, b in self.quotes if a < end
            )
            if not (same_region or follows) or self._not_continued(previous.content_end, start):
                previous = None
                continue
            c_start, c_end = _trim(self.text, start, end)
            inside = [(max(a, start), min(b, end)) for a, b in self.quotes if a < end and b > start]
            if inside:  # '…reunification," the Russian diplomat said.': the quote, not the tag
                c_start, c_end = _trim(self.text, inside[0][0], inside[-1][1])
            cont = Found(
                start,
                end,
                c_start,
                c_end,
                previous.speaker,
                previous.mention,
                previous.mention_start,
                previous.mention_end,
                previous.predicate,
                True,
                False,
            )
            got.append(cont)
            previous = cont


_OPENING_QUOTES = frozenset("\"“'‘«")
_WEB = re.compile(
    r"https?://|www\.|@\w|^\s*(?:Follow|Read more|Related|Reporting by)\b", re.IGNORECASE
)


def _without_headline(text: str, found: list[Found]) -> list[Found]:
    """Drop a statement whose content runs into the same speaker saying the same again: a
    headline glued to the lede ("Cadillac expects major sales growth General Motors Co's
    Cadillac expects sales in China to…", "NBRU warns Dublin Bus not to move buses
    Meanwhile, the NBRU has warned Dublin Bus…")."""

    def runs_into(f: Found, g: Found) -> bool:
        if f.mention_start >= g.mention_start:
            return False
        if g.mention_start < f.content_end:
            return True
        between = text[f.content_end : g.mention_start]
        return len(between) <= 24 and not any(c in between for c in '.!?"“”')

    return [
        f
        for f in found
        if not any(
            g is not f and g.predicate == f.predicate and g.speaker == f.speaker and runs_into(f, g)
            for g in found
        )
    ]


def _question(sent: Any, verb: Any) -> bool:
    """Whether ``verb`` is asked about, not reported ("What did the Kremlin say…?")."""
    if not sent.text.rstrip(" \"'”’").endswith("?"):
        return False
    return any(c.tag_ in ("WP", "WRB", "WDT") and c.i < verb.i for c in verb.children) or any(
        c.dep_ == "aux" and c.lower_ in ("did", "does", "do", "will") and c.i < verb.i
        for c in verb.children
        if any(s.dep_ == "nsubj" and c.i < s.i < verb.i for s in verb.children)
    )


def _capitalised(name: str, rules: Rules) -> bool:
    """A name starts with a capital, or with a particle before one ("de Mistura")."""
    first, _, rest = name.partition(" ")
    return name[:1].isupper() or (first.lower() in rules.particles and rest[:1].isupper())


def _last_word(text: str, end: int) -> str:
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:end].lower()


def doc_lower(tok: Any, ahead: int) -> str:
    return str(tok.doc[tok.i + ahead].lower_)


_COORDINATORS = frozenset({"while", "whereas", "but", "and", "as", "although", "though"})


def _cut_at_next_speaker(text: str, found: list[Found]) -> list[Found]:
    """ "Kim said X, while Hoo said Y": Kim's content ends before "while Hoo"."""
    for f in found:
        for g in found:
            if g is f or not f.content_start < g.mention_start < f.content_end:
                continue
            before = text[f.content_start : g.mention_start].rstrip()
            words = before.rsplit(None, 1)
            if len(words) == 2 and words[1].lower().strip(",;") in _COORDINATORS:
                f.content_start, f.content_end = _trim(
                    text, f.content_start, f.content_start + len(words[0])
                )
    return found


def _outermost(found: list[Found]) -> list[Found]:
    """Keep nested statements ("X said Y had warned…": both), drop exact duplicates."""
    seen = set()
    out = []
    for f in found:
        key = (f.content_start, f.content_end)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _without_parts(found: list[Found]) -> list[Found]:
    """Drop a statement that is part of another by the same speaker, verb and kind: a quote's first
    sentence, taken as going on from the sentence before, beside the whole two-sentence quote
    that "he says" after it introduces. Nested statements of two speakers stay."""
    return [
        f
        for f in found
        if not any(
            g is not f
            and (g.speaker, g.predicate, g.direct) == (f.speaker, f.predicate, f.direct)
            and g.content_start <= f.content_start
            and f.content_end <= g.content_end
            and g.content_end - g.content_start > f.content_end - f.content_start
            for g in found
        )
    ]


def analyse(
    text: str,
    docs: Iterable[tuple[int, Any]],
    rules: Rules | None = None,
    original: str | None = None,
) -> DocumentAnalysis:
    """Entities, people and statements of one document.

    Args:
        text: The document's stored text (offsets point into it).
        docs: ``(offset, spacy_doc)`` for each parsed piece, in document order, where
            ``text[offset:offset + len(doc.text)] == doc.text``.
        rules: The attribution rules (default: ``rules.toml``).
        original: The text before ``parser.repair`` (same length), where it differs: names
            are read from it where the repair blanked a damaged character.
    """
    return _Analyser(text, rules or load_rules(), original).run(docs)
