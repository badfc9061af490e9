"""From retrieved chunks to the few exact passages a question needs — or an honest abstention.

Pure (no model, no I/O): ``select_evidence`` takes ranked chunk hits and the texts of their
documents and decides

* **who said what** — for "What did X say about Y?", passages where the documents attribute
  statements to X come first, and when the documents attribute nothing to X at all the
  answer is an abstention rather than someone else's words;
* **relevance** — when no passage contains enough of the question's own terms, the documents
  do not answer it, and no model is asked;
* **lean passages** — each chunk is narrowed to its best few sentences (about
  ``window_words``), widened back to the sentence that names the speaker when a window starts
  with "He …", so the prompt stays short and the model sees who is talking. Windows keep exact
  offsets into the document: ``document[start:end] == passage.text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from diplorag.attribution import Attribution, parse_who_said, same_person, speaker_spans
from diplorag.lexical import terms
from diplorag.sentences import count_words
from diplorag.types import Hit

# Question scaffolding: words that say how something is asked, not what about.
QUESTION_WORDS = frozenset(
    terms(
        "what who whom whose which when where why how many much did does do say said says tell "
        "told ask asked asks according regarding about mention mentioned mentions think thought "
        "describe described view views position stance comment comments remark remarks "
        "statement statements document documents article articles text passage passages "
        "happen happened anything something give gave",
        keep_stop_words=True,
    )
)
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|and what|what of|same for|and how|and who|why)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(he|she|they|it|that|this|those|these|him|her|them)\b", re.IGNORECASE)


@dataclass(frozen=True)
class EvidencePolicy:
    """Knobs of evidence selection (defaults measured on the dev questions)."""

    max_passages: int = 3
    window_words: int = 80
    min_coverage: float = 0.6  # share of the question's focus terms one passage must contain


@dataclass
class Evidence:
    """What the model will see, or why it will not be asked."""

    passages: list[Hit]  # numbered [1]..[n] for the model, exact document offsets
    speaker: str | None  # the person the question asks about, if any
    focus: list[str]  # the question's content terms (speaker and scaffolding removed)
    coverage: float  # best share of focus terms found in one passage
    abstain_reason: str | None = None
    closest: list[Hit] = field(default_factory=list)  # shown when abstaining

    @property
    def abstain(self) -> bool:
        return self.abstain_reason is not None


def focus_terms(question: str, speaker: str | None = None) -> list[str]:
    """The question's content terms: stop words, scaffolding and the speaker's name removed."""
    drop = set(QUESTION_WORDS)
    if speaker:
        drop |= set(terms(speaker, keep_stop_words=True))
    seen: list[str] = []
    for t in terms(question):
        if t not in drop and t not in seen:
            seen.append(t)
    return seen


def coverage(focus: Sequence[str], text: str) -> float:
    """Share of ``focus`` terms that occur in ``text`` (1.0 when there are none)."""
    if not focus:
        return 1.0
    present = set(terms(text))
    return sum(1 for t in focus if t in present) / len(focus)


def is_follow_up(question: str) -> bool:
    """ "and what about Singapore?", "Why?", "what did he say next" — needs the previous turn."""
    if _FOLLOW_UP.match(question):
        return True
    return bool(_PRONOUN.search(question)) and len(focus_terms(question)) <= 2


def follow_up_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The text to retrieve with: a follow-up is read together with the previous question."""
    if history and is_follow_up(question):
        return f"{question} {history[-1][0]}"
    return question


def follow_up_speaker(question: str, history: Sequence[tuple[str, str]]) -> str | None:
    """The speaker a follow-up inherits from the previous question ("and about Singapore?")."""
    who = parse_who_said(question)
    if who is not None:
        return who.speaker
    if history and is_follow_up(question):
        previous = parse_who_said(history[-1][0])
        return previous.speaker if previous else None
    return None


_ACRONYM = re.compile(
    r"((?:[A-Z][\w’'-]*\s+(?:(?:on|of|for|the|and|in|to)\s+)*){2,})\(([A-Z][A-Za-z0-9]{1,9})\)"
)


def acronyms(document: str) -> dict[str, list[str]]:
    """Acronyms a document defines, as terms: "Conference on Disarmament (CD)" → cd: [...]."""
    out: dict[str, list[str]] = {}
    for m in _ACRONYM.finditer(document):
        long_form, short = m.group(1), m.group(2)
        words = re.findall(r"[A-Z][\w’'-]*", long_form)
        initials = [w for w in words if w[0].upper() == w[0]]
        # Keep only as many trailing words as the acronym has capitals ("the New Strategic
        # Arms Reduction Treaty (New START)" → the last words, not "the").
        n = sum(1 for c in short if c.isupper()) or len(short)
        expansion = terms(" ".join(initials[-n:]))
        if expansion:
            out.setdefault(terms(short)[0] if terms(short) else short.lower(), expansion)
    return out


def _terms_with_acronyms(text: str, expand: Mapping[str, list[str]]) -> set[str]:
    found = set(terms(text))
    for short in list(found):
        found.update(expand.get(short, ()))
    return found


def _attributions(text: str, cache: dict[str, list[Attribution]], doc_id: str) -> list[Attribution]:
    if doc_id not in cache:
        cache[doc_id] = speaker_spans(text)
    return cache[doc_id]


def _window(
    hit: Hit,
    document: str,
    attributions: Sequence[Attribution],
    focus: Sequence[str],
    speaker: str | None,
    window_words: int,
    expand: Mapping[str, list[str]],
    context: Sequence[str] = (),
) -> tuple[Hit, float, bool]:
    """Narrow a chunk to its best sentences; returns the window, its coverage, speaker found.

    Coverage counts the focus terms in the window — or, when the question asks about a
    speaker, only in the sentences the document attributes to that speaker.
    """
    sentences = [
        (a.start, a.end, a) for a in attributions if a.start >= hit.start and a.end <= hit.end
    ]
    if not sentences:  # the document changed under us, or no sentences: keep the chunk
        return hit, coverage(focus, hit.text), False
    focus_set = set(focus)
    context_set = set(context) - focus_set

    def by_speaker(a: Attribution) -> bool:
        return bool(speaker and a.speaker and same_person(a.speaker, speaker))

    scores = []
    for start, end, a in sentences:
        present = _terms_with_acronyms(document[start:end], expand)
        found = 2.0 * len(focus_set & present) + 0.5 * len(context_set & present)
        scores.append(found + (2.0 if by_speaker(a) else 0.0))
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    lo = hi = best
    words = count_words(document[sentences[best][0] : sentences[best][1]])
    while True:
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(sentences)]
        if not options:
            break
        nxt = max(options, key=lambda i: (scores[i], i == hi + 1))
        extra = count_words(document[sentences[nxt][0] : sentences[nxt][1]])
        if words + extra > window_words:
            break
        words += extra
        lo, hi = min(lo, nxt), max(hi, nxt)
    start, end = sentences[lo][0], sentences[hi][1]
    # A window that opens with "He said…" hides who "he" is: reach back (within the document)
    # to the sentence that names the speaker, at most two sentences.
    first = sentences[lo][2]
    if first.inherited:
        earlier = [a for a in attributions if a.end <= start][-2:]
        for a in reversed(earlier):
            start = a.start
            if a.speaker and not a.inherited:
                break
    window_text = document[start:end]
    own = [document[s:e] for s, e, a in sentences[lo : hi + 1] if by_speaker(a)]
    window = hit.model_copy(update={"start": start, "end": end, "text": window_text})
    measured = " ".join(own) if speaker else window_text
    present = _terms_with_acronyms(measured, expand)
    cov = sum(1 for t in focus if t in present) / len(focus) if focus else 1.0
    return window, cov, bool(own)


def select_evidence(
    question: str,
    hits: Sequence[Hit],
    documents: Mapping[str, str],
    *,
    speaker: str | None = None,
    context: str | None = None,
    policy: EvidencePolicy = EvidencePolicy(),
) -> Evidence:
    """Choose the passages the model sees for ``question``, or decide to abstain.

    Args:
        question: The user's question (for a follow-up, the text it is read with).
        hits: Retrieved chunks, best first.
        documents: Full text of each hit's document, by ``doc_id``.
        speaker: The person asked about; found in ``question`` when not given.
        context: For a follow-up, the previous question: its terms help choose sentences,
            but relevance is judged on the follow-up's own terms when it has any.
        policy: Passage count, window size, relevance threshold.

    Returns:
        ``Evidence`` with up to ``policy.max_passages`` windows, or an abstention reason and
        the closest passages.
    """
    if speaker is None:
        who = parse_who_said(question)
        speaker = who.speaker if who else None
    focus = focus_terms(question, speaker)
    context_terms = focus_terms(context, speaker) if context else []
    if not focus:  # "and why?" — judge relevance on what the conversation is about
        focus, context_terms = context_terms, []
    cache: dict[str, list[Attribution]] = {}
    expansions: dict[str, dict[str, list[str]]] = {}
    scored: list[tuple[Hit, float, bool]] = []
    for hit in hits:
        document = documents.get(hit.doc_id)
        if document is None or document[hit.start : hit.end] != hit.text:
            scored.append((hit, coverage(focus, hit.text), False))
            continue
        scored.append(
            _window(
                hit,
                document,
                _attributions(document, cache, hit.doc_id),
                focus,
                speaker,
                policy.window_words,
                expansions.setdefault(hit.doc_id, acronyms(document)),
                context_terms,
            )
        )
    closest = [w for w, _, _ in scored[: policy.max_passages]]
    if not hits:
        return Evidence([], speaker, focus, 0.0, "nothing in the index matches the question")
    if speaker is not None:
        spoken = [s for s in scored if s[2]]
        if not spoken:
            return Evidence(
                [],
                speaker,
                focus,
                0.0,
                f"the documents attribute no statements to {speaker} among the passages found",
                closest,
            )
        scored = spoken + [s for s in scored if not s[2]]
    # Most on-topic first (stable: retrieval order breaks ties), the speaker's own words first.
    scored.sort(key=lambda s: (not s[2], -s[1]) if speaker else -s[1])
    best = max(c for _, c, _ in scored)
    needed = math.ceil(policy.min_coverage * len(focus)) / len(focus) if focus else 0.0
    if best < needed:
        missing = [t for t in focus if not any(coverage([t], w.text) for w, _, _ in scored)]
        if speaker is not None:
            reason = f"what the documents attribute to {speaker} does not cover the question"
        else:
            reason = "no passage covers enough of the question"
        detail = f" (no passage mentions: {', '.join(missing)})" if missing else ""
        return Evidence([], speaker, focus, best, reason + detail, closest)
    passages: list[Hit] = []
    for window, cov, _ in scored:
        if cov < needed and passages:
            continue  # keep off-topic windows out of the prompt once one relevant passage is in
        if any(
            p.doc_id == window.doc_id and p.start <= window.start and window.end <= p.end
            for p in passages
        ):
            continue  # already shown: overlapping chunks of one document often agree
        passages.append(window.model_copy(update={"rank": len(passages) + 1}))
        if len(passages) == policy.max_passages:
            break
    return Evidence(passages, speaker, focus, best)
