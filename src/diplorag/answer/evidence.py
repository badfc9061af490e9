"""Evidence: the few exact sentences the model may answer from, numbered [1]..[n].

Candidates are the sentences of the retrieved passages (or of a person's statements); each is
scored against the question by meaning (dense similarity) and by words (content-term coverage),
the best are kept, and a kept sentence that opens with "He …" or continues a quote brings the
sentence before it, so the model (and the reader) sees who is talking. Every evidence sentence
is a ``Hit`` whose ``start``/``end`` are offsets into its document:
``document[start:end] == hit.text``.

Planted instructions never become evidence: the documents the pipeline passes in have their
withheld spans blanked (``api.Session.evidence_text``), so those sentences are empty here, and a
sentence that still reads like an instruction is kept out and counted (``Evidence.removed``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diplorag.answer.query import Query
from diplorag.answer.similarity import Similarity
from diplorag.generate.prompts import reads_like_instruction
from diplorag.sentences import count_words, split_sentences
from diplorag.text.analyze import (
    WORD,
    abbreviations,
    entity_keys,
    is_seat,
    name_key,
    names,
    numbers,
    terms,
)
from diplorag.types import Hit, Statement

__all__ = [
    "Candidate",
    "Evidence",
    "EvidencePolicy",
    "candidates_from_hits",
    "candidates_from_statements",
    "coverage",
    "holds_answer_type",
    "score_candidates",
    "select_evidence",
]

_OPENS_WITH_REFERENCE = re.compile(
    r"^\W*(?:he|she|they|his|her|their|it|this|that|the\s+(?:minister|spokesm[ae]n|spokeswoman|"
    r"official|ambassador|envoy|president|secretary|diplomat|chancellor))\b|^\s*[\"“]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EvidencePolicy:
    """How much evidence the model reads."""

    max_sentences: int = 5  # sentences chosen for their relevance
    max_total: int = 8  # with the context sentences they bring
    per_document: int = 3
    fill_margin: float = 0.15  # past per_document, only sentences this close to the best
    min_words: int = 4  # shorter "sentences" are headings and bylines


@dataclass
class Candidate:
    """A sentence that could be evidence, and how well it fits the question."""

    hit: Hit  # one sentence, document offsets
    speaker: str | None = None  # the parser's speaker, when it is a statement
    dense: float = 0.0
    lexical: float = 0.0
    entities: float = 1.0
    typed: bool = False  # holds what the question asks for: a new name (who?), a number (how many?)
    answers: bool = False  # typed, and does what a "who" question asks ("… moderated the panel")

    @property
    def score(self) -> float:
        bonus = (0.1 if self.typed else 0.0) + (0.15 if self.answers else 0.0)
        return 0.6 * self.dense + 0.4 * self.lexical + bonus


@dataclass
class Evidence:
    """What the model is shown, numbered from 1, and what it was chosen from."""

    sentences: list[Hit]  # sentences[n - 1] is [n]
    speakers: list[str | None]
    candidates: list[Candidate] = field(default_factory=list)  # best first
    documents: dict[str, str] = field(default_factory=dict)
    removed: int = 0  # instruction-like sentences kept out
    withheld: list[str] = field(default_factory=list)  # planted text blanked in the documents

    def __len__(self) -> int:
        return len(self.sentences)


def _sentence_hit(hit: Hit, document: str, start: int, end: int) -> Hit:
    # ``withheld`` is relative to the text: re-based onto the sentence, what overlaps it.
    withheld = [
        (max(a + hit.start, start) - start, min(b + hit.start, end) - start)
        for a, b in hit.withheld
        if a + hit.start < end and start < b + hit.start
    ]
    return hit.model_copy(
        update={"start": start, "end": end, "text": document[start:end], "withheld": withheld}
    )


def candidates_from_hits(
    hits: Sequence[Hit], documents: Mapping[str, str], policy: EvidencePolicy = EvidencePolicy()
) -> list[Candidate]:
    """Every sentence of the retrieved passages, once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for hit in hits:
        document = documents.get(hit.doc_id)
        if document is None or document[hit.start : hit.end] != hit.text:
            continue  # the document changed under us: offsets would lie
        for start, end in split_sentences(document, hit.start, hit.end):
            if (hit.doc_id, start) in seen or count_words(document[start:end]) < policy.min_words:
                continue
            seen.add((hit.doc_id, start))
            out.append(Candidate(_sentence_hit(hit, document, start, end)))
    return out


def candidates_from_statements(
    statements: Sequence[Statement], documents: Mapping[str, str]
) -> list[Candidate]:
    """The sentences that carry ``statements``, with their parsed speakers."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for st in statements:
        document = documents.get(st.doc_id)
        if document is None or document[st.sentence_start : st.sentence_end] != st.text:
            continue
        if (st.doc_id, st.sentence_start) in seen:
            continue
        seen.add((st.doc_id, st.sentence_start))
        hit = Hit(
            rank=0,
            score=st.score,
            chunk_id=f"statement-{st.statement_id}",
            doc_id=st.doc_id,
            title=st.title,
            published=st.published,
            source=st.source,
            path=st.path,
            start=st.sentence_start,
            end=st.sentence_end,
            text=st.text,
        )
        out.append(Candidate(hit, speaker=st.speaker))
    return out


def _previous_sentence(document: str, start: int) -> tuple[int, int] | None:
    spans = split_sentences(document, max(0, start - 800), start)
    return spans[-1] if spans else None


def coverage(query: Query, text: str) -> float:
    """Share of the query's content terms in ``text``; names count double (1.0 without terms).

    A name in another of its forms (``name_key``) counts half: "Turks" in "the Turkish
    people", "Sergei" in "Sergey" (at full weight a sentence that only names the country
    outranks the one that answers, benchmarks/RESULTS.md). A city that stands for its country
    must be there itself: "the population of Seoul" is not in "South Korean weapon systems".
    """
    if not query.content:
        return 1.0
    present = set(terms(text))
    name_terms = {t: word for n in query.names for word in n.split() for t in terms(word)}
    forms = {t: name_key(word) for t, word in name_terms.items() if not is_seat(word)}
    weights = {t: (2.0 if t in name_terms else 1.0) for t in query.content}
    keys = entity_keys(text) if any(t in forms and t not in present for t in weights) else ()

    def found(t: str) -> float:
        return 1.0 if t in present else 0.5 if t in forms and forms[t] in keys else 0.0

    return sum(w * found(t) for t, w in weights.items()) / sum(weights.values())


def _entity_share(query: Query, keys: frozenset[str]) -> float:
    if not query.names:
        return 1.0
    return sum(name_key(n) in keys for n in query.names) / len(query.names)


def score_candidates(
    query: Query,
    candidates: list[Candidate],
    documents: Mapping[str, str],
    similarity: Similarity | None,
) -> list[Candidate]:
    """Fill in each candidate's scores; returns them best first (stable)."""
    if not candidates:
        return []
    asked = query.topic if query.speaker_name else query.search_text
    dense = (
        similarity.scores(asked, [c.hit.text for c in candidates])
        if similarity is not None
        else [0.0] * len(candidates)
    )
    keys: dict[str, frozenset[str]] = {}
    defined: dict[str, dict[str, str]] = {}
    for c, d in zip(candidates, dense, strict=True):
        document = documents.get(c.hit.doc_id, "")
        before = _previous_sentence(document, c.hit.start)
        context = document[before[0] : before[1]] + " " if before else ""
        if c.hit.doc_id not in defined:
            defined[c.hit.doc_id] = abbreviations(document)
        # "the CD's role" is about the "Conference on Disarmament" the story defined it as.
        words = set(WORD.findall(c.hit.text))
        longs = " ".join(v for k, v in defined[c.hit.doc_id].items() if k in words)
        c.dense = d
        c.lexical = coverage(query, context + c.hit.text + " " + longs)
        if c.hit.doc_id not in keys:
            keys[c.hit.doc_id] = entity_keys(c.hit.title + "\n" + document)
        c.entities = _entity_share(query, keys[c.hit.doc_id])
    typed = holds_answer_type(query, [c.hit.text for c in candidates])
    focus = set(query.focus) or (asked_action(query) if any(typed) else set())
    for c, t in zip(candidates, typed, strict=True):
        c.typed = t
        c.answers = t and bool(focus) and focus <= set(terms(c.hit.text))
    return sorted(candidates, key=lambda c: -c.score)


# Reporting verbs and verbs that only carry their object ("stage a drill", "hold talks").
_REPORTING = frozenset({"say", "tell", "report", "announce", "claim", "state", "confirm"})
_LIGHT = frozenset({"stage", "hold", "conduct", "carry", "make", "take", "give", "have", "do"})


def asked_action(query: Query) -> set[str]:
    """What a person or place question asks to have happened, as terms, from spaCy's parse:
    the first verb that is not a reporting verb ("Which official did police say they
    killed …?": kill), or its object when the verb only carries it ("In which town did Japan
    stage its first evacuation drill?": drill). Empty when there is none."""
    if query.asks not in ("person", "place"):
        return set()
    from diplorag.statements.parser import load_pipeline

    for tok in load_pipeline()(query.text):
        if tok.pos_ != "VERB" or tok.lemma_.lower() in _REPORTING:
            continue
        if tok.lemma_.lower() in _LIGHT:
            obj = next((c for c in tok.children if c.dep_ in ("dobj", "obj")), None)
            return set(terms(obj.text)) if obj is not None else set()
        return set(terms(tok.text))
    return set()


_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th)\b", re.IGNORECASE)
_LABELS = {"person": frozenset({"PERSON"}), "place": frozenset({"GPE", "LOC", "FAC"})}


def holds_answer_type(query: Query, texts: Sequence[str]) -> list[bool]:
    """Whether each text holds the kind of thing the question asks for (``Query.asks``): a
    number the question does not give (how many?), a person (who?) or a place (where?) it does
    not name, as spaCy's entity recogniser reads them (the pipeline the question was parsed
    with)."""
    if query.asks is None or not texts:
        return [False] * len(texts)
    from diplorag.statements.parser import load_pipeline

    if query.asks == "number":
        counted = _counted(query.text, load_pipeline())
        return [_counts(query, t, counted) for t in texts]

    labels = _LABELS[query.asks]
    asked = {name_key(w) for n in names(query.text) for w in n.split()}
    out = []
    for doc in load_pipeline().pipe(texts, batch_size=64):
        found = [e.text for e in doc.ents if e.label_ in labels]
        out.append(any(name_key(w) not in asked for e in found for w in e.split()))
    return out


def _counted(question: str, nlp: Any) -> set[str]:
    """The terms of what "how many …?" counts ("How many defense ministers attended …?":
    ministers), from spaCy's parse; empty for "how much" with no noun."""
    for tok in nlp(question):
        after_how = tok.i > 0 and tok.nbor(-1).lower_ == "how"
        if tok.lower_ in ("many", "much") and after_how and tok.head.pos_ in ("NOUN", "PROPN"):
            return set(terms(tok.head.text))
    return set()


def _counts(query: Query, text: str, counted: set[str]) -> bool:
    """Whether ``text`` gives a number the question does not, next to what it counts when the
    question names it ("defense ministers from five nations", not "over 1,000 participants"
    asked how many ministers); "the 14th Dialogue" counts nothing."""
    plain = _ORDINAL.sub(" ", text)
    if not counted:
        return bool(numbers(plain) - query.numbers)
    for m in WORD.finditer(plain):
        if set(terms(m.group(0))) & counted:
            near = plain[max(0, m.start() - _NEAR) : m.end() + _NEAR]
            if numbers(near) - query.numbers:
                return True
    return False


_NEAR = 40  # characters either side of the counted word: about six words


def select_evidence(
    candidates: Sequence[Candidate],
    documents: Mapping[str, str],
    policy: EvidencePolicy = EvidencePolicy(),
) -> Evidence:
    """Keep the best candidates (scored, best first) and the context sentences they need."""
    chosen: list[Candidate] = []
    per_doc: dict[str, int] = {}
    removed = 0
    # Several documents first; when they run out, the best documents' further sentences (one
    # interview, a person's one press release) fill the places left, if they fit nearly as
    # well as the best: a small model cites a weak sentence it is shown as readily as a good one.
    best = max((c.score for c in candidates), default=0.0)
    for spread in (True, False):
        for c in candidates:
            if len(chosen) == policy.max_sentences:
                break
            if any(c is o for o in chosen):
                continue
            if not spread and c.score < best - policy.fill_margin:
                continue
            if reads_like_instruction(c.hit.text):
                removed += spread
                continue
            if spread and per_doc.get(c.hit.doc_id, 0) >= policy.per_document:
                continue
            per_doc[c.hit.doc_id] = per_doc.get(c.hit.doc_id, 0) + 1
            chosen.append(c)
    # Group by document (best document first), in reading order within each.
    order = list(dict.fromkeys(c.hit.doc_id for c in chosen))
    units: list[tuple[Hit, str | None]] = []
    taken: set[tuple[str, int]] = set()
    budget = policy.max_total
    for doc_id in order:
        document = documents.get(doc_id, "")
        mine = sorted((c for c in chosen if c.hit.doc_id == doc_id), key=lambda c: c.hit.start)
        for c in mine:
            if len(units) >= budget:
                break
            if _OPENS_WITH_REFERENCE.search(c.hit.text):
                before = _previous_sentence(document, c.hit.start)
                if before and (doc_id, before[0]) not in taken and len(units) + 1 < budget:
                    text = document[before[0] : before[1]]
                    if not reads_like_instruction(text):
                        taken.add((doc_id, before[0]))
                        units.append((_sentence_hit(c.hit, document, *before), None))
            if (doc_id, c.hit.start) not in taken:
                taken.add((doc_id, c.hit.start))
                units.append((c.hit, c.speaker))
    sentences = [h.model_copy(update={"rank": n}) for n, (h, _) in enumerate(units, start=1)]
    return Evidence(
        sentences=sentences,
        speakers=[s for _, s in units],
        candidates=list(candidates),
        documents=dict(documents),
        removed=removed,
    )
