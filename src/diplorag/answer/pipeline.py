"""The answer pipeline: query → retrieve → evidence → relevance → generate → verify → ``Answer``.

``Pipeline.ask`` runs the steps in order; each step is a function of its own module and is
tested alone. Three routes:

* **a question about a topic**: the retrieved passages' sentences are the candidates;
* **"What did X say about Y?"** (X known to the ``StatementSource``): X's statements are the
  candidates when they are about Y (a shared word, or close in meaning while the documents
  cover Y) and no one else's statement fits clearly better; verification then refuses any
  sentence the source attributes to someone else. When a statement by someone else fits
  better, the answer is an abstention that names who said it, with the quote. X asked by
  role ("Beijing's defence ministry") whose resolution does not speak to Y: the topic's
  passages answer, with no implied speaker. Otherwise the answer abstains and lists what X
  does speak about;
* **X not known**: if no retrieved document mentions X, the answer says so and suggests close
  names; otherwise as a topic, with X as the implied speaker.

When the evidence is relevant but no sentence of the model survives verification (or the model
says it does not know), the best evidence sentences are the answer, under "The documents say:".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from diplorag.answer import SpeakerCheck, StatementSource
from diplorag.answer.conversation import Conversation
from diplorag.answer.evidence import (
    Candidate,
    Evidence,
    EvidencePolicy,
    candidates_from_hits,
    candidates_from_statements,
    holds_answer_type,
    score_candidates,
    select_evidence,
)
from diplorag.answer.generate import generate_answer
from diplorag.answer.markers import strip_markers
from diplorag.answer.query import Query, build_query
from diplorag.answer.relevance import Relevance, RelevancePolicy, judge
from diplorag.answer.similarity import Similarity
from diplorag.answer.verify import VerifyPolicy, claimed_speaker, verify_answer
from diplorag.generate import Generator
from diplorag.text.analyze import content_terms, entity_keys, name_key, numbers, terms
from diplorag.types import (
    Answer,
    AnswerSentence,
    Citation,
    Filters,
    Hit,
    Statement,
    VerificationStatus,
)

__all__ = ["ABSTAIN_TEXT", "QUOTES_HEADING", "Pipeline"]

ABSTAIN_TEXT = "The indexed documents do not say."
QUOTES_HEADING = "The documents say:"

Search = Callable[[str, int], list[Hit]]
DocumentText = Callable[[str], str | None]
OnEvidence = Callable[[list[Hit], str | None], None]


@dataclass
class Pipeline:
    """The steps, wired to one index, embedder, model and statement source.

    Attributes:
        search: ``(text, k) -> hits`` with the retrieval mode and filters bound.
        document_text: ``doc_id -> text`` (what offsets point into).
        generator: Returns the language model (loaded on first use).
        similarity: Dense similarity with the index's embedder.
        statements: Who said what (``None``: questions about people are read as topics).
        speakers: Who speaks where, for verification.
        filters: Date and source filters, passed to the statement source.
        withheld: ``doc_id ->`` the instruction-like passages ``document_text`` blanked in that
            document (``api.Session.evidence_text``): counted into
            ``Answer.removed_instructions``, and an answer sentence repeating one is dropped.
    """

    search: Search
    document_text: DocumentText
    generator: Callable[[], Generator]
    similarity: Similarity | None = None
    statements: StatementSource | None = None
    speakers: SpeakerCheck | None = None
    filters: Filters | None = None
    withheld: Callable[[str], list[str]] | None = None
    max_tokens: int = 256
    passages: int = 12
    evidence_policy: EvidencePolicy = field(default_factory=EvidencePolicy)
    relevance_policy: RelevancePolicy = field(default_factory=RelevancePolicy)
    verify_policy: VerifyPolicy = field(default_factory=VerifyPolicy)
    constrained: bool = True

    # -- steps ------------------------------------------------------------------------------

    def documents(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out = {}
        for doc_id in dict.fromkeys(doc_ids):
            text = self.document_text(doc_id)
            if text is not None:
                out[doc_id] = text
        return out

    def topic_candidates(self, query: Query) -> tuple[list[Candidate], dict[str, str]]:
        """Retrieve for the query and score the sentences of what came back."""
        hits = self.search(query.search_text, self.passages)
        documents = self.documents([h.doc_id for h in hits])
        candidates = candidates_from_hits(hits, documents, self.evidence_policy)
        return score_candidates(query, candidates, documents, self.similarity), documents

    def statement_candidates(
        self, query: Query, statements: Sequence[Statement]
    ) -> tuple[list[Candidate], dict[str, str]]:
        documents = self.documents([s.doc_id for s in statements])
        candidates = candidates_from_statements(statements, documents)
        return score_candidates(query, candidates, documents, self.similarity), documents

    # -- the whole question ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        conversation: Conversation | None = None,
        on_evidence: OnEvidence | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` (see the module docstring for the routes)."""
        began = time.perf_counter()
        timings: dict[str, float] = {}
        query = build_query(question, conversation, self.statements)
        route = self._route(query)
        timings["retrieval_s"] = time.perf_counter() - began
        if isinstance(route, Answer):
            route.timings.update(timings)
            if on_evidence:
                on_evidence(route.evidence, route.abstain_reason)
            if conversation is not None:
                conversation.add(query, route)
            return route
        choice, candidates, documents, relevance, query = route
        evidence = select_evidence(candidates, documents, self.evidence_policy)
        if self.withheld is not None:
            sources = dict.fromkeys(h.doc_id for h in evidence.sentences)
            evidence.withheld = [text for doc_id in sources for text in self.withheld(doc_id)]
            evidence.removed += len(evidence.withheld)
        timings["evidence_s"] = time.perf_counter() - began
        if on_evidence:
            on_evidence(evidence.sentences, None)
        history = conversation.history() if conversation is not None and query.follow_up else ()
        load = time.perf_counter()
        generator = self.generator()
        if time.perf_counter() - load > 0.5:
            timings["model_load_s"] = time.perf_counter() - load
        gen_start = time.perf_counter()
        generated = generate_answer(
            generator,
            query,
            evidence,
            max_tokens=self.max_tokens,
            history=history,
            on_token=on_token,
            constrained=self.constrained,
        )
        if "model_first_token_wall_s" in generated.timings:
            timings["first_token_s"] = (
                gen_start - began + generated.timings["model_first_token_wall_s"]
            )
        timings["generation_s"] = generated.timings["generation_s"]
        stats = generated.stats
        if stats is not None:
            timings["model_first_token_s"] = stats.first_token_seconds
            timings["tokens_per_s"] = stats.tokens_per_second
            timings["prompt_tokens"] = float(stats.prompt_tokens)
            timings["completion_tokens"] = float(stats.completion_tokens)
        verify_start = time.perf_counter()
        verified = verify_answer(
            generated.raw,
            evidence,
            speaker=query.speaker_name,
            speakers=self.speakers,
            similarity=self.similarity,
            policy=self.verify_policy,
        )
        timings["verify_s"] = time.perf_counter() - verify_start
        missing = None
        if verified.supported:
            missing = (
                _unanswered(query, verified.sentences)
                or _restates(query, verified.sentences)
                or _unsupported_topic(query, verified.sentences)
            )
            if missing is None and choice == "own":
                missing = _not_from_speaker(query, verified.sentences, evidence) or (
                    _partial_statement(query, verified.sentences, evidence)
                )
        timings["relevance"] = relevance.score
        answer = Answer(
            question=question,
            answer=verified.answer,
            abstained=False,
            sentences=verified.sentences,
            evidence=evidence.sentences,
            model=generator.name,
            interrupted=generated.interrupted,
            removed_instructions=evidence.removed,
            speaker=query.speaker_name,
            timings=timings,
        )
        if not verified.supported or missing is not None:
            why = (
                missing
                if missing is not None
                else "the model found no answer in the evidence"
                if verified.model_abstained or not generated.raw.strip()
                else "no sentence of the model's answer held up against the evidence"
            )
            floor = self.relevance_policy.min_quote_score
            if choice == "own":  # the person is matched already: their route's own floor
                floor = min(floor, self.relevance_policy.min_own_score)
            if relevance.score >= floor:
                self._quote_instead(answer, evidence, why)
            else:
                answer.abstained, answer.outcome = True, "abstained"
                answer.answer, answer.abstain_reason = ABSTAIN_TEXT, why
        timings["total_s"] = time.perf_counter() - began
        if conversation is not None:
            conversation.add(query, answer)
        return answer

    # -- routes -----------------------------------------------------------------------------

    def signals(self, query: Query) -> Signals:
        """Every candidate set a route may use, scored: what ``decide`` chooses from."""
        topic, topic_docs = self.topic_candidates(query)
        sig = Signals(query=query)
        # The documents the question's own retrieval found best: who spoke there spoke on it.
        best = sorted(topic, key=self.relevance_policy.combine, reverse=True)
        found = list(dict.fromkeys(c.hit.doc_id for c in best))[
            : self.relevance_policy.others_documents
        ]
        name = query.asked or query.speaker_name  # as the question writes it ("Seoul")
        if name is not None:
            topic = [c for c in topic if _mentions(topic_docs, c.hit.doc_id, name)]
        sig.topic = Route(topic, topic_docs, judge(topic, self.relevance_policy))
        if query.speaker is not None and self.statements is not None:
            speaker = query.speaker
            windowed = self._windowed(query)
            own = self.statements.said(speaker.speaker_id, query.topic, 20, windowed) or (
                self.statements.said(speaker.speaker_id, query.topic, 20, self.filters)
                if windowed is not self.filters
                else []
            )
            cands, docs = self.statement_candidates(query, own)
            sig.own = Route(cands, docs, judge(cands, self.relevance_policy))
            said = self.statements.who_said(query.topic, 10, windowed, found) or (
                self.statements.who_said(query.topic, 10, self.filters, found)
                if windowed is not self.filters
                else []
            )
            others = [
                s
                for s in said
                if s.speaker_id is None
                or not _is(self.speakers, speaker.name, s.speaker_id, speaker.speaker_id)
            ]
            cands, docs = self.statement_candidates(query, others)
            sig.others = Route(cands, docs, judge(cands, self.relevance_policy))
        return sig

    def _windowed(self, query: Query) -> Filters | None:
        """The filters with the question's own dates ("… in March 2017") where the user set
        none: statements are looked up in that window first, and without it if it holds
        none (a soft filter; the user's ``--since``/``--until`` win)."""
        if query.window is None or (self.filters and (self.filters.since or self.filters.until)):
            return self.filters
        since, until = query.window
        source = self.filters.source if self.filters else None
        return Filters(since=since, until=until, source=source)

    def _route(
        self, query: Query
    ) -> Answer | tuple[str, list[Candidate], dict[str, str], Relevance, Query]:
        """The route ``decide`` chooses: an answer that is not the model's, or the candidates
        to answer from with the query as generation and verification read it."""
        sig = self.signals(query)
        choice = decide(sig, self.relevance_policy)
        if choice == "unknown":
            return self._unknown_speaker(query)
        if choice == "own" and sig.own is not None:
            return choice, sig.own.candidates, sig.own.documents, sig.own.relevance, query
        if choice == "topic":
            if sig.own is not None and by_role(query.asked):
                # The role's resolution did not speak to it: no one is implied.
                query = replace(query, asked=None, speaker=None)
            return choice, sig.topic.candidates, sig.topic.documents, sig.topic.relevance, query
        if choice == "others" and sig.others is not None:
            ranked = sorted(sig.others.candidates, key=self.relevance_policy.combine, reverse=True)
            # Name whoever said it: a sentence that carries several people's words ("barely
            # two months after Xi announced …, Modi told China …") names no one for sure.
            named = self._named_instead(ranked)
            return self._someone_else(query, self._colleague_first(self._colleagues(query), named))
        if query.speaker is not None and sig.own is not None:
            subjects = list(dict.fromkeys(c.hit.title for c in sig.own.candidates if c.hit.title))
            about = "; ".join(subjects[:3])
            reason = f"the documents attribute nothing on this to {query.speaker.name}"
            if about:
                reason += f"; they quote {query.speaker.name} on: {about}"
            return self._abstain(query, reason, [c.hit for c in sig.own.candidates[:3]])
        return self._abstain(
            query, sig.topic.relevance.reason, [c.hit for c in sig.topic.candidates[:3]]
        )

    # -- answers that are not the model's -----------------------------------------------------

    def _abstain(self, query: Query, reason: str | None, closest: list[Hit]) -> Answer:
        return Answer(
            question=query.text,
            answer=ABSTAIN_TEXT,
            abstained=True,
            abstain_reason=reason,
            outcome="abstained",
            evidence=[h.model_copy(update={"rank": n}) for n, h in enumerate(closest, start=1)],
            speaker=query.speaker_name,
        )

    def _unknown_speaker(self, query: Query) -> Answer:
        assert query.asked is not None
        close = self.statements.suggest(query.asked) if self.statements is not None else []
        text = f"The documents do not mention {query.asked}."
        if close:
            text += " Did you mean: " + ", ".join(close) + "?"
        answer = self._abstain(query, f"no document found mentions {query.asked}", [])
        answer.answer = text
        return answer

    def _named_instead(self, ranked: list[Candidate]) -> list[Candidate]:
        """Who said it, from the others' candidates best first: the best sentence that is one
        person's words, and each other person's best within ``others_near`` of it (a claim
        and the reply to it are both on the topic)."""
        policy = self.relevance_policy
        sole = [c for c in ranked if self._sole_speaker(c)]
        if not sole:
            return ranked[:1]
        floor = policy.combine(sole[0]) - policy.others_near
        named: dict[str, Candidate] = {}
        for c in sole:
            key = c.speaker or ""
            if policy.combine(c) < floor or len(named) >= policy.others_named:
                break
            named.setdefault(key, c)
        return list(named.values())

    def _colleagues(self, query: Query) -> Route:
        """Statements on the topic by people of the asked person's government and field,
        looked up only on the route that names someone else."""
        assert query.speaker is not None and self.statements is not None
        near = self.statements.colleagues_said(query.speaker, query.topic, 5, self._windowed(query))
        cands, docs = self.statement_candidates(query, near)
        return Route(cands, docs, judge(cands, self.relevance_policy))

    def _colleague_first(self, colleagues: Route, named: list[Candidate]) -> list[Candidate]:
        """``named``, led by the best statement of a colleague of the asked person when one
        is on the topic (its relevance passes) and not named already: "not Lavrov; Deputy
        Foreign Minister Bogdanov said …" is the answer an analyst asked for."""
        if not colleagues.relevance.covered:
            return named
        ranked = sorted(colleagues.candidates, key=self.relevance_policy.combine, reverse=True)
        best = next((c for c in ranked if self._sole_speaker(c)), None)
        if best is None or best.speaker in {c.speaker for c in named}:
            return named
        return [best, *named]

    def _someone_else(self, query: Query, named: list[Candidate]) -> Answer:
        name = query.speaker_name
        hits = [c.hit.model_copy(update={"rank": n}) for n, c in enumerate(named, start=1)]
        answer = self._abstain(query, f"the documents do not attribute this to {name}", hits)
        answer.sentences = []
        for n, (c, hit) in enumerate(zip(named, hits, strict=True), start=1):
            who = c.speaker or "Someone else"
            citation = Citation.of(hit, n, c.speaker, c.score)
            answer.sentences.append(
                AnswerSentence(
                    text=f"{who} said: “{' '.join(hit.text.split())}” [{n}]",
                    status=VerificationStatus.VERIFIED,
                    reason=f"quoted from the source; its speaker is {who}, not {name}",
                    citations=[citation],
                )
            )
        said = " ".join(s.text for s in answer.sentences)
        answer.answer = f"The documents do not attribute this to {name}. {said}"
        return answer

    def _sole_speaker(self, c: Candidate) -> bool:
        """Whether every statement the sentence carries is by ``c.speaker`` (a sentence that
        also reports someone else's words is quoted without a speaker in front)."""
        if self.speakers is None:
            return True
        found = self.speakers.statements_in(c.hit.doc_id, c.hit.start, c.hit.end)
        return {s.speaker for s in found if s.speaker} <= {c.speaker}

    def _quote_instead(self, answer: Answer, evidence: Evidence, why: str) -> None:
        """Make the best evidence sentences the answer (the model's sentences stay listed)."""
        shown = {(h.doc_id, h.start) for h in evidence.sentences}
        best = [c for c in evidence.candidates if (c.hit.doc_id, c.hit.start) in shown]
        # What the question asks for first.
        best = sorted(best, key=lambda c: (not c.answers, not c.typed))[:2]
        if not best:
            answer.abstained, answer.outcome = True, "abstained"
            answer.answer, answer.abstain_reason = ABSTAIN_TEXT, why
            return
        lines = [QUOTES_HEADING]
        quotes = []
        for c in best:
            n = next(
                h.rank
                for h in evidence.sentences
                if h.doc_id == c.hit.doc_id and h.start == c.hit.start
            )
            who = f"{c.speaker}: " if c.speaker and self._sole_speaker(c) else ""
            text = f"{who}“{' '.join(c.hit.text.split())}” [{n}]"
            lines.append(text)
            quotes.append(
                AnswerSentence(
                    text=text,
                    status=VerificationStatus.VERIFIED,
                    reason="an exact evidence sentence, shown because " + why,
                    citations=[Citation.of(c.hit, n, c.speaker, c.score)],
                )
            )
        unverified = [
            s.model_copy(update={"status": VerificationStatus.DROPPED, "citations": []})
            for s in answer.sentences
        ]
        answer.outcome = "quoted"
        answer.answer = "\n".join(lines)
        answer.abstain_reason = why
        answer.sentences = quotes + unverified


@dataclass
class Route:
    """One set of candidates and its relevance verdict."""

    candidates: list[Candidate]
    documents: dict[str, str]
    relevance: Relevance


@dataclass
class Signals:
    """What the routes found for one query (see ``decide``)."""

    query: Query
    topic: Route = field(default_factory=lambda: Route([], {}, judge([])))
    own: Route | None = None  # the asked speaker's statements
    others: Route | None = None  # statements on the topic by anyone else


def decide(sig: Signals, policy: RelevancePolicy) -> str:
    """Which route answers: ``own``, ``topic``, ``others`` (abstain, naming who said it),
    ``unknown`` (the asked person is in no document found) or ``abstain``.

    Pure, so ``benchmarks/relevance.py`` replays it over thresholds.
    """
    q = sig.query

    def ok(route: Route | None, floor: float = policy.min_score) -> bool:
        return route is not None and bool(route.candidates) and route.relevance.score >= floor

    if sig.own is not None:
        own, others, topic = sig.own, sig.others, sig.topic
        # The asked person's own statements answer when they are about the topic: they
        # share a word of it that is not a name, or, while the documents cover the topic,
        # the best of them means it. "What did Kim say about Seoul's population?" is not
        # answered by Kim's words on Seoul's AI plans (no shared word, far in meaning).
        about = _speaks_to(own, q) or (
            ok(topic) and max(own.candidates, key=policy.combine).dense >= policy.min_own_dense
        )
        clearly_someone_else = (
            ok(others)
            and others is not None
            and others.relevance.score - own.relevance.score >= policy.others_margin
        )
        if ok(own, policy.min_own_score) and about and not clearly_someone_else:
            return "own"
        # Asked by role ("Beijing's defence ministry", "the Pentagon spokesman"), the person
        # is a description the index may resolve wrongly: the topic's passages answer, and
        # verification checks whoever the answer names.
        if by_role(q.asked) and ok(topic):
            return "topic"
        if (
            ok(others)
            and others is not None
            and (not ok(topic) or others.relevance.score >= topic.relevance.score)
        ):
            return "others"
        # A person asked about by name who does not speak to the topic: abstain (the answer
        # lists what they do speak about); any passage on the topic would credit them with
        # words that are not theirs.
        return "abstain"
    if q.asked is not None and not sig.topic.candidates:
        return "unknown"
    return "topic" if ok(sig.topic) else "abstain"


_PARTICLES = {"al", "el", "de", "da", "di", "del", "der", "van", "von", "bin", "ibn", "le", "la"}


def by_role(asked: str | None) -> bool:
    """Whether the question names a person by role ("Putin's press secretary", "the Pentagon
    spokesman") rather than by name ("Staffan de Mistura", "Bashar al-Assad")."""
    if not asked:
        return False
    if "'s " in asked or "’s " in asked:
        return True
    return any(w[:1].islower() and w.split("-")[0] not in _PARTICLES for w in asked.split())


_SHOWN = (VerificationStatus.VERIFIED, VerificationStatus.CORRECTED)


def _kept(sentences: Sequence[AnswerSentence]) -> list[AnswerSentence]:
    """The model's sentences that survived verification."""
    return [s for s in sentences if s.status in _SHOWN]


def _kept_text(sentences: Sequence[AnswerSentence]) -> str:
    """Their text without citation markers (a "[3]" is no number of the answer)."""
    return " ".join(strip_markers(s.text)[0] for s in _kept(sentences))


def _unanswered(query: Query, sentences: Sequence[AnswerSentence]) -> str | None:
    """Why the verified sentences do not answer what the question asks for (``None``: they
    do). "Who …?" needs a name the question does not give, "How many …?" a number it does
    not give, "Where …?" a place: "The Dutch defense minister who met Kim is [1]." holds up
    against its source and still answers nothing."""
    if query.asks is None:
        return None
    kept = _kept_text(sentences)
    if holds_answer_type(query, [kept])[0]:
        return None
    if query.asks == "number":
        return "the model's answer gives no number"
    return f"the model's answer names no {'one' if query.asks == 'person' else 'place'}"


def _restates(query: Query, sentences: Sequence[AnswerSentence]) -> str | None:
    """Why the verified sentences only say the question back (``None``: they add something).

    "The Vice Minister said emerging technologies need international norms in the military
    domain [3]." asked "What emerging technology did Kang say needs international norms …?"
    holds up against its source and names no technology: every word of it is the question's
    or the speaker's."""
    kept = _kept_text(sentences)
    given = set(terms(query.text)) | set(terms(query.previous or ""))
    speaker = query.speaker
    # Unless the question asks who, the name a sentence credits is who, not what: "Osorio
    # Chong asked both sides when Tillerson and Kelly came to Mexico City [3]." says nothing.
    kept_sentences = _kept(sentences) if query.asks != "person" else []
    credited = [claimed_speaker(s.text).name for s in kept_sentences]
    for name in (
        query.asked,
        speaker.name if speaker else None,
        *(speaker.roles if speaker else []),
        *credited,
    ):
        given |= set(terms(name or ""))
    if set(content_terms(kept)) - given or numbers(kept) - query.numbers:
        return None
    return "the model's answer only restates the question"


_TOPIC_MISSES = 2  # topic words a sentence may use that its sources lack: "the country" (Sweden)


def _unsupported_topic(query: Query, sentences: Sequence[AnswerSentence]) -> str | None:
    """Why the verified sentences credit their sources with the question's topic (``None``:
    a source holds it). Asked "What did Kim ask Singapore regarding South Korean weapons?",
    "Kim asked Singapore regarding South Korean weapons in a separate meeting with Hoo [2]."
    holds up against [2] by its names, but [2] is about Singapore's support, not weapons: the
    words the answer takes from the question are its claim, and its sources must hold them.
    Two or more such words missing from every cited sentence fail it (one is often a
    paraphrase: "the country" for "the Nordic nation")."""
    kept = _kept(sentences)
    topic = set(query.content)
    if not kept or not topic:
        return None
    worst: list[str] = []
    for s in kept:
        cited = " ".join(c.quote for c in s.citations)
        held, folded = set(terms(cited)), cited.lower()
        # A term inside a damaged word counts ("after-Tehran" holds "tehran").
        lacking = sorted(
            t
            for t in set(content_terms(strip_markers(s.text)[0])) & topic
            if t not in held and t not in folded
        )
        if len(lacking) < _TOPIC_MISSES:
            return None
        worst = worst or lacking
    return f"the model's answer says {', '.join(worst)}, which its sources do not"


def _not_from_speaker(
    query: Query, sentences: Sequence[AnswerSentence], evidence: Evidence
) -> str | None:
    """Why an answer from the asked person's statements does not give them (``None``: it
    does). Asked what X said, an answer that cites only the context sentences shown beside
    X's statements ("Mr Tillerson spoke shortly after visiting the DMZ [4].") holds up
    against its source and still says nothing X said."""
    name = query.speaker_name
    if name is None:
        return None
    for s in _kept(sentences):
        for c in s.citations:
            if 0 < c.n <= len(evidence.speakers) and evidence.speakers[c.n - 1] == name:
                return None
    return f"the model's answer cites none of {name}'s statements"


def _partial_statement(
    query: Query, sentences: Sequence[AnswerSentence], evidence: Evidence
) -> str | None:
    """Why an answer from X's statements passes over the one that speaks to the whole topic
    (``None``: it cites such a statement, or none is shown). Asked what Kang said about "the
    role of the Conference on Disarmament", "Kang shared the Korean government's position on
    disarmament [1]" cites a statement of hers that holds two of the topic's three words,
    while [3] ("…the paramount importance of the CD's role…") holds all three: the quotes
    (the best two shown statements, [3] among them here) answer instead."""
    name = query.speaker_name
    if name is None:
        return None
    shown = {(h.doc_id, h.start): n for n, h in enumerate(evidence.sentences, start=1)}
    coverage = {
        shown[(c.hit.doc_id, c.hit.start)]: c.lexical
        for c in evidence.candidates
        if (c.hit.doc_id, c.hit.start) in shown
    }
    whole = [
        n
        for n, share in sorted(coverage.items())
        if share >= _WHOLE_TOPIC and evidence.speakers[n - 1] == name
    ]
    if not whole:
        return None
    cited = {c.n for s in _kept(sentences) for c in s.citations}
    if any(coverage.get(n, 0.0) >= _WHOLE_TOPIC for n in cited):
        return None
    return f"the model's answer passes over {name}'s statement on the whole question [{whole[0]}]"


_WHOLE_TOPIC = 0.999  # lexical coverage of every topic term (``coverage`` is a share)


def _speaks_to(route: Route, q: Query) -> bool:
    """Whether the asked person's statements share a topic word that is not a name.

    Names alone ("Seoul") do not make a statement about "Seoul's population"; a statement
    about it shares a word of what is asked about, in it or in the sentence before it.
    """
    named = set(terms(" ".join(q.names), keep_stop_words=True))
    wanted = [t for t in q.content if t not in named]
    if not wanted:
        return True
    for c in route.candidates:
        doc = route.documents.get(c.hit.doc_id, "")
        context = doc[max(0, c.hit.start - 240) : c.hit.end] if doc else c.hit.text
        if set(wanted) & set(terms(context)):
            return True
    return False


def _mentions(documents: dict[str, str], doc_id: str, name: str) -> bool:
    keys = entity_keys(documents.get(doc_id, ""))
    words = [w for w in name.split() if w[:1].isupper()]
    return bool(words) and name_key(words[-1]) in keys


def _is(check: SpeakerCheck | None, name: str, speaker_id: str, own_id: str) -> bool:
    if speaker_id == own_id:
        return True
    return check.same_person(name, speaker_id) if check is not None else False
