"""The best few sentences of a passage for some terms: snippets for search and evidence."""

from __future__ import annotations

from collections.abc import Sequence

from diplorag.sentences import count_words, split_sentences
from diplorag.text.analyze import terms

__all__ = ["best_window", "grow_window"]


def grow_window(
    text: str, spans: Sequence[tuple[int, int]], scores: Sequence[float], max_words: int
) -> tuple[int, int]:
    """Indices ``(lo, hi)`` of the best-scoring sentence grown towards its better neighbour
    while the window stays within ``max_words``."""
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    lo = hi = best
    words = count_words(text[slice(*spans[best])])
    while True:
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(spans)]
        if not options:
            break
        nxt = max(options, key=lambda i: (scores[i], i == hi + 1))
        extra = count_words(text[slice(*spans[nxt])])
        if words + extra > max_words:
            break
        words += extra
        lo, hi = min(lo, nxt), max(hi, nxt)
    return lo, hi


def best_window(text: str, query: str, max_words: int = 70) -> tuple[int, int]:
    """The span of ``text``'s sentences that hold most of ``query``'s terms, about
    ``max_words`` long (the whole text when it has no sentences)."""
    spans = split_sentences(text)
    if not spans:
        return 0, len(text)
    wanted = set(terms(query))
    scores = [float(len(wanted & set(terms(text[a:b])))) for a, b in spans]
    lo, hi = grow_window(text, spans, scores, max_words)
    return spans[lo][0], spans[hi][1]
