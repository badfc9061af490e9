"""The one analyser: BM25 tokenisation pinned, numbers, negation, names and aliases."""

from __future__ import annotations

import pytest

from diplorag.text.analyze import (
    LEXICAL_VERSION,
    abbreviations,
    content_terms,
    has_negation,
    name_key,
    names,
    numbers,
    same_name,
    terms,
)
from diplorag.text.windows import best_window


def test_bm25_tokenisation_is_pinned() -> None:
    # Indexes on disk hold these terms: changing them needs a new LEXICAL_VERSION.
    assert LEXICAL_VERSION == 1
    assert terms("The Défense issues: fighters urged, urging NATO's programmes in 2017") == [
        "defense",
        "issue",
        "fighter",
        "urg",
        "urg",
        "nato",
        "program",
        "2017",
    ]


def test_content_terms_drop_scaffolding_and_reporting_verbs() -> None:
    assert content_terms("What did Kang say about the New START treaty?") == [
        "kang",
        "new",
        "start",
        "treaty",
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("It flies at 7,400 km/h.", {"7400"}),
        ("ten newly built fighters", {"10"}),
        ("an additional $55.7m", {"55.7"}),
        ("one of them", set()),
        ("F-15 jets in 2016", {"15", "2016"}),
    ],
)
def test_numbers(text: str, found: set[str]) -> None:
    assert numbers(text) == found


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("He denied that it was a mosque.", True),
        ("There is not a single fact.", True),
        ("It wasn't true.", True),
        ("The charges are groundless.", True),
        ("He confirmed the strike.", False),
    ],
)
def test_negation(text: str, negated: bool) -> None:
    assert has_negation(text) is negated


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("F-15s", "F-15"),
        ("Russia's", "Russia"),
        ("Russian", "Russia"),
        ("Sergei", "Sergey"),
        ("Aleksandr", "Alexander"),
        ("Beijing", "China"),
        ("Americans", "US"),
    ],
)
def test_aliases_and_inflections(a: str, b: str) -> None:
    assert same_name(a, b), (name_key(a), name_key(b))


def test_different_names_stay_apart() -> None:
    assert not same_name("Kim", "Kang")
    assert not same_name("Iran", "Iraq")


def test_names_skip_openers_and_numbers() -> None:
    assert names("What did Russia's envoy say about F-15s in 2016?") == ["Russia's", "F-15s"]


def test_best_window_picks_the_matching_sentences() -> None:
    text = "Weather was fine. Kang spoke on New START. Lunch followed."
    start, end = best_window(text, "New START", max_words=6)
    assert text[start:end] == "Kang spoke on New START."


def test_abbreviations_the_text_defines() -> None:
    text = (
        "Kang attended the 2024 Conference on Disarmament (CD) in Geneva. Russia withdrew "
        "from the Comprehensive Nuclear Test Ban Treaty (CTBT). It met the Islamic State of "
        "Iraq and the Levant (ISIL) and the United Nations (UN). The costs (US) rose; he met "
        "him (Kim). Talks on the New Strategic Arms Reduction Treaty (New START) went on."
    )
    assert abbreviations(text) == {
        "CD": "Conference on Disarmament",
        "CTBT": "Comprehensive Nuclear Test Ban Treaty",
        "ISIL": "Islamic State of Iraq and the Levant",
        "UN": "United Nations",
    }
