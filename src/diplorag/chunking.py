"""Documents → chunks: runs of whole sentences with stable ids and exact character offsets.

``chunk.text == doc.text[chunk.start:chunk.end]`` always. A chunk starts at the first character
of a sentence and ends after the last character of a sentence, and holds at most
``max_words`` words. The one exception to "whole sentences": a single sentence longer than
``max_words`` words (a table flattened to one line, a list without full stops) is cut at word
boundaries into pieces of at most ``max_words`` words, and those pieces are treated as sentences.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from diplorag.sentences import count_words, iter_words, split_sentences
from diplorag.types import Chunk, ChunkerSettings, Document

# A last chunk with fewer new words than this fraction of target_words joins the one before it.
MERGE_REMAINDER_FRACTION = 1 / 3


@dataclass(frozen=True)
class _Unit:
    """A sentence, or a piece of an over-long one: the smallest thing a chunk holds."""

    start: int
    end: int
    n_words: int


def _pieces(text: str, start: int, end: int, max_words: int) -> list[_Unit]:
    """Cut the sentence ``text[start:end]`` before every ``max_words``-th word."""
    word_starts = [start + m.start() for m in iter_words(text[start:end])]
    bounds = [start, *word_starts[max_words::max_words], end]
    pieces = []
    for lo, hi in itertools.pairwise(bounds):
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        pieces.append(_Unit(lo, hi, count_words(text[lo:hi])))
    return pieces


def _units(text: str, body_start: int, max_words: int) -> list[_Unit]:
    """The sentences of the body, with over-long ones cut into pieces."""
    units: list[_Unit] = []
    for start, end in split_sentences(text, body_start):
        n_words = count_words(text[start:end])
        if n_words <= max_words:
            units.append(_Unit(start, end, n_words))
        else:
            units.extend(_pieces(text, start, end, max_words))
    return units


def _groups(units: list[_Unit], target: int, max_words: int, overlap: int) -> list[range]:
    """Consecutive runs of units (as index ranges), overlapping by up to ``overlap`` units."""
    groups: list[range] = []
    first_new: list[int] = []  # index of the first unit each group does not share with the last
    start = fresh = 0
    while fresh < len(units):
        words = sum(u.n_words for u in units[start:fresh])
        end = fresh
        # The first new unit always goes in, so every chunk makes progress.
        while end < len(units) and (
            end == fresh or (words < target and words + units[end].n_words <= max_words)
        ):
            words += units[end].n_words
            end += 1
        groups.append(range(start, end))
        first_new.append(fresh)
        # The next chunk repeats the last `overlap` units, unless that is the whole chunk or
        # leaves no room for a new unit within max_words.
        start = end - overlap if end - overlap > start else end
        while start < end < len(units) and (
            sum(u.n_words for u in units[start : end + 1]) > max_words
        ):
            start += 1
        fresh = end
    if len(groups) >= 2:
        last, previous = groups[-1], groups[-2]
        new_words = sum(u.n_words for u in units[first_new[-1] : last.stop])
        merged = sum(u.n_words for u in units[previous.start : last.stop])
        if new_words < target * MERGE_REMAINDER_FRACTION and merged <= max_words:
            groups[-2:] = [range(previous.start, last.stop)]
    return groups


def chunk_document(doc: Document, settings: ChunkerSettings) -> list[Chunk]:
    """Split a document's body into chunks of whole sentences.

    Sentences (``diplorag.sentences.split_sentences`` from ``doc.body_start``) are added to a
    chunk until it holds ``target_words`` words, never going over ``max_words``. Each chunk after
    the first repeats the last ``overlap_sentences`` sentences of the one before, unless that
    would repeat the whole previous chunk or leave no room for a new sentence. A short remainder
    (fewer than a third of ``target_words`` new words) joins the previous chunk when the result
    stays within ``max_words``. A sentence longer than ``max_words`` is the one thing cut inside:
    into pieces of at most ``max_words`` words, at word boundaries.

    Pure and deterministic: the same document and settings give the same chunks.

    Args:
        doc: The document; ``doc.text`` is what offsets point into.
        settings: Target and maximum words per chunk, and sentences of overlap.

    Returns:
        Chunks in document order, ``chunk_id`` ``f"{doc_id}-{ordinal:04d}"`` from ordinal 0;
        empty if the body holds no sentence.

    Raises:
        ValueError: ``max_words`` or ``target_words`` is below 1.
    """
    if settings.max_words < 1 or settings.target_words < 1:
        raise ValueError("chunker target_words and max_words must be at least 1")
    max_words = settings.max_words
    target = min(settings.target_words, max_words)
    overlap = max(settings.overlap_sentences, 0)
    units = _units(doc.text, min(max(doc.body_start, 0), len(doc.text)), max_words)
    chunks: list[Chunk] = []
    for ordinal, group in enumerate(_groups(units, target, max_words, overlap)):
        start, end = units[group.start].start, units[group.stop - 1].end
        text = doc.text[start:end]
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}-{ordinal:04d}",
                doc_id=doc.doc_id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=text,
                n_words=count_words(text),
            )
        )
    return chunks
