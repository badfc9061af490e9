"""Verification by meaning: every answer sentence against the evidence sentences it cites.

For each sentence of the model's answer (markers parsed by ``answer.markers``):

(a) **numbers, dates, negation agree** — every number of the sentence ("ten" = "10",
    "7,400" = "7400") is in a cited sentence, and a sentence that negates or denies cites a
    sentence that does too;
(b) **names are present** — every name-like word (``text.analyze.names``) is in a cited
    sentence, the sentence before it or its document's title, allowing aliases and
    inflections (``name_key``: "F-15s" = "F-15", "Russia's" = "Russia", "Sergei" = "Sergey",
    "Beijing" = "China");
(c) **the speaker** — a sentence that credits a statement to a person ("Lavrov said …",
    "According to Hua, …", "…, Liu said") must cite a statement whose parsed speaker is that
    person (``SpeakerCheck``); a sentence with no speaker of its own ("He urged …", or any
    sentence when the question asks what X said) inherits the speaker, and may cite narration
    but never another person's statement;
(d) **support** — the cited sentences hold enough of the sentence's content words
    (``min_overlap``), or fewer but with a close meaning (``min_dense`` on embedding
    similarity with at least ``min_overlap_with_dense``).

A sentence whose own citations fail but another evidence sentence passes gets that citation
(CORRECTED); one that no evidence supports is marked ``[unverified]`` where it stands (or
dropped, by policy). An abstention or a connective ("Yes.") is not a claim. The quote of a
citation is always the exact evidence sentence: ``document[quote_start:quote_end] == quote``,
and its speaker is the parser's, never the model's.

Whatever else supports it, a sentence naming a web address, e-mail address or phone number
that its cited sentences do not contain is DROPPED (``text.untrusted.unquoted_contacts``): that
is how a planted instruction would advertise. So is a sentence that mostly repeats a planted
instruction blanked from the evidence's documents (``Evidence.withheld``): its words come from
text no answer may use, whatever genuine sentence it cites.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from diplorag.answer import SpeakerCheck
from diplorag.answer.evidence import Evidence
from diplorag.answer.markers import (
    META_PREFIX,
    ParsedSentence,
    is_abstention,
    is_enumerator,
    parse_answer,
    with_marker,
)
from diplorag.answer.similarity import Similarity
from diplorag.generate.prompts import EVIDENCE_LABEL, reads_like_instruction
from diplorag.sentences import split_sentences
from diplorag.text.analyze import (
    content_terms,
    entity_keys,
    has_negation,
    name_key,
    names,
    numbers,
    terms,
)
from diplorag.text.untrusted import unquoted_contacts
from diplorag.types import AnswerSentence, Citation, Hit, VerificationStatus

__all__ = [
    "UNVERIFIED_MARKER",
    "SentenceKind",
    "VerifiedAnswer",
    "VerifyPolicy",
    "claimed_speaker",
    "verify_answer",
]

UNVERIFIED_MARKER = "[unverified]"


@dataclass(frozen=True)
class VerifyPolicy:
    """Thresholds of the support check (d), calibrated on the dev sets (see RESULTS.md)."""

    min_overlap: float = 0.6
    min_dense: float = 0.62
    min_overlap_with_dense: float = 0.3
    max_withheld_overlap: float = 0.75  # share of a sentence's words in one planted passage
    keep_unverified: bool = True
    unverified_marker: str = UNVERIFIED_MARKER


class SentenceKind(StrEnum):
    CLAIM = "claim"
    CONNECTIVE = "connective"
    ABSTENTION = "abstention"


@dataclass
class VerifiedAnswer:
    """The answer after verification.

    Attributes:
        answer: Verified and corrected sentences with ``[n]`` markers, unverified ones marked,
            dropped ones left out, connectives as written.
        sentences: Every sentence of the model's answer, dropped ones included.
        kinds: ``kinds[i]`` is the kind of ``sentences[i]``.
        supported: At least one claim is VERIFIED or CORRECTED.
        model_abstained: The answer is an abstention and makes no claim.
    """

    answer: str
    sentences: list[AnswerSentence] = field(default_factory=list)
    kinds: list[SentenceKind] = field(default_factory=list)
    supported: bool = False
    model_abstained: bool = False


# -- who a sentence credits ------------------------------------------------------------------

_SPEECH = frozenset(
    """
    say says said tell tells told urge urges urged warn warns warned stress stresses stressed
    insist insists insisted add adds added note notes noted call calls called deny denies denied
    dismiss dismisses dismissed reject rejects rejected accuse accuses accused describe describes
    described respond responds responded reply replies replied argue argues argued claim claims
    claimed state states stated declare declares declared announce announces announced express
    expresses expressed emphasize emphasizes emphasized emphasise emphasised highlight
    highlighted pledge pledged vow vowed promise promised suggest suggested propose proposed ask
    asks asked request requested demand demanded expect expects expected concede conceded admit
    admitted defend defended criticize criticized criticised condemn condemned welcome welcomed
    explain explained praise praised acknowledge acknowledged reiterate reiterated affirm
    affirmed reaffirm reaffirmed underscore underscored believe believes believed think thinks
    thought press pressed threaten threatened blame blamed predict predicted recommend
    recommended confirm confirmed
    """.split()
)
_SKIP_BEFORE_VERB = frozenset(
    "also has have had further repeatedly strongly firmly later then again publicly once "
    "previously recently reportedly similarly specifically notably clearly explicitly "
    "would will did does".split()
)
_PRONOUNS = frozenset({"he", "she"})
_PARTICLES = frozenset({"de", "da", "di", "del", "von", "van", "der", "den", "al", "bin", "ibn"})
_TOKEN = re.compile(r"\w[\w’'-]*(?:\.\w+)*|[^\w\s]")
_TITLE_WORDS = frozenset(
    """
    minister secretary president prime premier chancellor ambassador envoy general spokesman
    spokeswoman spokesperson director chief senator governor mayor mr mrs ms dr vice deputy
    foreign defense defence state lt gen col adm capt
    """.split()
)


@dataclass(frozen=True)
class Claimed:
    """Who a sentence says is speaking."""

    name: str | None  # a person's name as written ("Lavrov", "Hua Chunying")
    pronoun: bool = False  # "He urged …": the speaker of the sentences before
    span: tuple[int, int] | None = None  # where the name (or pronoun) is, to leave it out of (b)


def _name_before(tokens: list[re.Match[str]], i: int) -> tuple[str, int] | None:
    """The capitalised run ending just before ``tokens[i]``, titles dropped."""
    j = i - 1
    while j >= 0 and tokens[j].group(0).lower() in _SKIP_BEFORE_VERB:
        j -= 1
    end = j
    run: list[str] = []
    while j >= 0:
        word = tokens[j].group(0)
        if word[:1].isupper() or (word.lower() in _PARTICLES and run):
            run.insert(0, word)
            j -= 1
        elif word == "," and run:
            break  # "Liu Zhenmin, vice-foreign minister, said": handled by the caller
        else:
            break
    kept = set(names(" ".join(run)))
    run = [w for w in run if w in kept or w.lower() in _PARTICLES]
    while run and run[0].lower().strip(".") in _TITLE_WORDS:
        run = run[1:]
    run = [re.sub(r"['’]s$", "", w) for w in run]
    if not run:
        return None
    return " ".join(run), tokens[end].end()


def claimed_speaker(sentence: str) -> Claimed:
    """The speaker a sentence credits: "Kang stressed …", "…, Hoo said", "According to X, …",
    "He urged …" (a pronoun), or nobody."""
    tokens = list(_TOKEN.finditer(sentence))
    low = [t.group(0).lower() for t in tokens]
    for k in range(len(tokens) - 2):
        if low[k] == "according" and low[k + 1] == "to":
            run: list[str] = []
            for t in tokens[k + 2 :]:
                w = t.group(0)
                if w[:1].isupper() or (w.lower() in _PARTICLES and run):
                    run.append(w)
                else:
                    break
            while run and run[0].lower().strip(".") in _TITLE_WORDS:
                run = run[1:]
            if run:
                start = tokens[k + 2].start()
                return Claimed(" ".join(run), span=(start, start + len(" ".join(run))))
    for i, word in enumerate(low):
        if word not in _SPEECH or tokens[i].group(0)[:1].isupper():
            continue
        # "…, said Lavrov." / "…, Lavrov said."
        if i > 0 and low[i - 1] == "," and i + 1 < len(tokens):
            after = [t.group(0) for t in tokens[i + 1 : i + 5]]
            run = []
            for w in after:
                if w[:1].isupper():
                    run.append(w)
                else:
                    break
            while run and run[0].lower() in _TITLE_WORDS:
                run = run[1:]
            if run:
                start = tokens[i + 1].start()
                return Claimed(" ".join(run), span=(start, tokens[i + len(run)].end()))
        found = _name_before(tokens, i)
        if found is not None:
            name, end = found
            return Claimed(name, span=(max(0, end - len(name) - 30), end))
        j = i - 1
        while j >= 0 and low[j] in _SKIP_BEFORE_VERB:
            j -= 1
        if j >= 0 and low[j] in _PRONOUNS:
            return Claimed(None, pronoun=True, span=(tokens[j].start(), tokens[j].end()))
    return Claimed(None)


# -- checking one claim ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    n: int
    hit: Hit
    context: str  # the sentence before it in the document, and the title


def _sources(evidence: Evidence) -> list[_Source]:
    out = []
    for n, hit in enumerate(evidence.sentences, start=1):
        document = evidence.documents.get(hit.doc_id, "")
        spans = split_sentences(document, max(0, hit.start - 800), hit.start) if document else []
        before = document[spans[-1][0] : spans[-1][1]] if spans else ""
        if reads_like_instruction(before):
            before = ""  # withheld from the model: it supports nothing either
        out.append(_Source(n, hit, f"{hit.title}\n{before}"))
    return out


@dataclass
class _Check:
    ok: bool
    why: str | None = None
    overlap: float = 0.0
    speaker: str | None = None


class _Verifier:
    def __init__(
        self,
        evidence: Evidence,
        policy: VerifyPolicy,
        speakers: SpeakerCheck | None,
        similarity: Similarity | None,
    ) -> None:
        self.evidence = evidence
        self.sources = _sources(evidence)
        self.policy = policy
        self.speakers = speakers
        self.similarity = similarity

    def _speaker_of(self, source: _Source) -> list[tuple[str | None, str | None]]:
        """``(speaker_id, speaker name)`` of the statements in a source sentence."""
        if self.speakers is None:
            given = self.evidence.speakers[source.n - 1]
            return [(given, given)] if given else []
        hit = source.hit
        return [
            (st.speaker_id, st.speaker)
            for st in self.speakers.statements_in(hit.doc_id, hit.start, hit.end)
        ]

    def _same(self, name: str, speaker_id: str | None, speaker: str | None) -> bool:
        if self.speakers is not None and speaker_id is not None:
            return self.speakers.same_person(name, speaker_id)
        a, b = {name_key(w) for w in name.split()}, {name_key(w) for w in (speaker or "").split()}
        return bool(a) and (a <= b or b <= a)

    def check(
        self, text: str, body: str, cited: Sequence[_Source], who: str | None, explicit: bool
    ) -> _Check:
        if not cited:
            return _Check(False, "cites no evidence sentence")
        quoted = " ".join(s.hit.text for s in cited)
        around = quoted + "\n" + "\n".join(s.context for s in cited)
        # (a) numbers, dates, negation
        missing_numbers = sorted(numbers(body) - numbers(quoted))
        if missing_numbers:
            return _Check(False, f"the cited sentence lacks {', '.join(missing_numbers[:3])}")
        if has_negation(body) and not has_negation(quoted):
            return _Check(False, "the sentence negates, the cited sentence does not")
        # (b) names, with aliases and inflections
        keys = entity_keys(around)
        absent = [n for n in names(body) if name_key(n) not in keys]
        if absent:
            return _Check(False, "the cited sentence does not mention " + ", ".join(absent[:3]))
        # (c) the speaker
        speaker: str | None = None
        if who is not None:
            said = [p for s in cited for p in self._speaker_of(s)]
            mine = [p for p in said if self._same(who, *p)]
            theirs = [p for p in said if not self._same(who, *p)]
            if theirs:
                others = ", ".join(dict.fromkeys(p[1] or "someone else" for p in theirs))
                return _Check(False, f"the source attributes this to {others}, not {who}")
            if mine:
                speaker = mine[0][1]
            elif explicit:
                return _Check(False, f"the cited sentence is no statement by {who}")
        else:
            said = [p for s in cited for p in self._speaker_of(s)]
            speaker = said[0][1] if said else None
        # (d) support: words, then meaning
        wanted = content_terms(body)
        if not wanted:
            return _Check(True, overlap=1.0, speaker=speaker)
        present = set(terms(quoted))  # the context helps name things, not support claims
        overlap = sum(t in present for t in wanted) / len(wanted)
        p = self.policy
        if overlap >= p.min_overlap:
            return _Check(True, overlap=overlap, speaker=speaker)
        if self.similarity is not None and overlap >= p.min_overlap_with_dense:
            dense = self.similarity.pairwise(text, quoted)
            if dense >= p.min_dense:
                return _Check(True, overlap=overlap, speaker=speaker)
            return _Check(
                False,
                f"the cited sentence holds {overlap:.0%} of its words and means something "
                f"else (similarity {dense:.2f})",
                overlap,
            )
        return _Check(False, f"the cited sentence holds {overlap:.0%} of its words", overlap)


def _n(source: _Source) -> int:
    return source.n


def _citation(source: _Source, check: _Check) -> Citation:
    return Citation.of(source.hit, source.n, check.speaker, check.overlap)


def _blank(text: str, span: tuple[int, int] | None) -> str:
    if span is None:
        return text
    a, b = max(0, span[0]), min(len(text), span[1])
    return text[:a] + " " * (b - a) + text[b:]


def _kind(p: ParsedSentence, body: str, claimed: Claimed) -> SentenceKind:
    if is_abstention(p.text):
        return SentenceKind.ABSTENTION
    if is_enumerator(p.text):
        return SentenceKind.CONNECTIVE
    plain = claimed.name is None and not names(body) and not numbers(body)
    if plain and len(content_terms(body)) <= 1:
        return SentenceKind.CONNECTIVE
    return SentenceKind.CLAIM


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
            text = with_marker(s.text, policy.unverified_marker)
        else:
            text = with_marker(s.text, "".join(f"[{c.n}]" for c in s.citations))
        if parts:
            parts.append(p.separator or " ")
        parts.append(text)
    return "".join(parts)


def _without_unquoted_contacts(sentence: AnswerSentence) -> AnswerSentence:
    """Drop a sentence naming a web address, e-mail or phone number its quotes do not hold."""
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


def _without_planted_words(
    sentence: AnswerSentence, withheld: Sequence[str], policy: VerifyPolicy
) -> AnswerSentence:
    """Drop a sentence whose content words are mostly those of one withheld planted passage."""
    wanted = content_terms(sentence.text)
    if not wanted or sentence.status is VerificationStatus.DROPPED:
        return sentence
    for text in withheld:
        present = set(terms(text))
        if sum(t in present for t in wanted) / len(wanted) >= policy.max_withheld_overlap:
            return sentence.model_copy(
                update={
                    "status": VerificationStatus.DROPPED,
                    "reason": "it repeats instruction-like text withheld from the documents",
                    "citations": [],
                }
            )
    return sentence


def verify_answer(
    answer_text: str,
    evidence: Evidence,
    *,
    speaker: str | None = None,
    speakers: SpeakerCheck | None = None,
    similarity: Similarity | None = None,
    policy: VerifyPolicy = VerifyPolicy(),
) -> VerifiedAnswer:
    """Check every sentence of a model's answer against the evidence sentences it cites.

    Args:
        answer_text: The model's raw answer; ``[n]`` refers to ``evidence.sentences[n - 1]``.
        evidence: The numbered evidence sentences and their documents.
        speaker: The person the question asks about (inherited by a follow-up): the implied
            speaker of sentences that name no one.
        speakers: Who speaks where (the statement index); without it, the speakers the
            evidence carries are used.
        similarity: Dense similarity for (d); without it, only word overlap counts.
        policy: Thresholds, and whether unsupported sentences are kept marked or dropped.

    Returns:
        The verified answer; it never raises on odd input.
    """
    verifier = _Verifier(evidence, policy, speakers, similarity)
    parsed = parse_answer(answer_text, n_sources=len(evidence.sentences))
    sentences: list[AnswerSentence] = []
    kinds: list[SentenceKind] = []
    current = speaker  # who "He …" refers to: the last person the answer credited
    for p in parsed:
        # A label of the prompt copied into the answer is no claim of the source's.
        unlabelled = EVIDENCE_LABEL.sub(lambda m: " " * len(m.group(0)), p.text)
        claimed = claimed_speaker(unlabelled)
        body = _blank(unlabelled, claimed.span)
        meta = META_PREFIX.match(body)
        body = _blank(body, meta.span() if meta else None)
        if speaker:
            body = " ".join(
                w for w in body.split() if name_key(w) not in {name_key(x) for x in speaker.split()}
            )
        kind = _kind(p, body, claimed)
        kinds.append(kind)
        if kind is not SentenceKind.CLAIM:
            note = f"no claim to check ({kind.value})"
            sentences.append(
                AnswerSentence(text=p.text, status=VerificationStatus.VERIFIED, reason=note)
            )
            continue
        who = claimed.name or current
        explicit = claimed.name is not None
        if claimed.name:
            current = claimed.name
        notes: list[str] = []
        valid = [n for n in p.cited if 1 <= n <= len(verifier.sources)]
        for n in p.cited:
            if n not in valid:
                notes.append(f"[{n}] cites a sentence that was not given; removed")
        kept: list[Citation] = []
        failures: list[str] = []
        for n in valid:
            source = verifier.sources[n - 1]
            result = verifier.check(p.text, body, [source], who, explicit)
            if result.ok:
                kept.append(_citation(source, result))
            else:
                failures.append(f"[{n}] {result.why}")
        if not kept and len(valid) > 1:
            together = [verifier.sources[n - 1] for n in valid]
            result = verifier.check(p.text, body, together, who, explicit)
            if result.ok:
                kept = [_citation(s, result) for s in together]
                failures = []
        if kept:
            notes += [f"{f}; removed" for f in failures]
            status = VerificationStatus.CORRECTED if notes else VerificationStatus.VERIFIED
            sentences.append(
                AnswerSentence(
                    text=p.text, status=status, reason="; ".join(notes) or None, citations=kept
                )
            )
            continue
        moved = None
        for source in verifier.sources:
            if source.n in valid:
                continue
            result = verifier.check(p.text, body, [source], who, explicit)
            if result.ok and result.overlap >= policy.min_overlap:
                moved = _citation(source, result)
                break
        if moved is None:
            # A sentence that joins two sentences of one article ("… in Geneva on February 26
            # [3]" where [1] has the date): both together, cited together.
            for n in valid:
                cited = verifier.sources[n - 1]
                for other in verifier.sources:
                    if abs(other.n - n) != 1 or other.hit.doc_id != cited.hit.doc_id:
                        continue
                    result = verifier.check(p.text, body, [cited, other], who, explicit)
                    if result.ok:
                        pair = [_citation(s, result) for s in sorted([cited, other], key=_n)]
                        notes.append(f"citation added: [{other.n}] (with [{n}])")
                        kept = pair
                        break
                if kept:
                    break
        if kept:
            sentences.append(
                AnswerSentence(
                    text=p.text,
                    status=VerificationStatus.CORRECTED,
                    reason="; ".join(notes),
                    citations=kept,
                )
            )
            continue
        if moved is not None:
            what = "citation moved" if valid else "citation added"
            notes.append(f"{what}: [{moved.n}]" + (f" ({'; '.join(failures)})" if failures else ""))
            sentences.append(
                AnswerSentence(
                    text=p.text,
                    status=VerificationStatus.CORRECTED,
                    reason="; ".join(notes),
                    citations=[moved],
                )
            )
            continue
        notes += failures or ["no evidence sentence supports it"]
        status = (
            VerificationStatus.UNVERIFIED if policy.keep_unverified else VerificationStatus.DROPPED
        )
        sentences.append(AnswerSentence(text=p.text, status=status, reason="; ".join(notes)))
    sentences = [_without_unquoted_contacts(s) for s in sentences]
    sentences = [_without_planted_words(s, evidence.withheld, policy) for s in sentences]
    claims = [s for s, k in zip(sentences, kinds, strict=True) if k is SentenceKind.CLAIM]
    supported = any(
        s.status in (VerificationStatus.VERIFIED, VerificationStatus.CORRECTED) for s in claims
    )
    return VerifiedAnswer(
        answer=_render(parsed, sentences, kinds, policy),
        sentences=sentences,
        kinds=kinds,
        supported=supported,
        model_abstained=not claims and SentenceKind.ABSTENTION in kinds,
    )
