"""Sentence and word spans: the offsets chunking and citation checks rely on."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from diplorag.sentences import count_words, iter_words, split_sentences, words

# Pieces that exercise the splitter: abbreviations, initials, quotes, every kind of line break.
TOKENS = [
    "Seoul",
    "the",
    "The",
    "talks",
    "Kim",
    "Young-suk",
    "Korea’s",
    "Anušić",
    "军工",
    "42",
    "2024",
    "Mr.",
    "Dr.",
    "Gen.",
    "U.S.",
    "e.g.",
    "No.",
    "no.",
    "J.",
    "etc.",
    ".",
    "...",
    "…",
    "!",
    "?",
    "?!",
    ",",
    "—",
    "-",
    '"',
    "“",
    "”",
    "(",
    ")",
    "'",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u2028",
    "\xa0",
    "\x0c",
]
texts = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=80).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
    st.text(max_size=200),
)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def check_spans(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> None:
    for a, b in spans:
        assert lo <= a < b <= hi
        assert not text[a].isspace(), (text, a)
        assert not text[b - 1].isspace(), (text, b)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start
    covered = {i for a, b in spans for i in range(a, b)}
    for i in range(lo, hi):
        if not text[i].isspace():
            assert i in covered, (text, i)


@given(texts)
@example("Mr. Smith went.\r\nThen he left.\rNext")
@example(" \n ")
@example("")
def test_spans_are_ordered_trimmed_and_cover_every_non_space_char(text: str) -> None:
    check_spans(text, split_sentences(text), 0, len(text))


@given(texts, st.data())
def test_spans_of_a_slice_stay_inside_it(text: str, data: st.DataObject) -> None:
    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    check_spans(text, split_sentences(text, lo, hi), lo, hi)


@given(texts)
def test_words_of_sentences_add_up_to_words_of_text(text: str) -> None:
    # Chunking counts words per sentence and trusts the sum for the chunk.
    assert sum(count_words(s) for s in sentences(text)) == count_words(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Mr. Kim met Dr. J. Smith at 5 p.m. on Monday.", None),
        ("Gen. Lee spoke. Then he left.", ["Gen. Lee spoke.", "Then he left."]),
        (
            "He met the U.S. delegation. Then he left.",
            ["He met the U.S. delegation.", "Then he left."],
        ),
        (
            "Talks with the U.S. The two sides agreed.",
            ["Talks with the U.S.", "The two sides agreed."],
        ),
        ("The answer was no. Then he left.", ["The answer was no.", "Then he left."]),
        ("See No. 5 here. Fine.", ["See No. 5 here.", "Fine."]),
        ("Use tools, e.g. hammers. Fine.", ["Use tools, e.g. hammers.", "Fine."]),
        ('He said "Go." Then he went.', ['He said "Go."', "Then he went."]),
        ("It was (late.) Then.", ["It was (late.)", "Then."]),
        ("It cost 3.5 billion won. Fine.", ["It cost 3.5 billion won.", "Fine."]),
        ("Wait... what happened? Nothing.", ["Wait... what happened?", "Nothing."]),
        ("Done.\tNext", ["Done.", "Next"]),
        ("Plan B. The end.", ["Plan B.", "The end."]),
        ("Agent J. Smith left.", ["Agent J. Smith left."]),
        ("headline without stop\nBody sentence.", ["headline without stop", "Body sentence."]),
        ("one\r\ntwo\r\n\r\nthree", ["one", "two", "three"]),
        ("one\rtwo", ["one", "two"]),
        ("one\u2028two", ["one", "two"]),
        ("  padded  ", ["padded"]),
        ("", []),
    ],
)
def test_split_sentences_examples(text: str, expected: list[str] | None) -> None:
    assert sentences(text) == (expected if expected is not None else [text])


def test_offsets_are_absolute_when_starting_late() -> None:
    text = "---\ntitle: x\n---\nFirst one. Second one."
    spans = split_sentences(text, text.index("First"))
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one."]
    assert spans[0][0] == text.index("First")


def test_a_long_text_with_many_full_stops_splits() -> None:
    # Regression: the abbreviation look-back scanned from the start of the text (quadratic).
    text = "The talks ended etc. and more. " * 20_000
    spans = split_sentences(text)
    assert len(spans) == 20_000
    assert text[spans[-1][0] : spans[-1][1]] == "The talks ended etc. and more."


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Kim Young-suk met Korea’s minister", 5),
        ("军工 sectors", 2),
        ("on September 9, 2024 — P5", 5),
        ("-- ... —", 0),
        ("well-known state-of-the-art", 2),
    ],
)
def test_count_words(text: str, n: int) -> None:
    assert count_words(text) == n
    assert len(words(text)) == n


def test_iter_words_gives_offsets() -> None:
    text = "The U.S.-led talks"
    assert [(m.start(), m.group(0)) for m in iter_words(text)] == [
        (0, "The"),
        (4, "U"),
        (6, "S"),
        (9, "led"),
        (13, "talks"),
    ]
    assert words("The TALKS") == ["the", "talks"]
