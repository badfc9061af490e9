"""Citation parsing and verification against real corpus passages and tiny synthetic ones."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from diplorag.cite import (
    ABSTENTION,
    ParsedSentence,
    SentenceKind,
    VerifiedAnswer,
    VerifyPolicy,
    is_abstention,
    parse_answer,
    strip_markers,
    verify_answer,
)
from diplorag.sentences import count_words, split_sentences
from diplorag.types import Hit, VerificationStatus

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DEV_QA = Path("/work/shared/eval/dev_seed_qa.jsonl")
DOC0 = "000_6b018a2f3c46da3d"  # Kim Young-suk meets Brekelmans and Hoo Choon Khing
DOC1 = "001_116f389413386f53"  # Vice Minister Kang Insun at the CD
DOC2 = "002_e9ee3bbb4f07c6b5"  # Seoul Defense Dialogue panel

V = VerificationStatus


@cache
def documents() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


def make_hit(doc_id: str, start: int, end: int, *, rank: int = 1) -> Hit:
    text = documents()[doc_id]
    return Hit(
        rank=rank,
        score=1.0 / rank,
        chunk_id=f"{doc_id}:{start}",
        doc_id=doc_id,
        title=f"Title of {doc_id}",
        published=dt.date(2024, 9, 9),
        source="test",
        path=f"corpus/{doc_id}.txt",
        start=start,
        end=end,
        text=text[start:end],
    )


def sentence_hit(doc_id: str, first: int, last: int, *, rank: int = 1) -> Hit:
    """A passage made of sentences ``first..last`` (inclusive) of a corpus document."""
    spans = split_sentences(documents()[doc_id])
    return make_hit(doc_id, spans[first][0], spans[last][1], rank=rank)


@cache
def chunks(doc_id: str, target_words: int = 200) -> tuple[Hit, ...]:
    """~200-word windows of whole sentences with a one-sentence overlap, like the chunker."""
    text = documents()[doc_id]
    spans = split_sentences(text)
    out: list[Hit] = []
    i = 0
    while i < len(spans):
        j, words = i, 0
        while j < len(spans) and (words < target_words or j == i):
            words += count_words(text[spans[j][0] : spans[j][1]])
            j += 1
        out.append(make_hit(doc_id, spans[i][0], spans[j - 1][1], rank=len(out) + 1))
        if j >= len(spans):
            break
        i = j - 1  # overlap one sentence
    return tuple(out)


def whole(doc_id: str, rank: int = 1) -> Hit:
    return make_hit(doc_id, 0, len(documents()[doc_id]), rank=rank)


EVIDENCE = (whole(DOC0, 1), whole(DOC1, 2), whole(DOC2, 3))


def only(result: VerifiedAnswer) -> tuple[V, str | None, list[int]]:
    """Status, reason and cited numbers of a one-sentence answer."""
    assert len(result.sentences) == 1, result.sentences
    s = result.sentences[0]
    return s.status, s.reason, [c.n for c in s.citations]


def check_offsets(result: VerifiedAnswer) -> None:
    for s in result.sentences:
        for c in s.citations:
            assert documents()[c.doc_id][c.quote_start : c.quote_end] == c.quote


# --- markers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean", "cited"),
    [
        ("Kang spoke [1].", "Kang spoke.", [1]),
        ("Kang spoke [1, 2].", "Kang spoke.", [1, 2]),
        ("Kang spoke [1][2].", "Kang spoke.", [1, 2]),
        ("Kang spoke [1] [2].", "Kang spoke.", [1, 2]),
        ("Kang spoke [1-3].", "Kang spoke.", [1, 2, 3]),
        ("Kang spoke [1–3].", "Kang spoke.", [1, 2, 3]),
        ("Kang spoke [1, 3-4].", "Kang spoke.", [1, 3, 4]),
        ("Kang spoke [Source 2].", "Kang spoke.", [2]),
        ("Kang spoke [passage 2, 3].", "Kang spoke.", [2, 3]),
        ("Kang spoke (1).", "Kang spoke.", [1]),
        ("Kang spoke (1)(2).", "Kang spoke.", [1, 2]),
        ("Kang spoke [2][2].", "Kang spoke.", [2]),  # duplicates collapse
        ("Kang [1] and Kim [2] spoke.", "Kang and Kim spoke.", [1, 2]),
        ("[1] Kang spoke.", "Kang spoke.", [1]),
        ("Kang spoke [3-1].", "Kang spoke.", [3, 1]),  # reversed range: its two ends
        ("Kang spoke [1-999999].", "Kang spoke.", [1, 999999]),  # huge range: its two ends
        ("Kang spoke [1[2]].", "Kang spoke.", [2, 1]),  # nested: nothing left behind
        # not markers
        ("The P5 (P5) met.", "The P5 (P5) met.", []),
        ("The treaty (1972) lapsed.", "The treaty (1972) lapsed.", []),
        ("Steps (1) and (2) follow.", "Steps (1) and (2) follow.", []),
        ("See [a] and [].", "See [a] and [].", []),
    ],
)
def test_strip_markers(text: str, clean: str, cited: list[int]) -> None:
    assert strip_markers(text) == (clean, cited)


def test_paren_markers_must_name_given_sources() -> None:
    assert strip_markers("It rose (7).", n_sources=3) == ("It rose (7).", [])
    assert strip_markers("It rose (2).", n_sources=3) == ("It rose.", [2])
    # brackets always are markers: an unknown one is reported, not kept as text
    assert strip_markers("It rose [7].", n_sources=3) == ("It rose.", [7])


def test_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    parsed = parse_answer("Russia suspended the treaty. [1] She urged re-engagement. [2]")
    assert parsed == [
        ParsedSentence("Russia suspended the treaty.", (1,), ""),
        ParsedSentence("She urged re-engagement.", (2,), " "),
    ]
    assert parse_answer("It lapsed.[1][3] Then it ended.[2]") == [
        ParsedSentence("It lapsed.", (1, 3), ""),
        ParsedSentence("Then it ended.", (2,), " "),
    ]


def test_marker_on_its_own_line_belongs_to_the_sentence_before() -> None:
    parsed = parse_answer("It lapsed.\n[1]\nThen it ended [2].")
    assert [(p.text, p.cited) for p in parsed] == [("It lapsed.", (1,)), ("Then it ended.", (2,))]
    assert parsed[1].separator == "\n"


def test_leading_markers_stay_with_their_sentence_when_the_answer_starts_with_one() -> None:
    parsed = parse_answer("[1] Kang spoke. [2] Kim replied.")
    assert [(p.text, p.cited) for p in parsed] == [("Kang spoke.", (1,)), ("Kim replied.", (2,))]


def test_abbreviation_before_a_marker_does_not_end_the_sentence() -> None:
    parsed = parse_answer("The U.S. [1] officials agreed [1].")
    assert [(p.text, p.cited) for p in parsed] == [("The U.S. officials agreed.", (1,))]


# --- unknown sources --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 4, 99])
def test_citation_to_a_source_not_given_is_removed(bad: int) -> None:
    answer = f"Kang expressed concern over Russia's suspension of New START [2][{bad}]."
    status, reason, cited = only(verify_answer(answer, EVIDENCE))
    assert status is V.CORRECTED
    assert cited == [2]
    assert reason == f"[{bad}] cites a source that was not given (3 passages); removed"


def test_only_unknown_citations_then_a_supporting_passage_is_added() -> None:
    answer = "Kang expressed concern over Russia's suspension of New START [7]."
    status, reason, cited = only(verify_answer(answer, EVIDENCE))
    assert status is V.CORRECTED and cited == [2]
    assert reason is not None
    assert "[7] cites a source that was not given" in reason
    assert "citation added: [2]" in reason


# --- support ----------------------------------------------------------------------------------


def test_supported_sentence_gets_an_exact_quote_with_document_offsets() -> None:
    hit = chunks(DOC1)[0]
    result = verify_answer(
        "Kang expressed concern over Russia's suspension of New START [1].", [hit]
    )
    status, reason, cited = only(result)
    assert (status, reason, cited) == (V.VERIFIED, None, [1])
    c = result.sentences[0].citations[0]
    assert c.quote.startswith("Vice Minister Kang expressed concern over setbacks")
    assert c.quote.endswith("(CTBT).")
    local = hit.text.index(c.quote)
    assert c.quote == hit.text[local : local + len(c.quote)]
    assert c.quote_start == hit.start + local and c.quote_end == c.quote_start + len(c.quote)
    assert documents()[DOC1][c.quote_start : c.quote_end] == c.quote
    assert c.score == 1.0 and c.speaker == "Kang Insun"


def test_citation_fields_come_from_the_hit() -> None:
    hit = next(h for h in chunks(DOC2) if "five nations" in h.text)
    result = verify_answer("Defense ministers from five nations attended [1].", [hit])
    c = result.sentences[0].citations[0]
    assert (c.n, c.chunk_id, c.doc_id, c.title, c.path, c.published) == (
        1,
        hit.chunk_id,
        hit.doc_id,
        hit.title,
        hit.path,
        hit.published,
    )
    assert c.speaker is None  # narration


def test_quote_may_span_two_adjacent_sentences() -> None:
    answer = (
        "Kim Young-suk expressed gratitude for Singapore's support of South Korea's policy "
        "towards North Korea and requested that Singapore continue to show interest in South "
        "Korean weapon systems [1]."
    )
    result = verify_answer(answer, [whole(DOC0)])
    assert only(result)[0] is V.VERIFIED
    quote = result.sentences[0].citations[0].quote
    assert quote.startswith("In a separate meeting") and quote.endswith("weapon systems.")
    check_offsets(result)


def test_three_sentences_apart_is_not_one_quote() -> None:
    # The claim joins sentence 0 (Geneva) and sentence 4 (AI norms) of document 001.
    answer = (
        "In Geneva, Kang stressed the urgent need to establish international norms on "
        "artificial intelligence [1]."
    )
    status, reason, _ = only(verify_answer(answer, [whole(DOC1)]))
    assert status is V.UNVERIFIED
    assert reason == "[1] lacks 'Geneva'; no other passage supports it"


@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("Defense ministers from six nations attended [3].", "six"),  # wrong number
        ("Defense ministers from 6 nations attended [3].", "6"),
        ("The Seoul Defense Dialogue had over 2,000 participants [3].", "2,000"),
        ("The capital of Australia is Canberra [1].", "Australia"),
        ("Brekelmans met Kim Jong Un in Seoul [1].", "Jong"),  # wrong person
    ],
)
def test_a_wrong_number_or_name_is_never_supported(answer: str, missing: str) -> None:
    status, reason, cited = only(verify_answer(answer, EVIDENCE))
    assert status is V.UNVERIFIED and cited == []
    assert reason is not None and f"no passage contains '{missing}'" in reason


def test_numbers_match_across_spellings() -> None:
    for answer in (
        "Defense ministers from 5 nations attended [3].",
        "The Seoul Defense Dialogue had over 1000 participants [3].",
        "The Seoul Defense Dialogue had over one thousand participants [3].",
        "It was the fourteenth Seoul Defense Dialogue [3].",
    ):
        status, _, cited = only(verify_answer(answer, EVIDENCE))
        assert (status, cited) == (V.VERIFIED, [3]), answer


def test_decimal_numbers() -> None:
    hit = Hit(
        rank=1,
        score=1.0,
        chunk_id="c",
        doc_id="d",
        title="t",
        published=None,
        source=None,
        path="p",
        start=0,
        end=38,
        text="Spending rose by 3.50 percent in 2024.",
    )
    assert only(verify_answer("Spending rose by 3.5 percent in 2024 [1].", [hit]))[0] is V.VERIFIED
    wrong = verify_answer("Spending rose by 3.6 percent in 2024 [1].", [hit])
    assert only(wrong)[1] == "no passage contains '3.6'"


def test_light_stemming_and_normalisation() -> None:
    hit = Hit(
        rank=1,
        score=1.0,
        chunk_id="c",
        doc_id="d",
        title="t",
        published=None,
        source=None,
        path="p",
        start=10,
        end=10 + 75,
        text="The U.S. defence ministers’ talks focused on Croatia’s planned deployments.",
    )
    result = verify_answer(
        "US defense minister talk focuses on Croatia plans to deploy [1].", [hit]
    )
    assert only(result)[0] is V.VERIFIED
    assert result.sentences[0].citations[0].quote_start == 10
    accents = verify_answer("Anusic spoke about Croatia’s deployments [1].", [hit])
    assert only(accents)[0] is V.UNVERIFIED  # 'Anusic' is not in the passage


def test_negation_must_be_in_the_quote() -> None:
    answer = "Kang did not express concern over Russia's suspension of New START [2]."
    status, reason, _ = only(verify_answer(answer, EVIDENCE))
    assert status is V.UNVERIFIED
    assert reason == "no passage contains 'not'"
    # "not only … but also" is no negation
    hit = sentence_hit(DOC0, 20, 20)
    plain = "The discussions focused on immediate defense needs and long-term strategic goals [1]."
    assert only(verify_answer(plain, [hit]))[0] is V.VERIFIED
    never = "The discussions never focused on immediate defense needs [1]."
    assert only(verify_answer(never, [hit]))[0] is V.UNVERIFIED


def test_meta_prefix_is_not_content() -> None:
    for prefix in ("According to the passages, ", "Based on the provided documents, "):
        answer = prefix + "Kang expressed concern over Russia's suspension of New START [2]."
        result = verify_answer(answer, EVIDENCE)
        assert only(result)[0] is V.VERIFIED
        assert result.sentences[0].citations[0].score == 1.0


def test_the_most_specific_quote_wins_a_tie() -> None:
    # Both "Military officials … calling for stronger international solidarity" and "They
    # emphasized the need for international solidarity" hold every content word.
    result = verify_answer("They emphasized international solidarity [3].", EVIDENCE)
    assert result.sentences[0].citations[0].quote.startswith("They emphasized the need")


def test_recall_threshold_is_the_policy() -> None:
    # 6 of 8 content words (75%): "held" and "secret" are invented. Bag-of-words recall cannot
    # tell that the sentence is false; the threshold is what limits such drift.
    answer = "The five nuclear-weapon states held secret bilateral dialogues on transparency [2]."
    loose = verify_answer(answer, EVIDENCE, policy=VerifyPolicy(min_recall=0.5))
    strict = verify_answer(answer, EVIDENCE, policy=VerifyPolicy(min_recall=0.9))
    assert only(loose)[0] is V.VERIFIED
    status, reason, _ = only(strict)
    assert status is V.UNVERIFIED
    assert reason is not None and "of its content words (needs 90%)" in reason


# --- who said what ----------------------------------------------------------------------------

HOO_REQUEST = (
    "Hoo Choon Khing requested that Singapore continue to show interest in South Korean "
    "weapon systems [1]."
)


def test_kims_request_is_not_verified_as_hoos() -> None:
    status, reason, cited = only(verify_answer(HOO_REQUEST, [whole(DOC0)]))
    assert status is V.UNVERIFIED and cited == []
    assert reason == "attributed to Kim Young-suk in the source, not Hoo Choon Khing"


@pytest.mark.parametrize("hit", chunks(DOC0), ids=lambda h: h.chunk_id)
def test_kims_request_is_not_hoos_in_any_chunk(hit: Hit) -> None:
    result = verify_answer(HOO_REQUEST, [hit], documents=documents())
    assert not result.supported
    result = verify_answer(HOO_REQUEST, [hit])
    assert not result.supported


def test_kims_request_is_verified_as_kims() -> None:
    answer = HOO_REQUEST.replace("Hoo Choon Khing", "Kim Young-suk")
    result = verify_answer(answer, [whole(DOC0)])
    status, _, _ = only(result)
    assert status is V.VERIFIED
    c = result.sentences[0].citations[0]
    assert (
        c.quote
        == "He requested that Singapore continue to show interest in South Korean weapon systems."
    )
    assert c.speaker == "Kim Young-suk"


def test_hoos_words_are_not_kims() -> None:
    answer = (
        "Kim Young-suk said we appreciate South Korea's efforts and are committed to further "
        "developing our defense relationship [1]."
    )
    status, reason, _ = only(verify_answer(answer, EVIDENCE))
    assert status is V.UNVERIFIED
    assert reason == "attributed to Hoo Choon Khing in the source, not Kim Young-suk"
    answer = answer.replace("Kim Young-suk said", "Hoo Choon Khing said")
    assert only(verify_answer(answer, EVIDENCE))[0] is V.VERIFIED


@pytest.mark.parametrize(
    "answer",
    [
        "According to Hoo, AI technology must be developed in a manner that aligns with "
        "strategic goals [1].",
        "AI technology must be developed in line with our strategic goals, Hoo said [1].",
        "Hoo stressed that the use of AI in military applications must be guided by "
        "transparency, accountability and respect for human rights [1].",
    ],
)
def test_attribution_forms_in_the_answer_are_checked(answer: str) -> None:
    status, reason, _ = only(verify_answer(answer, EVIDENCE))
    assert status is V.UNVERIFIED
    assert reason == "attributed to Kim Young-suk in the source, not Hoo"
    kim = answer.replace("Hoo", "Kim Young-suk")
    assert only(verify_answer(kim, EVIDENCE))[0] is V.VERIFIED, kim


def test_narration_is_not_a_persons_statement() -> None:
    answer = "Kim Young-suk said the meetings took place in Seoul [1]."
    status, reason, _ = only(verify_answer(answer, EVIDENCE))
    assert status is V.UNVERIFIED
    assert reason == "the source does not attribute this to Kim Young-suk"
    plain = "The meetings between Kim Young-suk and his counterparts took place in Seoul [1]."
    assert only(verify_answer(plain, EVIDENCE))[0] is V.VERIFIED


def test_pronoun_in_the_answer_inherits_the_answer_speaker() -> None:
    answer = (
        "Kang expressed concern over Russia's suspension of New START [2]. "
        "She urged the P5 to re-engage in dialogue [2]."
    )
    result = verify_answer(answer, EVIDENCE)
    assert [s.status for s in result.sentences] == [V.VERIFIED, V.VERIFIED]
    assert result.sentences[1].citations[0].speaker == "Kang Insun"
    # … and a pronoun that points at Hoo does not take Kim's words
    wrong = (
        "Hoo Choon Khing spoke [1]. "
        "He requested that Singapore show interest in weapon systems [1]."
    )
    result = verify_answer(wrong, EVIDENCE)
    assert result.sentences[1].status is V.UNVERIFIED
    assert (
        result.sentences[1].reason
        == "attributed to Kim Young-suk in the source, not Hoo Choon Khing"
    )


def test_question_speaker_is_implied() -> None:
    answer = "Singapore should continue to show interest in South Korean weapon systems [1]."
    ok = verify_answer(answer, EVIDENCE, question="What did Kim Young-suk ask Singapore?")
    assert only(ok)[0] is V.VERIFIED
    wrong = verify_answer(answer, EVIDENCE, question="What did Hoo Choon Khing ask Singapore?")
    status, reason, _ = only(wrong)
    assert status is V.UNVERIFIED
    assert reason == "attributed to Kim Young-suk in the source, not Hoo Choon Khing"
    # narration may support an implied speaker's answer (background facts)
    background = "The meetings took place in Seoul [1]."
    assert only(verify_answer(background, EVIDENCE, question="What did Kim say?"))[0] is V.VERIFIED


def test_question_speaker_resolves_a_leading_pronoun() -> None:
    answer = (
        "He requested that Singapore continue to show interest in South Korean weapon systems [1]."
    )
    q_kim = "What did Kim Young-suk ask Singapore regarding South Korean weapons?"
    assert only(verify_answer(answer, EVIDENCE, question=q_kim))[0] is V.VERIFIED
    q_hoo = "What did Hoo Choon Khing ask Singapore regarding South Korean weapons?"
    assert only(verify_answer(answer, EVIDENCE, question=q_hoo))[0] is V.UNVERIFIED


def test_document_context_resolves_a_passage_that_starts_with_a_pronoun() -> None:
    passage = sentence_hit(DOC0, 8, 8)  # "He requested that Singapore …" alone
    answer = HOO_REQUEST.replace("Hoo Choon Khing", "Kim Young-suk")
    status, reason, _ = only(verify_answer(answer, [passage]))
    assert status is V.UNVERIFIED
    assert reason == "the source does not attribute this to Kim Young-suk"
    with_doc = verify_answer(answer, [passage], documents=documents())
    assert only(with_doc)[0] is V.VERIFIED
    assert with_doc.sentences[0].citations[0].speaker == "Kim Young-suk"
    # a stale document text (hit no longer a slice of it) is ignored, not trusted
    stale = {DOC0: "x" * len(documents()[DOC0])}
    assert only(verify_answer(answer, [passage], documents=stale))[0] is V.UNVERIFIED


def test_short_ambiguous_name_matches_either_kim() -> None:
    answer = (
        "Kim requested that Singapore continue to show interest in South Korean weapon systems [1]."
    )
    assert only(verify_answer(answer, EVIDENCE))[0] is V.VERIFIED


# --- repair -----------------------------------------------------------------------------------


def test_wrong_citation_is_moved_to_the_supporting_passage() -> None:
    answer = (
        "Kang said that Member States should renew their political will and reaffirm their "
        "commitment to the revitalization of the CD [1]."
    )
    status, reason, cited = only(verify_answer(answer, EVIDENCE))
    assert status is V.CORRECTED and cited == [2]
    assert reason is not None and reason.startswith("citation moved from [1] to [2] ([1] lacks")


def test_one_of_two_citations_unsupported_is_removed() -> None:
    answer = "She urged the P5 to re-engage in bilateral and multilateral dialogues [2][3]."
    result = verify_answer(answer, EVIDENCE, question="What did Kang say?")
    status, reason, cited = only(result)
    assert status is V.CORRECTED and cited == [2]
    assert reason is not None and reason.startswith("[3] does not support it (")


def test_uncited_supported_sentence_gets_a_citation() -> None:
    answer = "Kim Ji-yoon moderated the panel."
    result = verify_answer(answer, EVIDENCE)
    assert only(result) == (V.CORRECTED, "citation added: [3]", [3])
    assert result.answer == "Kim Ji-yoon moderated the panel [3]."


def test_adding_a_citation_needs_clearer_support_than_keeping_one() -> None:
    # 3 of 5 content words (60%): enough for the model's own citation, not to add one.
    answer = "Kim Ji-yoon moderated a heated debate"
    cited = verify_answer(answer + " [3].", EVIDENCE)
    uncited = verify_answer(answer + ".", EVIDENCE)
    assert only(cited)[0] is V.VERIFIED
    assert only(uncited)[0] is V.UNVERIFIED


def test_unsupported_sentence_is_kept_marked_or_dropped() -> None:
    answer = "Kang expressed concern over New START [2]. The capital is Canberra."
    kept = verify_answer(answer, EVIDENCE)
    assert [s.status for s in kept.sentences] == [V.VERIFIED, V.UNVERIFIED]
    assert kept.sentences[1].reason == "no passage contains 'Canberra'"
    assert (
        kept.answer
        == "Kang expressed concern over New START [2]. The capital is Canberra [unverified]."
    )
    assert kept.supported

    dropped = verify_answer(answer, EVIDENCE, policy=VerifyPolicy(keep_unverified=False))
    assert [s.status for s in dropped.sentences] == [V.VERIFIED, V.DROPPED]
    assert dropped.answer == "Kang expressed concern over New START [2]."

    custom = verify_answer(answer, EVIDENCE, policy=VerifyPolicy(unverified_marker="(?)"))
    assert custom.answer.endswith("The capital is Canberra (?).")


def test_nothing_supported_means_not_supported() -> None:
    result = verify_answer("Anušić said climate change is the greatest threat [3].", EVIDENCE)
    assert not result.supported and not result.model_abstained
    status, reason, _ = only(result)
    assert status is V.UNVERIFIED
    assert reason is not None and reason.endswith("no other passage supports it")


def test_no_evidence_at_all() -> None:
    result = verify_answer("Kang expressed concern [1].", [])
    status, reason, _ = only(result)
    assert status is V.UNVERIFIED
    assert (
        reason
        == "[1] cites a source that was not given (0 passages); removed; no passages were given"
    )


# --- non-claims -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        ABSTENTION,
        "The documents do not say.",
        "The provided passages do not mention the population of Seoul.",
        "The context doesn't specify this.",
        "There is no information about climate change in the documents.",
        "I don't know.",
        "This cannot be determined from the passages.",
        "Not stated.",
    ],
)
def test_abstention_sentences(sentence: str) -> None:
    assert is_abstention(sentence)
    result = verify_answer(sentence, EVIDENCE)
    assert result.model_abstained and not result.supported
    assert result.kinds == [SentenceKind.ABSTENTION]
    assert result.sentences[0].citations == []
    assert result.answer == sentence


def test_claims_are_not_abstentions() -> None:
    assert not is_abstention("Kang said the documents were signed.")
    assert not is_abstention("No country objected.")


def test_partial_abstention_is_kept_and_the_answer_is_supported() -> None:
    answer = (
        "Kang expressed concern over New START [2]. "
        "The documents do not say what Kim said about it [1]."
    )
    result = verify_answer(answer, EVIDENCE)
    assert result.kinds == [SentenceKind.CLAIM, SentenceKind.ABSTENTION]
    assert result.supported and not result.model_abstained
    assert result.sentences[1].reason == "no claim to check (abstention); markers [1] removed"
    assert result.answer.endswith("The documents do not say what Kim said about it.")


def test_connectives_are_not_checked() -> None:
    result = verify_answer("Yes. Kim Ji-yoon moderated the panel [3]. This matters.", EVIDENCE)
    assert result.kinds == [SentenceKind.CONNECTIVE, SentenceKind.CLAIM, SentenceKind.CONNECTIVE]
    assert result.sentences[0].status is V.VERIFIED
    assert result.sentences[0].reason == "no claim to check (connective)"
    assert result.answer == "Yes. Kim Ji-yoon moderated the panel [3]. This matters."
    only_connective = verify_answer("Yes.", EVIDENCE)
    assert not only_connective.supported and not only_connective.model_abstained


def test_list_enumerators_are_kept_and_not_checked() -> None:
    answer = (
        "1. Kim Ji-yoon moderated the panel [3].\n"
        "2. Defense ministers from five nations attended [3]."
    )
    result = verify_answer(answer, EVIDENCE)
    assert result.kinds == [
        SentenceKind.CONNECTIVE,
        SentenceKind.CLAIM,
        SentenceKind.CONNECTIVE,
        SentenceKind.CLAIM,
    ]
    assert result.answer == answer
    bullets = "- Kim Ji-yoon moderated the panel [3].\n- Kang expressed concern [2]."
    result = verify_answer(bullets, EVIDENCE)
    assert [s.status for s in result.sentences] == [V.VERIFIED, V.VERIFIED]
    assert result.answer == bullets


def test_names_numbers_and_speakers_make_a_short_sentence_a_claim() -> None:
    for answer in ("Canberra.", "Five.", "Kang agreed."):
        assert verify_answer(answer, EVIDENCE).kinds == [SentenceKind.CLAIM], answer


def test_empty_answer() -> None:
    result = verify_answer("", EVIDENCE)
    assert result == VerifiedAnswer(answer="")


# --- rendering --------------------------------------------------------------------------------


def test_rendering_keeps_line_breaks_and_evidence_numbers() -> None:
    answer = (
        "Kim Ji-yoon moderated the panel [3].\nDefense ministers from five nations attended. [3]"
    )
    result = verify_answer(answer, EVIDENCE)
    assert result.answer == (
        "Kim Ji-yoon moderated the panel [3].\nDefense ministers from five nations attended [3]."
    )


def test_rendering_of_a_sentence_without_final_punctuation() -> None:
    result = verify_answer("Kim Ji-yoon moderated the panel [3]", EVIDENCE)
    assert result.answer == "Kim Ji-yoon moderated the panel [3]"


def test_sentence_text_never_holds_markers() -> None:
    result = verify_answer("Kim Ji-yoon [3] moderated [1, 3] the panel [3-3].", EVIDENCE)
    assert result.sentences[0].text == "Kim Ji-yoon moderated the panel."
    assert result.answer == "Kim Ji-yoon moderated the panel [3]."
    assert result.sentences[0].status is V.CORRECTED  # [1] removed


# --- dev questions ----------------------------------------------------------------------------

# A correct answer a model could give to each answerable dev question, citing its gold doc.
GOLD_ANSWERS = {
    "d01": "The Dutch defense minister who met Kim Young-suk is Ruben Brekelmans [1].",
    "d02": "Vice Minister Kang said artificial intelligence (AI) needs international norms in "
    "the military domain [1].",
    "d03": "Kim Ji-yoon, a senior researcher at Sogang University, moderated the panel [1].",
    "d04": "Kang said Member States should renew their political will and reaffirm their "
    "commitment to the revitalization of the CD [1].",
    "d05": "The panel identified North Korea's nuclear and missile activities and its military "
    "ties to Russia as major threats to global security [1].",
    "d06": "He requested that Singapore continue to show interest in South Korean weapon "
    "systems [1].",
    "d07": "Defense ministers from five nations attended [1].",
    "d08": "Kang said the DPRK's nuclear and missile programs continue to pose an existential "
    "threat to the global disarmament and nonproliferation regime [1].",
}
# What a small model might make up for the unanswerable ones.
HALLUCINATIONS = {
    "d09": "Kim Young-suk said Seoul has a population of ten million [1].",
    "d10": "The capital of Australia is Canberra [1].",
    "d11": "Anušić said climate change threatens security in Southeast Europe [1].",
}


def dev_questions() -> list[dict[str, object]]:
    if not DEV_QA.exists():
        pytest.skip("shared dev questions not available")
    return [json.loads(line) for line in DEV_QA.read_text(encoding="utf-8").splitlines() if line]


def test_gold_answers_to_dev_questions_verify() -> None:
    for q in dev_questions():
        if not q["answerable"]:
            continue
        doc = str(q["gold_doc"]).removesuffix(".txt")
        hits = list(chunks(doc))
        answer = GOLD_ANSWERS[str(q["id"])]
        result = verify_answer(answer, hits, question=str(q["question"]), documents=documents())
        assert result.supported, (q["id"], result.sentences)
        quotes = " ".join(c.quote for s in result.sentences for c in s.citations)
        for support in q["support"]:  # type: ignore[attr-defined]
            assert support in quotes, (q["id"], support, quotes)
        check_offsets(result)


def test_hallucinated_answers_to_unanswerable_dev_questions_do_not_verify() -> None:
    for q in dev_questions():
        if q["answerable"]:
            continue
        hits = [h for doc in (DOC0, DOC1, DOC2) for h in chunks(doc)][:5]
        result = verify_answer(HALLUCINATIONS[str(q["id"])], hits, question=str(q["question"]))
        assert not result.supported, (q["id"], result.sentences)
        abstained = verify_answer(ABSTENTION, hits, question=str(q["question"]))
        assert abstained.model_abstained


# --- properties -------------------------------------------------------------------------------


@cache
def corpus_sentences() -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (doc_id, s, e) for doc_id, text in documents().items() for s, e in split_sentences(text)
    )


@cache
def all_chunks() -> tuple[Hit, ...]:
    return tuple(h for doc_id in sorted(documents()) for h in chunks(doc_id, 60))


def test_every_corpus_sentence_copied_with_its_citation_verifies() -> None:
    evidence = [whole(DOC0, 1), whole(DOC1, 2), whole(DOC2, 3)]
    numbers = {DOC0: 1, DOC1: 2, DOC2: 3}
    for doc_id, s, e in corpus_sentences():
        sentence = documents()[doc_id][s:e]
        result = verify_answer(f"{sentence} [{numbers[doc_id]}]", evidence, documents=documents())
        assert [x.status for x in result.sentences] == [V.VERIFIED], sentence
        check_offsets(result)


_MARKERS = st.sampled_from(
    ["[1]", "[2]", "[1, 3]", "[2][3]", "[1-3]", "[9]", "[0]", "(1)", "[Source 2]", " [4]", ".[1]"]
)
_NOISE = st.sampled_from(
    ["Kang said", "He added", "Hoo Choon Khing said", "five", "six", "Canberra", "\n", ". ", ""]
)


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, list[Hit]]:
    hits = draw(st.lists(st.sampled_from(all_chunks()), min_size=0, max_size=4))
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        doc_id, s, e = draw(st.sampled_from(corpus_sentences()))
        sentence = documents()[doc_id][s:e]
        words = sentence.split()
        garble = draw(st.booleans())
        if words and garble:
            cut = draw(st.integers(0, len(words) - 1))
            noise: str = draw(_NOISE)
            words = [*words[:cut], noise, *words[cut + 1 :]]
        parts.append(" ".join(words))
        parts.extend(draw(st.lists(_MARKERS, max_size=3)))
        parts.append(draw(st.sampled_from([" ", "\n", ""])))
    return "".join(parts), hits


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers(), st.sampled_from([None, "What did Kang say about New START?", "What did Hoo say?"])
)
def test_every_citation_quote_slices_back_to_the_document(
    case: tuple[str, list[Hit]], question: str | None
) -> None:
    answer, hits = case
    result = verify_answer(answer, hits, question=question)
    check_offsets(result)
    for s in result.sentences:
        for c in s.citations:
            hit = hits[c.n - 1]
            assert hit.start <= c.quote_start < c.quote_end <= hit.end
            assert hit.text[c.quote_start - hit.start : c.quote_end - hit.start] == c.quote
            assert 0.0 < c.score <= 1.0
        if s.status is V.UNVERIFIED:
            assert not s.citations and s.reason
    assert result.supported == any(
        s.status in (V.VERIFIED, V.CORRECTED) and k is SentenceKind.CLAIM
        for s, k in zip(result.sentences, result.kinds, strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), _MARKERS, st.just("[")), max_size=12))
def test_markers_never_leak_into_sentence_text(pieces: list[str]) -> None:
    answer = "".join(pieces)
    result = verify_answer(answer, list(all_chunks()[:3]))
    for s in result.sentences:
        # Nothing in a sentence's text still parses as a marker for these 3 sources.
        assert strip_markers(s.text, n_sources=3) == (s.text, []), s.text
    for p in parse_answer(answer, n_sources=3):
        assert strip_markers(p.text, n_sources=3) == (p.text, [])


_HITS = st.builds(
    Hit,
    rank=st.integers(1, 10),
    score=st.floats(allow_nan=False),
    chunk_id=st.text(max_size=5),
    doc_id=st.text(max_size=5),
    title=st.text(max_size=10),
    published=st.none(),
    source=st.none(),
    path=st.text(max_size=10),
    start=st.integers(0, 10_000),
    end=st.integers(0, 10_000),
    text=st.text(max_size=300),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=400), st.lists(_HITS, max_size=3), st.one_of(st.none(), st.text(max_size=60))
)
def test_verify_answer_never_raises(answer: str, hits: list[Hit], question: str | None) -> None:
    result = verify_answer(answer, hits, question=question)
    assert len(result.sentences) == len(result.kinds)
    for s in result.sentences:
        for c in s.citations:
            hit = hits[c.n - 1]
            assert hit.text[c.quote_start - hit.start : c.quote_end - hit.start] == c.quote


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_verify_answer_with_unicode_evidence_text(text: str) -> None:
    assume(text.strip())
    hit = Hit(
        rank=1,
        score=1.0,
        chunk_id="c",
        doc_id="d",
        title="t",
        published=None,
        source=None,
        path="p",
        start=0,
        end=len(text),
        text=text,
    )
    result = verify_answer(text + " [1]", [hit], documents={"d": text})
    for s in result.sentences:
        for c in s.citations:
            assert text[c.quote_start : c.quote_end] == c.quote
