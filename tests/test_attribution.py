"""Who said what: speakers of the corpus sentences, names, and who-said questions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplorag.attribution import (
    Attribution,
    WhoSaid,
    attribute_sentences,
    attributed_to,
    name_key,
    parse_who_said,
    same_person,
    speaker_spans,
)
from diplorag.sentences import split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOC0 = "000_6b018a2f3c46da3d.txt"  # Kim Young-suk meets Brekelmans and Hoo Choon Khing
DOC1 = "001_116f389413386f53.txt"  # Vice Minister Kang Insun at the CD
DOC2 = "002_e9ee3bbb4f07c6b5.txt"  # Seoul Defense Dialogue panel

KIM, HOO = "Kim Young-suk", "Hoo Choon Khing"
KANG = "Kang Insun"
TEODORO, ANUSIC, DRAGONE, AHN = (
    "Gilberto Teodoro",
    "Ivan Anušić",
    "Giuseppe Cavo Dragone",
    "Ahn Gyu-back",
)

# Every sentence of the corpus, by its opening words, with the speaker we expect (None: the
# sentence reports no statement, or a plural/non-person subject).
EXPECTED: dict[str, list[tuple[str, str | None]]] = {
    DOC0: [
        ("Seoul, September 9, 2024", None),  # "held meetings": no statement
        ("The meetings took place in Seoul", None),
        ("During the meeting with Dutch Defense Minister", KIM),  # not Brekelmans
        ("He suggested that the two countries", KIM),
        ("We must work together", KIM),  # trailing "…, Kim Young-suk stated"
        ("The South Korean defense minister also called on", KIM),  # role
        ("Both ministers agreed", None),  # plural
        ("In a separate meeting with Singaporean Defense Minister", KIM),  # not Hoo
        ("He requested that Singapore", KIM),  # Kim's request, never Hoo's
        ("Hoo Choon Khing responded by affirming", HOO),
        ("We appreciate South Korea", HOO),  # trailing "…, Hoo Choon Khing said"
        ("The talks come at a critical time", None),
        ("The meetings were part of ongoing efforts", None),
        ("The discussions with the Dutch and Singaporean", None),
        ("South Korea and the Netherlands have been", None),
        ("During the meetings, Kim Young-suk emphasized", KIM),
        ("The use of AI in military applications", KIM),  # trailing "…, Kim Young-suk stressed"
        ("The meetings were held against the backdrop", None),
        ("The South Korean defense minister’s talks", None),  # possessive: not a role subject
        ("In conclusion, the meetings between", None),
        ("The discussions not only focused", None),  # "highlighting" with a non-person subject
        ("Keywords:", None),
        ("Views: 0", None),
    ],
    DOC1: [
        ("Vice Minister of Foreign Affairs Kang Insun attended", KANG),  # "… and shared"
        ("Vice Minister Kang expressed concern", KANG),
        ("The Vice Minister went on to urge", KANG),
        ("In addition, she spoke of", KANG),
        ("In particular, Vice Minister Kang stressed", KANG),
        ("On that note, she shared", KANG),
        ("Furthermore, Vice Minister Kang pointed out", KANG),
        ("She urged the DPRK", KANG),
        ("Vice Minister Kang, highlighting", KANG),
    ],
    DOC2: [
        ("Military officials from around the world", None),
        ("The South Korean Ministry of National Defense hosted", None),
        ("The session focused on", None),
        ("Kim Ji-yoon, a senior researcher", None),  # "moderated": no statement
        ("Speakers included", None),
        ("Secretary Teodoro highlighted", TEODORO),
        ("He stressed the importance of trust-based dialogue", TEODORO),
        ("Deputy Prime Minister Anušić emphasized", ANUSIC),
        ("He underscored the significance", ANUSIC),
        ("Chairman Dragone addressed", DRAGONE),
        ("He affirmed NATO’s commitment", DRAGONE),
        ("The panel collectively identified", None),  # the panel is not a person
        ("They emphasized the need", None),  # plural: does not inherit Dragone
        ("This year’s Seoul Defense Dialogue", None),
        ("Attendees included defense ministers", None),
        ("In his opening remarks, Minister Ahn stated", AHN),
        ("He added that it will persistently pursue", AHN),
    ],
}


def read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", sorted(EXPECTED))
def test_every_corpus_sentence_has_the_expected_speaker(doc: str) -> None:
    text = read(doc)
    attributions = speaker_spans(text)
    expected = EXPECTED[doc]
    assert len(attributions) == len(expected), "the table must cover every sentence"
    for a, (opening, speaker) in zip(attributions, expected, strict=True):
        sentence = text[a.start : a.end]
        assert sentence.startswith(opening), (sentence, opening)
        assert a.speaker == speaker, sentence


@pytest.mark.parametrize("doc", sorted(EXPECTED))
def test_spans_are_the_sentences_of_the_text(doc: str) -> None:
    text = read(doc)
    assert [(a.start, a.end) for a in speaker_spans(text)] == split_sentences(text)


def test_pronouns_and_roles_are_marked_inherited_and_names_are_not() -> None:
    text = read(DOC0)
    by_opening = {text[a.start : a.start + 50]: a for a in speaker_spans(text)}
    he = next(a for k, a in by_opening.items() if k.startswith("He requested"))
    named = next(a for k, a in by_opening.items() if k.startswith("Hoo Choon Khing responded"))
    role = next(a for k, a in by_opening.items() if "defense minister also called" in k)
    assert he.inherited and role.inherited and not named.inherited


def test_mentions_point_at_the_words_naming_the_speaker() -> None:
    text = read(DOC1)
    mentions = [text[a.mention[0] : a.mention[1]] for a in speaker_spans(text) if a.mention]
    assert mentions[:4] == [
        "Vice Minister of Foreign Affairs Kang Insun",
        "Vice Minister Kang",
        "Vice Minister",
        "she",
    ]
    for a in speaker_spans(read(DOC0)):
        if a.mention is not None:
            assert a.start <= a.mention[0] < a.mention[1] <= a.end


def test_kims_words_never_become_hoos() -> None:
    text = read(DOC0)
    hoo = attributed_to(text, HOO)
    assert [text[s:e][:20] for s, e in hoo] == ["Hoo Choon Khing resp", "We appreciate South "]
    for s, e in hoo:
        assert "requested" not in text[s:e]
        assert "AI technology" not in text[s:e]
    kim = attributed_to(text, "Kim Young-suk")
    assert not set(kim) & set(hoo)
    assert any("He requested that Singapore" in text[s:e] for s, e in kim)


def test_attributed_to_accepts_short_names_and_titles() -> None:
    text = read(DOC1)
    assert attributed_to(text, "Kang") == attributed_to(text, "Vice Minister Kang Insun")
    assert len(attributed_to(text, "Kang")) == 9
    assert attributed_to(text, "Kim Young-suk") == []
    doc2 = read(DOC2)
    assert len(attributed_to(doc2, "Anusic")) == 2  # accents do not matter
    assert len(attributed_to(doc2, "Dragone")) == 2
    assert attributed_to(doc2, "Kim Ji-yoon") == []  # she moderated; she said nothing


# --- synthetic texts --------------------------------------------------------------------------


def speakers(text: str, **kwargs: str) -> list[str | None]:
    return [a.speaker for a in speaker_spans(text, **kwargs)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # trailing and inverted attributions
        ("The talks were frank, Kim Young-suk said.", ["Kim Young-suk"]),
        ("The talks were frank, said Kim Young-suk.", ["Kim Young-suk"]),
        ("The talks were frank, said Kim on Tuesday.", ["Kim"]),
        # according to
        ("According to Dragone, NATO stands firm.", ["Dragone"]),
        ("Dragone spoke. According to him, deterrence works.", ["Dragone", "Dragone"]),
        # passive: the subject did not speak
        ("The minister was urged by Hoo to act.", [None]),
        # relative clause
        ("Kim met Hoo, who stressed cooperation.", ["Hoo"]),
        # an introductory participle is not the statement
        ("Speaking at the forum, President Yoon said ties are strong.", ["Yoon"]),
        # "It", "They" never inherit a person
        ("Kang spoke. It added that more was needed. They welcomed it.", ["Kang", None, None]),
        # "the United States" is no statement verb
        ("The United States and the United Kingdom signed the pact.", [None]),
        # countries can make statements too
        ("China urged calm.", ["China"]),
        ("The deal was done, said Kim to reporters.", ["Kim"]),
        ("The plan stalled, noted Kim Young-suk’s aide.", [None]),  # the aide spoke
        ("The talks stalled, urging North Korea to return.", [None]),
        # name particles, abbreviated titles, "continued to"
        ("Ursula von der Leyen said Europe is ready.", ["Ursula von der Leyen"]),
        ("The talks were frank, Mr. Kim said.", ["Kim"]),
        ("Kang continued to stress the need for dialogue.", ["Kang"]),
        ("Kang spoke. According to the minister, talks resume.", ["Kang", "Kang"]),
        # sentences without a statement verb
        ("The meeting lasted two hours.", [None]),
        ("", []),
    ],
)
def test_attribution_forms(text: str, expected: list[str | None]) -> None:
    assert speakers(text) == expected


def test_pronoun_skips_a_person_of_the_other_gender() -> None:
    text = (
        "Minister Lee said talks went well. Mr. Park said nothing new. "
        "She added that ties were strong. He disagreed and stressed caution."
    )
    assert speakers(text) == ["Lee", "Park", "Lee", "Park"]


def test_a_title_gives_the_gender() -> None:
    assert speakers("Mrs. Lee said A. He said B. She said C.") == ["Lee", None, "Lee"]


def test_a_new_named_person_replaces_the_antecedent_even_across_paragraphs() -> None:
    text = "Kang said A.\n\nShe added B.\nKim Young-suk said C.\nHe added D."
    assert speakers(text) == ["Kang", "Kang", "Kim Young-suk", "Kim Young-suk"]


def test_role_prefers_the_person_with_that_title() -> None:
    text = (
        "Foreign Minister Park arrived. Ambassador Choi said relations were good. "
        "The minister said more talks were planned."
    )
    assert speakers(text) == [None, "Choi", "Park"]


def test_titled_subject_without_statement_becomes_the_antecedent() -> None:
    text = "Defense Minister Ahn Gyu-back opened the session. He said peace needs strength."
    assert speakers(text) == [None, "Ahn Gyu-back"]


def test_short_names_expand_to_the_full_name_only_when_unambiguous() -> None:
    text = "Vice Minister Kang Insun arrived. Kang said A."
    assert speakers(text) == [None, "Kang Insun"]
    two_kims = (
        "Kim Ji-yoon moderated. Defense Minister Kim Young-suk spoke. Kim said peace matters."
    )
    assert speakers(two_kims)[-1] == "Kim"


def test_antecedent_resolves_a_leading_pronoun() -> None:
    assert speakers("He said so.") == [None]
    assert speakers("He said so.", antecedent="Kang") == ["Kang"]
    assert speakers("Hoo said so. He added more.", antecedent="Kang") == ["Hoo", "Hoo"]


def test_attribute_sentences_reads_sentences_in_order() -> None:
    out = attribute_sentences(["Vice Minister Kang stressed A.", "She urged B.", "It rained."])
    assert [a.speaker for a in out] == ["Kang", "Kang", None]
    assert out[0] == Attribution(0, 30, "Kang", False, (0, 18))
    assert out[1].mention == (0, 3) and out[1].inherited


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Kang", "Kang Insun", True),
        ("Vice Minister Kang", "Kang Insun", True),
        ("Vice Minister Kang", "Kang", True),
        # ambiguous short names match every longer name they are part of
        ("Kim", "Kim Young-suk", True),
        ("Kim", "Kim Ji-yoon", True),
        ("Kim Young-suk", "Kim Ji-yoon", False),
        ("Anusic", "Anušić", True),
        ("ANUSIC", "Deputy Prime Minister Ivan Anušić", True),
        ("Kim Youngsuk", "Kim Young-suk", True),
        ("Hoo Choon Khing", "Kim Young-suk", False),
        ("Hoo", "Hoo Choon Khing", True),
        ("Minister", "Kang", False),  # a bare title names no one
        ("", "Kang", False),
        ("Dragone", "Chairman Giuseppe Cavo Dragone", True),
    ],
)
def test_same_person(a: str, b: str, same: bool) -> None:
    assert same_person(a, b) is same
    assert same_person(b, a) is same


def test_name_key_strips_titles_and_folds() -> None:
    assert name_key("Vice Minister of Foreign Affairs Kang Insun") == "kang insun"
    assert name_key("Deputy Prime Minister Anušić") == "anusic"
    assert name_key("Mr. Kim's") == "kim"
    assert name_key("Minister") == ""


# --- questions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did Kang say about New START?", WhoSaid("Kang", "New START", "say")),
        (
            "What did Kim Young-suk ask Singapore regarding South Korean weapons?",
            WhoSaid("Kim Young-suk", "Singapore regarding South Korean weapons", "ask"),
        ),
        (
            "What did Anušić say about climate change?",
            WhoSaid("Anušić", "climate change", "say"),
        ),
        (
            "How did Teodoro describe the instability in the Indo-Pacific?",
            WhoSaid("Teodoro", "the instability in the Indo-Pacific", "describe"),
        ),
        (
            "According to Dragone, what threatens peace?",
            WhoSaid("Dragone", "what threatens peace", None),
        ),
        (
            "What emerging technology did Vice Minister Kang say needs international norms?",
            WhoSaid("Kang", "emerging technology needs international norms", "say"),
        ),
        ("What was Kang's position on the CD?", WhoSaid("Kang", "the CD", "position")),
        (
            "Did Hoo say that Singapore would help?",
            WhoSaid("Hoo", "that Singapore would help", "say"),
        ),
        ("Summarise what Kang said about AI.", WhoSaid("Kang", "AI", "said")),
        (
            "What did Kim Young-suk say about the population of Seoul?",
            WhoSaid("Kim Young-suk", "the population of Seoul", "say"),
        ),
    ],
)
def test_parse_who_said(question: str, expected: WhoSaid) -> None:
    assert parse_who_said(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Who moderated the first plenary panel of the Seoul Defense Dialogue?",
        "What is the capital of Australia?",
        "What did the panel identify as major threats to global security?",  # not a person
        "What did the Vice Minister say?",  # a role, not a name
        "What did they say about NATO?",
        "What did Kang do in Geneva?",  # not a statement
        "How many defense ministers attended this year's Seoul Defense Dialogue?",
        "Who is the Dutch defense minister who met Kim Young-suk?",
        "",
    ],
)
def test_parse_who_said_rejects_non_attribution_questions(question: str) -> None:
    assert parse_who_said(question) is None


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_speaker_spans_never_raises_and_covers_the_sentences(text: str) -> None:
    out = speaker_spans(text)
    assert [(a.start, a.end) for a in out] == split_sentences(text)
    for a in out:
        assert (a.mention is None) or (a.start <= a.mention[0] <= a.mention[1] <= a.end)
        assert a.speaker is None or a.speaker.strip()


_PIECES = st.sampled_from(
    [
        "Kang",
        "Vice Minister Kang",
        "He",
        "She",
        "They",
        "The minister",
        "Hoo Choon Khing",
        "said",
        "stressed",
        "urged",
        "was urged",
        "According to",
        ",",
        ".",
        " ",
        "the",
        "Mr.",
        "who",
        "and",
        "Kim",
        "went on to say",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.text(max_size=20))
def test_attribution_is_total_on_sentence_like_noise(pieces: list[str], question: str) -> None:
    text = " ".join(pieces)
    speaker_spans(text)
    speaker_spans(text, antecedent="Kang")
    parse_who_said(" ".join(pieces) + "?")
    parse_who_said(question)
    for a in speaker_spans(text):
        if a.speaker is not None:
            assert same_person(a.speaker, a.speaker)
