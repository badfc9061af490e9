"""Ranking: dense, BM25, and their reciprocal-rank fusion, over ids; no I/O, no heavy imports.

Backends arrive by protocol (``Embedder``, ``VectorIndex``, ``LexicalIndex``), so this module is
tested with in-memory doubles and never imports faiss, bm25s or torch itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from diplorag.embed import Embedder
    from diplorag.index import LexicalIndex, VectorIndex

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
RRF_K = 60


def rrf(
    rankings: Sequence[Sequence[tuple[int, float]]], *, k: int = RRF_K
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: ``score(d) = Σ 1 / (k + rank)`` over the rankings (rank from 1).

    Each ranking is ``(id, score)`` pairs, best first. RRF ties are common with two rankers
    (first in one, second in the other, and the reverse); they are broken by the sum of each
    ranker's scores divided by its best score, so the candidate that is closer to the top
    *by score* wins. Remaining ties keep first-seen order: the result is deterministic.
    """
    fused: dict[int, float] = {}
    closeness: dict[int, float] = {}
    for ranking in rankings:
        best = max((abs(s) for _, s in ranking), default=0.0) or 1.0
        for rank, (doc, score) in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
            closeness[doc] = closeness.get(doc, 0.0) + score / best
    order = sorted(fused, key=lambda d: (-round(fused[d], 12), -closeness[d]))
    return [(d, fused[d]) for d in order]


def _filtered(
    ranked: list[tuple[int, float]], allowed: Collection[int] | None
) -> list[tuple[int, float]]:
    return ranked if allowed is None else [(i, s) for i, s in ranked if i in allowed]


def retrieve(
    query: str,
    *,
    k: int,
    mode: Mode,
    embedder: Embedder | None,
    vectors: VectorIndex | None,
    lexical: LexicalIndex | None,
    allowed: Collection[int] | None = None,
    depth: int | None = None,
) -> list[tuple[int, float]]:
    """Rank chunk ids for ``query``; best first, at most ``k``.

    Args:
        query: the user's words.
        k: how many results.
        mode: ``dense`` (embeddings), ``bm25`` (keywords) or ``hybrid`` (RRF of both).
        embedder, vectors: needed for dense and hybrid.
        lexical: needed for bm25 and hybrid.
        allowed: if given, only these ids may be returned (metadata filters).
        depth: candidates taken from each ranker before fusion (default ``max(50, 5k)``).

    Returns:
        ``(id, score)`` pairs; the score is cosine similarity (dense), BM25 (bm25) or RRF.
    """
    depth = depth or max(50, 5 * k)
    if allowed is not None:
        # A filter can exclude every top candidate; a flat index scans everything anyway,
        # so rank the whole collection and filter (exact, and still milliseconds at 100k).
        depth = max(depth, len(vectors) if vectors is not None else 0, len(lexical or ()))
    dense: list[tuple[int, float]] = []
    sparse: list[tuple[int, float]] = []
    if mode in ("dense", "hybrid"):
        if embedder is None or vectors is None:
            raise ValueError("dense retrieval needs an embedder and a vector index")
        dense = _filtered(vectors.search(embedder.encode_query(query), depth), allowed)
    if mode in ("bm25", "hybrid"):
        if lexical is None:
            raise ValueError("bm25 retrieval needs a lexical index")
        sparse = _filtered(lexical.search(query, depth), allowed)
    if mode == "dense":
        return dense[:k]
    if mode == "bm25":
        return sparse[:k]
    return rrf([dense, sparse])[:k]
