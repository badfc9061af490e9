"""Citation markers and abstentions in model answers (``diplorag.answer.markers``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplorag.answer.markers import (
    ABSTENTION,
    ParsedSentence,
    is_abstention,
    parse_answer,
    strip_markers,
    with_marker,
)

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


@pytest.mark.parametrize(
    "sentence",
    [
        ABSTENTION,
        "The provided passages do not mention the population of Seoul.",
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


def test_claims_are_not_abstentions() -> None:
    assert not is_abstention("Kang said the documents were signed.")
    assert not is_abstention("No country objected.")


def test_with_marker_goes_before_the_final_punctuation() -> None:
    assert with_marker("Kang spoke.", "[1]") == "Kang spoke [1]."
    assert with_marker("Kang spoke", "[2]") == "Kang spoke [2]"


@given(st.lists(st.sampled_from(["Kang", " spoke", "[1]", "[2, 3]", ".", " ", "(1)", "\n", "[x"])))
def test_markers_never_leak_into_sentence_text(pieces: list[str]) -> None:
    for sentence in parse_answer("".join(pieces), n_sources=3):
        assert strip_markers(sentence.text, n_sources=3)[1] == []
