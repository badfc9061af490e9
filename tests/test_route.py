"""``answer.pipeline.decide``: which route answers, from scored candidate sets (no index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from diplorag.answer.evidence import (
    Candidate,
    Evidence,
    EvidencePolicy,
    asked_action,
    coverage,
    holds_answer_type,
    select_evidence,
)
from diplorag.answer.pipeline import (
    Pipeline,
    Route,
    Signals,
    _not_from_speaker,
    _partial_statement,
    _restates,
    _unanswered,
    _unsupported_topic,
    by_role,
    decide,
)
from diplorag.answer.query import Query, answer_type, build_query, focus_terms
from diplorag.answer.relevance import RelevancePolicy, judge
from diplorag.statements.question import speaker_phrases
from diplorag.types import (
    AnswerSentence,
    Citation,
    Hit,
    Speaker,
    Statement,
    VerificationStatus,
)

POLICY = RelevancePolicy()


def _hit(text: str, doc_id: str = "d", rank: int = 1) -> Hit:
    """One whole-document sentence as retrieval returns it."""
    return Hit(
        rank=rank,
        score=0.0,
        chunk_id=doc_id,
        doc_id=doc_id,
        title="t",
        published=None,
        source=None,
        path=f"{doc_id}.txt",
        start=0,
        end=len(text),
        text=text,
    )


def _route(text: str, dense: float, lexical: float, entities: float = 1.0) -> Route:
    cand = Candidate(_hit(text), dense=dense, lexical=lexical, entities=entities)
    return Route([cand], {"d": text}, judge([cand], POLICY))


def _query(asked: str, topic: str, content: tuple[str, ...]) -> Query:
    speaker = Speaker(speaker_id="s1", name=asked, kind="PERSON", statements=3, documents=1)
    return Query(
        text=topic, search_text=topic, asked=asked, speaker=speaker, topic=topic, content=content
    )


Q = _query("Hua Chunying", "expect from the Trump team on Taipei", ("expect", "team", "taipei"))


def test_own_statements_answer_when_they_share_a_topic_word() -> None:
    sig = Signals(
        Q,
        topic=_route("x", 0.5, 0.5),
        own=_route("Hua said Taipei must stay", 0.44, 0.34),
        others=_route("y", 0.55, 0.5),
    )
    assert decide(sig, POLICY) == "own"


def test_own_statements_answer_by_meaning_when_the_documents_cover_the_topic() -> None:
    sig = Signals(Q, topic=_route("x", 0.6, 0.5), own=_route("one-China principle", 0.5, 0.4))
    assert decide(sig, POLICY) == "own"


def test_own_statements_far_in_meaning_with_no_shared_word_abstain() -> None:
    # "What did Kim say about Seoul's population?" against Kim's words on AI in Seoul.
    sig = Signals(Q, topic=_route("x", 0.6, 0.5), own=_route("AI norms matter", 0.25, 0.6))
    assert decide(sig, POLICY) == "abstain"


def test_a_clearly_better_statement_by_someone_else_is_named() -> None:
    sig = Signals(
        Q,
        topic=_route("x", 0.4, 0.3),
        own=_route("Hua said Taipei", 0.42, 0.3),
        others=_route("z", 0.8, 0.7),
    )
    assert decide(sig, POLICY) == "others"


def test_a_person_asked_by_role_falls_back_to_the_topic_passages() -> None:
    q = _query("Beijing's defence ministry", "accuse Japanese F-15s", ("accuse", "japanese"))
    sig = Signals(
        q,
        topic=_route("x", 0.7, 0.4),
        own=_route("trade talks", 0.17, 0.0),
        others=_route("y", 0.7, 0.4),
    )
    assert decide(sig, POLICY) == "topic"
    named = _query("Shen Danyang", "accuse Japanese F-15s", ("accuse", "japanese"))
    assert (
        decide(Signals(named, topic=sig.topic, own=sig.own, others=sig.others), POLICY) == "others"
    )


@pytest.mark.parametrize(
    ("asked", "role"),
    [
        ("Putin's press secretary", True),
        ("Pentagon spokesman", True),
        ("Staffan de Mistura", False),
        ("Bashar al-Assad", False),
        ("Hua Chunying", False),
        (None, False),
    ],
)
def test_by_role(asked: str | None, role: bool) -> None:
    assert by_role(asked) is role


def test_according_to_names_the_person_asked_about() -> None:
    phrases = speaker_phrases(
        "According to Moscow's chief diplomat, is there any evidence that Tehran works with "
        "terrorists?"
    )
    assert (phrases[0].phrase, phrases[0].rank) == ("Moscow's chief diplomat", 1)


class _Speakers:
    """Statements by sentence start, as the statement index would report them."""

    def __init__(self, by_start: dict[int, list[str]]) -> None:
        self.by_start = by_start

    def statements_in(self, doc_id: str, start: int, end: int) -> list[Statement]:
        return [
            Statement(
                statement_id=i,
                doc_id=doc_id,
                path="d.txt",
                title="t",
                sentence_start=start,
                sentence_end=end,
                content_start=start,
                content_end=end,
                text="x",
                content="x",
                speaker=name,
                mention=name,
                predicate="say",
            )
            for i, name in enumerate(self.by_start.get(start, []))
        ]

    def same_person(self, name: str, speaker_id: str) -> bool:
        return False


def test_a_quoted_sentence_that_also_reports_someone_else_carries_no_speaker_label() -> None:
    pipeline = Pipeline(
        search=lambda text, k: [],
        document_text=lambda doc_id: None,
        generator=lambda: None,  # type: ignore[arg-type,return-value]
        speakers=_Speakers({0: ["Geng Shuang", "Clarke"], 50: ["Geng Shuang"]}),
    )
    mixed = _route("But Clarke said it could indicate a split; Geng Shuang said", 0.5, 0.5)
    mixed.candidates[0].speaker = "Geng Shuang"
    assert not pipeline._sole_speaker(mixed.candidates[0])
    own = _route("x", 0.5, 0.5).candidates[0]
    own.hit = own.hit.model_copy(update={"start": 50, "end": 51})
    own.speaker = "Geng Shuang"
    assert pipeline._sole_speaker(own)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who moderated the first plenary panel?", "person"),
        ("And who met Kim?", "person"),
        ("How many supplementary engines supported the main engine?", "number"),
        ("By how much did Sweden top up military spending?", "number"),
        ("In which coastal town did Japan stage its first evacuation drill?", "place"),
        ("Where did the talks take place?", "place"),
        ("What did Kang say about New START?", None),
        ("Which Islamic State official did Iraqi police say they killed?", "person"),
        ("Which minister said the talks had failed?", "person"),
        ("What did Mexico's foreign minister ask of both sides?", None),
        ("Which ministry did the report name?", None),
        ("Which Singapore-based contractor is at the centre of the case?", None),
    ],
)
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_an_answer_that_names_no_one_new_does_not_answer_who() -> None:
    q = Query(
        text="Who is the Dutch defense minister who met Kim Young-suk?",
        search_text="",
        asks="person",
    )
    assert holds_answer_type(
        q,
        [
            "The Dutch defense minister who met Kim Young-suk is.",
            "During the meeting with Dutch Defense Minister Ruben Brekelmans, Kim Young-suk "
            "highlighted the summit.",
        ],
    ) == [False, True]
    n = Query(
        text="How many defense ministers attended in 2024?",
        search_text="",
        asks="number",
        numbers=frozenset({"2024"}),
    )
    assert holds_answer_type(
        n,
        [
            "Defense ministers from five nations attended in 2024.",
            "Ministers attended the 14th Dialogue in 2024.",
        ],
    ) == [True, False]


def _cited(n: int, status: VerificationStatus = VerificationStatus.VERIFIED) -> AnswerSentence:
    citation = Citation(
        n=n,
        chunk_id="c",
        doc_id="d",
        title="t",
        path="d.txt",
        quote="q",
        quote_start=0,
        quote_end=1,
    )
    return AnswerSentence(text="s", status=status, citations=[citation])


def test_an_answer_on_what_someone_said_must_cite_one_of_their_statements() -> None:
    tillerson = _query("Rex Tillerson", "respond to the Korea Herald story", ("korea", "herald"))
    hits = [_route(t, 0.5, 0.5).candidates[0].hit for t in ("a", "b")]
    # [1] is the context sentence shown before [2], Tillerson's statement.
    evidence = Evidence(sentences=hits, speakers=[None, "Rex Tillerson"])
    assert _not_from_speaker(tillerson, [_cited(1)], evidence) == (
        "the model's answer cites none of Rex Tillerson's statements"
    )
    assert _not_from_speaker(tillerson, [_cited(1), _cited(2)], evidence) is None
    # A dropped sentence citing the statement does not count.
    dropped = _cited(2, VerificationStatus.DROPPED)
    assert _not_from_speaker(tillerson, [_cited(1), dropped], evidence) is not None


def test_focus_is_what_a_who_question_asks_the_person_to_have_done() -> None:
    assert focus_terms("Who moderated the first plenary panel?") == ("moderat",)
    assert focus_terms("And who chaired it?") == ("chair",)
    assert focus_terms("Who is the Dutch defense minister?") == ()
    assert focus_terms("What did Kang say about New START?") == ()


@pytest.mark.parametrize(
    ("question", "action"),
    [
        # A reporting verb is passed over for what was reported.
        (
            "Which Islamic State official did Iraqi police say they killed near the hospital?",
            "kill",
        ),
        # A verb that only carries its object gives the object.
        ("In which coastal town did Japan stage its first evacuation drill?", "drill"),
        ("Where did Kim meet Hoo?", "meet"),
    ],
)
def test_a_person_or_place_question_names_what_happened(question: str, action: str) -> None:
    assert asked_action(build_query(question)) == {action}
    assert asked_action(build_query("What did Kang say about New START?")) == set()


def _candidate(doc_id: str, start: int, score: float) -> Candidate:
    hit = _route("a sentence of several words", 0.5, 0.5).candidates[0].hit
    hit = hit.model_copy(update={"doc_id": doc_id, "start": start, "end": start + 27})
    return Candidate(hit, dense=score / 0.6)  # Candidate.score: 0.6 × dense, no other signal


def test_one_documents_further_sentences_fill_the_places_other_documents_leave() -> None:
    doc = "a sentence of several words " * 10
    one = [_candidate("d", 28 * i, s) for i, s in enumerate([1.0, 0.98, 0.96, 0.94, 0.92, 0.5])]
    evidence = select_evidence(one, {"d": doc}, EvidencePolicy(max_sentences=5, per_document=3))
    assert [h.start for h in evidence.sentences] == [0, 28, 56, 84, 112]
    weak = [*one[:3], _candidate("d", 84, 0.6), _candidate("d", 112, 0.95)]
    evidence = select_evidence(weak, {"d": doc}, EvidencePolicy(max_sentences=5, per_document=3))
    assert [h.start for h in evidence.sentences] == [0, 28, 56, 112]  # 0.6 is far from 1.0
    two = [*one[:4], _candidate("e", 0, 0.1)]
    evidence = select_evidence(two, {"d": doc, "e": doc}, EvidencePolicy(max_sentences=4))
    assert [(h.doc_id, h.start) for h in evidence.sentences] == [
        ("d", 0),
        ("d", 28),
        ("d", 56),
        ("e", 0),
    ]


def test_an_answer_that_only_restates_the_question_answers_nothing() -> None:
    kang = Speaker(
        speaker_id="p:kang",
        name="Kang Insun",
        kind="PERSON",
        statements=9,
        documents=1,
        roles=["Vice Minister"],
    )
    q = Query(
        text="What emerging technology did Vice Minister Kang say needs international norms "
        "in the military domain?",
        search_text="",
        asked="Vice Minister Kang",
        speaker=kang,
    )
    echo = AnswerSentence(
        text="The Vice Minister said emerging technologies need international norms in the "
        "military domain [3].",
        status=VerificationStatus.VERIFIED,
    )
    answer = AnswerSentence(
        text="Kang said norms are needed on artificial intelligence in the military domain [3].",
        status=VerificationStatus.VERIFIED,
    )
    assert _restates(q, [echo]) == "the model's answer only restates the question"
    assert _restates(q, [echo, answer]) is None
    dropped = answer.model_copy(update={"status": VerificationStatus.DROPPED})
    assert _restates(q, [echo, dropped]) is not None


def test_the_name_an_answer_credits_is_no_answer_to_what_the_person_said() -> None:
    q = Query(
        text="What did Mexico's foreign minister ask of both sides when Tillerson and Kelly "
        "came to Mexico City?",
        search_text="",
        asked="Mexico's foreign minister",
    )
    echo = AnswerSentence(
        text="Osorio Chong asked both sides when Tillerson and Kelly came to Mexico City [3][4].",
        status=VerificationStatus.VERIFIED,
    )
    answer = AnswerSentence(
        text="Videgaray urged all concerned to overcome the grievances and hurt feelings [2].",
        status=VerificationStatus.VERIFIED,
    )
    assert _restates(q, [echo]) == "the model's answer only restates the question"
    assert _restates(q, [answer]) is None
    # The role resolved to no one who spoke on it: the topic route asks with no one named.
    assert _restates(replace(q, asked=None), [echo]) is not None
    who = Query(text="Who came to Mexico City?", search_text="", asks="person")
    assert _restates(who, [echo]) is None


def _citing(text: str, quote: str) -> AnswerSentence:
    citation = Citation(
        n=2,
        chunk_id="c",
        doc_id="d",
        title="t",
        path="d.txt",
        quote=quote,
        quote_start=0,
        quote_end=len(quote),
    )
    return AnswerSentence(text=text, status=VerificationStatus.VERIFIED, citations=[citation])


def test_an_answer_must_cite_a_sentence_that_holds_the_topic_it_claims() -> None:
    q = _query(
        "Kim Young-suk",
        "What did ask Singapore regarding South Korean weapons?",
        ("ask", "singapore", "south", "korean", "weapon"),
    )
    gratitude = (
        "In a separate meeting with Singaporean Defense Minister Hoo Choon Khing, Kim Young-suk "
        "expressed gratitude for Singapore's support of South Korea's policy."
    )
    off = _citing(
        "Kim Young-suk asked Singapore regarding South Korean weapons in a separate meeting "
        "with Hoo Choon Khing [2].",
        gratitude,
    )
    assert _unsupported_topic(q, [off]) == (
        "the model's answer says korean, weapon, which its sources do not"
    )
    request = (
        "He requested that Singapore continue to show interest in South Korean weapon systems."
    )
    on = _citing("Kim asked Singapore to keep an interest in South Korean weapons [2].", request)
    assert _unsupported_topic(q, [on]) is None
    assert _unsupported_topic(q, [off, on]) is None  # one sentence on the topic answers
    # One topic word told another way is a paraphrase, not a claim ("the country": Sweden).
    sweden = _query("Peter Hultqvist", "the country top up military spending", ("country", "top"))
    nation = "Peter Hultqvist announced the Nordic nation will pump $55.7m into the military."
    paraphrase = _citing("Hultqvist said the country would add $55.7m [2].", nation)
    assert _unsupported_topic(sweden, [paraphrase]) is None


def test_an_answer_must_not_pass_over_the_statement_on_the_whole_topic() -> None:
    kang = _query("Kang Insun", "the role of the Conference on Disarmament", ("role", "cd"))
    texts = ["Kang shared the government's position.", "Kang stressed the CD's role."]
    routes = [_route(t, 0.5, share) for t, share in zip(texts, (0.5, 1.0), strict=True)]
    hits = [r.candidates[0].hit.model_copy(update={"start": i}) for i, r in enumerate(routes)]
    for r, h in zip(routes, hits, strict=True):
        r.candidates[0].hit = h
    evidence = Evidence(
        sentences=hits,
        speakers=["Kang Insun", "Kang Insun"],
        candidates=[r.candidates[0] for r in routes],
    )
    partial, whole = _cited(1), _cited(2)
    assert _partial_statement(kang, [partial], evidence) == (
        "the model's answer passes over Kang Insun's statement on the whole question [2]"
    )
    assert _partial_statement(kang, [whole], evidence) is None
    # Nobody else's statement counts: the whole-topic sentence must be the asked person's.
    evidence.speakers[1] = "Kim Young-suk"
    assert _partial_statement(kang, [partial], evidence) is None


def test_how_many_needs_a_number_next_to_what_it_counts() -> None:
    text = "How many defense ministers attended this year's Seoul Defense Dialogue?"
    q = Query(text=text, search_text=text, asks="number")
    assert holds_answer_type(
        q,
        [
            "Attendees included defense ministers from five nations.",
            "The Dialogue, chaired by South Korean Defense Minister Ahn Gyu-back, saw record "
            "attendance with over 1,000 participants.",
        ],
    ) == [True, False]
    much = Query(text="By how much did Sweden top up spending?", search_text="", asks="number")
    assert holds_answer_type(much, ["Sweden adds 2.6 billion crowns."]) == [True]


def test_a_citation_marker_is_no_number_of_the_answer() -> None:
    q = Query(text="By how much did Sweden top up spending?", search_text="", asks="number")
    unanswered = AnswerSentence(
        text="Sweden topped up spending [3].", status=VerificationStatus.VERIFIED
    )
    assert _unanswered(q, [unanswered]) == "the model's answer gives no number"


def _said(speaker: str, start: int, dense: float) -> Candidate:
    cand = _route(f"{speaker} said it", dense, 0.5).candidates[0]
    cand.hit = cand.hit.model_copy(update={"start": start, "end": start + 1})
    cand.speaker = speaker
    return cand


def test_a_claim_and_the_reply_to_it_both_name_their_speakers() -> None:
    # dn32: Spicer repeated the GCHQ claim, Westmacott replied to it, both on the topic.
    pipeline = Pipeline(
        search=lambda text, k: [],
        document_text=lambda doc_id: None,
        generator=lambda: None,  # type: ignore[arg-type,return-value]
        speakers=_Speakers({0: ["Sean Spicer"], 10: ["Sean Spicer"], 20: ["Peter Westmacott"]}),
    )
    ranked = [_said("Sean Spicer", 0, 0.80), _said("Sean Spicer", 10, 0.79)]
    ranked += [_said("Peter Westmacott", 20, 0.74), _said("GCHQ", 30, 0.4)]
    named = pipeline._named_instead(ranked)
    assert [c.speaker for c in named] == ["Sean Spicer", "Peter Westmacott"]
    answer = pipeline._someone_else(_query("Boris Johnson", "the GCHQ claim", ("gchq",)), named)
    assert answer.abstained
    assert [s.citations[0].speaker for s in answer.sentences] == [
        "Sean Spicer",
        "Peter Westmacott",
    ]
    assert answer.answer.startswith("The documents do not attribute this to Boris Johnson.")
    assert "Peter Westmacott said:" in answer.answer and "[2]" in answer.answer


def test_a_colleague_of_the_asked_person_who_spoke_on_it_is_named_first() -> None:
    # dn37: not Lavrov; his deputy Bogdanov "expressed concern", beside Israel's own account.
    pipeline = Pipeline(
        search=lambda text, k: [],
        document_text=lambda doc_id: None,
        generator=lambda: None,  # type: ignore[arg-type,return-value]
        speakers=_Speakers({0: ["Israel"], 10: ["Mikhail Bogdanov"], 20: ["Maria Zakharova"]}),
    )
    named = [_said("Israel", 0, 0.8)]
    near = [_said("Mikhail Bogdanov", 10, 0.6), _said("Maria Zakharova", 20, 0.5)]
    on_it = Route(near, {"d": "x"}, judge(near, POLICY))
    assert on_it.relevance.covered
    assert [c.speaker for c in pipeline._colleague_first(on_it, named)] == [
        "Mikhail Bogdanov",
        "Israel",
    ]
    far = [_said("Mikhail Bogdanov", 10, 0.05)]
    off_it = Route(far, {"d": "x"}, judge(far, POLICY))
    assert not off_it.relevance.covered
    assert pipeline._colleague_first(off_it, named) == named
    assert pipeline._colleague_first(on_it, [near[0]]) == [near[0]]  # named already


def test_a_speaker_far_below_the_best_is_not_named() -> None:
    pipeline = Pipeline(
        search=lambda text, k: [],
        document_text=lambda doc_id: None,
        generator=lambda: None,  # type: ignore[arg-type,return-value]
        speakers=_Speakers({0: ["Sean Spicer"], 20: ["Peter Westmacott"]}),
    )
    named = pipeline._named_instead(
        [_said("Sean Spicer", 0, 0.8), _said("Peter Westmacott", 20, 0.45)]
    )
    assert [c.speaker for c in named] == ["Sean Spicer"]


@pytest.mark.parametrize(
    ("question", "window", "words"),
    [
        (
            "What did Lavrov say about Israel's air strikes in Syria near Palmyra in March 2017?",
            ("2017-03-01", "2017-03-31"),
            "in March 2017",
        ),
        ("What did Kang say in 2016 about arms control?", ("2016-01-01", "2016-12-31"), "in 2016"),
        ("What did Merkel say in Feb. 2017?", ("2017-02-01", "2017-02-28"), "in Feb. 2017"),
        ("What did Kang say about New START?", None, None),
        ("What was agreed in Maybe 2017?", None, None),
    ],
)
def test_the_question_s_own_dates_are_a_window_the_topic_reads_without(
    question: str, window: tuple[str, str] | None, words: str | None
) -> None:
    q = build_query(question)
    got = (q.window[0].isoformat(), q.window[1].isoformat()) if q.window else None
    assert got == window
    if words is not None:
        assert words not in q.topic and words.split()[-1] not in q.topic


class _WhoSaid:
    """A statement source that records which documents who-said is asked to weigh whole."""

    def __init__(self) -> None:
        self.documents: list[list[str]] = []

    def said(self, speaker_id: str, about: str, k: int, filters: object) -> list[Statement]:
        return []

    def who_said(
        self, topic: str, k: int, filters: object, documents: Sequence[str] = ()
    ) -> list[Statement]:
        self.documents.append(list(documents))
        return []

    def colleagues_said(
        self, speaker: Speaker, topic: str, k: int, filters: object
    ) -> list[Statement]:
        return []


def test_who_else_said_it_weighs_the_documents_the_question_retrieved() -> None:
    # dn32: the article where the ambassador replies to the GCHQ claim is the question's own
    # best hit, yet not among the passages the topic alone finds.
    texts = {
        "far": "The weather in Bonn was mild on the day of the talks.",
        "near": "Boris Johnson met aides as the GCHQ wiretap claim was called ridiculous.",
    }
    hits = [_hit(text, doc_id, n) for n, (doc_id, text) in enumerate(texts.items(), start=1)]
    source = _WhoSaid()
    pipeline = Pipeline(
        search=lambda text, k: hits,
        document_text=texts.get,
        generator=lambda: None,  # type: ignore[arg-type,return-value]
        statements=source,  # type: ignore[arg-type]
    )
    query = _query("Boris Johnson", "the GCHQ wiretap claim", ("gchq", "wiretap", "claim"))
    pipeline.signals(query)
    assert source.documents and source.documents[0] == ["near", "far"]


def test_a_name_counts_in_another_of_its_forms_at_half_the_weight_of_its_own() -> None:
    q = build_query("What did the Turks protest against in Istanbul?")
    exact = coverage(q, "The Turks protested in Istanbul against the attack.")
    other_form = coverage(q, "The Turkish people protested in Istanbul against the attack.")
    absent = coverage(q, "The people protested in Istanbul against the attack.")
    assert exact > other_form > absent


def test_a_seat_of_government_is_not_its_country_s_adjective() -> None:
    q = build_query("What is the population of Seoul?")
    assert coverage(q, "South Korean weapon systems were shown.") == coverage(
        q, "Weapon systems were shown."
    )
    assert coverage(q, "Seoul has a population of ten million.") == 1.0
