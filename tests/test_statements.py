"""The statement index on sentences written for it, with the real spaCy pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplorag.statements import analyse_documents
from diplorag.statements.extract import DocumentAnalysis, Person, Speaker, quote_regions
from diplorag.statements.people import PersonName, merge_people, name_key, same_name
from diplorag.statements.roles import colleague, office


def analyse(text: str) -> DocumentAnalysis:
    [(_, analysis)] = list(analyse_documents([("d", text, 0)]))
    return analysis


def person_of(a: DocumentAnalysis, speaker: Speaker) -> Person:
    """The person a statement's speaker resolved to (the test expects one)."""
    assert speaker.person is not None
    return a.people[speaker.person]


def said(text: str) -> list[tuple[str | None, str, str, bool]]:
    """``(speaker, predicate, content, direct)`` of every statement in ``text``."""
    a = analyse(text)
    out = []
    for s in a.statements:
        who = a.people[s.speaker.person].name if s.speaker.person is not None else s.speaker.name
        out.append((who, s.predicate, text[s.content_start : s.content_end], s.direct))
    return out


def test_subject_and_exact_offsets() -> None:
    text = "Russian Foreign Minister Sergei Lavrov said Moscow would respond to the sanctions."
    a = analyse(text)
    [s] = a.statements
    assert person_of(a, s.speaker).name == "Sergei Lavrov"
    assert text[s.content_start : s.content_end] == "Moscow would respond to the sanctions"
    assert text[s.sentence_start : s.sentence_end] == text.rstrip()
    assert text[s.mention_start : s.mention_end] == "Sergei Lavrov"
    assert person_of(a, s.speaker).roles == ["Russian Foreign Minister"]


def test_quote_then_speaker() -> None:
    text = '"There is not a single fact of Iran\'s links to terrorists," Lavrov said.'
    assert said(text) == [
        ("Lavrov", "say", "There is not a single fact of Iran's links to terrorists", True)
    ]


def test_speaker_then_quote() -> None:
    text = 'Peskov told reporters: "This has nothing to do with reality."'
    [(who, predicate, content, direct)] = said(text)
    assert (who, predicate, direct) == ("Peskov", "tell", True)
    assert content == "This has nothing to do with reality"


def test_inverted_said_name() -> None:
    text = '"The transit was normal," said Liu Zhenmin, the vice-foreign minister.'
    [(who, _, content, direct)] = said(text)
    assert who == "Liu Zhenmin"
    assert content == "The transit was normal"
    assert direct


def test_according_to() -> None:
    text = "According to Dragone, the alliance will keep working with its partners in Asia."
    [(who, predicate, content, _)] = said(text)
    assert (who, predicate) == ("Dragone", "according to")
    assert content == "the alliance will keep working with its partners in Asia"


def test_pronoun_resolves_to_the_last_subject_of_matching_gender() -> None:
    text = (
        "Chancellor Angela Merkel met Vladimir Putin in Moscow. "
        "She urged Putin to use his influence on the separatists."
    )
    [(who, predicate, content, _)] = said(text)
    assert (who, predicate) == ("Angela Merkel", "urge")
    assert content.startswith("Putin to use his influence")


def test_pronoun_resolves_to_a_person_the_document_names_again_later() -> None:
    # The whole text is parsed as one piece, so Assad's last mention is registered before
    # the "he said" sentence is read: resolution must look at the mentions before it.
    text = (
        "Mr Assad accused United Nations institutions of acting unfairly. "
        '"We all know that the United Nations institutions are not unbiased," he said. '
        "Rights watchdog Amnesty International accused the regime of mass hangings. "
        "Assad dismissed the report."
    )
    found = said(text)
    assert (found[1][0], found[1][2]) == (
        "Assad",
        "We all know that the United Nations institutions are not unbiased",
    )
    credited = [(w, p) for w, p, _, _ in found]
    assert ("Amnesty International", "accuse") in credited
    assert ("Amnesty International", "say") not in credited


def test_pronoun_after_two_people_takes_the_subject() -> None:
    text = (
        "In a meeting with Singaporean Defense Minister Hoo Choon Khing, Kim Young-suk "
        "expressed gratitude for Singapore's support. He requested that Singapore keep "
        "buying South Korean weapon systems."
    )
    found = said(text)
    assert [(w, p) for w, p, _, _ in found] == [
        ("Kim Young-suk", "express"),
        ("Kim Young-suk", "request"),
    ]


def test_pronoun_is_not_the_subject_of_a_quote_before_it() -> None:
    text = (
        'Mr Spicer quoted Mr Napolitano as saying: "Three intelligence sources have informed '
        'Fox News that President Obama went outside the chain of command." He said Mr Obama '
        '"didn\'t use the NSA, he used GCHQ."'
    )
    found = said(text)
    assert [(w, c) for w, _, c, _ in found][-1] == (
        "Spicer",
        "didn't use the NSA, he used GCHQ",
    )
    assert all(w != "Obama" for w, _, _, _ in found)


def test_role_noun_resolves_to_the_person_named_in_that_role() -> None:
    text = (
        "Russian Foreign Minister Sergei Lavrov and Japanese Foreign Minister Fumio Kishida "
        "met in Tokyo. The Russian foreign minister said the talks had been useful."
    )
    [(who, _, content, _)] = said(text)
    assert who == "Sergei Lavrov"
    assert content == "the talks had been useful"


def test_surname_and_title_resolve_to_the_full_name() -> None:
    text = (
        "Vice Minister of Foreign Affairs Kang Insun attended the conference. "
        "Vice Minister Kang stressed that the CD must be revitalized."
    )
    a = analyse(text)
    [s] = a.statements
    person = person_of(a, s.speaker)
    assert person.name == "Kang Insun"
    assert {"Kang", "Kang Insun"} <= person.aliases


def test_two_speakers_in_one_sentence() -> None:
    text = "Kim said the drills would go ahead, while Hoo said Singapore would observe them."
    assert [(w, c) for w, _, c, _ in said(text)] == [
        ("Kim", "the drills would go ahead"),
        ("Hoo", "Singapore would observe them"),
    ]


def test_reported_statement_inside_another() -> None:
    text = "Peskov said Zakharova had warned that Russia would respond."
    found = {(w, p): c for w, p, c, _ in said(text)}
    assert found[("Peskov", "say")] == "Zakharova had warned that Russia would respond"
    assert found[("Zakharova", "warn")] == "Russia would respond"


def test_negation_is_kept_in_the_span() -> None:
    text = "Captain Jeff Davis denied that the targeted building was a mosque."
    [(who, predicate, content, _)] = said(text)
    assert (who, predicate) == ("Jeff Davis", "deny")
    assert content == "the targeted building was a mosque"
    text = "Lavrov said Russia would not supply the weapons."
    [(_, _, content, _)] = said(text)
    assert content == "Russia would not supply the weapons"


def test_multi_sentence_quote_keeps_its_speaker() -> None:
    text = (
        'Stoltenberg said: "We are ready to talk. We want a constructive relationship. '
        'But we will defend every ally."'
    )
    found = said(text)
    assert [w for w, *_ in found] == ["Stoltenberg"] * 3
    assert all(direct for *_, direct in found)
    assert found[2][2] == "But we will defend every ally"


def test_quote_after_a_quote_continues_the_speaker() -> None:
    text = '"We will respond," Lavrov said. "Nobody should doubt it."'
    found = said(text)
    assert [(w, c) for w, _, c, _ in found] == [
        ("Lavrov", "We will respond"),
        ("Lavrov", "Nobody should doubt it"),
    ]


def test_organisations_and_places_speak_too() -> None:
    text = "China called on the new US administration to respect the one-China policy."
    [(who, predicate, content, _)] = said(text)
    assert (who, predicate) == ("China", "call")
    assert content.startswith("the new US administration to respect")


def test_no_speaker_no_statement() -> None:
    assert said("Officials said the talks would resume.") == []
    assert said("The weather was cold in Geneva.") == []


def test_damaged_apostrophes_are_not_quote_marks() -> None:
    text = '"I don"t think so," he said.'
    [(a, b)] = quote_regions(text)
    assert text[a:b] == 'I don"t think so,'


def test_name_keys_unify_spellings_and_diacritics() -> None:
    assert name_key("Sergei Lavrov") == name_key("Sergey Lavrov") == "sergei lavrov"
    assert name_key("Ivan Anušić") == name_key("Ivan Anusic")
    assert name_key("Mr. Lavrov's") == "lavrov"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Donald J. Trump", "Donald Trump", True),
        ("Sergey Viktorovich Lavrov", "Sergei Lavrov", True),
        ("Kim Jong Un", "Kim Jong-un", True),
        ("Kim Jong Un", "Kim Jong Nam", False),
        ("Kim Young-suk", "Kim Jong Un", False),
        ("Hua Chunying", "Lu Kang", False),
    ],
)
def test_same_name(a: str, b: str, same: bool) -> None:
    assert same_name(name_key(a).split(), name_key(b).split()) is same


def test_merge_people_across_documents() -> None:
    people = [
        PersonName("1:0", "Sergey Lavrov", {"Lavrov", "Sergey Lavrov"}),
        PersonName("2:0", "Sergei Lavrov", {"Sergei Lavrov"}),
        PersonName("3:0", "Lavrov", {"Lavrov"}),
        PersonName("4:0", "Kim Jong Un", {"Kim Jong Un"}),
        PersonName("5:0", "Kim Jong Nam", {"Kim Jong Nam"}),
        PersonName("6:0", "Kim", {"Kim"}),
    ]
    entities = {tuple(sorted(e.members)): e for e in merge_people(people)}
    assert ("1:0", "2:0", "3:0") in entities  # the lone surname joins the only Lavrov
    assert ("4:0",) in entities and ("5:0",) in entities  # two Kims stay two
    assert ("6:0",) in entities  # "Kim" alone is ambiguous: not merged into either


SEEDS = Path(__file__).resolve().parents[1] / "corpus"


def _seed(name: str) -> tuple[str, DocumentAnalysis]:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    text = path.read_text(encoding="utf-8")
    return text, analyse(text)


def test_seed_kim_hoo_meeting_who_said_what() -> None:
    text, a = _seed("000")
    rows = [
        (person_of(a, s.speaker).name, s.predicate, text[s.content_start : s.content_end])
        for s in a.statements
    ]
    by_hoo = [r for r in rows if r[0] == "Hoo Choon Khing"]
    assert [r[1] for r in by_hoo] == ["say"]
    assert by_hoo[0][2].startswith("We appreciate South Korea’s efforts")
    by_kim = [r[1] for r in rows if r[0] == "Kim Young-suk"]
    assert by_kim == [
        "highlight",
        "suggest",
        "state",
        "call",
        "express",
        "request",
        "emphasize",
        "stress",
    ]
    assert len(rows) == len(by_kim) + len(by_hoo)  # nobody else is credited


def test_seed_kang_every_pronoun_statement() -> None:
    text, a = _seed("001")
    people = {person_of(a, s.speaker).name for s in a.statements}
    assert people == {"Kang Insun"}
    pronouns = [
        s.predicate for s in a.statements if text[s.mention_start : s.mention_end].lower() == "she"
    ]
    assert pronouns == ["speak", "share", "urge"]


def test_seed_seoul_dialogue_speakers() -> None:
    _text, a = _seed("002")
    rows = [(person_of(a, s.speaker).name, s.predicate) for s in a.statements]
    assert rows == [
        ("Gilberto Teodoro", "highlight"),
        ("Gilberto Teodoro", "stress"),
        ("Ivan Anušić", "emphasize"),
        ("Ivan Anušić", "underscore"),
        ("Giuseppe Cavo Dragone", "affirm"),
        ("Ahn Gyu-back", "state"),
        ("Ahn Gyu-back", "add"),
    ]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Niki Haley", "Nikki Haley", True),
        ("Mary Carter", "Marc Carter", False),
        ("George W. Bush", "George H. W. Bush", False),
        ("George W. Bush", "George Bush", True),
    ],
)
def test_spelling_slips_and_initials(a: str, b: str, same: bool) -> None:
    assert same_name(name_key(a).split(), name_key(b).split()) is same


def test_lone_surname_joins_the_dominant_holder_and_glued_words_are_dropped() -> None:
    people = [PersonName(f"{i}:0", "Nikki Haley", {"Nikki Haley"}) for i in range(4)]
    people += [
        PersonName("9:0", "Brad Haley", {"Brad Haley"}),
        PersonName("10:0", "Haley", {"Haley"}),
        PersonName("11:0", "Nations Nikki Haley", {"Nations Nikki Haley"}),
    ]
    entities = merge_people(people)
    nikki = next(e for e in entities if "0:0" in e.members)
    assert {"10:0", "11:0"} <= set(nikki.members)
    assert nikki.name == "Nikki Haley"
    assert any(e.members == ["9:0"] for e in entities)


def test_anonymity_and_a_question_put_to_someone_are_not_statements() -> None:
    text = (
        "A navy officer, who asked not to be named, confirmed the drill. "
        "Asked whether he thought the bill would pass, Senator Mo Brooks said he was hopeful."
    )
    assert [(who, predicate) for who, predicate, _, _ in said(text)] == [
        ("Mo Brooks", "say"),
    ]


def test_a_quote_that_is_part_of_its_clause_is_reported_speech() -> None:
    text = (
        "Volker Beck, a German lawmaker, spoke on Monday. The Turkish state's collection of "
        'information has likely occurred "all over the world," Beck said.'
    )
    [(who, predicate, content, direct)] = said(text)
    assert (who, predicate, direct) == ("Volker Beck", "say", False)
    assert content == (
        "The Turkish state's collection of information has likely occurred \"all over the world"
    )


def test_a_few_quoted_words_inside_reported_speech() -> None:
    text = 'President Donald Trump said on Monday that the US "strongly supports" NATO.'
    [(who, predicate, content, direct)] = said(text)
    assert (who, predicate, content, direct) == (
        "Donald Trump",
        "say",
        'the US "strongly supports" NATO',
        False,
    )


def test_the_quote_after_a_colon_is_what_was_told() -> None:
    text = 'President Donald Trump also told Reuters: "We are going to win this one."'
    [(who, predicate, content, direct)] = said(text)
    assert (who, predicate, content, direct) == (
        "Donald Trump",
        "tell",
        "We are going to win this one",
        True,
    )


def test_a_headline_glued_to_the_lede_is_said_once() -> None:
    text = (
        "NBRU warns Dublin Bus not to move buses out of shared depots Meanwhile, the NBRU has "
        "warned Dublin Bus not to move buses out of depots shared with Bus Eireann."
    )
    [(who, predicate, content, _)] = said(text)
    assert (who, predicate) == ("NBRU", "warn")
    assert content == "Dublin Bus not to move buses out of depots shared with Bus Eireann"


def test_a_statement_before_a_linking_adverb_is_not_the_next_verbs() -> None:
    text = (
        "House Speaker Paul Ryan said Congress was proud to have passed the Cures Act, which "
        'calls for money for "breakthrough discoveries on cancer," so he expects the proposed '
        "cut to be revised."
    )
    contents = {(p, c) for _, p, c, _ in said(text)}
    assert ("expect", "the proposed cut to be revised") in contents
    assert not any(p == "expect" and "Congress" in c for p, c in contents)


def test_a_quote_that_opens_a_sentence_which_lost_its_full_stop_is_its_own() -> None:
    text = (
        "Andrew Foster runs the hospital trust. The cubicles were full and we could not get "
        'patients out of hospital "It started from Boxing Day onwards," says Mr Foster.'
    )
    contents = [(who, c, d) for who, _, c, d in said(text)]
    assert ("Andrew Foster", "It started from Boxing Day onwards", True) in contents


def test_reported_speech_that_ends_in_a_quote_goes_on_with_it() -> None:
    text = (
        'Minister Senzeni Zokwana said the Department of Agriculture "realized that pests '
        "threaten food "
        'security. Regional efforts are important to address these risks."'
    )
    assert said(text) == [
        (
            "Senzeni Zokwana",
            "say",
            'the Department of Agriculture "realized that pests threaten food security',
            False,
        ),
        ("Senzeni Zokwana", "say", "Regional efforts are important to address these risks", True),
    ]


def test_a_share_bar_before_the_speaker_is_not_what_was_said() -> None:
    text = (
        "Send Facebook Twitter Google+ Whatsapp Tumblr linkedin stumble Digg reddit Newsvine "
        "Permalink http://dw.com/p/2XWMU Green politician Volker Beck, who filed a criminal "
        "complaint in December, said DITIB's claims of innocence do not add up."
    )
    assert said(text) == [
        ("Volker Beck", "say", "DITIB's claims of innocence do not add up", False),
    ]


def test_an_unnamed_role_is_not_the_person_named_before_in_that_role() -> None:
    text = (
        "Last week, Mr Trump's spokesman Sean Spicer repeated the claims. "
        'A GCHQ spokesman said: "The allegations are nonsense." '
        "The arrests were part of a wider effort, a police spokesman said. "
        'House Speaker Paul Ryan spoke first. "The speaker maintains an open door policy," '
        "a Ryan aide said in a statement."
    )
    found = said(text)
    assert ("GCHQ", "say", "The allegations are nonsense", True) in found
    assert not any(who == "Sean Spicer" and "nonsense" in c for who, _, c, _ in found)
    assert not any("arrests" in c for _, _, c, _ in found)  # no one to credit it to
    assert not any("open door" in c for _, _, c, _ in found)  # the aide, not Ryan


def test_a_quote_introduced_after_it_is_one_statement_not_also_its_first_sentence() -> None:
    text = (
        "Feng Xin'an, a sales manager, says he invested in the bitcoin market. "
        '"The young generation loves to pay with digital currency. Their demand for bitcoin '
        'will grow further," he says.'
    )
    quotes = [c for who, _, c, direct in said(text) if direct]
    assert quotes == [
        "The young generation loves to pay with digital currency. Their demand for bitcoin "
        "will grow further"
    ]


LAVROV = ["Russian Foreign Minister", "Foreign Minister", "about American partnership Minister"]


@pytest.mark.parametrize(
    ("roles", "sentence", "same"),
    [
        # No country in the role: the sentence that quotes him gives it.
        (
            ["Deputy Foreign Minister"],
            'Deputy Foreign Minister Bogdanov says Russia "expressed concern".',
            True,
        ),
        (["Russian Foreign Ministry spokeswoman"], "Zakharova said the talks would go on.", True),
        (["Israeli Prime Minister"], "Netanyahu said Israel would strike again.", False),
        (["Russian Defence Minister"], "Shoigu reported to the Russian president.", False),
        (["Deputy Foreign Minister"], "Bogdanov said the talks would go on.", False),
        ([], "Peskov said Russia was concerned.", False),
    ],
)
def test_a_colleague_serves_the_same_government_in_the_same_field(
    roles: list[str], sentence: str, same: bool
) -> None:
    assert colleague(LAVROV, roles, sentence) is same


def test_the_first_role_that_names_a_country_is_the_office() -> None:
    # A parser's slip among the rarer roles ("to Seoul by US Secretary") is not the office.
    johnson = ["British Foreign Secretary", "about American partnership British Foreign Secretary"]
    assert office(johnson)[1] == {"uk"}
    assert not colleague(johnson, ["President"], "Trump said the US would act.")
    assert office(["Foreign Minister", "Chinese Foreign Minister"])[1] == {"china"}
