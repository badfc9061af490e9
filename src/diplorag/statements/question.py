"""Whom a question asks about, and on what: "What did Moscow's chief diplomat say about Iran?".

``speaker_phrases(question)`` parses the question with the same spaCy pipeline and returns the
phrases that may name the person asked about, most likely first: the subject of the main verb
("What did **Merkel** press Putin to do"), the owner of a reaction or view ("What was **Geng
Shuang**'s reaction"), a name before a colon ("**Cavusoglu** on the YPG: …"), then any other
person or role phrase ("**Putin's press secretary**"). ``topic`` is the question without
the phrase and without the words that only say how it is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from diplorag.statements.rules import fold, load_rules

_OWNED = frozenset(
    "reaction response view views stance position comment comments remarks statement "
    "assessment answer reply take opinion verdict message".split()
)
_SCAFFOLD = frozenset(
    "what who whom whose which when where why how did does do say said says tell told ask "
    "asked according regarding about mention mentioned think thought describe view views "
    "position stance comment comments reaction response respond responded react reacted "
    "is was are were the a an of on to and has have had he she his her their they it its "
    "that this there any something anything".split()
)


@dataclass(frozen=True)
class QuestionSpeaker:
    phrase: str  # as the question writes it
    start: int
    end: int
    # 0 subject of the main verb, 1 owner of a view or reaction or "according to X", 2 "X on
    # …:", 3 another
    # person named, 4 a role phrase elsewhere, 5 a place or body as subject ("What did Japan…")
    rank: int = 0


def _doc(question: str) -> Any:
    from diplorag.statements.parser import load_pipeline

    return load_pipeline()(question)


def _span_of(tokens: list[Any]) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def speaker_phrases(question: str, doc: Any | None = None) -> list[QuestionSpeaker]:
    """Phrases of ``question`` that may name its speaker, most likely first (may be empty)."""
    rules = load_rules()
    doc = doc if doc is not None else _doc(question)
    found: list[tuple[int, QuestionSpeaker]] = []

    def add(priority: int, tokens: list[Any]) -> None:
        while tokens and (
            tokens[0].lower_ in ("the", "a", "an", "how", "many", "which", "what", "whose")
            or tokens[0].is_punct
        ):
            tokens = tokens[1:]
        if tokens and tokens[-1].tag_ in ("NNS", "NNPS"):
            return  # "defense ministers", "officials": a group, not a person asked about
        while tokens and (tokens[-1].lower_ in ("'s", "’s") or tokens[-1].is_punct):
            tokens = tokens[:-1]
        if not tokens:
            return
        a, b = _span_of(tokens)
        found.append((priority, QuestionSpeaker(question[a:b], a, b, priority)))

    def phrase(head: Any) -> list[Any]:
        """The name or role phrase headed by ``head`` (its possessor, compounds, "in Oslo")."""
        ent = next((e for e in doc.ents if e.start <= head.i < e.end), None)
        if ent is not None and ent.label_ == "PERSON":
            return list(ent)
        left = head.left_edge.i
        right = head.i
        for child in head.children:
            if child.dep_ == "prep" and child.i > head.i and child.lower_ in ("in", "to", "at"):
                right = child.right_edge.i
        return [t for t in doc[left : right + 1]]

    ents = [e for e in doc.ents if e.label_ == "PERSON"]
    for tok in doc:
        main = tok.head.dep_ == "ROOT" or (tok.head.dep_ == "conj" and tok.head.head.dep_ == "ROOT")
        is_subject = tok.dep_ in ("nsubj", "nsubjpass") and main
        is_owner = tok.dep_ == "poss" and fold(tok.head.lemma_) in _OWNED
        person = any(e.start <= tok.i < e.end for e in ents)
        role = fold(tok.lemma_) in rules.role_heads
        if tok.lower_ in _SCAFFOLD:
            continue
        if is_subject and (person or role):
            add(0, phrase(tok))
        elif is_owner and (person or role or tok.pos_ == "PROPN"):
            add(1, phrase(tok))
        elif is_subject and tok.pos_ == "PROPN":
            add(5, phrase(tok))  # "What did Tehran…": a place or body may speak too
    # "What did X …", "How does X …": whatever follows the first auxiliary is the subject,
    # however the parse of a question hangs it.
    aux = next((t for t in list(doc)[:4] if t.lower_ in ("did", "does", "do", "was", "is")), None)
    if aux is not None:
        chunk = next((c for c in doc.noun_chunks if c.start == aux.i + 1), None)
        if chunk is not None and chunk[0].lower_ not in _SCAFFOLD:
            roles = [t for t in chunk if fold(t.lemma_) in rules.role_heads]
            people = [e for e in ents if e.start >= chunk.start and e.end <= chunk.end]
            if people:
                add(0, list(people[0]))
            elif roles:  # "Mexico's foreign minister" (even when parsed as "minister ask")
                add(0, list(doc[chunk.start : roles[-1].i + 1]))
            elif chunk.root.pos_ == "PROPN":
                add(0, phrase(chunk.root))
        elif aux.i + 1 < len(doc) and doc[aux.i + 1].pos_ == "PROPN":
            add(0, phrase(doc[aux.i + 1]))
    # "According to Moscow's chief diplomat, …": the source a question cites is its speaker.
    for tok in doc:
        if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            obj = next((c for c in doc[tok.i + 1].children if c.dep_ == "pobj"), None)
            if obj is not None and (
                any(e.start <= obj.i < e.end for e in ents) or fold(obj.lemma_) in rules.role_heads
            ):
                add(1, phrase(obj))
    # "Grushko on confidence-building with NATO: what …", "And Rouhani on the war in Yemen?"
    lead = [t for t in doc if t.lower_ not in ("and", "so")][:6]
    cut = next((i for i, t in enumerate(lead) if t.lower_ in ("on", "about", ":")), None)
    if cut and all(t.text[:1].isupper() or t.is_punct for t in lead[:cut]):
        add(2, lead[:cut])
    for e in ents:
        add(3, list(e))
    for chunk in doc.noun_chunks:
        if fold(chunk.root.lemma_) in rules.role_heads:
            add(4, phrase(chunk.root))
    out: list[QuestionSpeaker] = []
    for _, q in sorted(found, key=lambda x: (x[0], x[1].start)):
        if all(q.phrase != o.phrase for o in out):
            out.append(q)
    return out


def topic(question: str, speaker: QuestionSpeaker | None) -> str:
    """The question's topic words: without the speaker phrase and the scaffolding."""
    text = question
    if speaker is not None:
        text = question[: speaker.start] + " " + question[speaker.end :]
    words = re.findall(r"[\w’'-]+", text)
    kept = [
        w
        for w in words
        if fold(w).removesuffix("'s") not in _SCAFFOLD and fold(w) not in ("'s", "s")
    ]
    return " ".join(kept)
