"""Fusion of ranked lists, at passage and at document level: pure functions, no I/O.

Every function takes rankings as ``(id, score)`` pairs, best first, and returns one in the same
shape. ``group_of`` maps a passage id to its document, so rankers can be fused per document
("which articles do both rankers like?") rather than per passage; with two rankers and several
passages per document, passage-level RRF rewards a document whose *same* passage both rankers
put first, and under-rewards one where they agree on the document but prefer different passages.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

Id = TypeVar("Id", bound=Hashable)
G = TypeVar("G", bound=Hashable)

Ranking = Sequence[tuple[Id, float]]
RRF_K = 60


def _weights(n: int, weights: Sequence[float] | None) -> Sequence[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"{len(weights)} weights for {n} rankings")
    return weights


def rrf(
    rankings: Sequence[Ranking[Id]],
    *,
    k: float = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[Id, float]]:
    """Weighted reciprocal rank fusion: ``score(d) = Σ w_i / (k + rank_i(d))`` (rank from 1).

    Ties (common with two rankers) are broken like ``diplorag.retrieve.rrf``: by the sum of each
    ranker's score divided by its best score, then by first-seen order.

    Args:
        rankings: ``(id, score)`` pairs per ranker, best first; ids unique within a ranking.
        k: The RRF constant; smaller values trust the top ranks more.
        weights: One weight per ranking (default 1 each).

    Returns:
        ``(id, fused score)`` pairs, best first.
    """
    ws = _weights(len(rankings), weights)
    fused: dict[Id, float] = {}
    closeness: dict[Id, float] = {}
    for w, ranking in zip(ws, rankings, strict=True):
        best = max((abs(s) for _, s in ranking), default=0.0) or 1.0
        for rank, (item, score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
            closeness[item] = closeness.get(item, 0.0) + w * score / best
    order = sorted(fused, key=lambda d: (-round(fused[d], 12), -closeness[d]))
    return [(d, fused[d]) for d in order]


def best_per_group(ranking: Ranking[Id], group_of: Callable[[Id], G]) -> list[tuple[G, float]]:
    """Collapse a passage ranking to a document ranking: each document at its best passage."""
    seen: set[G] = set()
    out: list[tuple[G, float]] = []
    for item, score in ranking:
        g = group_of(item)
        if g not in seen:
            seen.add(g)
            out.append((g, score))
    return out


def group_rrf(
    rankings: Sequence[Ranking[Id]],
    group_of: Callable[[Id], G],
    *,
    k: float = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[G, float]]:
    """RRF of the document rankings (``best_per_group``) of each passage ranking."""
    return rrf([best_per_group(r, group_of) for r in rankings], k=k, weights=weights)


def passages_by_group(
    group_ranking: Ranking[G],
    passage_ranking: Ranking[Id],
    group_of: Callable[[Id], G],
    *,
    per_group: int = 1,
) -> list[tuple[Id, float]]:
    """Passages ordered by their document's fused rank, best passages of a document first.

    Each document contributes up to ``per_group`` passages, in the order of
    ``passage_ranking``; a passage carries its document's fused score.
    """
    by_group: dict[G, list[Id]] = {}
    for item, _ in passage_ranking:
        by_group.setdefault(group_of(item), []).append(item)
    out: list[tuple[Id, float]] = []
    for g, score in group_ranking:
        out += [(item, score) for item in by_group.get(g, [])[:per_group]]
    return out


def document_aware_rrf(
    rankings: Sequence[Ranking[Id]],
    group_of: Callable[[Id], G],
    *,
    k: float = RRF_K,
    document_weight: float = 1.0,
    weights: Sequence[float] | None = None,
) -> list[tuple[Id, float]]:
    """Passage RRF plus ``document_weight`` × the RRF of the passage's document.

    A passage keeps its own evidence (passage RRF) and gains its document's agreement across
    rankers, so passages of a document that every ranker likes rise together while the list
    stays one of passages (several per document allowed).
    """
    passage = rrf(rankings, k=k, weights=weights)
    document = dict(group_rrf(rankings, group_of, k=k, weights=weights))
    scored = [(item, s + document_weight * document[group_of(item)]) for item, s in passage]
    order = sorted(range(len(scored)), key=lambda i: (-round(scored[i][1], 12), i))
    return [scored[i] for i in order]


def minmax(ranking: Ranking[Id]) -> list[tuple[Id, float]]:
    """Scores rescaled to ``[0, 1]`` within the ranking (all 1.0 if they are equal)."""
    if not ranking:
        return []
    scores = [s for _, s in ranking]
    lo, hi = min(scores), max(scores)
    if hi == lo:
        return [(item, 1.0) for item, _ in ranking]
    return [(item, (s - lo) / (hi - lo)) for item, s in ranking]


def maxnorm(ranking: Ranking[Id]) -> list[tuple[Id, float]]:
    """Scores divided by the ranking's best absolute score.

    Unlike ``minmax`` and ``zscore`` this does not depend on how deep the ranking goes: the
    ``k``-th candidate does not set the scale.
    """
    best = max((abs(s) for _, s in ranking), default=0.0) or 1.0
    return [(item, s / best) for item, s in ranking]


def zscore(ranking: Ranking[Id]) -> list[tuple[Id, float]]:
    """Scores as standard deviations from the ranking's mean (all 0.0 if they are equal)."""
    if not ranking:
        return []
    scores = [s for _, s in ranking]
    mu = sum(scores) / len(scores)
    sd = (sum((s - mu) ** 2 for s in scores) / len(scores)) ** 0.5
    if sd == 0:
        return [(item, 0.0) for item, _ in ranking]
    return [(item, (s - mu) / sd) for item, s in ranking]


def score_fusion(
    rankings: Sequence[Ranking[Id]],
    *,
    weights: Sequence[float] | None = None,
    normalize: Callable[[Ranking[Id]], list[tuple[Id, float]]] = minmax,
) -> list[tuple[Id, float]]:
    """Weighted sum of normalised scores (CombSUM); an id missing from a ranking scores 0 there.

    Unlike RRF this keeps score gaps: a passage far ahead of the rest in one ranker stays ahead.
    """
    ws = _weights(len(rankings), weights)
    fused: dict[Id, float] = {}
    for w, ranking in zip(ws, rankings, strict=True):
        for item, s in normalize(ranking):
            fused[item] = fused.get(item, 0.0) + w * s
    order = sorted(fused, key=lambda d: -fused[d])  # sorted() is stable: ties keep first-seen
    return [(d, fused[d]) for d in order]


def lookup(mapping: Mapping[Id, G]) -> Callable[[Id], G]:
    """``group_of`` from a mapping (for readability at call sites)."""
    return mapping.__getitem__
