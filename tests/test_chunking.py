"""Chunker: whole sentences, exact offsets, bounded size, overlap that always makes progress."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diplorag.chunking import chunk_document
from diplorag.sentences import count_words, iter_words, split_sentences
from diplorag.types import Chunk, ChunkerSettings, Document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# Worked examples below count words against these numbers, not against the defaults.
W200 = ChunkerSettings(target_words=200, max_words=250, overlap_sentences=1)


def w200(**changes: int) -> ChunkerSettings:
    return W200.model_copy(update=changes)


def make_doc(text: str, body_start: int = 0, doc_id: str = "0123456789abcdef") -> Document:
    return Document(
        doc_id=doc_id,
        path="/tmp/x.txt",
        content_hash="0" * 64,
        title="x",
        kind="txt",
        text=text,
        body_start=body_start,
    )


def sentence(n_words: int, tag: str) -> str:
    """A sentence of exactly ``n_words`` words, recognisable by ``tag``."""
    return " ".join([tag.capitalize(), *(f"w{i}" for i in range(n_words - 1))]) + "."


WORDS = ["talks", "Seoul", "Kim", "Young-suk", "军工", "P5", "2024", "Korea’s", "the", "The"]
JOINERS = [" ", ". ", "! ", "? ", ".\n", "\r\n", "\n\n", " Mr. ", " U.S. ", " e.g. ", ", ", "\r"]
texts = st.one_of(
    # prose-like: words joined by spaces and sentence ends (and long runs without any)
    st.lists(
        st.tuples(st.sampled_from(WORDS), st.sampled_from(JOINERS + [" "] * 8)),
        max_size=150,
    ).map(lambda pairs: "".join(w + j for w, j in pairs)),
    st.text(max_size=300),
)
chunker_settings = st.builds(
    ChunkerSettings,
    target_words=st.integers(1, 40),
    max_words=st.integers(1, 40),
    overlap_sentences=st.integers(0, 3),
)


def check_chunks(doc: Document, settings: ChunkerSettings, chunks: list[Chunk]) -> None:
    text, lo = doc.text, doc.body_start
    spans = split_sentences(text, lo)
    starts = {a for a, _ in spans}
    ends = {b for _, b in spans}
    long_spans = [(a, b) for a, b in spans if count_words(text[a:b]) > settings.max_words]
    word_starts = {m.start() for m in iter_words(text)}
    word_ends = {m.end() for m in iter_words(text)}

    assert bool(chunks) == bool(spans)
    for i, c in enumerate(chunks):
        assert c.text == text[c.start : c.end] == c.text.strip()
        assert (c.ordinal, c.chunk_id, c.doc_id) == (i, f"{doc.doc_id}-{i:04d}", doc.doc_id)
        assert c.n_words == count_words(c.text) <= settings.max_words
        assert lo <= c.start < c.end <= len(text)
        # Whole sentences, except where an over-long sentence was cut at a word boundary.
        if c.start not in starts:
            assert any(a < c.start < b for a, b in long_spans) and c.start in word_starts
        if c.end not in ends:
            assert any(a < c.end < b for a, b in long_spans)
            assert c.end in word_ends or not text[c.end - 1].isalnum()
    for prev, nxt in itertools.pairwise(chunks):
        assert prev.start < nxt.start and prev.end < nxt.end  # ordered, always progressing
        assert not text[prev.end : nxt.start].strip()  # no gap with text in it
    # Greedy: a chunk stops short of target_words only when the next sentence would not fit.
    target = min(settings.target_words, settings.max_words)
    for c in chunks[:-1]:
        following = [(a, b) for a, b in spans if a >= c.end]
        if following and following[0] not in long_spans and c.n_words < target:
            a, b = following[0]
            assert c.n_words + count_words(text[a:b]) > settings.max_words
    # Every non-space character of every sentence of the body is in some chunk.
    covered = {i for c in chunks for i in range(c.start, c.end)}
    for a, b in spans:
        assert all(i in covered for i in range(a, b) if not text[i].isspace())
        if (a, b) not in long_spans:  # a sentence that fits is never split across chunks
            assert any(c.start <= a and b <= c.end for c in chunks)


@given(texts, chunker_settings, st.data())
def test_chunks_slice_back_cover_the_body_and_respect_limits(
    text: str, settings: ChunkerSettings, data: st.DataObject
) -> None:
    body_start = data.draw(st.integers(0, len(text)))
    doc = make_doc(text, body_start)
    chunks = chunk_document(doc, settings)
    check_chunks(doc, settings, chunks)
    assert chunk_document(doc, settings) == chunks  # deterministic


@given(texts)
def test_default_settings(text: str) -> None:
    doc = make_doc(text)
    check_chunks(doc, ChunkerSettings(), chunk_document(doc, ChunkerSettings()))


def test_short_document_is_one_chunk() -> None:
    text = "\n  Seoul, September 9, 2024 — The ministers met. They agreed.  \n"
    (chunk,) = chunk_document(make_doc(text), W200)
    assert chunk.text == text.strip()
    assert chunk.chunk_id == "0123456789abcdef-0000"
    assert chunk.n_words == 9  # Seoul September 9 2024 The ministers met They agreed


def test_empty_body_gives_no_chunks() -> None:
    assert chunk_document(make_doc("  \n\r\n "), ChunkerSettings()) == []
    text = "---\ntitle: only front matter\n---\n"
    assert chunk_document(make_doc(text, len(text)), ChunkerSettings()) == []


def test_front_matter_is_skipped() -> None:
    text = "---\ntitle: T\n---\nBody one. Body two."
    chunks = chunk_document(make_doc(text, text.index("Body")), ChunkerSettings())
    assert [c.text for c in chunks] == ["Body one. Body two."]


def test_sentences_accumulate_to_target_and_overlap_by_one() -> None:
    parts = [sentence(50, f"s{i}") for i in range(10)]
    text = " ".join(parts)
    chunks = chunk_document(make_doc(text), W200)
    # 4 sentences reach the 200-word target; each next chunk opens with the last one before.
    assert [c.n_words for c in chunks] == [200, 200, 200]
    assert [c.text for c in chunks] == [
        " ".join(parts[0:4]),
        " ".join(parts[3:7]),
        " ".join(parts[6:10]),
    ]
    assert chunks[1].start == text.index(parts[3])


def test_no_overlap_when_disabled() -> None:
    text = " ".join(sentence(50, f"s{i}") for i in range(8))
    chunks = chunk_document(make_doc(text), w200(overlap_sentences=0))
    assert len(chunks) == 2
    assert chunks[0].end < chunks[1].start
    assert sum(c.n_words for c in chunks) == 400


def test_overlap_is_dropped_when_it_leaves_no_room() -> None:
    # A 240-word sentence then a 50-word one: repeating the first would exceed max_words,
    # and a chunk of just the repeated sentence would make no progress.
    a, b = sentence(240, "alpha"), sentence(50, "beta")
    chunks = chunk_document(make_doc(f"{a} {b}"), W200)
    assert [c.text for c in chunks] == [a, b]


def test_a_chunk_is_never_only_the_repeated_overlap() -> None:
    # The overlap sentence alone reaches target_words; the next chunk must still add one.
    a, b, c, d = sentence(30, "a"), sentence(200, "b"), sentence(20, "c"), sentence(100, "d")
    chunks = chunk_document(make_doc(f"{a} {b} {c} {d}"), W200)
    assert [ch.text for ch in chunks] == [f"{a} {b}", f"{b} {c}", f"{c} {d}"]


def test_overlap_never_repeats_a_whole_chunk() -> None:
    parts = [sentence(210, f"s{i}") for i in range(3)]
    chunks = chunk_document(make_doc(" ".join(parts)), w200(overlap_sentences=2))
    assert [c.text for c in chunks] == parts


def test_short_remainder_joins_the_previous_chunk() -> None:
    parts = [sentence(100, "a"), sentence(100, "b"), sentence(30, "c")]
    chunks = chunk_document(make_doc(" ".join(parts)), w200(overlap_sentences=0))
    assert [c.n_words for c in chunks] == [230]
    # ...but not when the merged chunk would go over max_words.
    parts = [sentence(100, "a"), sentence(100, "b"), sentence(60, "c")]
    chunks = chunk_document(make_doc(" ".join(parts)), w200(overlap_sentences=0))
    assert [c.n_words for c in chunks] == [200, 60]


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    text = "Intro sentence here.\n" + " ".join(f"word{i}" for i in range(600)) + "\nOutro."
    settings = w200(overlap_sentences=0)
    chunks = chunk_document(make_doc(text), settings)
    check_chunks(make_doc(text), settings, chunks)
    assert all(c.n_words <= 250 for c in chunks)
    assert sum(c.n_words for c in chunks) == count_words(text)
    cut = [c for c in chunks if "word250" in c.text.split()]
    assert cut[0].text.startswith("word250")  # a piece starts exactly at the 251st word


def test_crlf_offsets_slice_the_text() -> None:
    text = "Title line\r\n\r\n" + "\r\n".join(sentence(30, f"p{i}") for i in range(20))
    doc = make_doc(text)
    chunks = chunk_document(doc, ChunkerSettings())
    check_chunks(doc, ChunkerSettings(), chunks)
    assert any("\r\n" in c.text for c in chunks)


def test_invalid_limits_raise() -> None:
    with pytest.raises(ValueError):
        chunk_document(make_doc("Text."), ChunkerSettings(max_words=0))


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_corpus_files(name: str) -> None:
    path = CORPUS / name
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    doc = make_doc(text)
    chunks = chunk_document(doc, ChunkerSettings())
    check_chunks(doc, ChunkerSettings(), chunks)
    assert len(chunks) >= 2  # 330-560 words each
